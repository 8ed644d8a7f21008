"""ONNX export: onnxruntime agrees with torch, metadata survives the file, failures leave none.

The default graph takes fixed-size tiles in a dynamic batch (what Deepness needs; its loading
contract is tested in ``test_deepness_contract.py``); ``dynamic_size`` frees height and width.
"""

from __future__ import annotations

import copy

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from engine.metadata import (
    POTSDAM_CLASSES,
    ModelMetadata,
    from_onnx_props,
    read_onnx_props,
    to_onnx_props,
)
from engine.models import resolve_arguments
from trainer.cli import main
from trainer.export import ExportError, export_onnx

ARCHITECTURES = ["cse_unet", "cse_unet_study", "resnet34_unet"]


def potsdam_metadata(name: str, output_kind: str = "logits", **arguments) -> ModelMetadata:
    return ModelMetadata(
        heads=(POTSDAM_CLASSES,),
        resolution_cm=5.0,
        tile_size=256,
        tile_overlap_pct=12.5,
        mean=(0.34, 0.36, 0.33),
        std=(0.14, 0.13, 0.14),
        pixel_scale=255.0,
        input_bands=(1, 2, 3),
        output_kind=output_kind,
        architecture=name,
        architecture_args=resolve_arguments(name, **arguments),
        training_data="synthetic Potsdam-format scenes",
        metrics={"miou_5": 0.5, "miou_6": 0.45},
        version="0.1.0",
        description="test model",
    )


def run_onnx(path, batch: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: batch})[0]


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_onnxruntime_matches_torch(small_model, small_width, tmp_path, name):
    model = small_model(name, classes=6)
    meta = potsdam_metadata(name, base_width=small_width[name])
    result = export_onnx(model, meta, tmp_path / f"{name}.onnx", dynamic_size=True)
    assert result.max_abs_diff < 1e-4 and result.dynamic_size
    # A batch size and a non-square tile that differ from those traced: both axes are dynamic.
    batch = torch.randn(3, 3, 96, 160)
    with torch.no_grad():
        expected = model(batch).numpy()
        exact = copy.deepcopy(model).double()(batch.double()).numpy()
    actual = run_onnx(result.path, batch.numpy())
    assert actual.shape == (3, 6, 96, 160)
    assert np.abs(expected).max() > 0.5  # not a degenerate comparison of near-zeros
    assert np.abs(actual - expected).max() < 1e-4
    # What is left is fp32 rounding: onnxruntime is about as close to fp64 as torch is.
    assert np.abs(actual - exact).max() < 4 * np.abs(expected - exact).max() + 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.onnx"]  # no temp files left


class TinySegmenter(torch.nn.Module):
    """Pool, conv, upsample: the ops our models use, in a graph torch.export traces quickly."""

    size_divisor = 2

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(torch.nn.functional.max_pool2d(x, 2))
        return torch.nn.functional.interpolate(y, scale_factor=2.0, mode="bilinear")


def input_dims(path) -> list:
    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    return [d.dim_param or d.dim_value for d in dims]


@pytest.mark.parametrize("dynamic_size", [False, True])
def test_dynamo_exporter_keeps_the_batch_dynamic(tmp_path, dynamic_size):
    # torch.export takes seconds per full model (all three were checked by hand); the
    # tracer is the default. This checks the dynamo path's shapes, weights and metadata.
    torch.manual_seed(0)
    model = TinySegmenter().eval()
    meta = potsdam_metadata("cse_unet", "probabilities", base_width=8)
    result = export_onnx(
        model, meta, tmp_path / "dynamo.onnx", tile_size=64, dynamo=True, dynamic_size=dynamic_size
    )
    batch = torch.randn(3, 3, *((40, 62) if dynamic_size else (64, 64)))
    with torch.no_grad():
        expected = torch.softmax(model(batch), dim=1).numpy()
    assert np.abs(run_onnx(result.path, batch.numpy()) - expected).max() < 1e-5
    assert from_onnx_props(read_onnx_props(result.path), strict=True).tile_size == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamo.onnx"]  # weights inside
    graph = onnx.load(str(result.path))
    assert result.opset == 18 == max(o.version for o in graph.opset_import if o.domain == "")
    dims = input_dims(result.path)
    assert isinstance(dims[0], str) and dims[1] == 3
    assert all(isinstance(d, str) for d in dims[2:]) if dynamic_size else dims[2:] == [64, 64]


