"""Synthetic orthophotos in the ISPRS Potsdam file format, made to transfer to real imagery.

No labelled aerial imagery can be downloaded where this project is built and tested, yet the
trainer, the bundled model and the benchmarks need scenes that behave like Potsdam (its file
names, label colours and classes, a projected CRS) and, above all, look like real aerial and
UAV orthophotos: town centres, suburbs, farmland and forest edges in every season, at 3-30 cm,
under any sun, through many cameras. Pure numpy + GDAL, vectorised, deterministic by
``(seed, row, col)``.

Modules by job: ``primitives`` (noise, blur, shapes), ``materials`` and ``crops`` (surface
colours and textures), ``painters`` (one function per object kind), ``layout`` (the scene
plan by kind), ``light`` (sun, sky, shadows), ``sensor`` (atmosphere and camera),
``generate`` (one scene), ``isprs_io`` (Potsdam file names, GeoTIFFs, tile ids, runs).
"""

from .canvas import (
    BUILDING,
    CAR,
    CLUTTER,
    IMPERVIOUS,
    LOW_VEGETATION,
    SCENE_KINDS,
    SEASONS,
    TREE,
    Scene,
)
from .generate import SceneOptions, ScenePlan, generate_scene
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

__all__ = [
    "BENCHMARK_TEST",
    "BENCHMARK_TRAIN",
    "BUILDING",
    "CAR",
    "CLUTTER",
    "EPSG",
    "IMPERVIOUS",
    "LOW_VEGETATION",
    "SCENE_KINDS",
    "SEASONS",
    "TREE",
    "Scene",
    "SceneOptions",
    "ScenePlan",
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
