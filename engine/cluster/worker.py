"""What runs on the Dask workers: the model cache and the three tasks.

- :func:`segment_raster`: one raster. Skips it when its output is already stamped with the
  same model and settings; segments it whole when its tile grid has at most ``max_tiles``
  tiles; otherwise only answers with its shards (the client then submits them).
- :func:`segment_shard`: one band of tile rows of a raster, into its own GeoTIFF part.
- :func:`join_parts`: the VRT over a raster's parts (or one GeoTIFF or COG from them).

Every task writes under a temporary name and renames when complete, and first removes
what a killed worker left of the same output, so a task that Dask reruns after losing a
worker leaves nothing partial behind. Errors come back as a failed :class:`TaskReport`,
worded for the command line, so one bad input never stops the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from ..errors import InputError, ModelError
from ..jobs.base import CLI, Job, run_job
from ..jobs.segment import segmentation_specs
from ..model_file import LoadedModel, load_model
from ..options import SegmentationOptions
from ..output_stamp import OutputStamp, read_stamp, settings_fingerprint
from ..pipeline import segment
from ..planning import make_plan
from ..raster_io import RasterSource
from . import join
from .shards import OutputLayout, Shard, split_into_shards


class ModelCache(WorkerPlugin):
    """Each worker opens a model once and keeps it for every task that follows."""

    name = "aerial-segmentation-models"

    def __init__(self, device: str = "auto", num_threads: int | None = None):
        self.device = device
        self.num_threads = num_threads

    def setup(self, worker) -> None:
        self.models: dict[tuple[str, str], LoadedModel] = {}
        self.loads = 0  # how many times a model file was opened on this worker
        self.lock = threading.Lock()

    def get(self, path: str, sha256: str) -> LoadedModel:
        with self.lock:
            key = (path, sha256)
            if key not in self.models:
                model = load_model(path, device=self.device, num_threads=self.num_threads)
                self.loads += 1
                if model.sha256 != sha256:
                    raise ModelError(
                        f"{Path(path).name} on worker {get_worker().address} is not the file the "
                        "run was started with: every worker must see the same model file"
                    )
                self.models[key] = model
            return self.models[key]


def _model(spec: TaskSpec) -> LoadedModel:
    return get_worker().plugins[ModelCache.name].get(spec.model_path, spec.model_sha256)


@dataclass(frozen=True)
class TaskSpec:
    """One raster of the run, as every task of it needs to know it."""

    input: str
    output: str  # the GeoTIFF a whole-raster run writes
    model_path: str
    model_sha256: str
    options: SegmentationOptions
    overwrite: bool = False
    join: str = "vrt"  # how a sharded raster's parts are joined: vrt, geotiff or cog
    settings: str = ""  # the raster's settings_fingerprint, from its segment_raster task

    @property
    def layout(self) -> OutputLayout:
        return OutputLayout(Path(self.output))


@dataclass
class TaskReport:
    status: str  # "done" | "skipped" | "sharded" | "failed"
    output: str = ""
    stamp: OutputStamp | None = None
    shards: list[Shard] = field(default_factory=list)
    settings: str = ""  # with the shards: the raster's settings_fingerprint
    message: str = ""  # why it failed, one line, in the command line's words
    traceback: str = ""  # a bug's traceback, for the log
    worker: str = ""
    notes: list[str] = field(default_factory=list)


class _TaskJob(Job):
    """A task body under the job contract, so its errors are worded as the CLI words them."""

    def __init__(self, body: Callable[[], TaskReport]):
        self.body = body
        self.specs = segmentation_specs()

    def run(self, progress, cancel) -> TaskReport:
        return self.body()


def _guarded(body: Callable[[], TaskReport]) -> TaskReport:
    outcome = run_job(_TaskJob(body), CLI)
    report = outcome.result if outcome.ok else TaskReport(
        "failed", message=outcome.message, traceback=outcome.traceback
    )  # fmt: skip
    report.worker = get_worker().address
    return report


def _our_stamp(spec: TaskSpec, path: Path) -> OutputStamp | None:
    """The stamp of ``path`` if this model with these settings made it."""
    stamp = read_stamp(path)
    return stamp if stamp is not None and stamp.matches(spec.model_sha256, spec.settings) else None


def segment_raster(spec: TaskSpec, max_tiles: int) -> TaskReport:
    """A whole raster, or the list of its shards when its grid has more than ``max_tiles``."""

    def body() -> TaskReport:
        model = _model(spec)
        source = RasterSource.open(spec.input)
        try:
            plan = make_plan(source, model, spec.options)
            shards = split_into_shards(plan, max_tiles)
            plan.work.close()
        finally:
            source.close()
        mine = replace(spec, settings=settings_fingerprint(spec.options, plan.mask))
        layout = spec.layout
        stamps = {path: _our_stamp(mine, path) for path in (layout.final, layout.vrt)}
        # A VRT over this run's parts is done only if a VRT is what was asked for; otherwise
        # its parts are kept (their tasks skip them) and joined as asked.
        for path in [layout.final, layout.vrt] if spec.join == "vrt" else [layout.final]:
            if stamps[path] is not None:
                return TaskReport("skipped", output=str(path), stamp=stamps[path])
        foreign = [path for path, stamp in stamps.items() if path.exists() and stamp is None]
        if foreign and not spec.overwrite:
            raise InputError(
                f"{foreign[0]} already exists and was not made by this model with these "
                "settings: choose another output, or allow replacing it with {option}",
                option="overwrite",
            )
        if len(shards) > 1:
            return TaskReport("sharded", shards=shards, settings=mine.settings)
        join.remove_parts(layout.vrt, layout.parts_dir)  # of an earlier, sharded run
        join.remove_partials(layout.final)
        result = segment(spec.input, model, layout.final, spec.options)
        return _written(layout.final, result.notes + result.warnings)

    return _guarded(body)


def segment_shard(spec: TaskSpec, shard: Shard) -> TaskReport:
    """Tile rows ``shard.tile_rows`` of the raster's grid, into the raster's part file."""

    def body() -> TaskReport:
        part = spec.layout.part(shard)
        stamp = _our_stamp(spec, part)
        if stamp is not None:
            return TaskReport("skipped", output=str(part), stamp=stamp)
        part.parent.mkdir(exist_ok=True)
        join.remove_partials(part)
        result = segment(spec.input, _model(spec), part, spec.options, tile_rows=shard.tile_rows)
        return _written(part, result.notes + result.warnings)

    return _guarded(body)


def _written(path: Path, notes: list[str]) -> TaskReport:
    return TaskReport("done", output=str(path), stamp=read_stamp(path), notes=notes)


def join_parts(spec: TaskSpec, shards: Sequence[Shard], parts: Sequence[TaskReport]) -> TaskReport:
    """The raster's output from its parts once they are all written: a VRT over them, or
    (``spec.join``: geotiff, cog) one file that replaces them."""

    def body() -> TaskReport:
        failed = [p for p in parts if p.status == "failed"]
        if failed:
            return TaskReport("failed", message=failed[0].message, traceback=failed[0].traceback)
        layout = spec.layout
        files = [layout.part(s) for s in shards]
        stamps = [read_stamp(f) for f in files]
        if any(s is None or not s.matches(spec.model_sha256, spec.settings) for s in stamps):
            raise RuntimeError(f"a part of {layout.final.name} is missing or not stamped")
        stamp = stamps[0].with_pixels(summed_pixels(stamps))
        notes = list(dict.fromkeys(n for p in parts for n in p.notes))
        join.remove_partials(layout.vrt)
        join.write_vrt(files, layout.vrt, stamp)
        if spec.join == "vrt":
            return TaskReport("done", output=str(layout.vrt), stamp=stamp, notes=notes)
        join.remove_partials(layout.final)
        if spec.join == "cog":
            join.write_cog(layout.vrt, layout.final)
        else:
            join.merge_geotiff(layout.vrt, layout.final, stamp)
        join.remove_parts(layout.vrt, layout.parts_dir)
        return TaskReport("done", output=str(layout.final), stamp=stamp, notes=notes)

    return _guarded(body)


def summed_pixels(stamps: Sequence[OutputStamp]) -> list[list[int]]:
    """Per output band, per class: the pixels of all ``stamps`` together."""
    bands = zip(*(s.class_pixels for s in stamps))  # band b of every stamp
    return [[sum(counts) for counts in zip(*band)] for band in bands]
