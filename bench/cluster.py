"""Throughput of ``--cluster`` on this machine: a LocalCluster of 1 and of 2 worker
processes (one onnxruntime thread each), beside one process segmenting the same rasters
one after another with one thread.

The rasters: several small orthophotos (one task each) and one large one that is sharded
into bands of tile rows. Runs alternate (single, 1 worker, 2 workers, then again) so that
load from other work on the machine falls on all alike; the load averages are printed.
Cluster start-up is timed apart from the runs (a real cluster is started once).

    .venv/bin/python bench/cluster.py --small 4 --size 1024 --large 2048 --repeats 2
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import cse_unet_gflops, cse_unet_onnx, orthophoto

from engine.cluster.client import ClusterRequest, run_on_cluster
from engine.model_file import load_model
from engine.options import SegmentationOptions
from engine.pipeline import segment


def inputs(folder: Path, small: int, size: int, large: int) -> list[Path]:
    """Links to generated orthophotos, one name per input (outputs are named after them)."""
    links = []
    for i, source in enumerate([orthophoto(size)] * small + ([orthophoto(large)] if large else [])):
        link = folder / f"{'large' if i == small else 'small'}{i}.tif"
        link.symlink_to(source)
        links.append(link)
    return links


def single_process(rasters, model, options, out: Path) -> float:
    loaded = load_model(model, device="cpu", num_threads=1)
    started = time.perf_counter()
    for raster in rasters:
        segment(raster, loaded, out / f"{raster.stem}_classes.tif", options)
    return time.perf_counter() - started


def on_cluster(client, rasters, model, options, out: Path, shard_tiles: int) -> tuple[float, int]:
    request = ClusterRequest(
        [str(r) for r in rasters], [str(out / f"{r.stem}_classes.tif") for r in rasters],
        str(model), options, shard_tiles=shard_tiles,
    )  # fmt: skip
    started = time.perf_counter()
    result = run_on_cluster(request, client)
    seconds = time.perf_counter() - started
    if result.failed:
        raise SystemExit(f"failed: {result.failed[0].input}: {result.failed[0].message}")
    return seconds, sum(o.parts for o in result.outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=4, help="small rasters (one task each)")
    parser.add_argument("--size", type=int, default=1024, help="side of a small raster, px")
    parser.add_argument("--large", type=int, default=2048, help="side of the sharded raster")
    parser.add_argument("--shard-tiles", type=int, default=10, help="tiles per shard")
    parser.add_argument("--base-width", type=int, default=8, help="CSE-UNet width")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # the scheduler runs in here
    model = cse_unet_onnx(base_width=args.base_width)
    options = SegmentationOptions(device="cpu", batch_size=4, num_threads=1)
    work = Path(tempfile.mkdtemp(prefix="cluster_bench_"))
    rasters = inputs(work, args.small, args.size, args.large)
    megapixels = (args.small * args.size**2 + args.large**2) / 1e6
    loaded = load_model(model, device="cpu")
    tile = loaded.metadata.tile_size
    print(f"{len(rasters)} rasters, {megapixels:.1f} MP; CSE-UNet width {args.base_width}, "
          f"{cse_unet_gflops(args.base_width):.1f} GFLOP per {tile} px tile; "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"load average before: {os.getloadavg()}")
    timings: dict[str, list[float]] = {"single process": [], "1 worker": [], "2 workers": []}
    clusters = {}
    for workers in (1, 2):
        started = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)  # fmt: skip
        clusters[workers] = (cluster, Client(cluster))
        print(f"LocalCluster of {workers} worker(s) started in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    try:
        for repeat in range(args.repeats):
            out = work / f"out{repeat}"
            for name in timings:
                folder = out / name.replace(" ", "_")
                folder.mkdir(parents=True)
                if name == "single process":
                    seconds, tasks = single_process(rasters, model, options, folder), 0
                else:
                    client = clusters[1 if name == "1 worker" else 2][1]
                    seconds, tasks = on_cluster(client, rasters, model, options, folder,
                                                args.shard_tiles)  # fmt: skip
                timings[name].append(seconds)
                tasks = f", {tasks} segment tasks" if tasks else ""
                print(f"  run {repeat + 1}, {name:<14}: {seconds:6.1f} s "
                      f"({megapixels / seconds:.2f} MP/s{tasks}), "
                      f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
            shutil.rmtree(out)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    print(f"load average after: {os.getloadavg()}")
    base = statistics.median(timings["single process"])
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{name:<14}: median {median:6.1f} s, {megapixels / median:.2f} MP/s, "
              f"{base / median:.2f}x the single process")  # fmt: skip
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
