"""Errors: one class per error however the engine was imported, and worded per place."""

from __future__ import annotations

import importlib

import pytest

from engine import errors


def test_one_class_per_error_whichever_way_the_engine_was_imported(plugin_package):
    inside_qgis = importlib.import_module("aerial_segmentation.engine.errors")
    assert inside_qgis is not errors  # two module objects...
    for name in ("EngineError", "ModelError", "InputError", "OutputError", "Cancelled"):
        assert getattr(inside_qgis, name) is getattr(errors, name)  # ...one class each
    with pytest.raises(inside_qgis.EngineError):
        raise errors.InputError("raised by the command line's copy")


def test_a_message_names_the_option_in_the_words_of_its_place():
    error = errors.InputError("choose 3 bands with {option}", option="bands")
    assert str(error) == "choose 3 bands with the bands option"
    assert error.worded(lambda option: f"--{option}") == "choose 3 bands with --bands"
    assert errors.ModelError("no option here: {x}").worded(str.upper) == "no option here: {x}"
