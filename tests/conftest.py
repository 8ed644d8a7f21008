"""Shared fixtures: the checkout imported as the QGIS package ``aerial_segmentation``.

The repository root is the plugin folder, but a checkout may have any folder name, so a
symlink named ``aerial_segmentation`` in a temp folder on ``sys.path`` gives QGIS' view
of it. ``engine`` and ``trainer`` import as top-level packages (pytest's pythonpath).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "aerial_segmentation"
# The shared fixtures (tiny models and rasters, a clean project): tests/helpers/fixtures.py.
pytest_plugins = ["tests.helpers.fixtures"]


def _plugin_package_dir() -> Path:
    parent = Path(tempfile.mkdtemp(prefix="plugin_path_"))
    (parent / PLUGIN_NAME).symlink_to(ROOT, target_is_directory=True)
    return parent


@pytest.fixture(scope="session")
def plugin_package():
    """The plugin imported the way QGIS imports it (as ``aerial_segmentation``)."""
    sys.path.insert(0, str(_plugin_package_dir()))
    return importlib.import_module(PLUGIN_NAME)


@pytest.fixture()
def plugin_iface(qgis_iface, monkeypatch):
    """pytest-qgis' iface with the GUI calls a plugin makes forwarded to real Qt objects.

    Its stubs drop dock widgets, toolbar icons and menu entries; here they land in the main
    window, a "Plugins" toolbar and a "Raster" menu, so tests can see what a plugin adds.
    """
    from qgis.PyQt.QtWidgets import QToolBar

    window = qgis_iface.mainWindow()
    toolbar = window.findChild(QToolBar, "PluginsToolbar") or QToolBar("Plugins", window)
    toolbar.setObjectName("PluginsToolbar")
    menubar = window.menuBar()
    raster_menu = next(
        (a.menu() for a in menubar.actions() if a.menu() and a.text() == "&Raster"), None
    ) or menubar.addMenu("&Raster")

    def submenu(name):
        for action in raster_menu.actions():
            if action.menu() is not None and action.text() == name:
                return action.menu()
        return raster_menu.addMenu(name)

    def remove_from_menu(name, action):
        menu = submenu(name)
        menu.removeAction(action)
        if not menu.actions():
            raster_menu.removeAction(menu.menuAction())

    monkeypatch.setattr(qgis_iface, "addDockWidget", lambda area, w: window.addDockWidget(area, w))
    monkeypatch.setattr(qgis_iface, "removeDockWidget", window.removeDockWidget)
    monkeypatch.setattr(qgis_iface, "addToolBarIcon", toolbar.addAction)
    monkeypatch.setattr(qgis_iface, "removeToolBarIcon", toolbar.removeAction)
    monkeypatch.setattr(
        qgis_iface, "addPluginToRasterMenu", lambda name, action: submenu(name).addAction(action)
    )
    monkeypatch.setattr(qgis_iface, "removePluginRasterMenu", remove_from_menu)
    qgis_iface.plugins_toolbar = toolbar
    qgis_iface.raster_menu = raster_menu
    return qgis_iface
