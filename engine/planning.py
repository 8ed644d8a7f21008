"""What a run will do before it does it: bands, window, working grid (resampled or not), tiles.

Every check that can fail on bad input happens here, before a file is created or a thread
started, so a mistake costs the user nothing but a message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
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
    warnings: list[str] = field(default_factory=list)

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


def select_bands(
    source: RasterSource, model: LoadedModel, options: SegmentationOptions
) -> tuple[int, ...]:
    """The raster bands fed to the model, in order."""
    bands = tuple(int(b) for b in (options.bands or model.metadata.input_bands))
    bad = [b for b in bands if not 1 <= b <= source.band_count]
    if bad:
        raise InputError(
            f"{Path(source.path).name} has {source.band_count} band(s); band(s) {bad} do not "
            "exist: choose the bands with --bands / the band option"
        )
    if len(bands) != model.input_channels:
        raise InputError(
            f"the model takes {model.input_channels} input band(s) but {len(bands)} were "
            f"selected ({list(bands)}): choose {model.input_channels} bands"
        )
    return bands


def make_plan(source: RasterSource, model: LoadedModel, options: SegmentationOptions) -> Plan:
    meta = model.metadata
    warnings: list[str] = []
    bands = select_bands(source, model, options)
    window = source.pixel_window(options.extent)
    gsd = source.gsd_m()
    work = source
    if gsd is None:
        warnings.append(
            "the raster has no usable CRS or pixel size: it is processed as is and areas "
            "are not reported in m2"
        )
    elif meta.resolution_cm and options.resample:
        target = meta.resolution_cm / 100.0
        fx, fy = gsd[0] / target, gsd[1] / target
        if abs(fx - 1) > GSD_TOLERANCE or abs(fy - 1) > GSD_TOLERANCE:
            width = max(1, round(source.width * fx))
            height = max(1, round(source.height * fy))
            work = source.resampled(width, height)
            warnings.append(
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
        raise InputError(f"tile size {tile} is too small")
    output = model.output_size(tile)
    overlap_pct = meta.tile_overlap_pct if options.overlap_pct is None else options.overlap_pct
    if not 0 <= overlap_pct < 100:
        raise InputError(f"overlap {overlap_pct} % must be in [0, 100)")
    overlap_px = round(tile * overlap_pct / 100)
    grid = make_grid(work_window, (work.width, work.height), tile, output, overlap_px)
    area = gsd[0] * gsd[1] if gsd else None
    return Plan(source, work, bands, window, work_window, grid, scale, area, warnings)
