"""The tile grid: where each tile is read and which pixels it is responsible for.

Centre-crop rule: every output pixel comes from the tile whose centre is nearest, so each
pixel was predicted with at least half the overlap of context around it and there are no
seams. The grid is separable: rows of tiles times columns of tiles, each axis laid out by
:func:`axis_tiles`. Edge tiles are shifted inside the raster instead of padded; only a
raster smaller than the model's output is padded (and its result cropped back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AxisTile:
    """One tile along one axis, in working-grid pixels.

    ``origin`` is where the model input starts (negative or past the end where the raster
    must be padded); ``start``/``stop`` is the span of pixels this tile writes.
    """

    origin: int
    start: int
    stop: int


@dataclass(frozen=True)
class Tile:
    row: int
    col: int
    y: AxisTile
    x: AxisTile


@dataclass(frozen=True)
class TileGrid:
    tile_size: int  # model input, pixels
    output_size: int  # model output (== tile_size unless the output covers the centre)
    stride: int
    rows: tuple[AxisTile, ...]
    cols: tuple[AxisTile, ...]

    @property
    def margin(self) -> int:
        """Input pixels around the model output on each side."""
        return (self.tile_size - self.output_size) // 2

    @property
    def count(self) -> int:
        return len(self.rows) * len(self.cols)

    def row_tiles(self, row: int) -> list[Tile]:
        return [Tile(row, c, self.rows[row], x) for c, x in enumerate(self.cols)]


def stride_for(tile_size: int, output_size: int, overlap_px: int) -> int:
    """Step between tiles; never more than the output, else pixels would get no prediction."""
    return max(1, min(tile_size - overlap_px, output_size))


def axis_tiles(
    region_start: int, region_length: int, size: int, tile: int, output: int, stride: int
) -> list[AxisTile]:
    """Tiles along one axis of length ``size`` covering ``[region_start, +region_length)``.

    Tiles start half an overlap before the region when the raster allows it, so the
    region's border pixels get the same context as any other.
    """
    if region_length <= 0:
        return []
    margin = (tile - output) // 2
    region_end = region_start + region_length
    last = max(0, size - output)  # output spans are kept inside the raster when they fit
    context = (output - stride) // 2
    first = min(max(region_start - context, 0), last)
    need_end = min(region_end + context, max(size, output))
    count = max(1, math.ceil((need_end - first - output) / stride) + 1)
    spans: list[int] = []
    for k in range(count):
        span = min(first + k * stride, last)
        if not spans or span > spans[-1]:
            spans.append(span)
    tiles = []
    for k, span in enumerate(spans):
        lo = region_start if k == 0 else (spans[k - 1] + span + output) // 2
        hi = region_end if k == len(spans) - 1 else (span + spans[k + 1] + output) // 2
        lo, hi = max(lo, region_start), min(hi, region_end)
        if hi > lo:
            tiles.append(AxisTile(origin=span - margin, start=lo, stop=hi))
    return tiles


def make_grid(
    region: tuple[int, int, int, int],
    raster_size: tuple[int, int],
    tile_size: int,
    output_size: int,
    overlap_px: int,
) -> TileGrid:
    """Grid over ``region`` = (x0, y0, width, height) of a raster of (width, height)."""
    x0, y0, w, h = region
    width, height = raster_size
    stride = stride_for(tile_size, output_size, overlap_px)
    return TileGrid(
        tile_size=tile_size,
        output_size=output_size,
        stride=stride,
        rows=tuple(axis_tiles(y0, h, height, tile_size, output_size, stride)),
        cols=tuple(axis_tiles(x0, w, width, tile_size, output_size, stride)),
    )
