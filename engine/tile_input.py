"""Model inputs as the engine makes them: a row of tiles read, masked and normalised.

:class:`RowTiles` is what the reader thread of a run uses; :func:`sample_tiles` draws tiles
spread over rasters the same way (bands, resampling to the model's GSD, normalisation,
padding), for whatever needs real model inputs outside a run: the calibration of an INT8
copy of a model, for one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .masking import MaskRasterizer
from .model_file import LoadedModel
from .options import SegmentationOptions
from .planning import Plan, make_plan
from .raster_io import RasterSource, RowReader
from .tiling import Tile


class RowTiles:
    """Reads one row of tiles at a time and cuts normalised tiles out of it."""

    def __init__(self, plan: Plan, a: np.ndarray, b: np.ndarray):
        """``a``, ``b``: per band, ``normalised = raw * a + b`` (``LoadedModel.normaliser``)."""
        self.plan = plan
        grid = plan.grid
        self.tile = grid.tile_size
        self.reader = RowReader(
            plan.work, plan.bands, grid.cols[0].origin, grid.cols[-1].origin + self.tile,
            max_rows=self.tile,
        )  # fmt: skip
        self.mask = None
        if plan.mask is not None:
            work = plan.work
            self.mask = MaskRasterizer(plan.mask, work.geotransform, work.projection,
                                       plan.resampled)  # fmt: skip
        self.a = a[:, None, None]
        self.b = b[:, None, None]
        self.data: np.ndarray | None = None
        self.ry0 = 0

    def read_row(self, r: int) -> np.ndarray | None:
        """Read row ``r`` of the grid; the validity of the pixels its tiles own (no data,
        outside the mask), ``[rows, work window width]``, or None when all are valid."""
        y = self.plan.grid.rows[r]
        wx0, _, ww, _ = self.plan.work_window
        self.data, valid = self.reader.rows(y.origin, y.origin + self.tile)
        self.ry0 = max(0, y.origin)
        rx0 = self.reader.x0
        own_valid = None
        if valid is not None:
            rows = slice(y.start - self.ry0, y.stop - self.ry0)
            own_valid = valid[rows, wx0 - rx0 : wx0 - rx0 + ww].copy()
        if self.mask is not None:
            inside = self.mask.inside(wx0, y.start, ww, y.stop - y.start)
            own_valid = inside if own_valid is None else own_valid & inside
        return own_valid

    def worth_running(self, tile: Tile, own_valid: np.ndarray | None) -> bool:
        """Whether any pixel the tile owns is valid (else it is skipped, never inferred)."""
        if own_valid is None:
            return True
        wx0 = self.plan.work_window[0]
        return bool(own_valid[:, tile.x.start - wx0 : tile.x.stop - wx0].any())

    def cut(self, tile: Tile, out: np.ndarray) -> None:
        """The tile's input, normalised, into ``out`` ``[bands, tile, tile]`` float32. A
        raster smaller than a tile is mirrored out to the tile, not padded with zeros, so the
        model sees more of the same ground around it instead of a flat grey border."""
        data, ry0, rx0, size = self.data, self.ry0, self.reader.x0, self.tile
        sy0, sx0 = max(tile.y.origin, ry0), max(tile.x.origin, rx0)
        sy1 = min(tile.y.origin + size, ry0 + data.shape[1])
        sx1 = min(tile.x.origin + size, rx0 + data.shape[2])
        dy0, dx0 = sy0 - tile.y.origin, sx0 - tile.x.origin
        dy1, dx1 = dy0 + sy1 - sy0, dx0 + sx1 - sx0
        region = out[:, dy0:dy1, dx0:dx1]
        source = data[:, sy0 - ry0 : sy1 - ry0, sx0 - rx0 : sx1 - rx0]
        np.multiply(source, self.a, out=region, casting="unsafe")
        region += self.b
        if (dy0, dx0, dy1, dx1) != (0, 0, size, size):
            widths = ((0, 0), (dy0, size - dy1), (dx0, size - dx1))
            out[:] = np.pad(region, widths, mode="symmetric")


def sample_tiles(
    rasters: Sequence[str | os.PathLike],
    model: LoadedModel,
    count: int,
    options: SegmentationOptions | None = None,
) -> np.ndarray:
    """About ``count`` model inputs ``[n, bands, tile, tile]`` spread evenly over the tile
    grids of ``rasters`` (tiles without a valid pixel are left out)."""
    options = options or SegmentationOptions()
    a, b = None, None
    per_raster = [count // len(rasters) + (i < count % len(rasters)) for i in range(len(rasters))]
    tiles: list[np.ndarray] = []
    for raster, wanted in zip(rasters, per_raster):
        if not wanted:
            continue
        source = RasterSource.open(raster)
        plan = make_plan(source, model, options)
        try:
            if a is None:
                a, b = model.normaliser(len(plan.bands))
            grid = plan.grid
            chosen = np.unique(np.linspace(0, grid.count - 1, min(wanted, grid.count)).round())
            picked: dict[int, set[int]] = {}
            for index in chosen.astype(int):
                picked.setdefault(index // len(grid.cols), set()).add(index % len(grid.cols))
            cutter = RowTiles(plan, a, b)
            for r in sorted(picked):
                own_valid = cutter.read_row(r)
                for tile in grid.row_tiles(r):
                    if tile.col in picked[r] and cutter.worth_running(tile, own_valid):
                        out = np.empty((len(plan.bands), grid.tile_size, grid.tile_size),
                                       dtype=np.float32)  # fmt: skip
                        cutter.cut(tile, out)
                        tiles.append(out)
        finally:
            plan.work.close()
            source.close()
    if not tiles:
        return np.empty((0, model.input_channels, 0, 0), dtype=np.float32)
    return np.stack(tiles)
