"""Trainer faults: a SIGKILL mid-epoch and ``--resume`` (only the running epoch is lost), a
NaN loss (the run stops naming the step, the last good checkpoint kept), a damaged file in a
dataset folder (reported; skipped only with ``--skip-unreadable``)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from trainer.cli import main

ROOT = Path(__file__).resolve().parents[2]
# Each epoch computes the loss 3 times: 2 training batches (8 tiles of 4) and 1 validation
# batch; call 5 is epoch 2's second training batch, after its first optimiser step.
KILL_AT_LOSS = 5
KILLABLE = """
import pathlib, sys, time
import torch
torch.set_num_threads(1)
from trainer import losses
marker, at, config = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
calls, forward = [0], losses.SegmentationLoss.forward
def waiting(self, *args, **kwargs):
    calls[0] += 1
    if calls[0] == at:
        marker.touch()
        time.sleep(600)  # SIGKILL comes here, mid-epoch
    return forward(self, *args, **kwargs)
losses.SegmentationLoss.forward = waiting
from trainer.cli import main
sys.exit(main(["train", "--config", config]))
"""


def _config(kit, data: Path, out: Path, **train) -> dict:
    return kit.tiny_config(
        data, out, data={"max_train_tiles": 8, "max_validation_tiles": 4},
        optim={"accumulate": 1}, train={"plot_samples": 0, **train}, run={"deterministic": True},
    )  # fmt: skip


def _write(kit, config: dict, path: Path) -> str:
    path.write_text(kit.to_toml(config))
    return str(path)


def _rows(checkpoint: dict) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in checkpoint["history"]]


def test_sigkill_mid_epoch_then_resume_loses_only_the_running_epoch(
    potsdam_prepared, tmp_path, kit, request
):
    request.addfinalizer(lambda: torch.use_deterministic_algorithms(False))
    straight = _write(kit, _config(kit, potsdam_prepared, tmp_path / "straight", epochs=3),
                      tmp_path / "straight.toml")  # fmt: skip
    assert main(["train", "--config", straight]) == 0
    killed_run = tmp_path / "killed"
    killed = _write(kit, _config(kit, potsdam_prepared, killed_run, epochs=3),
                    tmp_path / "killed.toml")  # fmt: skip
    marker = tmp_path / "mid-epoch-2"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(marker), str(KILL_AT_LOSS), killed],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), process.stderr.read().decode()[-2000:] if process.poll() else ""
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    at_kill = torch.load(killed_run / "checkpoints" / "last.pt", weights_only=True)
    assert at_kill["epoch"] == 1  # epoch 2 was running: it is what is lost
    status = json.loads((killed_run / "status.json").read_text())
    assert (status["state"], status["epoch"]) == ("running", 1)
    assert not list(killed_run.rglob("*.part"))  # no half-written checkpoint or log

    assert main(["train", "--config", killed, "--resume"]) == 0
    reference = torch.load(tmp_path / "straight" / "checkpoints" / "last.pt", weights_only=True)
    resumed = torch.load(killed_run / "checkpoints" / "last.pt", weights_only=True)
    assert resumed["epoch"] == reference["epoch"] == 3 and resumed["step"] == reference["step"]
    assert _rows(resumed) == _rows(reference)
    for key, value in reference["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert len((killed_run / "metrics.csv").read_text().splitlines()) == 1 + 3


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint(
    potsdam_prepared, tmp_path, kit, capsys, monkeypatch
):
    from trainer import losses

    run = tmp_path / "run"
    config = _write(kit, _config(kit, potsdam_prepared, run, epochs=3), tmp_path / "nan.toml")
    calls, forward = [0], losses.SegmentationLoss.forward
    digests: dict[str, str] = {}  # the checkpoints as they are when the loss goes bad

    def diverging(self, logits, target):
        calls[0] += 1
        loss = forward(self, logits, target)
        if calls[0] < 4:
            return loss
        if not digests:  # epoch 2's first batch
            digests.update({n: _digest(run / "checkpoints" / n) for n in ("last.pt", "best.pt")})
        return loss * float("nan")

    monkeypatch.setattr(losses.SegmentationLoss, "forward", diverging)
    assert main(["train", "--config", config]) == 2
    said = capsys.readouterr().out
    assert "train: the loss became nan at optimiser step 3 (epoch 2, batch 1 of 2)" in said
    assert f"{run / 'checkpoints' / 'last.pt'} (epoch 1) is the last good state" in said
    assert "--resume" in said
    for name, digest in digests.items():
        assert _digest(run / "checkpoints" / name) == digest, f"{name} was touched"
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["epoch"] == 1
    assert len((run / "metrics.csv").read_text().splitlines()) == 1 + 1
    assert json.loads((run / "status.json").read_text())["epoch"] == 1


def _folder_dataset(kit, src: Path, damaged: str | None) -> None:
    kit.write_folder_dataset(src)
    if damaged:  # the header survives, the pixels do not: a copy cut short
        path = src / "images" / damaged
        os.truncate(path, path.stat().st_size // 2)


def test_a_damaged_file_in_a_dataset_folder_is_reported_and_skipped_only_when_asked(
    tmp_path, kit, capsys
):
    src, data = tmp_path / "mine", tmp_path / "data"
    _folder_dataset(kit, src, damaged="field2.tif")
    command = ["prepare", "folder", "--src", str(src), "--out", str(data), "--tile", "32"]
    assert main(command) == 2
    said = capsys.readouterr().out
    assert f"prepare: {src / 'images' / 'field2.tif'} cannot be read" in said
    assert "--skip-unreadable" in said
    assert not data.exists()  # nothing half-prepared

    assert main([*command, "--skip-unreadable"]) == 0
    said = capsys.readouterr().out
    assert "WARNING: skipped field2:" in said and "field2.tif cannot be read" in said
    manifest = json.loads((data / "manifest.json").read_text())
    assert [s["scene"] for s in manifest["skipped_scenes"]] == ["field2"]
    scenes = {name for entry in manifest["splits"].values() for name in entry["scenes"]}
    assert scenes == {"field0", "field1", "field3", "field4"}


def test_an_intact_folder_skips_nothing(tmp_path, kit):
    src, data = tmp_path / "mine", tmp_path / "data"
    _folder_dataset(kit, src, damaged=None)
    command = ["prepare", "folder", "--src", str(src), "--out", str(data), "--tile", "32"]
    assert main(command) == 0
    assert json.loads((data / "manifest.json").read_text())["skipped_scenes"] == []
