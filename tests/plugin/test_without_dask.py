"""Dask is for the headless cluster runs only: the plugin loads and segments without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_plugin_loads_and_segments_without_dask(plugin_package, tiny_raster, tiny_model, tmp_path):
    output = tmp_path / "classes.tif"
    # A fresh interpreter in which dask cannot be imported, as in a QGIS without it.
    script = f"""
import sys
for name in ("dask", "distributed"):
    sys.modules[name] = None
sys.path.insert(0, {str(Path(plugin_package.__file__).parent.parent)!r})
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
import aerial_segmentation
import aerial_segmentation.plugin, aerial_segmentation.ui.dock, aerial_segmentation.toolbox.provider
sys.path.append("/usr/share/qgis/python/plugins")
from processing.core.Processing import Processing
Processing.initialize()
import processing
from qgis.utils import iface
plugin = aerial_segmentation.classFactory(iface)
plugin.initProcessing()
result = processing.run("aerial_segmentation:segment", {{"INPUT": {str(tiny_raster)!r},
                        "MODEL": {str(tiny_model)!r}, "OUTPUT": {str(output)!r}}})
print("OUTPUT=" + result["OUTPUT"])
ours = sorted(m for m in sys.modules if m.startswith(("dask", "distributed")) and sys.modules[m])
print("DASK=" + ",".join(ours))
print("CLUSTER=" + ",".join(sorted(m for m in sys.modules if ".cluster" in m)))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["OUTPUT"] == str(output) and output.exists()
    assert lines["DASK"] == "" and lines["CLUSTER"] == ""
