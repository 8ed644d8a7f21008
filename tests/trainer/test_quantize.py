"""``python -m trainer quantize``: an INT8 copy calibrated on engine tiles, with its record and
card, that agrees with the original on the sample scene and is offered beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.bundled_model import sample_agreement
from engine.jobs.model_catalog import int8_path, list_models
from engine.metadata import read_onnx_props
from trainer.cli import main
from trainer.model_record import KEY_QUANTIZATION

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "top_potsdam_2_13_sample_RGB.tif"


@pytest.fixture(scope="module")
def calibration_scene(tmp_path_factory) -> Path:
    """A synthetic Potsdam-format scene that is not the sample scene (another seed)."""
    from trainer.data.synthetic import synthesize

    folder = tmp_path_factory.mktemp("calibration")
    list(synthesize(folder, 1, 600, 11, 0.0))
    return folder / "2_Ortho_RGB"


@pytest.fixture(scope="module")
def quantized(finetune_base, calibration_scene, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("int8")
    model = folder / "base.onnx"
    model.write_bytes(finetune_base.read_bytes())
    before = set(Path.cwd().iterdir())
    code = main(["quantize", str(model), "--calibration", str(calibration_scene), "--tiles", "12"])
    assert code == 0
    assert set(Path.cwd().iterdir()) == before  # no temporary file left where it ran
    return int8_path(model)


def test_the_copy_is_int8_qdq_with_every_key_of_the_original_and_its_record(
    quantized, finetune_base
):
    import onnx

    assert quantized.name == "base_int8.onnx" and quantized.is_file()
    graph = onnx.load(str(quantized)).graph
    ops = {node.op_type for node in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    tensors = {t.name: t for t in graph.initializer}
    weights = [
        (tensors[node.input[0]], tensors[node.input[1]])
        for node in graph.node
        if node.op_type == "DequantizeLinear" and node.input[0] in tensors
        and len(tensors[node.input[0]].dims) == 4
    ]  # fmt: skip
    assert weights  # every convolution's weights in int8, one scale per output channel
    for weight, scale in weights:
        assert weight.data_type == onnx.TensorProto.INT8 and list(scale.dims) == weight.dims[:1]
    original, copy = read_onnx_props(finetune_base), read_onnx_props(quantized)
    assert {k: v for k, v in copy.items() if k != KEY_QUANTIZATION} == original
    record = json.loads(copy[KEY_QUANTIZATION])
    # 12 tiles asked for, from a scene whose grid holds fewer: every tile of it, once.
    assert record["format"] == "QDQ" and 1 < record["calibration"]["tiles"] < 12
    assert record["calibration"]["tile_size"] == 64  # the model's tiles, as the engine cuts them
    assert record["calibration"]["rasters"] == ["top_potsdam_2_10_RGB.tif"]
    assert record["source"]["file"] == "base.onnx"
    assert 0.9 < record["agreement_with_source"]["pixels"] <= 1
    assert record["command"].startswith("python -m trainer quantize")
    card = quantized.with_suffix(".md").read_text()
    assert "## INT8 quantisation" in card and "An INT8 copy of `base.onnx`" in card
    assert f"{100 * record['agreement_with_source']['pixels']:.2f} %" in card


def test_int8_agrees_with_fp32_on_the_sample_scene(quantized, tmp_path):
    agreement = sample_agreement(quantized.with_name("base.onnx"), quantized, [SAMPLE], tmp_path)
    assert agreement >= 0.97


def test_the_copy_is_listed_as_its_models_fast_variant(quantized):
    (entry,) = list_models(bundled_folder=quantized.parent)
    assert entry.name == "base" and entry.int8 == quantized


def test_an_existing_copy_is_kept_and_bad_calibration_is_said(quantized, calibration_scene, capsys):
    before = quantized.stat().st_mtime_ns
    model = str(quantized.with_name("base.onnx"))
    assert main(["quantize", model, "--calibration", str(calibration_scene)]) == 2
    assert "already exists: choose another --out, or add --overwrite" in capsys.readouterr().out
    assert quantized.stat().st_mtime_ns == before
    out = quantized.with_name("other.onnx")
    missing = str(quantized.parent / "nowhere.tif")
    assert main(["quantize", model, "--calibration", missing, "--out", str(out)]) == 2
    assert "calibration raster not found" in capsys.readouterr().out
    assert sorted(p.name for p in quantized.parent.iterdir()) == [
        "base.onnx", "base_int8.md", "base_int8.onnx",
    ]  # fmt: skip
