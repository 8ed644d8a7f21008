"""classFactory → initGui → unload, as QGIS drives a plugin."""

from __future__ import annotations

from qgis.core import QgsApplication
from qgis.gui import QgsDockWidget

PROVIDER_ID = "aerial_segmentation"


def _our_docks(window):
    return [
        d for d in window.findChildren(QgsDockWidget) if d.objectName() == "AerialSegmentationDock"
    ]


def _menu_actions(iface):
    return [
        sub
        for entry in iface.raster_menu.actions()
        if entry.menu() is not None
        for sub in entry.menu().actions()
    ]


def test_init_gui_adds_dock_action_menu_and_provider(plugin_package, plugin_iface, qgis_app):
    plugin = plugin_package.classFactory(plugin_iface)
    plugin.initGui()
    try:
        window = plugin_iface.mainWindow()
        docks = _our_docks(window)
        assert len(docks) == 1
        assert window.dockWidgetArea(docks[0]) != 0  # really docked in the main window
        assert plugin.action in plugin_iface.plugins_toolbar.actions()
        assert plugin.action in _menu_actions(plugin_iface)
        assert QgsApplication.processingRegistry().providerById(PROVIDER_ID) is not None

        # The action shows and hides the panel.
        window.show()
        plugin.action.setChecked(True)
        assert docks[0].isVisible()
        plugin.action.setChecked(False)
        assert not docks[0].isVisible()
    finally:
        plugin.unload()


def test_unload_leaves_nothing_behind(plugin_package, plugin_iface, qgis_app):
    window = plugin_iface.mainWindow()
    toolbar_before = list(plugin_iface.plugins_toolbar.actions())
    menu_before = list(plugin_iface.raster_menu.actions())

    plugin = plugin_package.classFactory(plugin_iface)
    plugin.initGui()
    action = plugin.action
    plugin.unload()
    QgsApplication.processEvents()

    assert QgsApplication.processingRegistry().providerById(PROVIDER_ID) is None
    assert [d for d in _our_docks(window) if d.parent() is window] == []
    assert action not in plugin_iface.plugins_toolbar.actions()
    assert plugin_iface.plugins_toolbar.actions() == toolbar_before
    assert plugin_iface.raster_menu.actions() == menu_before
    assert plugin.dock is None and plugin.action is None and plugin.provider is None


def test_init_processing_alone_registers_provider_once(plugin_package, qgis_iface, qgis_app):
    # qgis_process calls initProcessing without initGui.
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    plugin.initProcessing()
    try:
        ids = [p.id() for p in QgsApplication.processingRegistry().providers()]
        assert ids.count(PROVIDER_ID) == 1
    finally:
        plugin.unload()
    assert QgsApplication.processingRegistry().providerById(PROVIDER_ID) is None


def test_diagnostics_menu_action_copies_a_report(plugin_package, plugin_iface, qgis_app):
    from qgis.PyQt.QtWidgets import QApplication

    plugin = plugin_package.classFactory(plugin_iface)
    plugin.initGui()
    try:
        assert plugin.diagnostics_action in _menu_actions(plugin_iface)
        QApplication.clipboard().clear()
        plugin.diagnostics_action.trigger()
        text = QApplication.clipboard().text()
        assert text.startswith("Aerial Segmentation diagnostics")
        assert "onnxruntime: " in text and "devices.onnxruntime_providers: " in text
    finally:
        plugin.unload()
    assert plugin.diagnostics_action is None


def test_segment_algorithm_is_in_the_provider(plugin_package, qgis_iface, qgis_app):
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    try:
        alg = QgsApplication.processingRegistry().algorithmById(f"{PROVIDER_ID}:segment")
        assert alg is not None
        assert alg.provider().name() == "Aerial Segmentation"
    finally:
        plugin.unload()
