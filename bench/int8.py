"""INT8 copy vs the fp32 model: megapixels/s of engine.segment, end to end, in pairs.

Both models run in this process with the same thread count over the same raster (at the
model's own GSD, so no resampling), alternating ABBA: load from other processes on the
machine hurts both alike, and the median of the per-pair speed-ups is printed beside the
ratio of the best runs. The INT8 copy is made by ``trainer quantize`` (calibrated on tiles
of the benchmark raster: speed does not depend on calibration) unless ``--int8`` names one.
Agreement is measured by ``make int8`` on the sample scene, not here.

    .venv/bin/python bench/int8.py [--model M.onnx] [--int8 M_int8.onnx] [--size 1500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import CACHE, ROOT, orthophoto

from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment

BUNDLED = ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"


def int8_copy(model: Path, raster: Path) -> Path:
    from trainer.quantize import quantize_model

    path = CACHE / f"{model.stem}_{model.stat().st_size}_int8.onnx"
    if not path.exists():
        quantize_model(model, [raster], path, tiles=16, log=lambda line: None)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED)
    parser.add_argument("--int8", type=Path, help="its INT8 copy (default: made here)")
    parser.add_argument("--size", type=int, default=1500, help="raster side in pixels")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=6, help="runs of each model")
    args = parser.parse_args()

    fp32 = load_model(args.model, device="cpu", num_threads=args.threads)
    gsd_m = (fp32.metadata.resolution_cm or 5.0) / 100
    raster = orthophoto(args.size, pixel_m=gsd_m)
    int8_path = args.int8 or int8_copy(args.model, raster)
    int8 = load_model(int8_path, device="cpu", num_threads=args.threads)
    megapixels = args.size * args.size / 1e6
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{args.model.name} ({args.model.stat().st_size / 1e6:.1f} MB) vs {int8_path.name} "
        f"({int8_path.stat().st_size / 1e6:.1f} MB) on a {args.size}x{args.size} raster "
        f"({megapixels:.2f} MP at {100 * gsd_m:g} cm), batch {args.batch_size}, "
        f"{args.threads} threads"
    )
    options = SegmentationOptions(batch_size=args.batch_size)
    seconds: dict[str, list[float]] = {"fp32": [], "int8": []}
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in (("fp32", fp32), ("int8", int8)):  # warm-up
            segment(raster, model, Path(tmp) / f"warm_{name}.tif", options)
        for r in range(args.repeats):
            order = (("fp32", fp32), ("int8", int8))
            for name, model in order if r % 2 == 0 else order[::-1]:  # ABBA
                result = segment(raster, model, Path(tmp) / f"{name}{r}.tif", options)
                seconds[name].append(result.seconds)
            print(
                f"  pair {r + 1}: fp32 {seconds['fp32'][-1]:.1f} s, int8 "
                f"{seconds['int8'][-1]:.1f} s ({result.tiles_processed} tiles): "
                f"{seconds['fp32'][-1] / seconds['int8'][-1]:.2f}x"
            )
    pairs = sorted(f / i for f, i in zip(seconds["fp32"], seconds["int8"]))
    for name in ("fp32", "int8"):
        best = min(seconds[name])
        print(f"{name}: best {megapixels / best:.3f} MP/s ({best:.1f} s)")
    print(f"int8 / fp32 speed, best of each: {min(seconds['fp32']) / min(seconds['int8']):.2f}x")
    print(
        f"int8 / fp32 speed, pair by pair: {', '.join(f'{p:.2f}' for p in pairs)}; "
        f"median {statistics.median(pairs):.2f}x"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
