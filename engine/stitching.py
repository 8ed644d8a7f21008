"""Centre-crop assembly: each tile's class decision is written only over the pixels it owns.

Only the owned crop of each tile is turned into class indices, so overlap costs model
time but no post-processing time.
"""

from __future__ import annotations

import math

import numpy as np

from .tiling import Tile

NODATA = 255


def _threshold(output_kind: str, seg_thresh: float) -> float:
    """``seg_thresh`` (a probability) on the scale of the model's output."""
    if output_kind != "logits":
        return seg_thresh
    t = min(max(seg_thresh, 1e-7), 1 - 1e-7)
    return math.log(t / (1 - t))


def labels_from_scores(
    scores: np.ndarray, output_kind: str, seg_thresh: float, threshold_all: bool = False
) -> np.ndarray:
    """Class index per pixel from scores ``[N, C, H, W]`` as uint8 ``[N, H, W]``.

    The reference for :class:`ClassDecider`, which does the same crop by crop, in place.
    One channel is a sigmoid (Deepness): background 0, the class 1 from ``seg_thresh`` up.
    Several channels: the argmax; with ``threshold_all`` (Deepness models that state
    seg_thresh) a pixel whose best score is below ``seg_thresh`` gets class 0.
    """
    channels = scores.shape[1]
    if channels == 1:
        return (scores[:, 0] >= _threshold(output_kind, seg_thresh)).astype(np.uint8)
    labels = scores.argmax(axis=1).astype(np.uint8)
    if threshold_all:
        labels[scores.max(axis=1) < seg_thresh] = 0
    return labels


class ClassDecider:
    """:func:`labels_from_scores` for one tile crop at a time, written straight into the
    strip, with scratch arrays reused across tiles: a long run allocates nothing per tile
    (per-tile allocations fragment the C heap of a multi-threaded process)."""

    def __init__(
        self, output_kind: str, seg_thresh: float, max_pixels: int, threshold_all: bool = False
    ):
        self.threshold = _threshold(output_kind, seg_thresh)
        self.min_best = seg_thresh if threshold_all else None
        self.best = np.empty(max_pixels, dtype=np.float32)
        self.better = np.empty(max_pixels, dtype=bool)

    def decide(self, scores: np.ndarray, out: np.ndarray) -> None:
        """Scores ``[C, h, w]`` -> class indices in ``out`` ``[h, w]`` (uint8, may be a view)."""
        h, w = out.shape
        better = self.better[: h * w].reshape(h, w)
        if scores.shape[0] == 1:
            np.greater_equal(scores[0], self.threshold, out=better)
            np.copyto(out, better, casting="unsafe")
            return
        best = self.best[: h * w].reshape(h, w)
        np.copyto(best, scores[0])
        out.fill(0)
        for c in range(1, scores.shape[0]):
            np.greater(scores[c], best, out=better)
            np.copyto(out, np.uint8(c), where=better)
            np.maximum(best, scores[c], out=best)
        if self.min_best is not None:
            np.less(best, self.min_best, out=better)
            np.copyto(out, np.uint8(0), where=better)


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

    def view(self, tile: Tile, head: int) -> np.ndarray:
        """The strip's pixels owned by ``tile``, to be written in place."""
        return self.labels[
            head,
            tile.y.start - self.y0 : tile.y.stop - self.y0,
            tile.x.start - self.x0 : tile.x.stop - self.x0,
        ]


def owned_crop(tile: Tile, margin: int) -> tuple[slice, slice]:
    """Slices of the model output that the tile owns (the output starts ``margin`` in)."""
    oy = tile.y.origin + margin
    ox = tile.x.origin + margin
    return (
        slice(tile.y.start - oy, tile.y.stop - oy),
        slice(tile.x.start - ox, tile.x.stop - ox),
    )
