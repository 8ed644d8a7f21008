"""segment(): plan the run, open the writers, run the threads, finish every output, report.

The steps live in their own modules: :mod:`.planning` (bands, window, grid), :mod:`.threaded_run`
(reader thread -> model -> writer thread), :mod:`.class_areas` (area accounting),
:mod:`.geotiff_writer` (class map and confidence), :mod:`.polygons` and :mod:`.statistics`
(made from the finished class map). Every file is written under a temporary name and all
are renamed together at the end (:mod:`.staging`): a cancel or an error leaves nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .cancel import CancelToken
from .class_areas import ClassArea, class_areas
from .errors import InputError
from .geotiff_writer import GeoTiffWriter, class_map_writer, confidence_writer, raise_if_cancelled
from .model_file import LoadedModel, load_model
from .options import SegmentationOptions
from .output_stamp import OutputStamp, settings_fingerprint
from .planning import Plan, make_plan
from .polygons import polygonize_classes, sieve_threshold
from .raster_io import RasterSource
from .results import SegmentationResult
from .staging import Staging
from .statistics import write_statistics
from .stitching import NODATA
from .threaded_run import ThreadedRun

__all__ = ["ExtraOutputs", "Progress", "SegmentationOptions", "segment"]

Progress = Callable[[float, str], None]


@dataclass
class ExtraOutputs:
    """Files written beside the class map; ``None`` for those not wanted."""

    confidence: str | os.PathLike | None = None  # top-class probability, uint8 percent
    polygons: str | os.PathLike | None = None  # a GeoPackage of class polygons
    stats: str | os.PathLike | None = None  # per-class pixels, m² and % as CSV

    def paths(self) -> dict[str, Path]:
        named = {"confidence": self.confidence, "polygons": self.polygons, "stats": self.stats}
        return {name: Path(path) for name, path in named.items() if path}


class _Stages:
    """Progress over the whole run: tiles first, then finishing the outputs."""

    def __init__(self, progress: Progress | None, polygons: bool):
        self.progress = progress
        self.tiles_end = 0.8 if polygons else 0.95
        self.finish_end = 0.85 if polygons else 1.0

    def tiles(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(fraction * self.tiles_end, message)

    def span(self, start: float, end: float, message: str) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            if self.progress is not None:
                self.progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

        return report


def segment(
    input_path: str | os.PathLike,
    model: str | os.PathLike | LoadedModel,
    output_path: str | os.PathLike,
    options: SegmentationOptions | None = None,
    *,
    outputs: ExtraOutputs | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    tile_rows: tuple[int, int] | None = None,
) -> SegmentationResult:
    """Segment one raster into a class-index GeoTIFF (and the ``outputs`` asked for).

    ``tile_rows``: only tile rows ``[first, stop)`` of the raster's tile grid, written as the
    rows of the window they own (one shard of a raster segmented in parts; the parts, stacked,
    are the whole run's output pixel for pixel).
    """
    started = time.perf_counter()
    options = options or SegmentationOptions()
    extra = (outputs or ExtraOutputs()).paths()
    _check_request(input_path, output_path, extra, options)
    timings: dict[str, float] = {}
    if isinstance(model, LoadedModel):
        loaded = model
    else:
        loaded = load_model(model, device=options.device, num_threads=options.num_threads)
    timings["load_model"] = time.perf_counter() - started
    stages = _Stages(progress, "polygons" in extra)
    source = RasterSource.open(input_path)
    staging = Staging()
    plan: Plan | None = None
    writers: list[GeoTiffWriter] = []
    try:
        plan = make_plan(source, loaded, options)
        if tile_rows is not None:
            plan = plan.tile_rows(*tile_rows)
        if "polygons" in extra:  # a unit that cannot apply is said before the run, not after
            sieve_threshold(options.min_area_m2, plan.pixel_area_m2)
        _open_writers(writers, output_path, extra, loaded, plan, source, staging, options)
        confidence = writers[1] if len(writers) > 1 else None
        run = ThreadedRun(
            plan, loaded, writers[0], options, stages.tiles, cancel, timings, confidence
        )
        run.execute()
        finished = _Finished(loaded, plan, run, staging, stages, cancel)
        finished.complete(writers, options, timings)
        layers = finished.extras(writers[0], extra, options.min_area_m2, timings)
        if progress is not None:
            progress(1.0, "done")
        raise_if_cancelled(cancel)  # asked up to the last report: honoured, nothing renamed
        staging.commit()
    except BaseException:
        for each in writers:
            each.close()
        staging.abort()
        raise
    finally:
        if plan is not None:
            plan.work.close()
        source.close()
    timings["total"] = time.perf_counter() - started
    return finished.result(input_path, output_path, extra, options, source, layers, timings)


def _check_request(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    extra: dict[str, Path],
    options: SegmentationOptions,
) -> None:
    """Refuse what cannot run before the model is loaded: said in the words of the option."""
    if options.batch_size < 1:
        raise InputError(
            f"batch size must be at least 1, got {options.batch_size}: change {{option}}",
            option="batch_size",
        )
    for name, path in {"output": Path(output_path), **extra}.items():
        if path.resolve() == Path(input_path).resolve():
            raise InputError(
                "the output is the input raster: choose another file with {option}", option=name
            )


def _open_writers(
    writers: list[GeoTiffWriter],
    output_path: str | os.PathLike,
    extra: dict[str, Path],
    loaded: LoadedModel,
    plan: Plan,
    source: RasterSource,
    staging: Staging,
    options: SegmentationOptions,
) -> None:
    """The class map's writer, then the confidence's where one is asked for, each put in
    ``writers`` as soon as it is open, so that a failure opening the next still closes it."""
    heads = loaded.metadata.heads
    names = _head_names(loaded)
    w, h = plan.window[2:]
    grid = (w, h, plan.output_geotransform(), source.projection)
    classes = [[(c.name, c.color) for c in head] for head in heads]
    writers.append(
        class_map_writer(output_path, *grid, classes, staging, descriptions=names, cog=options.cog)
    )
    if "confidence" in extra:
        writers.append(
            confidence_writer(
                extra["confidence"],
                *grid,
                len(heads),
                staging,
                descriptions=names if len(heads) > 1 else (),
                cog=options.cog,
            )
        )


@dataclass
class _Finished:
    """After the tiles: every raster completed (overviews, stamp), what is made of the
    finished class map (polygons, statistics), and the run's result."""

    loaded: LoadedModel
    plan: Plan
    run: ThreadedRun
    staging: Staging
    stages: _Stages
    cancel: CancelToken | None

    @cached_property
    def areas(self) -> list[ClassArea]:
        """Each class's pixels, m² and share: counted once, for the CSV and the result."""
        return class_areas(self.loaded.metadata.heads, self.run.counts, self.plan.pixel_area_m2)

    def complete(
        self, writers: list[GeoTiffWriter], options: SegmentationOptions, timings: dict[str, float]
    ) -> None:
        t = time.perf_counter()
        stages = self.stages
        start, step = stages.tiles_end, (stages.finish_end - stages.tiles_end) / len(writers)
        stamp = _stamp(self.loaded, options, self.run.counts, self.plan).tags()
        for i, each in enumerate(writers):
            report = stages.span(start + i * step, start + (i + 1) * step, "overviews")
            each.complete(self.cancel, report, tags=stamp if i == 0 else None)
        timings["finish"] = time.perf_counter() - t

    def extras(
        self,
        class_map: GeoTiffWriter,
        extra: dict[str, Path],
        min_area_m2: float,
        timings: dict[str, float],
    ) -> list:
        """The polygon layers written (none unless asked for); the statistics CSV if asked."""
        heads = self.loaded.metadata.heads
        layers = []
        if "polygons" in extra:
            t = time.perf_counter()
            layers = polygonize_classes(
                class_map.temp, self.staging.add(extra["polygons"], ".gpkg"), heads,
                self.plan.pixel_area_m2, self.staging, min_area_m2=min_area_m2,
                cancel=self.cancel,
                progress=self.stages.span(self.stages.finish_end, 1.0, "polygons"),
            )  # fmt: skip
            timings["polygons"] = time.perf_counter() - t
        if "stats" in extra:
            write_statistics(self.staging.add(extra["stats"], ".csv"), self.areas)
        return layers

    def result(
        self,
        input_path: str | os.PathLike,
        output_path: str | os.PathLike,
        extra: dict[str, Path],
        options: SegmentationOptions,
        source: RasterSource,
        layers: list,
        timings: dict[str, float],
    ) -> SegmentationResult:
        loaded, plan, run = self.loaded, self.plan, self.run
        details = source.warnings + [w for w in run.gdal_warnings if w not in source.warnings]
        valid_pixels = int(run.counts[0][:NODATA].sum())
        nothing = [] if valid_pixels else [_nothing_valid(input_path, options)]
        w, h = plan.window[2:]
        return SegmentationResult(
            output_path=str(output_path),
            device=loaded.device,
            backend=loaded.backend_name,
            seconds=timings["total"],
            timings=timings,
            tiles_processed=run.tiles_processed,
            tiles_skipped=run.tiles_skipped,
            class_areas=self.areas,
            warnings=list(loaded.warnings) + plan.warnings + _unused(options, extra) + nothing,
            notes=plan.notes + _dropped_notes(layers),
            details=details,
            width=w,
            height=h,
            valid_pixels=valid_pixels,
            pixel_area_m2=plan.pixel_area_m2,
            confidence_path=str(extra["confidence"]) if "confidence" in extra else None,
            polygons_path=str(extra["polygons"]) if "polygons" in extra else None,
            polygon_layers=layers,
            stats_path=str(extra["stats"]) if "stats" in extra else None,
        )


def _unused(options: SegmentationOptions, extra: dict[str, Path]) -> list[str]:
    if options.min_area_m2 and "polygons" not in extra:
        return ["a smallest polygon area was given but no polygon output: it was not used"]
    return []


def _nothing_valid(input_path, options: SegmentationOptions) -> str:
    """Why an output holds only no data: said, so an empty result is never taken for one."""
    where = " inside the area chosen" if options.extent or options.mask else ""
    return (
        f"every pixel of {Path(input_path).name}{where} is no data (its nodata value, alpha "
        "or mask band): nothing was segmented"
    )


def _dropped_notes(layers) -> list[str]:
    return [
        f"{layer.dropped} patch(es) of '{layer.name}' below the smallest polygon area had no "
        "neighbouring class to merge into (islands in no data) and were left out"
        for layer in layers
        if layer.dropped
    ]


def _stamp(model: LoadedModel, options: SegmentationOptions, counts, plan: Plan) -> OutputStamp:
    """What made the output, for its metadata (a rerun recognises work already done)."""
    heads = model.metadata.heads
    pixels = tuple(tuple(int(n) for n in count[: len(head)]) for head, count in zip(heads, counts))
    return OutputStamp(
        model.sha256,
        model.path.name,
        settings_fingerprint(options, plan.mask),
        pixels,
        plan.pixel_area_m2,
    )


def _head_names(model: LoadedModel) -> list[str]:
    names = getattr(model.backend, "output_names", [])
    return [str(n) for n in names][: model.heads] or ["class"]
