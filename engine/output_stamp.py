"""What made an output, written into the GeoTIFF's own metadata when it is complete.

The stamp names the model by the SHA-256 of its file and the run's pixel-affecting settings
by a fingerprint, and keeps the per-class pixel counts and the pixel area. A rerun can then
tell an output already done with the same model and settings (and skip it, with its areas
read back from the stamp) from one made by something else, without reading a pixel.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from osgeo import gdal, ogr

from .options import SegmentationOptions

MODEL_SHA256 = "AERIAL_SEG_MODEL_SHA256"
MODEL_NAME = "AERIAL_SEG_MODEL"
SETTINGS = "AERIAL_SEG_SETTINGS"
CLASS_PIXELS = "AERIAL_SEG_CLASS_PIXELS"
PIXEL_AREA = "AERIAL_SEG_PIXEL_AREA_M2"


def settings_fingerprint(
    options: SegmentationOptions, mask: Sequence[ogr.Geometry] | None = None
) -> str:
    """The options that change pixels (not device, batch size or threads), hashed. ``mask``:
    the plan's mask polygons (in the raster's CRS), so that the same polygons from a QGIS
    layer or from a vector file, whose texts differ, are the same mask."""
    chosen = {
        "tile_size": options.tile_size,
        "overlap_pct": options.overlap_pct,
        "bands": list(options.bands) if options.bands else None,
        "extent": list(options.extent) if options.extent else None,
        "mask": sorted(g.ExportToIsoWkb().hex() for g in mask) if mask is not None else None,
        "resample": options.resample,
    }
    if options.tta:  # (only when on: fingerprints of runs without it stay what they were)
        chosen["tta"] = True
    text = json.dumps(chosen, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class OutputStamp:
    model_sha256: str
    model_name: str
    settings: str  # settings_fingerprint() of the run
    class_pixels: tuple[tuple[int, ...], ...]  # per output band: pixels of each class index
    pixel_area_m2: float | None

    def tags(self) -> dict[str, str]:
        return {
            MODEL_SHA256: self.model_sha256,
            MODEL_NAME: self.model_name,
            SETTINGS: self.settings,
            CLASS_PIXELS: json.dumps([list(band) for band in self.class_pixels]),
            PIXEL_AREA: repr(self.pixel_area_m2) if self.pixel_area_m2 else "",
        }

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> OutputStamp | None:
        """The stamp in a dataset's metadata; None when it has none (or a damaged one)."""
        try:
            pixels = json.loads(tags[CLASS_PIXELS])
            area = tags.get(PIXEL_AREA, "")
            return cls(
                model_sha256=tags[MODEL_SHA256],
                model_name=tags.get(MODEL_NAME, ""),
                settings=tags[SETTINGS],
                class_pixels=tuple(tuple(int(n) for n in band) for band in pixels),
                pixel_area_m2=float(area) if area else None,
            )
        except (KeyError, ValueError, TypeError):
            return None

    def matches(self, model_sha256: str, settings: str) -> bool:
        return self.model_sha256 == model_sha256 and self.settings == settings

    def with_pixels(self, class_pixels: Sequence[Sequence[int]]) -> OutputStamp:
        return OutputStamp(
            self.model_sha256,
            self.model_name,
            self.settings,
            tuple(tuple(int(n) for n in band) for band in class_pixels),
            self.pixel_area_m2,
        )


def read_stamp(path: str | os.PathLike) -> OutputStamp | None:
    """The stamp of an output file (GeoTIFF or VRT); None if absent or unreadable."""
    if not os.path.exists(path):
        return None
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError:
        return None
    return OutputStamp.from_tags(dataset.GetMetadata() or {}) if dataset else None
