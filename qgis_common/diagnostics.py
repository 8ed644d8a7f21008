"""Diagnostics for bug reports: versions, interpreter, execution providers, GPU detection."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from qgis.core import Qgis
from qgis.PyQt.QtCore import PYQT_VERSION_STR, QT_VERSION_STR

from ..engine.jobs.dependencies import (
    DependencyReport,
    check_dependencies,
    detect_devices,
    package_version,
    qgis_python,
)

PLUGIN_DIR = Path(__file__).resolve().parent.parent


def diagnostics_text(report: DependencyReport | None = None, devices: dict | None = None) -> str:
    """Everything a bug report needs, as plain text for the clipboard."""
    report = report or check_dependencies()
    lines = ["Aerial Segmentation diagnostics"]
    lines.append(f"Plugin: {_plugin_version()}")
    lines.append(f"QGIS: {Qgis.QGIS_VERSION}; Qt {QT_VERSION_STR}; PyQt {PYQT_VERSION_STR}")
    lines.append(f"OS: {platform.platform()} ({platform.machine()})")
    lines.append(f"Python: {platform.python_version()} — sys.executable {sys.executable}")
    lines.append(f"QGIS' Python interpreter: {report.python or qgis_python()}")
    for name in ("numpy", "GDAL", "onnxruntime"):
        lines.append(f"{name}: {report.versions.get(name, 'not available')}")
    for dist in ("onnxruntime-gpu", "onnxruntime-directml", "torch"):
        version = package_version(dist)
        if version:
            lines.append(f"{dist} (installed package): {version}")
    if devices is None:
        devices = detect_devices(probe_torch=True)  # a bug report is worth the seconds
    for key, value in devices.items():
        lines.append(f"devices.{key}: {value}")
    if report.problems:
        lines.append("Problems:")
        lines += [f"  {p.component}: {p.detail}" for p in report.problems]
        if report.install_command:
            lines.append(f"  Fix: {report.install_command}")
    else:
        lines.append("Problems: none")
    return "\n".join(lines)


def _plugin_version() -> str:
    metadata = PLUGIN_DIR / "metadata.txt"
    try:
        for line in metadata.read_text(encoding="utf-8").splitlines():
            if line.startswith("version="):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
