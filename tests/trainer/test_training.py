"""prepare -> train -> evaluate -> export on tiny generated Potsdam scenes, CPU only.

Also: a tiny overfit run's loss goes down; a run killed after epoch 1 and resumed ends with
the same weights as an uninterrupted one; torchrun with two gloo processes trains and
all-reduces the validation matrix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from osgeo import gdal

from engine.metadata import from_onnx_props
from trainer.cli import main
from trainer.config import from_dict
from trainer.loop import Trainer

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT_KEYS = {
    "model", "architecture", "architecture_args", "metadata", "epoch", "step", "config",
    "run_record", "validation_confusion",
}  # fmt: skip
RESUME_KEYS = {"optimizer", "scheduler", "scaler", "rng", "best_tracker", "stop_tracker"}


def test_train_writes_the_run_folder(trained):
    rows = (trained / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert {"train_loss", "validation_loss", "validation_miou6", "validation_miou5",
            "validation_jaccard7", "validation_accuracy7"} <= set(header)  # fmt: skip
    assert len(rows) == 3 and not any(key.startswith(("val_", "test")) for key in header)
    status = json.loads((trained / "status.json").read_text())
    assert (status["state"], status["epoch"], status["epochs"]) == ("finished", 2, 2)
    for name in ("learning_curves.png", "confusion_best.png", "samples_best.png"):
        assert (trained / name).read_bytes()[:4] == b"\x89PNG"
    resolved = json.loads((trained / "config.resolved.json").read_text())
    assert resolved["train"]["epochs"] == 2 and resolved["model"]["base_width"] == 4
    # best.pt: weights and what describes them; last.pt: all a resume needs.
    best = torch.load(trained / "checkpoints" / "best.pt", weights_only=True)
    assert CHECKPOINT_KEYS <= set(best) and not RESUME_KEYS & set(best)
    last_size = (trained / "checkpoints" / "last.pt").stat().st_size
    assert (trained / "checkpoints" / "best.pt").stat().st_size < 0.6 * last_size
    for name in ("last.pt", "best.pt"):
        checkpoint = torch.load(trained / "checkpoints" / name, weights_only=True)
        assert CHECKPOINT_KEYS <= set(checkpoint)
        assert checkpoint["architecture"] == "cse_unet_study"
        meta = from_onnx_props(checkpoint["metadata"], strict=True)
        assert meta.class_names[5] == "clutter" and meta.tile_size == 32
        assert meta.architecture_args["base_width"] == 4
        assert set(meta.metrics) == {k for k in header if k.startswith("validation_")}
        phase = checkpoint["run_record"]["phases"][-1]
        assert (
            phase["best_epoch"] == checkpoint["best_epoch"]
            and phase["monitor"] == "validation_miou5"
        )
        assert phase["data"]["splits"]["validation"]["scenes"] == 1
        assert phase["machines"][0]["cpu_cores"] >= 1 and phase["command"].endswith("tiny.toml")
    last = torch.load(trained / "checkpoints" / "last.pt", weights_only=True)
    assert RESUME_KEYS <= set(last)
    assert (last["epoch"], last["step"]) == (2, 4)  # 3 batches, accumulate 2 -> 2 steps/epoch


def test_evaluate_export_and_the_onnx_model_loads_in_the_engine(
    trained, potsdam_prepared, tmp_path, capsys
):
    from engine.model_file import load_model

    best = trained / "checkpoints" / "best.pt"
    # No --split: the test split (the paper's 2_12), never the validation split.
    assert main(["evaluate", str(best), "--data", str(potsdam_prepared), "--out",
                 str(tmp_path / "eval_pt"), "--device", "cpu"]) == 0  # fmt: skip
    assert "without clutter" in capsys.readouterr().out
    report = json.loads((tmp_path / "eval_pt" / "metrics.json").read_text())
    assert report["split"] == "test" and list(report["per_scene"]) == ["top_potsdam_2_12"]
    labels = gdal.Open(str(potsdam_prepared / "labels" / "top_potsdam_2_12_classes.tif"))
    valid = int((labels.ReadAsArray() != 255).sum())
    assert report["pixels"] == valid == int(np.sum(report["confusion_matrix"]))
    assert {"oa_all", "miou_all", "mf1_all", "oa_no_clutter", "miou_no_clutter"} <= set(report)
    table = (tmp_path / "eval_pt" / "per_class.md").read_text()
    assert table.count("|") > 20 and "the study's 7 codes" in table
    # The study's protocol counts unlabelled pixels as a 7th code, beside the classes' scores.
    assert 0 < report["jaccard7_codes"] <= 1 and 0 < report["accuracy7_codes"] <= 1

    onnx_path = tmp_path / "model.onnx"
    assert main(["export", str(best), "--out", str(onnx_path)]) == 0
    loaded = load_model(onnx_path, device="cpu")
    assert loaded.fixed_tile == 32 and loaded.fixed_batch is None  # static tiles, any batch
    manifest = json.loads((potsdam_prepared / "manifest.json").read_text())
    assert loaded.metadata.class_names == [c["name"] for c in manifest["classes"]]
    assert list(loaded.metadata.mean) == pytest.approx(manifest["mean"])
    assert loaded.metadata.tile_size == 32 and loaded.metadata.resolution_cm == 5.0

    # The exported model scores exactly like the checkpoint through the engine.
    assert main(["evaluate", str(onnx_path), "--data", str(potsdam_prepared), "--out",
                 str(tmp_path / "eval_onnx")]) == 0  # fmt: skip
    onnx_report = json.loads((tmp_path / "eval_onnx" / "metrics.json").read_text())
    assert onnx_report["confusion_matrix"] == report["confusion_matrix"]

    # D4 test-time augmentation runs through the same engine path.
    assert main(["evaluate", str(onnx_path), "--data", str(potsdam_prepared), "--out",
                 str(tmp_path / "eval_tta"), "--tta"]) == 0  # fmt: skip
    tta = json.loads((tmp_path / "eval_tta" / "metrics.json").read_text())
    assert tta["tta"] is True and tta["pixels"] == valid


def test_loss_goes_down_on_a_tiny_overfit_run(potsdam_prepared, tmp_path, kit):
    config = kit.tiny_config(
        potsdam_prepared, tmp_path,
        data={"max_train_tiles": 4, "validation_split": "train", "max_validation_tiles": 4},
        optim={"lr": 1e-2, "accumulate": 1, "schedule": "constant"},
        train={"epochs": 12, "plot_samples": 0},
        augment={"flips": "none", "scale": [], "brightness": 0.0, "contrast": 0.0},
        model={"architecture": "cse_unet", "base_width": 8},
    )  # fmt: skip
    history = Trainer(from_dict(config)).fit()
    losses = [h["train_loss"] for h in history]
    assert losses[-1] < 0.5 * losses[0], losses
    assert history[-1]["validation_miou6"] > history[0]["validation_miou6"]


class SimulatedKillError(Exception):
    pass


def _kill_after_first_epoch(trainer, result):
    if result.epoch == 1:
        raise SimulatedKillError


def test_kill_after_epoch_one_and_resume_equals_an_uninterrupted_run(
    potsdam_prepared, tmp_path, kit, request
):
    def config(out):
        return from_dict(kit.tiny_config(
            potsdam_prepared, out, data={"max_train_tiles": 8, "max_validation_tiles": 4},
            optim={"accumulate": 1}, train={"plot_samples": 0}, run={"deterministic": True},
        ))  # fmt: skip

    request.addfinalizer(lambda: torch.use_deterministic_algorithms(False))
    Trainer(config(tmp_path / "straight")).fit()
    with pytest.raises(SimulatedKillError):
        Trainer(config(tmp_path / "killed"), on_epoch_end=[_kill_after_first_epoch]).fit()
    killed_at = torch.load(tmp_path / "killed/checkpoints/last.pt", weights_only=True)
    assert killed_at["epoch"] == 1
    resumed = Trainer(config(tmp_path / "killed"), resume=True)
    assert resumed.epoch == 1
    resumed.fit()

    straight = torch.load(tmp_path / "straight/checkpoints/last.pt", weights_only=True)
    again = torch.load(tmp_path / "killed/checkpoints/last.pt", weights_only=True)
    assert again["epoch"] == straight["epoch"] == 2 and again["step"] == straight["step"]
    assert straight["model"].keys() == again["model"].keys()
    for key, value in straight["model"].items():
        assert torch.equal(value, again["model"][key]), key
    # The optimiser and schedule continue too, and the logs agree row by row.
    assert straight["scheduler"] == again["scheduler"]
    assert straight["optimizer"]["param_groups"] == again["optimizer"]["param_groups"]
    rows = [[{k: v for k, v in h.items() if k != "seconds"} for h in c["history"]]
            for c in (straight, again)]  # fmt: skip
    assert rows[0] == rows[1]
    # ...and the comparison can fail: epoch 2 did change the weights.
    assert any(not torch.equal(v, killed_at["model"][k]) for k, v in again["model"].items())


def test_init_warm_starts_from_a_previous_phase(trained, potsdam_prepared, tmp_path, kit):
    best = torch.load(trained / "checkpoints" / "best.pt", weights_only=True)
    config = from_dict(kit.tiny_config(potsdam_prepared, tmp_path, run={"seed": 99}))
    trainer = Trainer(config, init=str(trained / "checkpoints" / "best.pt"))
    state = trainer.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in best["model"].items())
    cold = Trainer(from_dict(kit.tiny_config(potsdam_prepared, tmp_path, run={"seed": 99})))
    assert not all(torch.equal(cold.model.state_dict()[k], v) for k, v in best["model"].items())
    other = kit.tiny_config(potsdam_prepared, tmp_path, model={"architecture": "resnet34_unet"})
    with pytest.raises(ValueError, match="holds a 'cse_unet_study' model"):
        Trainer(from_dict(other), init=str(trained / "checkpoints" / "best.pt"))


def test_torchrun_two_gloo_processes(potsdam_prepared, tmp_path, kit, torchrun_can_rendezvous):
    config = kit.tiny_config(
        potsdam_prepared, tmp_path / "out",
        data={"max_train_tiles": 8, "validation_batch_size": 4},
        train={"epochs": 1, "plot_samples": 1},
    )  # fmt: skip
    (tmp_path / "ddp.toml").write_text(kit.to_toml(config))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "trainer", "train", "--config", str(tmp_path / "ddp.toml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert len((tmp_path / "out" / "metrics.csv").read_text().splitlines()) == 2
    checkpoint = torch.load(tmp_path / "out/checkpoints/last.pt", weights_only=True)
    # Each rank validated its own share; the reduced matrix counts every labelled pixel once.
    labels = np.load(potsdam_prepared / "validation_labels.npy")
    assert int(checkpoint["validation_confusion"].sum()) == int((labels != 255).sum())
    assert checkpoint["step"] == 1  # 8 tiles / (4 per rank x 2 ranks) / accumulate 2


def test_early_stopping_on_the_monitored_metric(potsdam_prepared, tmp_path, kit):
    # "step" grows every epoch, so with mode "min" only epoch 1 is ever an improvement.
    config = kit.tiny_config(
        potsdam_prepared, tmp_path,
        data={"max_train_tiles": 4, "max_validation_tiles": 2},
        train={"epochs": 10, "patience": 2, "monitor": "step", "monitor_mode": "min",
               "plot_samples": 0},
    )  # fmt: skip
    trainer = Trainer(from_dict(config))
    history = trainer.fit()
    assert [h["epoch"] for h in history] == [1, 2, 3] and trainer.best_epoch == 1
    assert torch.load(tmp_path / "checkpoints/best.pt", weights_only=True)["epoch"] == 1


def test_asking_for_cuda_without_a_gpu_is_a_clear_message(potsdam_prepared, tmp_path, capsys, kit):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    config = kit.tiny_config(potsdam_prepared, tmp_path, run={"device": "cuda"})
    (tmp_path / "gpu.toml").write_text(kit.to_toml(config))
    assert main(["train", "--config", str(tmp_path / "gpu.toml")]) == 2
    assert "CUDA was asked for but this PyTorch sees no GPU" in capsys.readouterr().out


def test_own_folder_data_without_clutter_trains_and_evaluates(tmp_path, kit, capsys):
    src = kit.write_folder_dataset(tmp_path / "mine")
    data = tmp_path / "data"
    assert main(["prepare", "folder", "--src", str(src), "--out", str(data), "--tile", "32"]) == 0
    # The phase configs monitor validation_miou5 (Potsdam without clutter); with no clutter
    # class the mean over all classes is used instead.
    config = kit.tiny_config(data, tmp_path / "run", train={"epochs": 1, "plot_samples": 1})
    trainer = Trainer(from_dict(config))
    history = trainer.fit()
    assert "validation_miou3" in history[0] and "validation_miou5" not in history[0]
    assert trainer.best == history[0]["validation_miou3"]
    best = tmp_path / "run" / "checkpoints" / "best.pt"
    assert main(["evaluate", str(best), "--data", str(data), "--out", str(tmp_path / "ev")]) == 0
    report = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert list(report["classes"]) == ["road", "roof", "grass"]
    assert "miou_all" in report and "miou_no_clutter" not in report
    assert list(report["per_scene"]) == ["field4"]  # every fifth image is the test set


def test_best_epoch_never_reads_the_test_split(potsdam_prepared, tmp_path, kit, monkeypatch):
    """A copy of the dataset without its test arrays and rasters trains the same; a spy on
    every file the run opens finds none of the test split's."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(potsdam_prepared, data)
    manifest = json.loads((data / "manifest.json").read_text())
    test = manifest["splits"]["test"]
    test_files = [test["images"], test["labels"]] + [e["label"] for e in test["label_rasters"]]
    for name in test_files:
        (data / name).unlink()
    opened: list[str] = []
    real_load = np.load

    def spy_load(path, *args, **kwargs):
        opened.append(str(path))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(np, "load", spy_load)
    config = kit.tiny_config(
        data, tmp_path / "run", data={"max_train_tiles": 4},
        train={"epochs": 3, "plot_samples": 0, "monitor": "validation_miou6"},
    )  # fmt: skip
    trainer = Trainer(from_dict(config))
    history = trainer.fit()
    assert opened and not [p for p in opened if "test" in Path(p).name]
    assert {Path(p).name for p in opened} == {
        "train_images.npy", "train_labels.npy", "validation_images.npy", "validation_labels.npy"
    }  # fmt: skip
    # The best epoch is the best by the validation split's score, and that score counted
    # exactly the validation tiles' labels (per true class), not the test tiles'.
    scores = [row["validation_miou6"] for row in history]
    assert trainer.best_epoch == 1 + scores.index(max(scores))
    best = torch.load(tmp_path / "run/checkpoints/best.pt", weights_only=True)
    true_counts = best["validation_confusion"].sum(1).tolist()

    def class_counts(path: Path) -> list[int]:
        labels = real_load(path)
        return np.bincount(labels[labels != 255], minlength=6).tolist()

    assert true_counts == class_counts(data / "validation_labels.npy")
    assert true_counts != class_counts(potsdam_prepared / "test_labels.npy")


def test_configs_cannot_validate_on_the_test_split(potsdam_prepared, tmp_path, kit):
    config = kit.tiny_config(potsdam_prepared, tmp_path, data={"validation_split": "test"})
    with pytest.raises(ValueError, match="test split neither trains nor chooses the epoch"):
        from_dict(config)
    old = kit.tiny_config(potsdam_prepared, tmp_path, data={"val_split": "validation"})
    with pytest.raises(ValueError, match="val_split is now validation_split"):
        from_dict(old)
    old_monitor = kit.tiny_config(potsdam_prepared, tmp_path, train={"monitor": "val_miou6"})
    with pytest.raises(ValueError, match="validation_miou6"):
        from_dict(old_monitor)
