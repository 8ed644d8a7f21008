"""Peak resident memory of engine.segment on generated 5 000² and 20 000² rasters.

Each size runs in a fresh process (so one peak cannot hide another), with a cheap model:
memory, not compute, is measured here. ``--tta`` averages 8 views of every batch and
``--confidence`` writes the confidence raster too: what they add must not grow with the
raster either.

    .venv/bin/python bench/memory.py --sizes 5000 20000 [--tta] [--confidence]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ROOT, orthophoto, tiny_onnx

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from engine.pipeline import ExtraOutputs, SegmentationOptions, segment
start = time.perf_counter()
result = segment({raster!r}, {model!r}, {output!r},
                 SegmentationOptions(batch_size={batch}, tta={tta}),
                 outputs=ExtraOutputs(confidence={confidence!r}))
print(json.dumps(dict(
    peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    seconds=time.perf_counter() - start,
    tiles=result.tiles_processed,
)))
"""


def run(size: int, batch: int, tta: bool = False, confidence: bool = False) -> dict:
    raster = orthophoto(size)
    model = tiny_onnx()
    with tempfile.TemporaryDirectory() as tmp:
        code = CHILD.format(
            root=str(ROOT), raster=str(raster), model=str(model),
            output=str(Path(tmp) / "out.tif"), batch=batch, tta=tta,
            confidence=str(Path(tmp) / "confidence.tif") if confidence else None,
        )  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--tta", action="store_true", help="with test-time augmentation")
    parser.add_argument("--confidence", action="store_true", help="with a confidence raster")
    args = parser.parse_args()
    baseline = subprocess.run(
        [sys.executable, "-c",
         f"import resource, sys; sys.path.insert(0, {str(ROOT)!r}); "
         "import engine.pipeline, onnxruntime; "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"interpreter + numpy + GDAL + onnxruntime imported: {float(baseline.stdout):.0f} MB")
    extras = [name for name in ("tta", "confidence") if getattr(args, name)]
    print(f"with: {', '.join(extras) or 'classes only'}")
    peaks = {}
    for size in args.sizes:
        t = time.perf_counter()
        orthophoto(size)
        made = time.perf_counter() - t
        figures = run(size, args.batch_size, args.tta, args.confidence)
        peaks[size] = figures["peak_rss_mb"]
        print(
            f"{size}x{size} ({size * size / 1e6:.0f} MP): "
            f"peak RSS {figures['peak_rss_mb']:.0f} MB, "
            f"{figures['tiles']} tiles in {figures['seconds']:.1f} s "
            f"(raster generated in {made:.0f} s, or cached)"
        )
    if len(peaks) > 1:
        small, large = min(peaks), max(peaks)
        print(f"peak {large}² / peak {small}² = {peaks[large] / peaks[small]:.2f}")


if __name__ == "__main__":
    main()
