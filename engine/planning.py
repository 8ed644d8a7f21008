"""What a run will do before it does it: bands, window, working grid (resampled or not), tiles.

Every check that can fail on bad input happens here, before a file is created or a thread
started, so a mistake costs the user nothing but a message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from osgeo import ogr

from .errors import InputError
from .masking import mask_bounds, polygons_in
from .model_file import LoadedModel
from .options import SegmentationOptions
from .raster_io import RasterSource
from .tiling import TileGrid, make_grid

GSD_TOLERANCE = 0.01  # relative pixel-size difference below which no resampling is done


@dataclass
class Plan:
    source: RasterSource  # the raster as opened
    work: RasterSource  # what tiles are read from: the source or a resampled view of it
    bands: tuple[int, ...]
    window: tuple[int, int, int, int]  # source pixels to produce
    work_window: tuple[int, int, int, int]
    grid: TileGrid
    scale: tuple[float, float]  # work pixels per source pixel (x, y)
    pixel_area_m2: float | None
    mask: list[ogr.Geometry] | None = None  # polygons in the raster's CRS; None: no mask
    notes: list[str] = field(default_factory=list)  # what was adapted, for information
    warnings: list[str] = field(default_factory=list)  # what the user may want to change

    @property
    def resampled(self) -> bool:
        return self.work is not self.source

    def output_geotransform(self) -> tuple[float, ...]:
        """The source's geotransform shifted to the window's corner (empty if it has none)."""
        gt = self.source.geotransform
        if not gt:
            return ()
        x0, y0 = self.window[:2]
        origin = (gt[0] + x0 * gt[1] + y0 * gt[2], gt[3] + x0 * gt[4] + y0 * gt[5])
        return (origin[0], gt[1], gt[2], origin[1], gt[4], gt[5])

    def work_rows(self) -> np.ndarray:
        """For each source row of the window, the working-grid row whose class it takes
        (nearest row centre; the identity when nothing is resampled)."""
        y0, h = self.window[1], self.window[3]
        wy0, wh = self.work_window[1], self.work_window[3]
        rows = np.floor((np.arange(y0, y0 + h) + 0.5) * self.scale[1]).astype(np.int64)
        return np.clip(rows, wy0, wy0 + wh - 1)

    def source_rows_of(self, first: int, stop: int) -> tuple[int, int]:
        """Rows ``[a, b)`` of the window that tile rows ``[first, stop)`` write: those whose
        working row lies in the tile rows' owned span (the last tile row takes the rest)."""
        rows = self.work_rows()
        a = int(np.searchsorted(rows, self.grid.rows[first].start)) if first else 0
        last = stop >= len(self.grid.rows)
        b = len(rows) if last else int(np.searchsorted(rows, self.grid.rows[stop - 1].stop))
        return a, b

    def tile_rows(self, first: int, stop: int) -> Plan:
        """This plan cut to tile rows ``[first, stop)`` of its grid, for one shard of a
        raster: the same tiles, read and batched the same way, so the output rows are the
        whole run's rows ``source_rows_of(first, stop)``, byte for byte."""
        if not 0 <= first < stop <= len(self.grid.rows):
            raise ValueError(f"tile rows [{first}, {stop}) outside 0..{len(self.grid.rows)}")
        a, b = self.source_rows_of(first, stop)
        x0, y0, w, _ = self.window
        return replace(
            self,
            window=(x0, y0 + a, w, b - a),
            grid=replace(self.grid, rows=self.grid.rows[first:stop]),
        )


def select_bands(
    source: RasterSource, model: LoadedModel, options: SegmentationOptions
) -> tuple[int, ...]:
    """The raster bands fed to the model, in order; errors name the bands option."""
    return check_bands(
        Path(source.path).name,
        source.band_count,
        options.bands,
        model.metadata.input_bands,
        model.input_channels,
    )


def check_bands(
    raster_name: str,
    band_count: int,
    chosen: Sequence[int] | None,
    model_bands: Sequence[int],
    input_channels: int,
) -> tuple[int, ...]:
    """``chosen`` (or the model's own bands) checked against the raster and the model; also
    for callers that only know the model's metadata (a Processing parameter check)."""
    bands = tuple(int(b) for b in (chosen or model_bands))
    missing = [b for b in bands if not 1 <= b <= band_count]
    if missing:
        which = "the bands chosen" if chosen else "the model's default bands"
        raise InputError(
            f"{raster_name} has {band_count} band(s) but {which} "
            f"({', '.join(map(str, bands))}) include band{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(str, missing))}: choose {input_channels} of its bands with {{option}}",
            option="bands",
        )
    if len(bands) != input_channels:
        raise InputError(
            f"the model takes {input_channels} input band(s) but {len(bands)} were "
            f"chosen ({', '.join(map(str, bands))}): choose {input_channels} with {{option}}",
            option="bands",
        )
    return bands


