"""Imports that fail on purpose: a Python without onnxruntime, as in a bare QGIS."""

from __future__ import annotations

import importlib


def importer_without(*missing: str):
    """An importer for ``check_dependencies`` that cannot import ``missing``."""

    def importer(name):
        if name in missing:
            raise ImportError(f"No module named '{name}'")
        return importlib.import_module(name)

    return importer
