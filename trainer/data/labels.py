"""Label rasters to class indices: colour-coded ISPRS labels or index masks.

A colour (or index) that is no class is never silently made class 0, as the study's data
preparation did: it becomes the ignore index and is counted, so ``prepare`` can report it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

IGNORE_INDEX = 255


@dataclass
class UnknownValues:
    """Pixels whose label value is no class, per value (an RGB tuple or an index)."""

    counts: Counter = field(default_factory=Counter)

    def add(self, values: np.ndarray, counts: np.ndarray) -> None:
        for value, count in zip(values.tolist(), counts.tolist()):
            key = tuple(value) if isinstance(value, list) else int(value)
            self.counts[key] += int(count)

    def merge(self, other: UnknownValues) -> None:
        self.counts.update(other.counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> list[dict]:
        return [
            {"value": list(k) if isinstance(k, tuple) else k, "pixels": n}
            for k, n in self.counts.most_common()
        ]

    def describe(self) -> str:
        parts = [
            f"{'rgb' + str(k) if isinstance(k, tuple) else k}: {n} px"
            for k, n in self.counts.most_common(8)
        ]
        more = "" if len(self.counts) <= 8 else f", and {len(self.counts) - 8} more"
        return ", ".join(parts) + more


def _pack(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) uint8 -> (H, W) uint32 keys, one per colour."""
    rgb = rgb.astype(np.uint32)
    return (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]


@dataclass(frozen=True)
class ColourMap:
    """RGB label colours -> class indices; ``ignore_colours`` are known "no class" colours."""

    colours: tuple[tuple[int, int, int], ...]
    ignore_colours: tuple[tuple[int, int, int], ...] = ((0, 0, 0),)

    def encode(self, rgb: np.ndarray) -> tuple[np.ndarray, UnknownValues]:
        """(3, H, W) uint8 colours -> (H, W) uint8 class indices and the unknown colours."""
        if rgb.ndim != 3 or rgb.shape[0] < 3:
            raise ValueError(f"a colour label needs 3 bands, got shape {rgb.shape}")
        keys = _pack(rgb[:3])
        out = np.full(keys.shape, IGNORE_INDEX, dtype=np.uint8)
        known = np.zeros(keys.shape, dtype=bool)
        for index, colour in enumerate(self.colours):
            match = keys == _pack(np.asarray(colour, dtype=np.uint8).reshape(3, 1, 1))[0, 0]
            out[match] = index
            known |= match
        for colour in self.ignore_colours:
            known |= keys == _pack(np.asarray(colour, dtype=np.uint8).reshape(3, 1, 1))[0, 0]
        unknown = UnknownValues()
        if not known.all():
            values, counts = np.unique(keys[~known], return_counts=True)
            rgb_values = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], 1)
            unknown.add(rgb_values, counts)
        return out, unknown


@dataclass(frozen=True)
class IndexMap:
    """Single-band masks that already hold class indices 0..classes-1 (255 = ignore)."""

    classes: int

    def encode(self, mask: np.ndarray) -> tuple[np.ndarray, UnknownValues]:
        mask = mask[0] if mask.ndim == 3 else mask
        out = mask.astype(np.int64)
        bad = (out >= self.classes) & (out != IGNORE_INDEX) | (out < 0)
        unknown = UnknownValues()
        if bad.any():
            values, counts = np.unique(out[bad], return_counts=True)
            unknown.add(values, counts)
            out = np.where(bad, IGNORE_INDEX, out)
        return out.astype(np.uint8), unknown
