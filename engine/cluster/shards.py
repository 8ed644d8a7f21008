"""How a raster is cut into shards: bands of whole tile rows of its one tile grid.

A shard is not a smaller raster with a grid of its own: it is the whole raster's plan
restricted to some of its tile rows (:meth:`engine.planning.Plan.tile_rows`), so every tile
is read with the same context, batched the same way and owns the same pixels as in a run
over the whole raster, and the shards' outputs stacked are that run's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..planning import Plan


@dataclass(frozen=True)
class Shard:
    first_row: int  # tile rows [first_row, stop_row) of the raster's grid
    stop_row: int
    source_rows: tuple[int, int]  # raster rows [a, b) this shard writes

    @property
    def tile_rows(self) -> tuple[int, int]:
        return self.first_row, self.stop_row


def split_into_shards(plan: Plan, max_tiles: int) -> list[Shard]:
    """One shard for a plan of at most ``max_tiles`` tiles; otherwise bands of whole tile
    rows of at most ``max_tiles`` tiles each (at least one row), none of them empty."""
    rows, columns = len(plan.grid.rows), max(1, len(plan.grid.cols))
    per_band = rows if plan.grid.count <= max_tiles else max(1, max_tiles // columns)
    y0 = plan.window[1]
    shards: list[Shard] = []
    first = 0
    while first < rows:
        stop = min(rows, first + per_band)
        a, b = plan.source_rows_of(first, stop)
        # A band of the working grid may hold no raster row's centre when inference runs
        # on a much finer grid than the raster's: it joins the next band (or the last one).
        while a == b and stop < rows:
            stop += 1
            a, b = plan.source_rows_of(first, stop)
        if a == b and shards:
            last = shards.pop()
            first, (a, b) = last.first_row, plan.source_rows_of(last.first_row, stop)
        shards.append(Shard(first, stop, (y0 + a, y0 + b)))
        first = stop
    return shards


@dataclass(frozen=True)
class OutputLayout:
    """Where a raster's output goes: one GeoTIFF, or parts joined by a VRT."""

    final: Path  # the GeoTIFF a single run (or a merge of the parts) writes

    @property
    def vrt(self) -> Path:
        return self.final.with_suffix(".vrt")

    @property
    def parts_dir(self) -> Path:
        return self.final.with_name(self.final.stem + ".parts")

    def part(self, shard: Shard) -> Path:
        a, b = shard.source_rows
        return self.parts_dir / f"{self.final.stem}.rows-{a:07d}-{b:07d}.tif"
