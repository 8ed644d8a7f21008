"""Synthetic orthophotos in the ISPRS Potsdam file format.

No labelled aerial imagery can be downloaded where this project is built and tested, yet the
trainer, the bundled demo model and the benchmarks need scenes that behave like Potsdam:
the same file names, label colours, 5 cm GSD and a projected CRS, and content on which a
per-pixel colour rule is not enough. So the scenes deliberately pair look-alike colours
(grey roofs beside grey asphalt, green roofs beside lawns, red roofs beside red cars and
clutter, shadows over everything) and leave the decisive cues to shape, texture, edges and
context: tiled roof courses and ridges, paver grids, lane markings, crown clumps, cast
shadows. Pure numpy + GDAL, vectorised, deterministic by ``(seed, row, col)``.

Modules by job: ``primitives`` (noise, blur, geometry patches), ``materials`` (surface
colours and textures), ``painters`` (one function per object kind), ``layout`` (the scene
plan), ``sensor`` (light and camera), ``isprs_io`` (Potsdam file names, GeoTIFFs, tile ids).
"""

from .canvas import BUILDING, CAR, CLUTTER, GSD_M, IMPERVIOUS, LOW_VEGETATION, TREE, Scene
from .isprs_io import (
    BENCHMARK_TEST,
    BENCHMARK_TRAIN,
    EPSG,
    WrittenScene,
    erode_boundaries,
    label_colours,
    scene_origin,
    scene_rng,
    synthesize,
    tile_ids,
    write_resampled_folder,
    write_scene,
)
from .layout import generate_scene

__all__ = [
    "BENCHMARK_TEST",
    "BENCHMARK_TRAIN",
    "BUILDING",
    "CAR",
    "CLUTTER",
    "EPSG",
    "GSD_M",
    "IMPERVIOUS",
    "LOW_VEGETATION",
    "TREE",
    "Scene",
    "WrittenScene",
    "erode_boundaries",
    "generate_scene",
    "label_colours",
    "scene_origin",
    "scene_rng",
    "synthesize",
    "tile_ids",
    "write_resampled_folder",
    "write_scene",
]
