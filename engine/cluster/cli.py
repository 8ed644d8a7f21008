"""``python -m engine segment ... --cluster local[:N] | ADDRESS``: the flags and the run.

Importing this module needs no Dask; ``--cluster`` without it says how to install it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..errors import EngineError
from ..jobs.base import CLI, word_error
from ..jobs.segment import segmentation_specs
from ..options import OptionSpec, SegmentationOptions
from . import DEFAULT_SHARD_TILES, JOINS

INSTALL = "pip install 'dask[distributed]==2026.8.0'"

CLUSTER_SPECS = {
    "cluster": OptionSpec(
        "path", "Cluster",
        "run on a Dask cluster: local (a worker per core), local:N (N worker processes) or "
        "a scheduler address such as tcp://10.0.0.5:8786; outputs, inputs and the model must "
        "be on storage every worker reads",
        cli="--cluster",
    ),
    "shard_tiles": OptionSpec(
        "int", "Tiles per shard",
        "with --cluster, a raster of more tiles than this is segmented in bands of whole tile "
        "rows of at most this many tiles, one task each, written as parts joined by a VRT",
        cli="--shard-tiles", minimum=1,
    ),
    "join": OptionSpec(
        "choice", "Join parts",
        "with --cluster, how a sharded raster's parts are joined: vrt (a VRT over the parts), "
        "geotiff (one GeoTIFF, the same file a single run writes) or cog (a Cloud Optimized "
        "GeoTIFF); geotiff and cog replace the parts",
        cli="--join", choices=JOINS,
    ),
}  # fmt: skip


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster (needs dask[distributed])")
    spec = CLUSTER_SPECS
    group.add_argument("--cluster", metavar="local[:N]|ADDRESS", help=spec["cluster"].help)
    group.add_argument(
        "--shard-tiles", dest="shard_tiles", type=int, default=DEFAULT_SHARD_TILES,
        metavar="TILES", help=spec["shard_tiles"].help + f" (default: {DEFAULT_SHARD_TILES})",
    )  # fmt: skip
    group.add_argument("--join", choices=JOINS, default="vrt", help=spec["join"].help)


def run_cluster(
    args: argparse.Namespace,
    inputs: Sequence[str],
    outputs: Sequence[str],
    options: SegmentationOptions,
) -> int:
    """Exit code: 0 when every input is done (or was already), 2 when some failed, 1 when a
    failure was a bug (its traceback is printed)."""
    try:
        from .client import ClusterRequest, open_client, remove_leftovers, run_on_cluster
    except ImportError as error:
        print(
            f"error: --cluster needs Dask's distributed scheduler ({error}): {INSTALL}",
            file=sys.stderr,
        )
        return 2
    request = ClusterRequest(
        inputs, [str(o) for o in outputs], args.model, options, args.overwrite,
        args.shard_tiles, args.join,
    )  # fmt: skip
    # A local cluster's scheduler runs in this process: its log lines are not for users.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    bar = None if args.quiet else _task_bar()
    try:
        with open_client(args.cluster) as client:
            if not args.quiet and "dashboard" in client.scheduler_info().get("services", {}):
                print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
            result = run_on_cluster(request, client, bar.update_to if bar is not None else None)
    except EngineError as error:
        specs = {**segmentation_specs(), **CLUSTER_SPECS}
        print(f"error: {word_error(error, specs, CLI)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        remove_leftovers(request)
        raise
    finally:
        if bar is not None:
            bar.close()
    for outcome in result.outcomes:
        if outcome.status == "failed":
            if outcome.traceback:
                print(outcome.traceback, file=sys.stderr, end="")
            print(f"error: {outcome.input}: {outcome.message}", file=sys.stderr)
        elif not args.quiet:
            parts = f" ({outcome.parts} parts)" if outcome.parts > 1 else ""
            verb = "already done" if outcome.status == "skipped" else "segmented"
            print(f"{outcome.input}: {verb}{parts} → {outcome.output}")
            for note in outcome.notes:
                print(f"  note: {note}")
    if not args.quiet:
        print(result.summary())
    if any(o.traceback for o in result.failed):
        return 1
    return 2 if result.failed else 0


def _task_bar():
    """A tqdm bar over the run's Dask tasks (its total grows as large rasters are sharded)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    class Bar(tqdm):
        def update_to(self, done: int, total: int, message: str) -> None:
            self.total = total
            if message:
                self.set_postfix_str(message, refresh=False)
            self.update(done - self.n)

    return Bar(total=0, desc="tasks", unit="task")