def select_window(
    source: RasterSource, options: SegmentationOptions
) -> tuple[tuple[int, int, int, int], list[ogr.Geometry] | None]:
    """Source pixels to produce: the extent, narrowed to the mask polygons' bounding box."""
    window = source.pixel_window(options.extent)
    if options.mask is None:
        return window, None
    if not source.geotransform:
        raise InputError(
            f"{Path(source.path).name} is not georeferenced: it cannot be masked by polygons",
            option="mask",
        )
    geometries = polygons_in(options.mask, source.projection)
    if not geometries:
        raise InputError("the polygon mask holds no polygon: choose some with {option}",
                         option="mask")  # fmt: skip
    try:
        mx, my, mw, mh = source.pixel_window(mask_bounds(geometries))
    except InputError:
        raise InputError(
            f"the mask polygons do not overlap {Path(source.path).name}: choose others with "
            "{option}",
            option="mask",
        ) from None
    x0, y0, w, h = window
    x1, y1 = min(x0 + w, mx + mw), min(y0 + h, my + mh)
    x0, y0 = max(x0, mx), max(y0, my)
    if x1 <= x0 or y1 <= y0:
        raise InputError("the mask polygons lie outside the extent: change {option}",
                         option="mask")  # fmt: skip
    return (x0, y0, x1 - x0, y1 - y0), geometries


def pixel_type_warnings(source: RasterSource, pixel_scale: float) -> list[str]:
    """A raster of other values than the model's (16-bit or float pixels for a model of 8-bit
    imagery) runs, but its result deserves a second look: said, not refused."""
    dtype = source.dtype
    if pixel_scale > 255 or dtype == np.uint8:
        return []
    kind = "floating-point" if dtype.kind == "f" else f"{dtype.itemsize * 8}-bit"
    return [
        f"the raster holds {kind} values ({dtype.name}) and the model expects 8-bit imagery "
        f"(values up to {pixel_scale:g}): check the result, or convert the raster to 8-bit"
    ]


def make_plan(source: RasterSource, model: LoadedModel, options: SegmentationOptions) -> Plan:
    meta = model.metadata
    notes: list[str] = []
    warnings: list[str] = []
    bands = select_bands(source, model, options)
    window, mask = select_window(source, options)
    warnings += pixel_type_warnings(source, meta.pixel_scale)
    gsd = source.gsd_m()
    work = source
    if gsd is None:
        warnings.append(
            "the raster has no usable CRS or pixel size: it is processed as is and areas "
            "are not reported in m²"
        )
    elif meta.resolution_cm and options.resample:
        target = meta.resolution_cm / 100.0
        fx, fy = gsd[0] / target, gsd[1] / target
        if abs(fx - 1) > GSD_TOLERANCE or abs(fy - 1) > GSD_TOLERANCE:
            width = max(1, round(source.width * fx))
            height = max(1, round(source.height * fy))
            work = source.resampled(width, height)
            notes.append(
                f"raster pixels are {gsd[0] * 100:.1f} cm, the model's {meta.resolution_cm:g} cm: "
                f"resampled to {width}x{height} for inference, output on the raster's grid"
            )
    scale = (work.width / source.width, work.height / source.height)
    x0, y0, w, h = window
    wx0, wy0 = math.floor(x0 * scale[0]), math.floor(y0 * scale[1])
    wx1 = min(work.width, max(wx0 + 1, math.ceil((x0 + w) * scale[0])))
    wy1 = min(work.height, max(wy0 + 1, math.ceil((y0 + h) * scale[1])))
    work_window = (wx0, wy0, wx1 - wx0, wy1 - wy0)

    tile = int(options.tile_size or meta.tile_size)
    if model.fixed_tile and tile != model.fixed_tile:
        warnings.append(
            f"the model only takes {model.fixed_tile} px tiles: ignoring tile size {tile}"
        )
        tile = model.fixed_tile
    if tile < 8:
        raise InputError(f"tile size {tile} is too small: choose at least 8 with {{option}}",
                         option="tile_size")  # fmt: skip
    output = model.output_size(tile)
    overlap_pct = meta.tile_overlap_pct if options.overlap_pct is None else options.overlap_pct
    if not 0 <= overlap_pct < 100:
        raise InputError(f"overlap {overlap_pct} % must be in [0, 100): change {{option}}",
                         option="overlap_pct")  # fmt: skip
    overlap_px = round(tile * overlap_pct / 100)
    grid = make_grid(work_window, (work.width, work.height), tile, output, overlap_px)
    area = gsd[0] * gsd[1] if gsd else None
    return Plan(source, work, bands, window, work_window, grid, scale, area, mask, notes, warnings)
