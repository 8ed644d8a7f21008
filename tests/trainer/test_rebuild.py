"""A checkpoint rebuilt from an exported ONNX model: the graph's output in eval mode, nearly
that in training mode, and a warm start that carries the run's record on."""

from __future__ import annotations

import json
import shutil

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from engine.metadata import from_onnx_props, read_onnx_props
from trainer.checkpoint import warm_start
from trainer.cli import main
from trainer.export import load_checkpoint, model_from_checkpoint
from trainer.model_record import KEY_TRAINING_RUN
from trainer.rebuild import training_batches


def _exported(trained, tmp_path):
    path = tmp_path / "model.onnx"
    best = trained / "checkpoints" / "best.pt"
    assert main(["export", str(best), "--out", str(path), "--output-kind", "logits"]) == 0
    return path


def _rebuilt(path, data, tmp_path, tiles=64):
    out = tmp_path / "rebuilt.pt"
    assert main(["rebuild", str(path), "--data", str(data), "--out", str(out),
                 "--tiles", str(tiles)]) == 0  # fmt: skip
    model, _ = model_from_checkpoint(load_checkpoint(out))
    return out, model


def _batchnorms_training(model: nn.Module) -> nn.Module:
    """Eval mode but for the BatchNorms (dropout would hide what they do)."""
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.train()
    return model


def _all_tiles(data, model_path) -> torch.Tensor:
    """The dataset's training tiles, standardised as the model expects."""
    meta = from_onnx_props(read_onnx_props(model_path))
    return torch.cat(list(training_batches(data, 64, 64, meta.mean, meta.std)))


def _training_gap(model: nn.Module, tiles: torch.Tensor) -> float:
    """How far training mode's output is from eval mode's (the graph's), as a share of the
    graph's largest output."""
    with torch.no_grad():
        graph = model.eval()(tiles)
        training = _batchnorms_training(model)(tiles)
    return float((graph - training).abs().max() / graph.abs().max())


def _with_other_statistics(data, tmp_path):
    """The same tiles under a manifest with other statistics: a dataset the model was not
    trained on, as when a phase warm-starts on fresh scenes."""
    copy = tmp_path / "other_scenes"
    shutil.copytree(data, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["mean"] = [v + 0.2 for v in manifest["mean"]]
    manifest["std"] = [v * 1.5 for v in manifest["std"]]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_the_rebuilt_model_computes_the_graph_in_eval_mode(trained, potsdam_prepared, tmp_path):
    path = _exported(trained, tmp_path)
    _, model = _rebuilt(path, potsdam_prepared, tmp_path)
    tiles = _all_tiles(potsdam_prepared, path)[:4]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {session.get_inputs()[0].name: tiles.numpy()})
    with torch.no_grad():
        actual = model.eval()(tiles).numpy()
    assert np.abs(actual - expected).max() < 1e-3


def test_training_mode_on_the_measured_tiles_matches_eval_mode(trained, potsdam_prepared, tmp_path):
    """The batch statistics of the tiles measured on are the statistics stored, so training
    mode computes what eval mode does; the folded identities of fine-tuning do not."""
    path = _exported(trained, tmp_path)
    _, model = _rebuilt(path, potsdam_prepared, tmp_path)
    tiles = _all_tiles(potsdam_prepared, path)
    assert _training_gap(model, tiles) < 1e-2
    with torch.no_grad():
        graph = model.eval()(tiles)

    from trainer.finetune.base_model import load_base_model

    identity = load_base_model(str(path)).module
    with torch.no_grad():
        undone = _batchnorms_training(identity)(tiles)
    assert (graph - undone).abs().max() > 0.1 * graph.abs().max()


def test_it_measures_with_the_models_own_standardisation_on_any_dataset(
    trained, potsdam_prepared, tmp_path
):
    """Another dataset's own mean and std are not what the graph was trained on: measured
    with them, training mode would start from another function than the shipped one."""
    path = _exported(trained, tmp_path)
    other = _with_other_statistics(potsdam_prepared, tmp_path)
    _, model = _rebuilt(path, other, tmp_path)
    assert _training_gap(model, _all_tiles(other, path)) < 1e-2


def test_a_phase_warm_starts_from_it_with_the_run_record(trained, potsdam_prepared, tmp_path):
    path = _exported(trained, tmp_path)
    out, rebuilt = _rebuilt(path, potsdam_prepared, tmp_path)
    fresh, _ = model_from_checkpoint(load_checkpoint(trained / "checkpoints" / "best.pt"))
    for parameter in fresh.parameters():
        nn.init.zeros_(parameter)
    started = warm_start(fresh, out, "cse_unet_study")
    assert started.notes == []
    assert started.run_record == json.loads(read_onnx_props(path)[KEY_TRAINING_RUN])
    for name, tensor in rebuilt.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], tensor), name


def test_rebuild_never_overwrites_a_file(trained, potsdam_prepared, tmp_path, capsys):
    path = _exported(trained, tmp_path)
    out = tmp_path / "taken.pt"
    out.write_bytes(b"someone's checkpoint")
    assert main(["rebuild", str(path), "--data", str(potsdam_prepared), "--out", str(out)]) == 1
    assert out.read_bytes() == b"someone's checkpoint"
    assert "exists" in capsys.readouterr().err
