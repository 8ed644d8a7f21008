"""Model names resolve the same way in the panel and in Processing."""

from __future__ import annotations

import pytest


def test_lists_bundled_then_user_models_only_model_files(tmp_path):
    from engine.jobs.model_catalog import list_models

    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    for path in [bundled / "b.onnx", bundled / "a.onnx", bundled / "a.md", user / "mine.onnx"]:
        path.write_bytes(b"")
    entries = list_models(user, bundled)
    assert [(e.name, e.origin) for e in entries] == [
        ("a", "bundled"),
        ("b", "bundled"),
        ("mine", "user"),
    ]


def test_resolve_by_name_file_name_or_path(tmp_path):
    from engine.jobs.model_catalog import resolve_model

    (tmp_path / "demo.onnx").write_bytes(b"")
    elsewhere = tmp_path / "x" / "other.onnx"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"")
    assert resolve_model("demo", bundled_folder=tmp_path).path == tmp_path / "demo.onnx"
    assert resolve_model("demo.onnx", bundled_folder=tmp_path).origin == "bundled"
    assert resolve_model(str(elsewhere), bundled_folder=tmp_path).origin == "file"


@pytest.mark.parametrize("value", ["", "nope", "/no/such/model.onnx"])
def test_unknown_model_says_what_to_give(tmp_path, value):
    from engine.jobs.model_catalog import ModelNotFoundError, resolve_model

    (tmp_path / "demo.onnx").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match=r"bundled model name \(demo\)"):
        resolve_model(value, bundled_folder=tmp_path)
