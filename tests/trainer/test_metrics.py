"""Scores equal hand-computed values on a small known confusion matrix, under the three
protocols: all classes, clutter left out, and the study's 7 codes (fastai's
JaccardCoeffMulti with the undefined code)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainer.metrics import (
    confusion_metric,
    epoch_scores,
    jaccard_coeff_multi,
    per_class_table,
    protocol_scores,
    with_undefined_code,
)

NAMES = ["impervious", "building", "tree", "clutter"]
# rows: true class, columns: predicted class
CM = np.array(
    [
        [5, 1, 0, 0],
        [2, 6, 1, 1],
        [0, 0, 4, 0],
        [1, 0, 1, 2],
    ]
)
# By hand: TP, FP (column - TP), FN (row - TP) per class.
IOU = [5 / 9, 6 / 11, 4 / 6, 2 / 5]
F1 = [10 / 14, 12 / 17, 8 / 10, 4 / 7]


def test_scores_over_all_classes_match_hand_computation():
    result = protocol_scores(CM, NAMES)
    assert result["oa_all"] == pytest.approx(17 / 24)
    assert result["miou_all"] == pytest.approx(sum(IOU) / 4)
    assert result["mf1_all"] == pytest.approx(sum(F1) / 4)
    for i, name in enumerate(NAMES):
        assert result["classes"][name]["iou"] == pytest.approx(IOU[i])
        assert result["classes"][name]["f1"] == pytest.approx(F1[i])
    assert result["pixels"] == 24


def test_clutter_excluded_protocol_matches_hand_computation():
    result = protocol_scores(CM, NAMES)
    # Clutter pixels (by label) leave OA; clutter predicted on a building pixel still counts.
    assert result["oa_no_clutter"] == pytest.approx(15 / 20)
    assert result["miou_no_clutter"] == pytest.approx(sum(IOU[:3]) / 3)
    assert result["mf1_no_clutter"] == pytest.approx(sum(F1[:3]) / 3)
    flat = epoch_scores(torch.as_tensor(CM), NAMES)
    assert flat["validation_miou4"] == pytest.approx(sum(IOU) / 4)
    assert flat["validation_miou3"] == pytest.approx(sum(IOU[:3]) / 3)
    assert flat["validation_oa3"] == pytest.approx(0.75)
    table = per_class_table(result)
    assert f"{100 * IOU[1]:.2f}" in table and "without clutter" in table


def test_confusion_matrix_from_pixels_skips_the_ignore_index():
    targets, predictions = [], []
    for t in range(4):
        for p in range(4):
            targets += [t] * int(CM[t, p])
            predictions += [p] * int(CM[t, p])
    # Ignored pixels with arbitrary predictions must not enter the matrix.
    targets += [255] * 9
    predictions += [0, 1, 2, 3, 0, 1, 2, 3, 0]
    order = np.random.default_rng(0).permutation(len(targets))
    t = torch.tensor(targets)[order].reshape(1, 3, -1)
    p = torch.tensor(predictions)[order].reshape(1, 3, -1)
    metric = confusion_metric(4)
    metric.update(p[..., :5], t[..., :5])
    metric.update(p[..., 5:], t[..., 5:])
    assert np.array_equal(metric.compute().numpy(), CM)


def test_a_class_never_seen_nor_predicted_has_no_say_in_the_means():
    cm = np.zeros((4, 4), dtype=int)
    cm[:3, :3] = CM[:3, :3]
    result = protocol_scores(cm, NAMES)
    assert math.isnan(result["classes"]["clutter"]["iou"])
    assert result["miou_all"] == pytest.approx(result["miou_no_clutter"])


# The study's protocol: CM's 4 classes plus the undefined code (index 4): 4 unlabelled pixels,
# predicted 0, 0, 0 and 2 by a model that never predicts "undefined".
CM_CODES = np.zeros((5, 5), dtype=int)
CM_CODES[:4, :4] = CM
CM_CODES[4, 0], CM_CODES[4, 2] = 3, 1
# By hand, per code: intersection / (predicted + labelled - intersection).
JACCARD_CODES = (5 / 12 + 6 / 11 + 4 / 7 + 2 / 5 + 0 / 4) / 5


def _pixels(cm: np.ndarray, undefined: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Label and prediction pixels that make ``cm``, the undefined code written as 255."""
    targets, predictions = [], []
    for t in range(len(cm)):
        for p in range(len(cm)):
            targets += [255 if t == undefined else t] * int(cm[t, p])
            predictions += [p] * int(cm[t, p])
    order = np.random.default_rng(1).permutation(len(targets))
    return torch.tensor(targets)[order], torch.tensor(predictions)[order]


def _fastai_jaccard_coeff_multi(batches, codes: int) -> float:
    """fastai's JaccardCoeffMulti as the study ran it, accumulated batch by batch."""
    inter, union = dict.fromkeys(range(codes), 0.0), dict.fromkeys(range(codes), 0.0)
    for pred, targ in batches:
        for c in range(codes):
            p, t = (pred == c).long(), (targ == c).long()
            inter[c] += (p * t).sum().item()
            union[c] += (p + t).sum().item()
    scores = [inter[c] / (union[c] - inter[c]) if union[c] > 0 else np.nan for c in inter]
    return float(np.nanmean(scores))


def test_the_studys_7_code_jaccard_equals_a_hand_computation():
    assert jaccard_coeff_multi(CM_CODES) == pytest.approx(JACCARD_CODES)
    # From pixels, as the training loop counts them: unlabelled (255) becomes code 4.
    targets, predictions = _pixels(CM_CODES, undefined=4)
    metric = confusion_metric(5, ignore_index=None)
    for chunk in range(0, len(targets), 7):
        metric.update(
            predictions[chunk : chunk + 7], with_undefined_code(targets[chunk : chunk + 7], 4)
        )
    assert np.array_equal(metric.compute().numpy(), CM_CODES)
    coded = with_undefined_code(targets, 4)
    batches = [(predictions[i : i + 5], coded[i : i + 5]) for i in range(0, len(coded), 5)]
    assert _fastai_jaccard_coeff_multi(batches, 5) == pytest.approx(JACCARD_CODES)
    flat = epoch_scores(torch.as_tensor(CM_CODES), NAMES)
    assert flat["validation_jaccard5"] == pytest.approx(JACCARD_CODES)
    assert flat["validation_accuracy5"] == pytest.approx(17 / 28)
    assert flat["validation_dice5"] == pytest.approx((10 / 17 + 12 / 17 + 8 / 11 + 4 / 7 + 0) / 5)
    # ...beside the classes' scores, which never see the unlabelled pixels.
    assert flat["validation_miou4"] == pytest.approx(sum(IOU) / 4)
    assert flat["validation_miou3"] == pytest.approx(sum(IOU[:3]) / 3)


def test_without_unlabelled_pixels_the_undefined_code_drops_out_of_the_mean():
    codes = np.zeros((5, 5), dtype=int)
    codes[:4, :4] = CM
    assert jaccard_coeff_multi(codes) == pytest.approx(sum(IOU) / 4)
