"""Fixtures for the panel tests: a tiny model and raster, and a clean project per test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _load_tiny_inputs():
    name = "aerial_segmentation_tiny_inputs"
    if name not in sys.modules:
        source = Path(__file__).with_name("tiny_inputs.py")
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


tiny_inputs = _load_tiny_inputs()


@pytest.fixture(scope="session")
def tiny():
    return tiny_inputs


@pytest.fixture(scope="session")
def tiny_model(plugin_package, tmp_path_factory) -> Path:
    from aerial_segmentation.engine import metadata

    folder = tmp_path_factory.mktemp("models")
    return tiny_inputs.write_model(folder / "stripes_model.onnx", metadata)


@pytest.fixture(scope="session")
def tiny_model_metadata(tiny_model):
    from aerial_segmentation.engine.model_file import read_model_metadata

    return read_model_metadata(str(tiny_model))


@pytest.fixture()
def tiny_raster(tmp_path) -> Path:
    return tiny_inputs.write_raster(tmp_path / "stripes.tif")


@pytest.fixture()
def clean_project(qgis_app):
    from qgis.core import QgsProject

    project = QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    yield project
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()


@pytest.fixture()
def isolated_settings(qgis_app):
    """No panel choices left over from another test (the profile is a temp one anyway)."""
    from qgis.core import QgsSettings

    QgsSettings().remove("aerial_segmentation")
    yield
    QgsSettings().remove("aerial_segmentation")
