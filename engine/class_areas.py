"""Area accounting: class histograms gathered while writing, turned into per-class areas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .metadata import ClassInfo
from .results import ClassArea
from .stitching import NODATA


def count_classes(labels: np.ndarray, counts: np.ndarray) -> None:
    """Add a class histogram; by chunks, as bincount widens uint8 to 8-byte integers."""
    step = max(1, (1 << 18) // max(1, labels.shape[1]))
    for i in range(0, labels.shape[0], step):
        counts += np.bincount(labels[i : i + step].ravel(), minlength=256)


def class_areas(
    heads: Sequence[Sequence[ClassInfo]], counts: list[np.ndarray], pixel_area: float | None
) -> list[ClassArea]:
    """One entry per class of every head; shares are of the head's valid pixels."""
    areas = []
    for b, (head, count) in enumerate(zip(heads, counts), start=1):
        valid = int(count[:NODATA].sum())
        for c in head:
            pixels = int(count[c.index])
            areas.append(
                ClassArea(
                    index=c.index,
                    name=c.name,
                    color=c.color,
                    pixels=pixels,
                    area_m2=pixels * pixel_area if pixel_area else float("nan"),
                    percent=100.0 * pixels / valid if valid else 0.0,
                    band=b,
                )
            )
    return areas
