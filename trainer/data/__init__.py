"""Datasets: ISPRS Potsdam and Vaihingen, users' folders, all prepared into the same tiles.

The tile dataset (torch, tqdm) loads on first use, so label helpers import light.
"""

from __future__ import annotations

from typing import Any

from .labels import IGNORE_INDEX, ColourMap, IndexMap, UnknownValues

__all__ = [
    "IGNORE_INDEX",
    "ColourMap",
    "IndexMap",
    "TileDataset",
    "UnknownValues",
    "read_manifest",
]


def __getattr__(name: str) -> Any:
    if name in ("TileDataset", "read_manifest"):
        from . import tiles

        return getattr(tiles, name)
    raise AttributeError(name)
