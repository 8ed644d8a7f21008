"""engine.metadata: our keys and Deepness' keys, read without onnxruntime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from engine.metadata import (
    KEY_CLASS_COLORS,
    KEY_CLASS_NAMES,
    KEY_TILE_SIZE,
    POTSDAM_CLASSES,
    MetadataError,
    from_onnx_props,
    make_metadata,
    read_onnx_metadata,
    read_onnx_props,
    to_onnx_props,
    write_onnx_metadata,
)

DEEPNESS = Path(__file__).resolve().parents[1] / "data" / "deepness"


def _potsdam_metadata():
    return make_metadata(
        [c.name for c in POTSDAM_CLASSES],
        [c.color for c in POTSDAM_CLASSES],
        resolution_cm=5.0,
        tile_size=512,
        tile_overlap_pct=12.5,
        mean=(0.33, 0.34, 0.35),
        std=(0.1, 0.11, 0.12),
        architecture="cse_unet",
        architecture_args={"base_width": 16, "classes": 6},
        output_kind="logits",
        training_data="synthetic",
        metrics={"miou_6": 0.9},
        version="1.0.0",
    )


def _identity_model(path: Path, props: dict[str, str] | None = None) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3, 8, 8])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for key, value in (props or {}).items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path


def test_round_trip_through_a_real_onnx_file(tmp_path):
    meta = _potsdam_metadata()
    path = _identity_model(tmp_path / "m.onnx")
    write_onnx_metadata(path, meta)
    assert read_onnx_metadata(path) == meta
    # What onnx itself reads is what we read by scanning the protobuf.
    assert read_onnx_props(path) == {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert not list(tmp_path.glob("*.part"))


def test_values_are_json_strings_like_deepness_writes_them():
    props = to_onnx_props(_potsdam_metadata())
    assert props["model_type"] == '"Segmentor"'
    assert json.loads(props[KEY_CLASS_NAMES])["1"] == "building"
    assert json.loads(props[KEY_TILE_SIZE]) == 512


@pytest.mark.parametrize("key", [KEY_CLASS_NAMES, KEY_TILE_SIZE, KEY_CLASS_COLORS])
def test_our_files_must_have_every_key_and_the_error_names_it(key):
    props = to_onnx_props(_potsdam_metadata())
    del props[key]
    with pytest.raises(MetadataError, match=key):
        from_onnx_props(props)


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        (KEY_TILE_SIZE, '"big"'),
        (KEY_CLASS_COLORS, "[[255, 0], [0, 0, 255]]"),
        ("standardization_std", "[0.1, 0.0, 0.2]"),
        ("tiles_overlap", "150"),
        ("aerial_seg.output_kind", '"votes"'),
    ],
)
def test_malformed_keys_are_named(key, bad):
    props = to_onnx_props(_potsdam_metadata())
    props[key] = bad
    with pytest.raises(MetadataError, match=key):
        from_onnx_props(props)


def test_foreign_models_get_defaults_and_say_what_was_missing():
    meta = from_onnx_props({"model_type": '"Segmentor"', "class_names": '{"0": "Coffee"}'})
    assert meta.class_names == ["Coffee"]
    assert meta.tile_size is None and meta.resolution_cm is None
    assert "tiles_size" in meta.missing and "resolution" in meta.missing
    assert meta.classes[0].color  # a fallback colour, so the result can still be styled
    assert not meta.threshold_all_classes


def test_seg_thresh_applies_to_every_class_only_where_deepness_would_apply_it():
    ours = from_onnx_props(to_onnx_props(_potsdam_metadata()))  # our exporter writes 0.5
    assert ours.seg_thresh == 0.5 and not ours.threshold_all_classes
    foreign = from_onnx_props({"class_names": '{"0": "a", "1": "b"}', "seg_thresh": "0.7"})
    assert foreign.seg_thresh == 0.7 and foreign.threshold_all_classes


def test_a_detector_is_refused_with_a_reason():
    with pytest.raises(MetadataError, match="model_type"):
        from_onnx_props({"model_type": '"Detector"'})


def test_not_an_onnx_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "model.onnx"
    junk.write_bytes(b"\x00\x01garbage that is no protobuf" * 10)
    with pytest.raises(MetadataError, match="ONNX"):
        read_onnx_props(junk)
    truncated = tmp_path / "cut.onnx"
    full = _identity_model(tmp_path / "full.onnx", to_onnx_props(_potsdam_metadata()))
    truncated.write_bytes(full.read_bytes()[:-20])
    with pytest.raises(MetadataError):
        read_onnx_props(truncated)


def _deepness_files():
    return sorted(DEEPNESS.glob("*.onnx"))


def test_deepness_models_read_like_onnx_reads_them(tmp_path):
    files = _deepness_files()
    assert len(files) >= 7
    heads_by_name = {}
    for f in files:
        copy = shutil.copy(f, tmp_path / f.name)
        props = read_onnx_props(copy)
        assert props == {p.key: p.value for p in onnx.load(str(copy)).metadata_props}
        heads_by_name[f.name] = [h and [c.name for c in h] for h in from_onnx_props(props).heads]
    assert heads_by_name["two_outputs_softmax_bsx2x512x512.onnx"] == [
        ["Coffee", "Tea"],
        ["Juice", "Beer"],
    ]
    assert heads_by_name["one_output_sigmoid_bsx1x512x512.onnx"] == [["Coffee"]]
    assert heads_by_name["one_output_softmax_bsx2x512x512.onnx"] == []
