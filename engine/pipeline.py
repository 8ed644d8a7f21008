"""segment(): plan the run, open the writer, run the threads, report areas and timings.

The steps live in their own modules: :mod:`.planning` (bands, window, grid), :mod:`.threaded_run`
(reader thread -> model -> writer thread) and :mod:`.class_areas` (area accounting).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .cancel import CancelToken
from .class_areas import class_areas
from .errors import Cancelled, InputError
from .model_file import LoadedModel, load_model
from .options import SegmentationOptions
from .output_stamp import OutputStamp, settings_fingerprint
from .planning import Plan, make_plan
from .raster_io import ClassMapWriter, RasterSource
from .results import SegmentationResult
from .stitching import NODATA
from .threaded_run import ThreadedRun

__all__ = ["Progress", "SegmentationOptions", "segment"]

Progress = Callable[[float, str], None]


def segment(
    input_path: str | os.PathLike,
    model: str | os.PathLike | LoadedModel,
    output_path: str | os.PathLike,
    options: SegmentationOptions | None = None,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    tile_rows: tuple[int, int] | None = None,
) -> SegmentationResult:
    """Segment one raster into a class-index GeoTIFF; see the module docstring for the flow.

    ``tile_rows``: only tile rows ``[first, stop)`` of the raster's tile grid, written as the
    rows of the window they own (one shard of a raster segmented in parts; the parts, stacked,
    are the whole run's output pixel for pixel).
    """
    started = time.perf_counter()
    options = options or SegmentationOptions()
    if options.batch_size < 1:
        raise InputError(
            f"batch size must be at least 1, got {options.batch_size}: change {{option}}",
            option="batch_size",
        )
    timings: dict[str, float] = {}
    if isinstance(model, LoadedModel):
        loaded = model
    else:
        loaded = load_model(model, device=options.device, num_threads=options.num_threads)
    timings["load_model"] = time.perf_counter() - started
    if Path(output_path).resolve() == Path(input_path).resolve():
        raise InputError(
            "the output is the input raster: choose another file with {option}", option="output"
        )
    source = RasterSource.open(input_path)
    plan: Plan | None = None
    try:
        plan = make_plan(source, loaded, options)
        if tile_rows is not None:
            plan = plan.tile_rows(*tile_rows)
        w, h = plan.window[2:]
        heads = loaded.metadata.heads
        writer = ClassMapWriter(
            output_path,
            w,
            h,
            plan.output_geotransform(),
            source.projection,
            [[(c.name, c.color) for c in head] for head in heads],
            descriptions=_head_names(loaded),
        )
        try:
            run = ThreadedRun(plan, loaded, writer, options, progress, cancel, timings)
            run.execute()
            if cancel is not None and cancel.cancelled:  # asked during the last rows: honoured
                raise Cancelled()
            writer.finish(tags=_stamp(loaded, options, run.counts, plan).tags())
        except BaseException:
            writer.abort()
            raise
    finally:
        if plan is not None:
            plan.work.close()
        source.close()
    details = source.warnings + [w for w in run.gdal_warnings if w not in source.warnings]
    timings["total"] = time.perf_counter() - started
    valid_pixels = int(run.counts[0][:NODATA].sum())
    nothing = [] if valid_pixels else [_nothing_valid(input_path, options)]
    return SegmentationResult(
        output_path=str(output_path),
        device=loaded.device,
        backend=loaded.backend_name,
        seconds=timings["total"],
        timings=timings,
        tiles_processed=run.tiles_processed,
        tiles_skipped=run.tiles_skipped,
        class_areas=class_areas(heads, run.counts, plan.pixel_area_m2),
        warnings=list(loaded.warnings) + plan.warnings + nothing,
        notes=plan.notes,
        details=details,
        width=w,
        height=h,
        valid_pixels=valid_pixels,
        pixel_area_m2=plan.pixel_area_m2,
    )


def _nothing_valid(input_path, options: SegmentationOptions) -> str:
    """Why an output holds only no data: said, so an empty result is never taken for one."""
    where = " inside the area chosen" if options.extent or options.mask else ""
    return (
        f"every pixel of {Path(input_path).name}{where} is no data (its nodata value, alpha "
        "or mask band): nothing was segmented"
    )


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
