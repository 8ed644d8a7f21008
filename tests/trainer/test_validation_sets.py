"""A scene set's validation scenes written alone are the ones, tile for tile, that the whole
set gives after ``prepare folder`` (what choosing between phases scores)."""

from __future__ import annotations

import json

import numpy as np

from devtools.validation_sets import SceneSet, validation_tiles, write_validation_set
from trainer.cli import main

TILE = 32


def _split(dataset, split):
    manifest = json.loads((dataset / "manifest.json").read_text())
    entry = manifest["splits"][split]
    return entry, np.load(dataset / entry["images"]), np.load(dataset / entry["labels"])


def test_validation_written_alone_equals_the_whole_sets(tmp_path):
    scene_set = SceneSet.parse("scenes_t 10 256 7 0.1")
    copy = tmp_path / "whole_20cm"
    assert main(["synth", "--out", str(tmp_path / "whole"), "--scenes", "10", "--size", "256",
                 "--seed", "7", "--test-fraction", "0.1", "--gsd-cm", "3:20", "--workers", "1",
                 "--resampled-copy", f"20:{copy}"]) == 0  # fmt: skip
    whole = tmp_path / "dataset_whole"
    assert main(["prepare", "folder", "--src", str(copy), "--out", str(whole),
                 "--tile", str(TILE), "--validation-seed", "0"]) == 0  # fmt: skip

    alone = write_validation_set(scene_set, tmp_path, workers=1, tile=TILE)

    chosen, training = validation_tiles(scene_set, TILE)
    carved = json.loads((whole / "manifest.json").read_text())["validation_carve"]["scenes"]
    assert carved == sorted(f"top_potsdam_{t}" for t in chosen)
    assert f"top_potsdam_{training}" not in carved
    whole_entry, whole_images, whole_labels = _split(whole, "validation")
    alone_entry, alone_images, alone_labels = _split(alone, "validation")
    assert alone_entry["count"] == whole_entry["count"] > 0
    assert np.array_equal(alone_images, whole_images)
    assert np.array_equal(alone_labels, whole_labels)
