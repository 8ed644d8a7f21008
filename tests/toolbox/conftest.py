"""Fixtures for the Processing tests: the panel tests' tiny model and raster, and our provider
registered in Processing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def load_tiny_inputs():
    """tests/ui/tiny_inputs.py imported once under a fixed name (test folders are not packages)."""
    name = "aerial_segmentation_tiny_inputs"
    if name not in sys.modules:
        source = Path(__file__).resolve().parents[1] / "ui" / "tiny_inputs.py"
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_tiny = load_tiny_inputs()
tiny = _tiny.tiny
tiny_model = _tiny.tiny_model
tiny_model_metadata = _tiny.tiny_model_metadata
tiny_raster = _tiny.tiny_raster
clean_project = _tiny.clean_project


@pytest.fixture()
def provider(plugin_package, qgis_processing, qgis_iface):
    """Our provider, registered the way QGIS does it (initProcessing), removed afterwards."""
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()
