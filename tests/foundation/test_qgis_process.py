"""Headless qgis_process sees the plugin, through the helper tests and `make demo` use."""

from __future__ import annotations

import json

from devtools.qgis_process import run_qgis_process


def test_qgis_process_lists_the_plugin_enabled():
    result = run_qgis_process(["--json", "plugins"], timeout=300)
    assert result.returncode == 0, result.stderr
    plugins = json.loads(result.stdout)["plugins"]
    assert plugins["aerial_segmentation"]["loaded"] is True


def test_qgis_process_lists_the_provider():
    result = run_qgis_process(["--json", "list"], timeout=300)
    assert result.returncode == 0, result.stderr
    providers = json.loads(result.stdout)["providers"]
    assert "aerial_segmentation" in providers
