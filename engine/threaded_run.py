"""The threaded run: reader thread -> batches -> model (calling thread) -> writer thread.

Bounded queues between the three stages keep memory at about one row of tiles and let
reading, normalising, compressing and writing happen while the model runs. With test-time
augmentation the calling thread averages each batch's 8 views (:mod:`.probabilities`);
with a confidence output the writer thread writes it beside the classes.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import numpy as np
from osgeo import gdal

from .class_areas import count_classes
from .errors import Cancelled
from .geotiff_writer import GeoTiffWriter
from .masking import MaskRasterizer
from .model_file import LoadedModel
from .planning import Plan
from .probabilities import D4Averager
from .raster_io import RasterSource, warning_collector
from .stitching import NODATA, ClassDecider, RowStrip, owned_crop
from .tile_input import RowTiles
from .tiling import Tile

QUEUE_DEPTH = 2  # batches (or rows) in flight between two stages


class _Stopped(Exception):  # noqa: N818 - control flow, not an error
    """Raised inside a stage when another stage failed or the run was cancelled."""


@dataclass
class _Batch:
    tiles: list[Tile]
    data: np.ndarray
    buffer: np.ndarray  # the pooled array ``data`` is a view of; handed back after the run


@dataclass
class _RowStart:
    row: int
    valid: np.ndarray | None  # validity of the row's owned pixels (None: all valid)


@dataclass
class _Scored:
    tiles: list[Tile]
    scores: list[np.ndarray]  # one [N, C, H, W] array per head
    pooled: list[np.ndarray] | None = None  # arrays to hand back once stitched


@dataclass
class _RowEnd:
    row: int


@dataclass
class _Failure:
    error: BaseException


def _put(q: queue.Queue, item: object, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            q.put(item, timeout=0.05)
            return
        except queue.Full:
            continue


def _get(q: queue.Queue, stop: threading.Event) -> object:
    while True:
        if stop.is_set():
            raise _Stopped
        try:
            return q.get(timeout=0.05)
        except queue.Empty:
            continue


class ThreadedRun:
    """One execution of a plan: owns the threads, queues and counters."""

    def __init__(
        self, plan, model, writer, options, progress, cancel, timings, confidence_writer=None
    ):
        self.plan: Plan = plan
        self.model: LoadedModel = model
        self.writer: GeoTiffWriter = writer
        self.confidence_writer: GeoTiffWriter | None = confidence_writer
        self.batch_size = max(1, int(options.batch_size))
        self.tta = bool(options.tta)
        self.progress = progress
        self.cancel = cancel
        self.timings = timings
        self.stop = threading.Event()
        self.gdal_warnings: list[str] = []
        self.tiles_processed = 0
        self.tiles_skipped = 0
        self.counts = [np.zeros(256, dtype=np.int64) for _ in model.metadata.heads]
        self.a, self.b = model.normaliser(len(plan.bands))
        for key in ("read", "infer", "stitch", "write", "wait_for_input"):
            timings[key] = 0.0

    # -- calling thread: inference and stitching -------------------------------------
    def execute(self) -> None:
        grid = self.plan.grid
        total = grid.count
        inputs: queue.Queue = queue.Queue(QUEUE_DEPTH)
        outputs: queue.Queue = queue.Queue(QUEUE_DEPTH)
        shape = (self.batch_size, len(self.plan.bands), grid.tile_size, grid.tile_size)
        self.free_batches: queue.Queue = queue.Queue()
        self.free_scores: queue.Queue = queue.Queue()
        self.pooling = False
        self._pool_scores()
        averager = (
            D4Averager(self.model, shape, self.model.metadata.output_kind) if self.tta else None
        )
        for _ in range(QUEUE_DEPTH + 1):  # queued, and one being run
            self.free_batches.put(np.empty(shape, dtype=np.float32))
        reader = threading.Thread(target=self._reader, args=(inputs,), daemon=True)
        writer = threading.Thread(target=self._writer, args=(outputs,), daemon=True)
        self.writer_error: BaseException | None = None
        reader.start()
        writer.start()
        try:
            self._report(0, total)
            while True:
                t = time.perf_counter()
                item = self._get(inputs)
                self.timings["wait_for_input"] += time.perf_counter() - t
                if isinstance(item, _Failure):
                    raise item.error
                if item is None:
                    break
                if isinstance(item, _RowStart):
                    self.tiles_skipped += len(grid.cols)
                    _put(outputs, item, self.stop)
                    continue
                if isinstance(item, _RowEnd):
                    _put(outputs, item, self.stop)
                    self._check_cancel()
                    self._report(self.tiles_processed + self.tiles_skipped, total)
                    continue
                n = len(item.tiles)
                pooled = _get(self.free_scores, self.stop) if self.pooling else None
                t = time.perf_counter()
                views = [p[:n] for p in pooled] if pooled else None
                if averager is not None:
                    scores = averager.run(item.data, views)
                else:
                    scores = self.model.run_heads(item.data, out=views)
                self.timings["infer"] += time.perf_counter() - t
                self.free_batches.put(item.buffer)
                _put(outputs, _Scored(item.tiles, scores, pooled), self.stop)
                self.tiles_processed += len(item.tiles)
                self.tiles_skipped -= len(item.tiles)
                self._check_cancel()
                self._report(self.tiles_processed + self.tiles_skipped, total)
            _put(outputs, None, self.stop)
            writer.join()
            if self.writer_error is not None:
                raise self.writer_error
        except _Stopped:
            if self.writer_error is not None:
                raise self.writer_error from None
            raise
        finally:
            self.stop.set()
            reader.join()
            writer.join()
        self._report(total, total)

    def _pool_scores(self) -> None:
        """Output buffers reused batch after batch: one being run, one being stitched (the
        stitcher is far faster than the model, so a third would only hold memory). With
        test-time augmentation they hold the averages, which any model can fill."""
        fixed = self.model.fixed_batch
        if not self.tta and (
            not getattr(self.model.backend, "outputs_float32", False)
            or (fixed and fixed != self.batch_size)
        ):
            return
        shapes = self.model.output_shapes(self.plan.grid.tile_size)
        for _ in range(2):
            self.free_scores.put(
                [np.empty((self.batch_size, *shape), dtype=np.float32) for shape in shapes]
            )
        self.pooling = True

    def _get(self, q: queue.Queue) -> object:
        while True:
            if self.writer_error is not None:
                raise self.writer_error
            try:
                return q.get(timeout=0.05)
            except queue.Empty:
                self._check_cancel()

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled()

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done / total if total else 1.0, f"tile {done}/{total}")

    # -- reader thread ------------------------------------------------------------------
    def _reader(self, inputs: queue.Queue) -> None:
        gdal.PushErrorHandler(warning_collector(self.gdal_warnings))
        try:
            self._read_all(inputs)
            _put(inputs, None, self.stop)
        except _Stopped:
            pass
        except BaseException as error:  # handed to the calling thread, which re-raises
            try:
                _put(inputs, _Failure(error), self.stop)
            except _Stopped:
                pass
        finally:
            gdal.PopErrorHandler()

    def _read_all(self, inputs: queue.Queue) -> None:
        grid = self.plan.grid
        cutter = RowTiles(self.plan, self.a, self.b)
        for r in range(len(grid.rows)):
            t = time.perf_counter()
            own_valid = cutter.read_row(r)
            self.timings["read"] += time.perf_counter() - t
            _put(inputs, _RowStart(r, own_valid), self.stop)
            tiles: list[Tile] = []
            batch = None
            for tile in grid.row_tiles(r):
                t = time.perf_counter()
                if not cutter.worth_running(tile, own_valid):
                    continue
                if batch is None:
                    batch = _get(self.free_batches, self.stop)
                cutter.cut(tile, batch[len(tiles)])
                tiles.append(tile)
                self.timings["read"] += time.perf_counter() - t
                if len(tiles) == self.batch_size:
                    _put(inputs, _Batch(tiles, batch, batch), self.stop)
                    tiles, batch = [], None
            if tiles:
                _put(inputs, _Batch(tiles, batch[: len(tiles)], batch), self.stop)
            elif batch is not None:
                self.free_batches.put(batch)
            _put(inputs, _RowEnd(r), self.stop)

    # -- writer thread ------------------------------------------------------------------
    def _writer(self, outputs: queue.Queue) -> None:
        """Class decisions, stitching, mapping back to the source grid, compression, counts."""
        try:
            plan, meta = self.plan, self.model.metadata
            mapper = _SourceRows(plan) if plan.resampled else None
            wx0, _, ww, _ = plan.work_window
            margin = plan.grid.margin
            strip: RowStrip | None = None
            valid: np.ndarray | None = None
            tallest = max(y.stop - y.start for y in plan.grid.rows)
            storage = np.empty((len(meta.heads), tallest, ww), dtype=np.uint8)
            confidence = None
            if self.confidence_writer is not None:
                confidence = np.empty_like(storage)
            widest = max(x.stop - x.start for x in plan.grid.cols)
            kind = meta.output_kind
            if self.tta and kind == "logits":  # the averages are probabilities
                kind = "probabilities"
            decider = ClassDecider(
                kind, meta.seg_thresh, tallest * widest, meta.threshold_all_classes,
                confidence=confidence is not None,
            )  # fmt: skip
            while True:
                item = _get(outputs, self.stop)
                if item is None:
                    break
                t = time.perf_counter()
                if isinstance(item, _RowStart):
                    y = plan.grid.rows[item.row]
                    strip = RowStrip(
                        item.row, y.start, y.stop, wx0, wx0 + ww, len(meta.heads), storage,
                        confidence,
                    )  # fmt: skip
                    valid = item.valid
                elif isinstance(item, _Scored):
                    for h, scores in enumerate(item.scores):
                        for i, tile in enumerate(item.tiles):
                            ys, xs = owned_crop(tile, margin)
                            sure = None
                            if strip.confidence is not None:
                                sure = strip.view(tile, h, strip.confidence)
                            decider.decide(scores[i, :, ys, xs], strip.view(tile, h), sure)
                    if item.pooled is not None:
                        self.free_scores.put(item.pooled)
                    self.timings["stitch"] += time.perf_counter() - t
                elif isinstance(item, _RowEnd):
                    if valid is not None:
                        for layer in strip.layers():
                            layer[:, ~valid] = NODATA
                    rows = mapper.rows(strip) if mapper else strip.layers()
                    if rows[0].shape[1]:
                        for h in range(rows[0].shape[0]):
                            count_classes(rows[0][h], self.counts[h])
                        self.writer.write(rows[0])
                        if self.confidence_writer is not None:
                            self.confidence_writer.write(rows[1])
                    strip = valid = None
                    self.timings["write"] += time.perf_counter() - t
            if mapper:
                mapper.close()
        except _Stopped:
            pass
        except BaseException as error:
            self.writer_error = error
            self.stop.set()


class _SourceRows:
    """Maps class strips on the resampled grid back to the raster's own rows (nearest)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        # A second handle: GDAL datasets must not be shared between threads.
        self.source = RasterSource.open(plan.source.path)
        self.mask = None
        if plan.mask is not None:
            self.mask = MaskRasterizer(plan.mask, self.source.geotransform, self.source.projection)
        x0, _, w, _ = plan.window
        wx0, _, ww, _ = plan.work_window
        cols = np.floor((np.arange(x0, x0 + w) + 0.5) * plan.scale[0]).astype(np.int64) - wx0
        self.cols = np.clip(cols, 0, ww - 1)
        self.rows_work = plan.work_rows()
        self.next = 0  # index into the window's rows

    def rows(self, strip: RowStrip) -> list[np.ndarray]:
        """The strip's layers (labels, confidence) on the raster's own rows and columns."""
        last = strip.row == len(self.plan.grid.rows) - 1
        stop = len(self.rows_work) if last else int(np.searchsorted(self.rows_work, strip.y1))
        picked = self.rows_work[self.next : stop] - strip.y0
        layers = [layer[:, picked][:, :, self.cols] for layer in strip.layers()]
        x0, y0, w, _ = self.plan.window
        if len(picked):
            valid = self.source.read_valid(x0, y0 + self.next, w, len(picked), self.plan.bands)
            if self.mask is not None:
                valid &= self.mask.inside(x0, y0 + self.next, w, len(picked))
            for layer in layers:
                layer[:, ~valid] = NODATA
        self.next = stop
        return layers

    def close(self) -> None:
        self.source.close()
