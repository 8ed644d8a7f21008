"""The dock panel the analyst works in."""

from __future__ import annotations

from qgis.gui import QgsDockWidget
from qgis.PyQt.QtWidgets import QLabel, QVBoxLayout, QWidget


class SegmentationDock(QgsDockWidget):
    """Panel shell; its controls arrive with the QGIS integration."""

    def __init__(self, iface, parent=None):
        super().__init__("Aerial Segmentation", parent)
        self.iface = iface
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(QLabel("Segment a raster layer into land-cover classes."))
        layout.addStretch(1)
        self.setWidget(body)

    def shutdown(self) -> None:
        """Stop whatever the panel started before the plugin is unloaded."""
