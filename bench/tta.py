"""What test-time augmentation costs: engine.segment with and without D4 TTA, in pairs.

Both run in this process with one loaded model over the same raster (at the model's GSD),
alternating ABBA so that load from other processes hurts both alike. TTA runs the model 8
times per batch (4 rotations, each mirrored or not) and averages the class probabilities;
reading, stitching and writing are shared, turning and averaging the views is added, so
the cost is about 8x. Also prints how many pixels of the sample scene change class.

    .venv/bin/python bench/tta.py [--model M.onnx] [--size 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ROOT, orthophoto

from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment

BUNDLED = ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"
SAMPLE = ROOT / "resources" / "samples" / "top_potsdam_2_13_sample_RGB.tif"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED)
    parser.add_argument("--size", type=int, default=1000, help="raster side in pixels")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=2, help="runs of each")
    args = parser.parse_args()
    gdal.UseExceptions()
    model = load_model(args.model, device="cpu", num_threads=args.threads)
    gsd_m = (model.metadata.resolution_cm or 5.0) / 100
    raster = orthophoto(args.size, pixel_m=gsd_m)
    print(f"load average before: {os.getloadavg()}")
    print(f"{args.model.name} on a {args.size}x{args.size} raster at {100 * gsd_m:g} cm, "
          f"{args.threads} threads")  # fmt: skip
    seconds: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        segment(raster, model, Path(tmp) / "warm.tif")
        for r in range(args.repeats):
            for tta in (False, True) if r % 2 == 0 else (True, False):  # ABBA
                result = segment(raster, model, Path(tmp) / f"{tta}{r}.tif",
                                 SegmentationOptions(tta=tta))  # fmt: skip
                seconds[tta].append(result.seconds)
            plain, tta_s = seconds[False][-1], seconds[True][-1]
            print(f"  pair {r + 1}: plain {plain:.1f} s, TTA {tta_s:.1f} s "
                  f"({result.tiles_processed} tiles): {tta_s / plain:.2f}x")  # fmt: skip
        if SAMPLE.exists():  # what TTA changes on a real(istic) scene
            maps = []
            for tta in (False, True):
                out = Path(tmp) / f"sample_{tta}.tif"
                segment(SAMPLE, model, out, SegmentationOptions(tta=tta))
                maps.append(gdal.Open(str(out)).ReadAsArray())
            changed = float(np.mean(maps[0] != maps[1]))
            print(f"TTA changes the class of {100 * changed:.2f} % of {SAMPLE.name}'s pixels")
    ratios = sorted(t / p for p, t in zip(seconds[False], seconds[True]))
    print(f"TTA / plain time, pair by pair: {', '.join(f'{x:.2f}' for x in ratios)}; "
          f"median {statistics.median(ratios):.2f}x")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
