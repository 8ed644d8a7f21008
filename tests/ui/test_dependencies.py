"""In QGIS, missing packages become a message with the exact install command, never an
import error; diagnostics for bug reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qgis.PyQt.QtWidgets import QApplication

from tests.helpers.imports import importer_without

ROOT = Path(__file__).resolve().parents[2]


def test_diagnostics_has_versions_providers_and_devices(plugin_package):
    from aerial_segmentation.qgis_common.diagnostics import diagnostics_text

    text = diagnostics_text(devices={"cuda": False, "providers": ["CPUExecutionProvider"]})
    assert "QGIS: 3." in text
    assert "onnxruntime: 1." in text
    assert "GDAL: 3." in text
    assert "devices.providers: ['CPUExecutionProvider']" in text
    assert "Problems: none" in text


def test_plugin_imports_and_registers_without_onnxruntime(plugin_package, tiny_raster, tmp_path):
    raster = tiny_raster
    # A fresh interpreter in which onnxruntime cannot be imported, as in a bare QGIS.
    script = f"""
import sys
sys.modules["onnxruntime"] = None
sys.path.insert(0, {str(Path(plugin_package.__file__).parent.parent)!r})
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
import aerial_segmentation.plugin, aerial_segmentation.ui.dock
import aerial_segmentation.toolbox.provider, aerial_segmentation.toolbox.segment_algorithm
from aerial_segmentation.engine.jobs.dependencies import check_dependencies
report = check_dependencies()
print("PROBLEMS=" + ",".join(p.component for p in report.problems))
print("COMMAND=" + report.install_command)

sys.path.append("/usr/share/qgis/python/plugins")
from processing.core.Processing import Processing
Processing.initialize()
import processing
from qgis.core import QgsProcessingException
from qgis.utils import iface
plugin = aerial_segmentation.classFactory(iface)
plugin.initProcessing()
try:
    processing.run("aerial_segmentation:segment", {{"INPUT": {str(raster)!r},
                   "MODEL": "whatever.onnx", "OUTPUT": {str(tmp_path / "x.tif")!r}}})
except QgsProcessingException as error:
    print("PROCESSING=" + str(error).replace(chr(10), " | "))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["PROBLEMS"] == "onnxruntime"
    assert "pip install" in lines["COMMAND"] and "onnxruntime" in lines["COMMAND"]
    # The Processing algorithm says the same instead of failing on an import.
    assert "| Missing or broken: onnxruntime. |" in lines["PROCESSING"]
    assert lines["COMMAND"] in lines["PROCESSING"]


def test_panel_shows_missing_onnxruntime_and_copies_the_command(
    plugin_package, plugin_iface, clean_project, isolated_settings, monkeypatch
):
    from aerial_segmentation.engine.jobs import dependencies
    from aerial_segmentation.ui import dock as dock_module

    monkeypatch.setattr(
        dock_module,
        "check_dependencies",
        lambda: dependencies.check_dependencies(importer_without("onnxruntime")),
    )
    dock = dock_module.SegmentationDock(plugin_iface)
    try:
        assert not dock.dependency_box.isHidden()
        assert "onnxruntime" in dock.dependency_label.text()
        assert "pip install" in dock.dependency_label.text()
        assert not dock.run_button.isEnabled()
        dock.copy_install_command()
        assert QApplication.clipboard().text() == dock.dependencies.install_command
        text = dock.copy_diagnostics()
        assert QApplication.clipboard().text() == text
        assert "onnxruntime: not available" in text
    finally:
        dock.deleteLater()