def test_graph_has_opset_17_fixed_tiles_a_dynamic_batch_and_probabilities(small_model, tmp_path):
    model = small_model("cse_unet_study")
    meta = potsdam_metadata("cse_unet_study", "probabilities", base_width=8)
    result = export_onnx(model, meta, tmp_path / "model.onnx", tile_size=64)
    path = result.path
    graph = onnx.load(str(path))
    assert max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert input_dims(path) == ["batch", 3, 64, 64] and not result.dynamic_size
    output = graph.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in output] == ["batch", 6, 64, 64]
    batch = torch.randn(2, 3, 64, 64)
    probabilities = run_onnx(path, batch.numpy())
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    with torch.no_grad():
        expected = torch.softmax(model(batch), dim=1).numpy()
    assert np.abs(probabilities - expected).max() < 1e-5
    with pytest.raises(Exception, match=r"(?i)dimension|shape"):  # another tile size: refused
        run_onnx(path, torch.randn(1, 3, 96, 96).numpy())
    dynamic = export_onnx(model, meta, tmp_path / "dynamic.onnx", dynamic_size=True).path
    assert input_dims(dynamic) == ["batch", 3, "height", "width"]


def test_metadata_round_trips_through_the_file(small_model, tmp_path):
    meta = potsdam_metadata("resnet34_unet", "probabilities", base_width=8)
    path = export_onnx(small_model("resnet34_unet"), meta, tmp_path / "m.onnx").path
    props = read_onnx_props(path)
    meta = meta.with_changes(seg_thresh=0.0)  # see below
    assert from_onnx_props(props, strict=True) == meta
    # What Deepness reads, as it reads it.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    custom = session.get_modelmeta().custom_metadata_map
    assert custom == to_onnx_props(meta)
    assert custom["model_type"] == '"Segmentor"'
    assert custom["tiles_size"] == "256"
    assert '"4": "car"' in custom["class_names"]
    # Deepness thresholds softmax probabilities at seg_thresh: 0 leaves its argmax alone.
    assert custom["seg_thresh"] == "0.0"


def test_tile_size_argument_is_recorded(small_model, tmp_path):
    meta = potsdam_metadata("cse_unet", base_width=8)
    path = export_onnx(small_model("cse_unet"), meta, tmp_path / "m.onnx", tile_size=384).path
    assert from_onnx_props(read_onnx_props(path)).tile_size == 384


def test_mismatched_metadata_fails_and_leaves_no_file(small_model, tmp_path):
    model = small_model("cse_unet", classes=4)  # metadata names 6 classes
    out = tmp_path / "bad.onnx"
    with pytest.raises(ExportError, match="4 outputs but the metadata names 6 classes"):
        export_onnx(model, potsdam_metadata("cse_unet", base_width=8), out)
    meta = potsdam_metadata("cse_unet", base_width=8).with_changes(input_bands=(1, 2, 3, 4))
    with pytest.raises(ExportError, match="reads 3 bands"):
        export_onnx(small_model("cse_unet"), meta, out)
    assert list(tmp_path.iterdir()) == []


def test_export_command_writes_a_checkpoint_as_onnx(small_model, tmp_path, capsys):
    arguments = {"classes": 6, "base_width": 8}
    model = small_model("cse_unet_study", **arguments)
    meta = potsdam_metadata("cse_unet_study", "logits", **arguments)
    checkpoint = tmp_path / "best.pt"
    torch.save(
        {
            "model": model.state_dict(),
            "architecture": "cse_unet_study",
            "architecture_args": resolve_arguments("cse_unet_study", **arguments),
            "metadata": to_onnx_props(meta),
            "epoch": 3,
            "step": 120,
            "config": {"lr": 1e-4},
        },
        checkpoint,
    )
    out = tmp_path / "export" / "model.onnx"
    assert main(["export", str(checkpoint), "--out", str(out), "--dynamic-size"]) == 0
    assert "onnxruntime matches torch" in capsys.readouterr().out
    written = from_onnx_props(read_onnx_props(out), strict=True)
    assert written.output_kind == "probabilities"  # the command's default
    assert written.architecture == "cse_unet_study"
    assert written.architecture_args == resolve_arguments("cse_unet_study", **arguments)
    batch = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        expected = torch.softmax(model(batch), dim=1).numpy()
    assert np.abs(run_onnx(out, batch.numpy()) - expected).max() < 1e-5


def test_export_command_explains_a_bad_checkpoint(tmp_path, capsys):
    checkpoint = tmp_path / "weights_only.pt"
    torch.save({"model": {}}, checkpoint)
    assert main(["export", str(checkpoint), "--out", str(tmp_path / "m.onnx")]) == 1
    assert "lacks 'architecture'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "m.onnx")]) == 1
    assert "no checkpoint at" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()
