"""The plugin object QGIS holds: wires the dock panel, its action and the Processing provider."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .toolbox.provider import AerialSegmentationProvider

PLUGIN_DIR = Path(__file__).resolve().parent
MENU_NAME = "&Aerial Segmentation"


class AerialSegmentationPlugin:
    """Owns every GUI object it adds, so that ``unload`` can take each one away again."""

    def __init__(self, iface):
        self.iface = iface
        self.provider: AerialSegmentationProvider | None = None
        self.action: QAction | None = None
        self.diagnostics_action: QAction | None = None
        self.dock = None

    def initProcessing(self) -> None:  # noqa: N802 - QGIS API name
        # Also called by qgis_process, which never calls initGui.
        if self.provider is None:
            self.provider = AerialSegmentationProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS API name
        self.initProcessing()
        from .ui.dock import SegmentationDock

        self.dock = SegmentationDock(self.iface, parent=self.iface.mainWindow())
        self.dock.setObjectName("AerialSegmentationDock")
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()

        icon = QIcon(str(PLUGIN_DIR / "resources" / "icons" / "icon.svg"))
        self.action = QAction(icon, "Aerial Segmentation", self.iface.mainWindow())
        self.action.setObjectName("AerialSegmentationToggleDock")
        self.action.setCheckable(True)
        self.action.setToolTip("Show or hide the Aerial Segmentation panel")
        self.action.toggled.connect(self.dock.setVisible)
        self.dock.visibilityChanged.connect(self.action.setChecked)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToRasterMenu(MENU_NAME, self.action)

        self.diagnostics_action = QAction("Copy Diagnostics", self.iface.mainWindow())
        self.diagnostics_action.setObjectName("AerialSegmentationDiagnostics")
        self.diagnostics_action.setToolTip(
            "Copy versions, execution providers and GPU detection to the clipboard"
        )
        self.diagnostics_action.triggered.connect(self.dock.copy_diagnostics)
        self.iface.addPluginToRasterMenu(MENU_NAME, self.diagnostics_action)

    def unload(self) -> None:
        if self.diagnostics_action is not None:
            self.iface.removePluginRasterMenu(MENU_NAME, self.diagnostics_action)
            self.diagnostics_action.deleteLater()
            self.diagnostics_action = None
        if self.action is not None:
            self.iface.removePluginRasterMenu(MENU_NAME, self.action)
            self.iface.removeToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.dock is not None:
            self.dock.shutdown()
            self.iface.removeDockWidget(self.dock)
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
