"""Choosing the bundled model's phase: scored on validation splits, scores reused only while
they are newer than the checkpoint and the dataset they came from."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from devtools.bundled_model import choose_checkpoint, validation_miou


def _copy_run(trained: Path, dest: Path) -> Path:
    checkpoint = dest / "checkpoints" / "best.pt"
    checkpoint.parent.mkdir(parents=True)
    shutil.copy(trained / "checkpoints" / "best.pt", checkpoint)
    return checkpoint


def test_choose_scores_validation_and_reuses_only_fresh_scores(trained, potsdam_prepared, tmp_path):
    checkpoint = _copy_run(trained, tmp_path / "phase")
    work = tmp_path / "choose"
    assert choose_checkpoint([checkpoint], [potsdam_prepared], work) == checkpoint
    saved = work / f"phase_{potsdam_prepared.name}" / "metrics.json"
    metrics = json.loads(saved.read_text())
    assert metrics["split"] == "validation"
    scored = metrics["miou_all"]

    metrics["miou_all"] = 0.123  # a score no evaluation gives: seen only if read back
    saved.write_text(json.dumps(metrics))
    assert validation_miou(checkpoint, potsdam_prepared, saved.parent) == 0.123

    later = saved.stat().st_mtime + 5  # the checkpoint retrained after the score was saved
    os.utime(checkpoint, (later, later))
    assert validation_miou(checkpoint, potsdam_prepared, saved.parent) == scored


def test_checkpoints_side_by_side_keep_their_own_scores(trained, potsdam_prepared, tmp_path):
    best = _copy_run(trained, tmp_path / "phase")
    last = best.with_name("last.pt")
    rebuilt = tmp_path / "runs" / "phase_rebuilt.pt"
    other = rebuilt.with_name("other_rebuilt.pt")
    rebuilt.parent.mkdir()
    for copy in (last, rebuilt, other):
        shutil.copy(best, copy)
    names = {best: "phase", last: "phase_last", rebuilt: "phase_rebuilt", other: "other_rebuilt"}
    work = tmp_path / "choose"
    choose_checkpoint(list(names), [potsdam_prepared], work)
    assert len(list(work.iterdir())) == len(names)
    for checkpoint, name in names.items():  # each folder holds its own model's score
        saved = work / f"{name}_{potsdam_prepared.name}" / "metrics.json"
        assert json.loads(saved.read_text())["model"] == str(checkpoint)
