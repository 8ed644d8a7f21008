"""A warm start that keeps its parent's input standardisation: the run normalises with the
statistics in the checkpoint it starts from, records them in its own checkpoints (and so in
the exported model), keeps them through a resume, and says what to do without a warm start."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from engine.metadata import from_onnx_props, to_onnx_props
from trainer.cli import main
from trainer.config import load_config
from trainer.standardisation import input_standardisation

PARENT_MEAN = (0.11, 0.22, 0.33)
PARENT_STD = (0.44, 0.55, 0.66)


def _parent(trained: Path, folder: Path) -> Path:
    """The tiny run's best checkpoint as if trained on another dataset (other statistics)."""
    checkpoint = torch.load(trained / "checkpoints" / "best.pt", weights_only=True)
    meta = from_onnx_props(checkpoint["metadata"])
    checkpoint["metadata"] = to_onnx_props(replace(meta, mean=PARENT_MEAN, std=PARENT_STD))
    path = folder / "parent.pt"
    torch.save(checkpoint, path)
    return path


def _config(kit, data: Path, folder: Path, standardisation: str) -> Path:
    config = kit.tiny_config(data, folder / "run")
    config["data"].update(max_train_tiles=4, max_validation_tiles=4)
    config["data"]["standardisation"] = standardisation
    config["optim"].update(accumulate=1)
    config["train"].update(epochs=1, plot_samples=0)
    path = folder / "phase.toml"
    path.write_text(kit.to_toml(config))
    return path


def _recorded(run: Path, name: str = "best.pt") -> tuple[tuple, tuple]:
    checkpoint = torch.load(run / "checkpoints" / name, weights_only=True)
    meta = from_onnx_props(checkpoint["metadata"])
    return tuple(meta.mean), tuple(meta.std)


def _dataset_statistics(data: Path) -> tuple[tuple, tuple]:
    manifest = json.loads((data / "manifest.json").read_text())
    return tuple(manifest["mean"]), tuple(manifest["std"])


@pytest.mark.parametrize("standardisation", ["warm_start", "dataset"])
def test_a_warm_start_keeps_its_parents_statistics_when_asked(
    trained, potsdam_prepared, tmp_path, kit, standardisation
):
    parent = _parent(trained, tmp_path)
    config = _config(kit, potsdam_prepared, tmp_path, standardisation)
    assert main(["train", "--config", str(config), "--init", str(parent)]) == 0
    run = tmp_path / "run"
    expected = (
        (PARENT_MEAN, PARENT_STD)
        if standardisation == "warm_start"
        else _dataset_statistics(potsdam_prepared)
    )
    mean, std = _recorded(run)
    assert mean == pytest.approx(expected[0]) and std == pytest.approx(expected[1])

    # A resume reads the statistics its own last checkpoint recorded, not the warm start's.
    parent.unlink()
    assert main(["train", "--config", str(config), "--resume", "--set", "train.epochs=2"]) == 0
    mean, std = _recorded(run, "last.pt")
    assert mean == pytest.approx(expected[0]) and std == pytest.approx(expected[1])


def test_the_exported_model_carries_the_statistics_it_was_trained_with(
    trained, potsdam_prepared, tmp_path, kit
):
    parent = _parent(trained, tmp_path)
    config = _config(kit, potsdam_prepared, tmp_path, "warm_start")
    assert main(["train", "--config", str(config), "--init", str(parent)]) == 0
    model = tmp_path / "model.onnx"
    best = tmp_path / "run" / "checkpoints" / "best.pt"
    assert main(["export", str(best), "--out", str(model), "--output-kind", "logits"]) == 0
    from engine.metadata import read_onnx_props

    meta = from_onnx_props(read_onnx_props(model))
    assert tuple(meta.mean) == pytest.approx(PARENT_MEAN)
    assert tuple(meta.std) == pytest.approx(PARENT_STD)


def test_keeping_a_parents_statistics_needs_a_parent(potsdam_prepared, tmp_path, kit, capsys):
    config = _config(kit, potsdam_prepared, tmp_path, "warm_start")
    assert main(["train", "--config", str(config)]) != 0
    out = capsys.readouterr()
    assert "needs a warm start" in out.out + out.err and "--init" in out.out + out.err
    assert not (tmp_path / "run" / "checkpoints" / "best.pt").exists()


def test_a_checkpoint_without_metadata_is_refused_with_the_way_out(potsdam_prepared, tmp_path):
    bare = tmp_path / "bare.pt"
    torch.save({"model": {}}, bare)
    manifest = json.loads((potsdam_prepared / "manifest.json").read_text())
    with pytest.raises(ValueError, match="trainer rebuild"):
        input_standardisation("warm_start", manifest, bare)
    dataset = input_standardisation("dataset", manifest, bare)  # never read
    assert dataset.mean == pytest.approx(manifest["mean"])


def test_an_unknown_standardisation_is_refused(tmp_path):
    path = tmp_path / "phase.toml"
    path.write_text('[data]\nstandardisation = "parent"\n')
    with pytest.raises(ValueError, match="standardisation must be dataset or warm_start"):
        load_config(path)
