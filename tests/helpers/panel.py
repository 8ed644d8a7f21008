"""Driving the dock panel in tests as a click would: wait for its task, add layers."""

from __future__ import annotations

import time
from pathlib import Path


def wait_for(dock, timeout: float = 60.0):
    """Spin the event loop until the panel's task has finished (its ``done`` ran here);
    the outcome."""
    from qgis.PyQt.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while dock.task is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert dock.task is None, "the task did not finish in time"
    return dock.last_outcome


def run(dock, timeout: float = 60.0):
    """Click Run and wait for the outcome."""
    dock.run_button.click()
    return wait_for(dock, timeout)


def add_raster(project, path: Path | str, name: str = "stripes"):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(str(path), name, "gdal")
    assert layer.isValid(), path
    project.addMapLayer(layer)
    return layer
