"""The client side of a cluster run: submit one task per raster, shard the large ones as
their tasks report them, gather the outcomes and the class areas summed over all outputs.

Progress is what Dask reports: a task counts when its future completes.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from distributed import Client, Future, LocalCluster, as_completed

from ..errors import InputError
from ..jobs.model_catalog import resolve_model
from ..metadata import ClassInfo, fallback_color
from ..model_file import file_sha256, read_model_metadata
from ..options import SegmentationOptions
from ..output_stamp import OutputStamp
from ..results import ClassArea
from . import DEFAULT_SHARD_TILES, JOINS, join
from .shards import OutputLayout
from .worker import ModelCache, TaskReport, TaskSpec, join_parts, segment_raster, segment_shard

TaskProgress = Callable[[int, int, str], None]  # (tasks done, tasks known, last finished)


@dataclass
class ClusterRequest:
    inputs: Sequence[str]
    outputs: Sequence[str]  # one GeoTIFF per input (a sharded one: its .vrt and .parts/)
    model: str  # a bundled or user model name, or a model file every worker can read
    options: SegmentationOptions = field(default_factory=SegmentationOptions)
    overwrite: bool = False  # replace outputs made by another model or other settings
    shard_tiles: int = DEFAULT_SHARD_TILES
    join: str = "vrt"  # how a sharded raster's parts are joined: vrt, geotiff or cog
    user_models_dir: str | None = None


@dataclass
class RasterOutcome:
    input: str
    status: str  # "done" | "skipped" | "failed"
    output: str = ""  # the GeoTIFF, or the VRT over a sharded raster's parts
    parts: int = 1
    stamp: OutputStamp | None = None
    message: str = ""
    traceback: str = ""
    notes: list[str] = field(default_factory=list)
    worker: str = ""  # the worker that finished it (for a sharded raster: joined its parts)


@dataclass
class ClusterResult:
    outcomes: list[RasterOutcome]
    model_name: str
    heads: tuple[tuple[ClassInfo, ...], ...]
    workers: int
    seconds: float

    @property
    def failed(self) -> list[RasterOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def class_areas(self) -> list[ClassArea]:
        """Pixels and m² of each class over every output done or skipped, summed."""
        stamps = [o.stamp for o in self.outcomes if o.stamp is not None]
        bands = max((len(s.class_pixels) for s in stamps), default=0)
        areas = []
        for b in range(bands):
            counts = [s.class_pixels[b] for s in stamps if b < len(s.class_pixels)]
            classes = max(len(c) for c in counts)
            valid = sum(sum(c) for c in counts)
            for index in range(classes):
                pixels = sum(c[index] for c in counts if index < len(c))
                area = sum(
                    c[index] * (s.pixel_area_m2 or math.nan)
                    for s, c in zip(stamps, counts)
                    if index < len(c)
                )
                info = self._class(b, index)
                areas.append(ClassArea(
                    index, info.name, info.color, pixels, area,
                    100.0 * pixels / valid if valid else 0.0, band=b + 1,
                ))  # fmt: skip
        return areas

    def _class(self, band: int, index: int) -> ClassInfo:
        head = self.heads[band] if band < len(self.heads) else ()
        if index < len(head):
            return head[index]
        return ClassInfo(index, f"class {index}", fallback_color(index))

    def summary(self) -> str:
        done = [o for o in self.outcomes if o.status == "done"]
        skipped = [o for o in self.outcomes if o.status == "skipped"]
        lines = [
            f"{len(self.outcomes)} raster(s) with {self.model_name} on {self.workers} worker(s) "
            f"in {self.seconds:.1f} s: {len(done)} segmented, {len(skipped)} already done, "
            f"{len(self.failed)} failed"
        ]
        for area in self.class_areas():
            head = f"[band {area.band}] " if area.band != 1 else ""
            lines.append(
                f"  {head}{area.index:3d} {area.name:<24} {area.percent:6.2f} %  "
                f"{area.area_m2:14.1f} m2"
            )
        return "\n".join(lines)


@contextlib.contextmanager
def open_client(address: str, *, quiet: bool = True) -> Iterator[Client]:
    """``local`` (a worker per core), ``local:N`` (N workers) or a scheduler's address."""
    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]
        try:
            workers = int(count) if count else (os.cpu_count() or 1)
        except ValueError:
            workers = 0
        if workers < 1:
            raise InputError(
                f"'{address}' is no cluster: give local, local:N (N workers, N >= 1) or a "
                "scheduler address with {option}",
                option="cluster",
            )
        with LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR if quiet else logging.WARNING,
        ) as cluster, Client(cluster) as client:  # fmt: skip
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({error}): start one with "
            "`dask scheduler`, or change {option}",
            option="cluster",
        ) from None
    with client:
        yield client


