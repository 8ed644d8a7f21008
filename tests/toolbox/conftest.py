"""Fixtures for the Processing tests: the panel tests' tiny model and raster, and our provider
registered in Processing."""

from __future__ import annotations

import pytest


@pytest.fixture()
def provider(plugin_package, qgis_processing, qgis_iface, monkeypatch):
    """Our provider, registered the way QGIS does it (initProcessing), removed afterwards.

    Processing loads results into the layer tree through ``iface.layerTreeView()``, which
    QGIS 3.44 hands to C++: a real view of the project's tree, not pytest-qgis' mock.
    """
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView

    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(QgsProject.instance().layerTreeRoot(), view))
    monkeypatch.setattr(qgis_iface, "layerTreeView", lambda: view, raising=False)
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()
    view.deleteLater()
