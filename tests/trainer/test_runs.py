"""Runs a researcher can trust: a run folder is never silently replaced, a resume with more
epochs continues to the new end, a chain of phases restarts where it stopped, warm starts are
found in the runs folder (or say what to do), --dry-run describes without touching anything,
and the report sets runs beside the study, the paper and the state of the art."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from trainer.cli import build_parser, main


def _write(kit, data_dir: Path, runs: Path, name: str, folder: Path, **sections) -> Path:
    """A tiny one-epoch phase config ``folder/name.toml`` whose run goes to ``runs/name``;
    ``sections`` update it."""
    config = kit.tiny_config(data_dir, runs / name)
    config["run"].update(name=name)
    config["data"].update(max_train_tiles=4, max_validation_tiles=4)
    config["optim"].update(accumulate=1)
    config["train"].update(epochs=1, plot_samples=0)
    for section, values in sections.items():
        config[section].update(values)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(kit.to_toml(config))
    return path


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)


def test_a_run_is_refused_a_second_time_resumed_longer_or_overwritten(
    potsdam_prepared, tmp_path, kit, capsys
):
    config = _write(kit, potsdam_prepared, tmp_path / "runs", "tiny", tmp_path / "configs")
    run = tmp_path / "runs" / "tiny"
    assert main(["train", "--config", str(config)]) == 0
    best = (run / "checkpoints" / "best.pt").read_bytes()
    capsys.readouterr()

    # A second run into the folder would replace the best.pt the next phase starts from.
    assert main(["train", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    assert "already holds a run (finished, epoch 1 of 1)" in out and "--overwrite" in out
    assert (run / "checkpoints" / "best.pt").read_bytes() == best

    # Resume with more epochs: continues from epoch 1 to the new end (the schedule too).
    assert main(["train", "--config", str(config), "--resume", "--set", "train.epochs=3"]) == 0
    last = _last(run)
    assert last["epoch"] == 3 and [row["epoch"] for row in last["history"]] == [1, 2, 3]
    assert last["scheduler"]["step_count"] == last["step"] == 3
    assert last["optimizer"]["param_groups"][0]["lr"] == pytest.approx(1e-2 / 1e5)
    status = json.loads((run / "status.json").read_text())
    assert (status["state"], status["epoch"], status["epochs"]) == ("finished", 3, 3)

    # --overwrite starts afresh.
    assert main(["train", "--config", str(config), "--overwrite"]) == 0
    assert _last(run)["epoch"] == 1 and len((run / "metrics.csv").read_text().splitlines()) == 2


def test_resume_needs_a_run_and_a_warm_start_must_exist(potsdam_prepared, tmp_path, kit, capsys):
    config = _write(kit, potsdam_prepared, tmp_path / "runs", "child", tmp_path / "configs",
                    run={"parent": "parent"})  # fmt: skip
    assert main(["train", "--config", str(config), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().out
    assert main(["train", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    missing = tmp_path / "runs" / "parent" / "checkpoints" / "best.pt"
    assert f"warm start {missing} not found" in out and "--init PATH" in out
    assert not (tmp_path / "runs" / "child").exists()
    assert main(["train", "--config", str(config), "--init", str(tmp_path / "nope.pt")]) == 2
    assert "--init" in capsys.readouterr().out


def test_dry_run_prints_the_header_and_touches_nothing(potsdam_prepared, tmp_path, kit, capsys):
    config = _write(kit, potsdam_prepared, tmp_path / "runs", "child", tmp_path / "configs",
                    run={"parent": "parent"}, data={"batch_size": 2},
                    optim={"accumulate": 4, "lr": [1e-6, 1e-4]},
                    loss={"class_weights": [1, 1, 1, 1, 2, 3]})  # fmt: skip
    assert main(["train", "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    splits = json.loads((potsdam_prepared / "manifest.json").read_text())["splits"]
    assert "device      cpu" in out
    assert (
        f"tiles       train 'train' 4 of {splits['train']['count']}, validation 'validation' 4 "
        f"of {splits['validation']['count']}"
    ) in out
    assert "2 batches of 2 per epoch and process, 1 optimiser steps per epoch" in out
    assert "effective 8 = batch 2 × accumulate 4" in out
    assert "class weights [1, 1, 1, 1, 2, 3]" in out
    assert "1 parameter group (fastai's split of cse_unet_study), lr slice(1e-06, 0.0001)" in out
    assert "- all parameters:" in out and "peak lr 0.0001" in out
    assert "warm start  " in out and "best of parent phase parent — MISSING" in out
    assert not (tmp_path / "runs").exists()


def test_chain_runs_each_phase_from_its_parent_and_restarts_where_it_stopped(
    potsdam_prepared, tmp_path, kit, capsys
):
    from trainer.commands import chain

    configs, runs = tmp_path / "configs", tmp_path / "elsewhere"
    for name, parent in (("tiny_one", ""), ("tiny_two", "tiny_one"), ("other", "")):
        run = {"parent": parent} if parent else {}
        _write(kit, potsdam_prepared, tmp_path / "runs", name, configs, run=run,
               train={"epochs": 2, "plot_samples": 0})  # fmt: skip

    class KilledError(Exception):
        pass

    def kill_in_phase_two(trainer, result):
        if trainer.config.run.name == "tiny_two" and result.epoch == 1:
            raise KilledError

    args = build_parser("chain").parse_args(
        ["chain", "tiny", "--configs", str(configs), "--runs", str(runs)]
    )
    with pytest.raises(KilledError):
        chain.run(args, callbacks=[kill_in_phase_two])
    assert "== 1/2 tiny_one: train" in capsys.readouterr().out
    one_best = (runs / "tiny_one" / "checkpoints" / "best.pt").read_bytes()
    assert _last(runs / "tiny_two")["epoch"] == 1
    started_from = _last(runs / "tiny_two")["run_record"]["phases"][-1]["warm_start"]
    assert started_from == str(runs / "tiny_one" / "checkpoints" / "best.pt")

    assert chain.run(args) == 0
    out = capsys.readouterr().out
    assert "== 1/2 tiny_one: skip" in out and "== 2/2 tiny_two: resume" in out
    assert (runs / "tiny_one" / "checkpoints" / "best.pt").read_bytes() == one_best
    two = _last(runs / "tiny_two")
    assert two["epoch"] == 2 and [row["epoch"] for row in two["history"]] == [1, 2]
    assert [p["name"] for p in two["run_record"]["phases"]] == ["tiny_one", "tiny_two"]
    assert not (runs / "other").exists()  # not in the chain "tiny"
    assert chain.run(args) == 0
    assert "tiny_two: skip" in capsys.readouterr().out


def test_phases_lists_each_config_with_its_parent(capsys):
    assert main(["phases"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines() if line}
    assert rows["cse_phase_4_1"][1] == "cse_phase_2"
    assert rows["cse_phase_2"][1] == "cse_phase_1" and rows["cse_phase_1"][1] == "scratch"
    assert rows["cse_phase_4_3_focal_loss"][-2] == "8×1=8"


def test_report_sets_runs_beside_the_study_the_paper_and_the_state_of_the_art(
    trained, tmp_path, capsys
):
    assert main(["report", str(trained), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| tiny |"))
    metrics = (trained / "metrics.csv").read_text().splitlines()
    header, rows = metrics[0].split(","), [line.split(",") for line in metrics[1:]]
    column = header.index("validation_miou5")
    best = max(rows, key=lambda r: float(r[column]))
    jaccard = float(best[header.index("validation_jaccard7")])
    assert f"| {jaccard:.3f} |" in row and f"{100 * float(best[column]):.2f}" in row
    for published in ("0.681", "0.671", "0.669", "0.652", "0.646", "0.613", "76.22", "86.50",
                      "87.50", "UNetFormer", "FT-UNetFormer"):  # fmt: skip
        assert published in text
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_tensorboard_logs_rates_metrics_and_samples(potsdam_prepared, tmp_path, kit):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = _write(kit, potsdam_prepared, tmp_path / "runs", "tb", tmp_path / "configs",
                    train={"epochs": 1, "plot_samples": 2})  # fmt: skip
    assert main(["train", "--config", str(config), "--tensorboard"]) == 0
    events = EventAccumulator(str(tmp_path / "runs" / "tb" / "tensorboard"))
    events.Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"lr/all_parameters", "loss/train_step", "loss/validation_loss",
            "metrics/validation_jaccard7", "metrics/validation_miou6"} <= scalars  # fmt: skip
    assert events.Tags()["images"] == ["validation/image_target_prediction"]


def test_tensorboard_missing_is_a_clear_message(
    potsdam_prepared, tmp_path, kit, capsys, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    config = _write(kit, potsdam_prepared, tmp_path / "runs", "tb", tmp_path / "configs")
    assert main(["train", "--config", str(config), "--tensorboard"]) == 2
    assert "pip install tensorboard==" in capsys.readouterr().out
