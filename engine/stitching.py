"""Centre-crop assembly: each tile's class decision is written only over the pixels it owns.

Only the owned crop of each tile is turned into class indices, so overlap costs model
time but no post-processing time.
"""

from __future__ import annotations

import math

import numpy as np

from .tiling import Tile

NODATA = 255


def labels_from_scores(scores: np.ndarray, output_kind: str, seg_thresh: float) -> np.ndarray:
    """Class index per pixel from scores ``[N, C, H, W]`` as uint8 ``[N, H, W]``.

    One channel is a sigmoid (Deepness): background 0, the class 1 above ``seg_thresh``.
    Several channels: the argmax, done channel by channel (faster than ``argmax(axis=1)``
    on NCHW, which walks memory with a stride).
    """
    channels = scores.shape[1]
    if channels == 1:
        threshold = seg_thresh
        if output_kind == "logits":
            t = min(max(seg_thresh, 1e-7), 1 - 1e-7)
            threshold = math.log(t / (1 - t))
        return (scores[:, 0] > threshold).astype(np.uint8)
    best = scores[:, 0].copy()
    labels = np.zeros(best.shape, dtype=np.uint8)
    for c in range(1, channels):
        channel = scores[:, c]
        better = channel > best
        labels[better] = c
        np.maximum(best, channel, out=best)
    return labels


class RowStrip:
    """Class indices of one row of tiles over the region's columns, ``[heads, h, w]``."""

    def __init__(
        self,
        row: int,
        y0: int,
        y1: int,
        x0: int,
        x1: int,
        heads: int,
        storage: np.ndarray | None = None,
    ):
        """``storage`` (``[heads, >= h, w]`` uint8) is reused instead of a new array per row."""
        self.row = row
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        if storage is None:
            self.labels = np.full((heads, y1 - y0, x1 - x0), NODATA, dtype=np.uint8)
        else:
            self.labels = storage[:, : y1 - y0]
            self.labels.fill(NODATA)

    def place(self, tile: Tile, head: int, labels: np.ndarray) -> None:
        """``labels`` is the tile's owned crop, ``[y.stop - y.start, x.stop - x.start]``."""
        self.labels[
            head,
            tile.y.start - self.y0 : tile.y.stop - self.y0,
            tile.x.start - self.x0 : tile.x.stop - self.x0,
        ] = labels


def owned_crop(tile: Tile, margin: int) -> tuple[slice, slice]:
    """Slices of the model output that the tile owns (the output starts ``margin`` in)."""
    oy = tile.y.origin + margin
    ox = tile.x.origin + margin
    return (
        slice(tile.y.start - oy, tile.y.stop - oy),
        slice(tile.x.start - ox, tile.x.stop - ox),
    )
