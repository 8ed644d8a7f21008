"""Per-class statistics as CSV: pixels, m² and share of every class, per model output.

Shares are of the output's valid pixels (no data and masked-out pixels are not counted), so
each output's shares sum to 100 %. The counts are the class map's own histogram, gathered
while it was written: no second pass over the file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from .results import ClassArea

COLUMNS = ("band", "class_index", "class_name", "pixels", "area_m2", "percent")


def write_statistics(path: Path, areas: Sequence[ClassArea]) -> Path:
    """One row per class of every output band; empty ``area_m2`` when the raster states no
    pixel size."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for area in areas:
            m2 = "" if math.isnan(area.area_m2) else f"{area.area_m2:.4f}"
            writer.writerow(
                [area.band, area.index, area.name, area.pixels, m2, f"{area.percent:.6f}"]
            )
    return path
