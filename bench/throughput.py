"""End-to-end megapixels/s of engine.segment vs onnxruntime's session.run alone.

Both run in this process, with the same session (same threads) over the same tiles in the
same batches, interleaved (ABBA); each engine run is compared with the session run next to
it, so load from other processes on the machine hurts both alike, and the median of those
ratios is printed beside the ratio of the best runs. Also prints the achieved GFLOP/s against the
CPU's fp32 peak.

    .venv/bin/python bench/throughput.py --size 2500 --base-width 12 --threads 2 --repeats 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import cse_unet_gflops, cse_unet_onnx, orthophoto

from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment
from engine.tiling import make_grid

CPU_PEAK_GFLOPS = 166.0  # 2 Zen 4 cores, fp32 (see the README)


def batch_sizes(grid, batch_size: int) -> list[int]:
    """The batch sizes the engine runs: each row of tiles in batches of ``batch_size``."""
    sizes = []
    for _ in grid.rows:
        left = len(grid.cols)
        while left:
            sizes.append(min(batch_size, left))
            left -= sizes[-1]
    return sizes


def real_batches(raster: Path, sizes: set[int], tile: int) -> dict[int, np.ndarray]:
    """Batches cut from the raster itself and normalised as the engine does (x / 255)."""
    from osgeo import gdal

    ds = gdal.Open(str(raster))
    batches = {}
    for n in sizes:
        tiles = [ds.ReadAsArray(i * tile, 0, tile, tile) for i in range(n)]
        batches[n] = np.stack(tiles).astype(np.float32) / 255
    return batches


def session_alone(model, sizes: list[int], batches: dict[int, np.ndarray]) -> float:
    """Seconds for session.run alone over the same sequence of batches."""
    session = model.backend.session
    name = model.backend.input_name
    start = time.perf_counter()
    for n in sizes:
        session.run(None, {name: batches[n]})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2500)
    parser.add_argument("--base-width", type=int, default=12)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()

    raster = orthophoto(args.size)
    model_path = cse_unet_onnx(args.base_width)
    gflops_tile = cse_unet_gflops(args.base_width)
    model = load_model(model_path, device="cpu", num_threads=args.threads)
    tile = model.metadata.tile_size
    overlap = round(tile * model.metadata.tile_overlap_pct / 100)
    grid = make_grid((0, 0, args.size, args.size), (args.size, args.size), tile, tile, overlap)
    megapixels = args.size * args.size / 1e6
    print(f"load average before: {os.getloadavg()}")
    print(
        f"raster {args.size}x{args.size} ({megapixels:.1f} MP), CSE-UNet base width "
        f"{args.base_width} ({gflops_tile:.1f} GFLOP per {tile}px tile), {grid.count} tiles, "
        f"batch {args.batch_size}, {args.threads} threads"
    )
    sizes = batch_sizes(grid, args.batch_size)
    batches = real_batches(raster, set(sizes), tile)
    for batch in batches.values():  # warm-up: onnxruntime plans memory per input shape
        model.run(batch)
    engine_times, session_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        options = SegmentationOptions(batch_size=args.batch_size)
        for r in range(args.repeats):
            # ABBA order across repeats, so a drift in machine load favours neither side
            if r % 2 == 0:
                session_times.append(session_alone(model, sizes, batches))
            result = segment(raster, model, Path(tmp) / f"out{r}.tif", options)
            if r % 2 == 1:
                session_times.append(session_alone(model, sizes, batches))
            assert result.tiles_processed == grid.count
            engine_times.append(result.seconds)
            t = result.timings
            print(
                f"  run {r + 1}: session.run alone {session_times[-1]:.1f} s, engine "
                f"{result.seconds:.1f} s (infer {t['infer']:.1f}, stitch {t['stitch']:.2f}, "
                f"read {t['read']:.2f} and write {t['write']:.2f} in other threads, model "
                f"waited {t['wait_for_input']:.2f} s for input; engine / its own inference "
                f"time = {t['infer'] / result.seconds:.3f})"
            )
    pairs = sorted(s_ / e for s_, e in zip(session_times, engine_times))
    median_pair = statistics.median(pairs)
    best_engine, best_session = min(engine_times), min(session_times)
    gflops = grid.count * gflops_tile
    print(f"session.run alone : {megapixels / best_session:6.3f} MP/s "
          f"({gflops / best_session:5.1f} GFLOP/s)")  # fmt: skip
    print(f"engine end-to-end : {megapixels / best_engine:6.3f} MP/s "
          f"({gflops / best_engine:5.1f} GFLOP/s)")  # fmt: skip
    print(f"engine / session.run, best of each = {best_session / best_engine:.3f}")
    print(
        f"engine / session.run, run by run = {', '.join(f'{p:.3f}' for p in pairs)}; "
        f"median {median_pair:.3f}"
    )
    print(f"achieved {gflops / best_engine:.1f} GFLOP/s = "
          f"{100 * gflops / best_engine / CPU_PEAK_GFLOPS:.0f} % of the {CPU_PEAK_GFLOPS:.0f} "
          "GFLOP/s fp32 peak")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
