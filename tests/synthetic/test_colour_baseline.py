"""The per-pixel colour k-NN baseline: a correct k-NN, scored like ``evaluate`` scores."""

from __future__ import annotations

import json

import numpy as np

from trainer.cli import main as trainer_main
from trainer.commands.colour_baseline import fit_colour_knn
from trainer.data.potsdam import prepare_potsdam
from trainer.data.splits import ValidationCarve


def test_lookup_table_agrees_with_brute_force_knn():
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (400, 3)).astype(np.uint8)
    labels = (colours[:, 0] > colours[:, 2]).astype(np.int64) + 2 * (colours[:, 1] > 200)
    model = fit_colour_knn(colours, labels, classes=4, k=5, bits=4)
    queries = rng.integers(0, 256, (3, 50, 1)).astype(np.uint8)
    predicted = model.predict(queries)[:, 0]
    # Brute force at the quantised colour's cell centre, the point the table stands for.
    centres = (queries[:, :, 0].T.astype(np.float64) // 16) * 16 + 8
    d = ((centres[:, None, :] - colours[None].astype(np.float64)) ** 2).sum(-1)
    nearest = np.argsort(d, axis=1, kind="stable")[:, :5]
    votes = np.stack([np.bincount(labels[n], minlength=4) for n in nearest])
    agree = predicted == votes.argmax(1)
    # Ties in distance may resolve either way; nearly all must agree.
    assert agree.mean() > 0.95


def test_separable_colours_are_classified_perfectly():
    colours = np.array([[250, 10, 10]] * 30 + [[10, 10, 250]] * 30, np.uint8)
    labels = np.array([0] * 30 + [1] * 30)
    model = fit_colour_knn(colours, labels, classes=2, k=7)
    image = np.zeros((3, 2, 2), np.uint8)
    image[0, 0] = 240
    image[2, 1] = 240
    assert model.predict(image).tolist() == [[0, 0], [1, 1]]


def test_command_scores_held_out_scenes_under_both_protocols(synthetic_potsdam, tmp_path):
    src, written = synthetic_potsdam
    data = tmp_path / "prepared"
    # Validation blocks of one tile (no gap) leave the three small scenes most of their pixels.
    carve = ValidationCarve(by="blocks", block=160, gap=0)
    prepare_potsdam(src, data, tile=160, split="benchmark", carve=carve)
    # Synthetic scenes carry their own GSD, not Potsdam's 5 cm: the manifest says which.
    gsds = [round(w.gsd_m * 100, 2) for w in written]
    manifest = json.loads((data / "manifest.json").read_text())
    assert len(set(gsds)) > 1 and manifest["scene_resolution_cm"] == [min(gsds), max(gsds)]
    out = tmp_path / "baseline.json"
    args = ["colour-baseline", "--data", str(data), "--samples", "3000", "--out", str(out)]
    assert trainer_main(args) == 0
    result = json.loads(out.read_text())
    assert 0.0 < result["miou_all"] < 1.0
    assert "miou_no_clutter" in result
    assert result["pixels"] > 0.8 * 320 * 320 * 0.5  # eroded labels leave most pixels
    assert result["scenes"] == ["top_potsdam_2_13"]
