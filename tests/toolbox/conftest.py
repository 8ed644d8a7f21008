"""Fixtures for the Processing tests: the panel tests' tiny model and raster, and our provider
registered in Processing."""

from __future__ import annotations

import pytest


@pytest.fixture()
def provider(plugin_package, qgis_processing, qgis_iface):
    """Our provider, registered the way QGIS does it (initProcessing), removed afterwards."""
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()
