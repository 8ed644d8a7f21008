"""Fixtures for the panel tests; the tiny model/raster fixtures live in tiny_inputs.py."""

from __future__ import annotations

import pytest


@pytest.fixture()
def isolated_settings(qgis_app):
    """No panel choices left over from another test (the profile is a temp one anyway)."""
    from qgis.core import QgsSettings

    QgsSettings().remove("aerial_segmentation")
    yield
    QgsSettings().remove("aerial_segmentation")
