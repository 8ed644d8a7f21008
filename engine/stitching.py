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
    (per-tile allocations fragment the C heap of a multi-threaded process).

    With ``confidence``, :meth:`decide` also writes the top class's probability in percent
    (0-100): the best score itself for probabilities, ``1 / sum(exp(s - best))`` for
    softmax logits, ``max(p, 1 - p)`` for a one-channel sigmoid.
    """

    def __init__(
        self,
        output_kind: str,
        seg_thresh: float,
        max_pixels: int,
        threshold_all: bool = False,
        confidence: bool = False,
    ):
        self.output_kind = output_kind
        self.threshold = _threshold(output_kind, seg_thresh)
        self.min_best = seg_thresh if threshold_all else None
        self.best = np.empty(max_pixels, dtype=np.float32)
        self.better = np.empty(max_pixels, dtype=bool)
        self.work = np.empty(max_pixels, dtype=np.float32) if confidence else None
        self.total = np.empty(max_pixels, dtype=np.float32) if confidence else None

    def decide(
        self, scores: np.ndarray, out: np.ndarray, confidence: np.ndarray | None = None
    ) -> None:
        """Scores ``[C, h, w]`` -> class indices in ``out`` ``[h, w]`` (uint8, may be a view)
        and, if given, the top class's probability in percent in ``confidence``."""
        h, w = out.shape
        better = self.better[: h * w].reshape(h, w)
        if scores.shape[0] == 1:
            np.greater_equal(scores[0], self.threshold, out=better)
            np.copyto(out, better, casting="unsafe")
            if confidence is not None:
                self._sigmoid_confidence(scores[0], confidence)
            return
        best = self.best[: h * w].reshape(h, w)
        np.copyto(best, scores[0])
        out.fill(0)
        for c in range(1, scores.shape[0]):
            np.greater(scores[c], best, out=better)
            np.copyto(out, np.uint8(c), where=better)
            np.maximum(best, scores[c], out=best)
        if confidence is not None:
            self._top_confidence(scores, best, confidence)
        if self.min_best is not None:
            np.less(best, self.min_best, out=better)
            np.copyto(out, np.uint8(0), where=better)

    def _scratch(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        n = shape[0] * shape[1]
        return self.work[:n].reshape(shape), self.total[:n].reshape(shape)

    def _top_confidence(self, scores: np.ndarray, best: np.ndarray, out: np.ndarray) -> None:
        work, total = self._scratch(best.shape)
        if self.output_kind == "logits":  # softmax of the best logit
            total.fill(0)
            for c in range(scores.shape[0]):
                np.subtract(scores[c], best, out=work)
                np.exp(work, out=work)
                total += work
            np.reciprocal(total, out=work)
        else:
            np.copyto(work, best)
        _write_percent(work, out)

    def _sigmoid_confidence(self, score: np.ndarray, out: np.ndarray) -> None:
        work, total = self._scratch(score.shape)
        if self.output_kind == "logits":
            np.abs(score, out=work)  # max(p, 1 - p) = sigmoid(|logit|)
            np.negative(work, out=work)
            np.exp(work, out=work)
            work += 1
            np.reciprocal(work, out=work)
        else:
            np.subtract(1, score, out=total)
            np.maximum(score, total, out=work)
        _write_percent(work, out)


def _write_percent(probability: np.ndarray, out: np.ndarray) -> None:
    """``out`` = round(100 * probability), clipped to 0..100 (foreign "probabilities" may
    stray out of [0, 1])."""
    probability *= 100
    np.clip(probability, 0, 100, out=probability)
    np.rint(probability, out=probability)
    np.copyto(out, probability, casting="unsafe")


class RowStrip:
    """Class indices (and, if asked, confidence) of one row of tiles over the region's
    columns, each ``[heads, h, w]`` uint8."""

    def __init__(
        self,
        row: int,
        y0: int,
        y1: int,
        x0: int,
        x1: int,
        heads: int,
        storage: np.ndarray | None = None,
        confidence_storage: np.ndarray | None = None,
    ):
        """``storage`` (``[heads, >= h, w]`` uint8) is reused instead of a new array per row;
        ``confidence_storage`` likewise, when confidence is written."""
        self.row = row
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        if storage is None:
            self.labels = np.full((heads, y1 - y0, x1 - x0), NODATA, dtype=np.uint8)
        else:
            self.labels = storage[:, : y1 - y0]
            self.labels.fill(NODATA)
        self.confidence = None
        if confidence_storage is not None:
            self.confidence = confidence_storage[:, : y1 - y0]
            self.confidence.fill(NODATA)

    def layers(self) -> list[np.ndarray]:
        """The arrays written for this row: labels, then confidence if asked for."""
        return [self.labels] if self.confidence is None else [self.labels, self.confidence]

    def view(self, tile: Tile, head: int, array: np.ndarray | None = None) -> np.ndarray:
        """The strip's pixels owned by ``tile`` (of ``array``, default the labels), to be
        written in place."""
        array = self.labels if array is None else array
        return array[
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