def local_threads(client: Client) -> int | None:
    """onnxruntime threads per worker of a local cluster when none were chosen: this
    machine's cores shared by its workers (None for a remote cluster: onnxruntime's own
    choice, all of a worker machine's cores; run one single-threaded worker per machine)."""
    if not isinstance(getattr(client, "cluster", None), LocalCluster):
        return None
    threads = sum(client.nthreads().values()) or 1
    return max(1, (os.cpu_count() or 1) // threads)


def run_on_cluster(
    request: ClusterRequest, client: Client, progress: TaskProgress | None = None
) -> ClusterResult:
    """Segment every input on the cluster behind ``client``; a failed input is reported in
    its outcome and the others complete."""
    started = time.perf_counter()
    if request.join not in JOINS:
        raise InputError(f"unknown join '{request.join}': one of {', '.join(JOINS)}")
    if request.shard_tiles < 1:
        raise InputError("a shard needs at least one tile: change {option}", option="shard_tiles")
    user_models = Path(request.user_models_dir) if request.user_models_dir else None
    entry = resolve_model(request.model, user_models)
    model_path = str(Path(entry.path).resolve())
    options = request.options
    threads = options.num_threads or local_threads(client)
    client.register_plugin(ModelCache(options.device, threads))
    sha256 = file_sha256(model_path)
    specs = [
        TaskSpec(
            str(i),
            str(Path(o).resolve()),
            model_path,
            sha256,
            options,
            request.overwrite,
            request.join,
        )
        for i, o in zip(request.inputs, request.outputs)
    ]
    for spec in specs:
        Path(spec.output).parent.mkdir(parents=True, exist_ok=True)
    outcomes = [RasterOutcome(spec.input, "failed") for spec in specs]
    _Gatherer(client, request, specs, outcomes, progress).run()
    remove_leftovers(request)
    return ClusterResult(
        outcomes,
        entry.name,
        read_model_metadata(model_path).heads,
        len(client.nthreads()),
        time.perf_counter() - started,
    )


class _Gatherer:
    """The as-completed loop: each finished future is an outcome, or the shards to submit."""

    def __init__(self, client, request, specs, outcomes, progress):
        self.client, self.request, self.specs = client, request, specs
        self.outcomes: list[RasterOutcome] = outcomes
        self.progress = progress or (lambda done, total, message: None)
        self.token = uuid.uuid4().hex[:8]
        self.kinds: dict[str, tuple[str, int]] = {}
        self.pending = as_completed()

    def _submit(self, kind: str, index: int, function, *args, name: str = "") -> Future:
        stem = Path(self.specs[index].input).stem
        key = f"{kind}-{stem}{name}-{index}-{self.token}"
        future = self.client.submit(function, *args, key=key, pure=False)
        self.kinds[future.key] = (kind, index)
        self.pending.add(future)
        return future

    def run(self) -> None:
        for i, spec in enumerate(self.specs):
            self._submit("segment", i, segment_raster, spec, self.request.shard_tiles)
        done, total = 0, len(self.specs)
        self.progress(done, total, "")
        for future in self.pending:
            kind, i = self.kinds[future.key]
            report = _report_of(future)
            if kind == "segment" and report.status == "sharded":
                total += self._submit_shards(i, report)
            elif kind in ("segment", "join"):
                self.outcomes[i] = _outcome(self.specs[i], report, self.outcomes[i].parts)
            done += 1
            self.progress(done, total, Path(self.specs[i].input).name)
            future.release()

    def _submit_shards(self, i: int, report: TaskReport) -> int:
        spec = replace(self.specs[i], settings=report.settings)
        parts = [
            self._submit(
                "shard", i, segment_shard, spec, shard, name=f"-rows{shard.source_rows[0]}"
            )
            for shard in report.shards
        ]
        self._submit("join", i, join_parts, spec, report.shards, parts)
        self.outcomes[i].parts = len(parts)
        return len(parts) + 1


def _report_of(future: Future) -> TaskReport:
    """The task's report; a task Dask gave up on (its workers kept dying) as a failure."""
    try:
        return future.result()
    except Exception as error:  # KilledWorker, a lost scheduler, a failed dependency
        return TaskReport("failed", message=f"{type(error).__name__}: {error}")


def _outcome(spec: TaskSpec, report: TaskReport, parts: int) -> RasterOutcome:
    return RasterOutcome(
        spec.input,
        report.status,
        report.output,
        parts,
        report.stamp,
        report.message,
        report.traceback,
        report.notes,
        report.worker,
    )


def remove_leftovers(request: ClusterRequest) -> int:
    """Remove temporary files of this run's outputs that killed workers left behind."""
    removed = 0
    for output in request.outputs:
        layout = OutputLayout(Path(output))
        removed += join.remove_partials(layout.final, layout.vrt)
        if layout.parts_dir.is_dir():
            for leftover in layout.parts_dir.glob(".*.partial-*"):
                leftover.unlink(missing_ok=True)
                removed += 1
    return removed
