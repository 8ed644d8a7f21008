"""Seconds to turn a fragmented class map into a styled GeoPackage of class polygons.

The map is 6000 x 6000 px (36 MP, 5 cm) of ~19 px patches of 6 classes with wavy borders:
about 70 000 polygons, the size of the case where Deepness' Python loop takes 162 s. The
engine's own step runs (``engine.polygons.polygonize_classes``: GDAL's polygonize in C,
class names and areas by one SQL statement each, the model colours' style), then again with
a smallest polygon (GDAL's sieve, in C, before polygonising).

    .venv/bin/python bench/polygons.py [--size 6000] [--min-area 1.0] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import fragmented_class_map

from engine.metadata import POTSDAM_CLASSES
from engine.polygons import polygonize_classes
from engine.staging import Staging

PIXEL_AREA_M2 = 0.05 * 0.05


def polygonize_once(class_map: Path, folder: Path, min_area: float | None) -> tuple[float, int]:
    staging = Staging()
    out = staging.add(folder / "polygons.gpkg")
    start = time.perf_counter()
    try:
        layers = polygonize_classes(
            class_map, out, [POTSDAM_CLASSES], PIXEL_AREA_M2, staging, min_area_m2=min_area
        )
        seconds = time.perf_counter() - start
    finally:
        staging.abort()
    return seconds, layers[0].polygons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=6000)
    parser.add_argument("--min-area", type=float, default=1.0, help="m² (400 px at 5 cm)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    class_map = fragmented_class_map(args.size)
    megapixels = args.size * args.size / 1e6
    print(f"load average before: {os.getloadavg()}")
    print(f"class map {args.size}x{args.size} ({megapixels:.0f} MP, 6 classes, 5 cm): {class_map}")
    with tempfile.TemporaryDirectory() as tmp:
        for min_area in (None, args.min_area):
            label = f"smallest polygon {min_area:g} m²" if min_area else "every patch"
            for r in range(args.repeats):
                seconds, count = polygonize_once(class_map, Path(tmp), min_area)
                print(f"  {label}, run {r + 1}: {count:,} polygons in {seconds:.1f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
