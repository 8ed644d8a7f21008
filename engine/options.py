"""The per-run choices of a segmentation: one dataclass that every caller fills."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .masking import PolygonMask


@dataclass
class SegmentationOptions:
    """Per-run choices; ``None`` means "what the model's metadata says"."""

    device: str = "auto"
    tile_size: int | None = None
    overlap_pct: float | None = None
    batch_size: int = 4
    bands: Sequence[int] | None = None
    extent: Sequence[float] | None = None  # xmin, ymin, xmax, ymax in the raster's CRS
    num_threads: int | None = None
    resample: bool = True  # run at the model's GSD (output stays on the raster's grid)
    mask: PolygonMask | None = None  # segment only inside these polygons
