"""Scores equal hand-computed values on a small known confusion matrix, both protocols."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainer.metrics import confusion_metric, epoch_scores, per_class_table, protocol_scores

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
