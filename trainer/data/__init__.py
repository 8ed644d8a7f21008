"""Datasets: ISPRS Potsdam and Vaihingen, users' folders, all prepared into the same tiles."""

from .labels import IGNORE_INDEX, ColourMap, IndexMap, UnknownValues
from .tiles import TileDataset, read_manifest

__all__ = [
    "IGNORE_INDEX",
    "ColourMap",
    "IndexMap",
    "TileDataset",
    "UnknownValues",
    "read_manifest",
]
