"""ISPRS Potsdam files: tile ids of the benchmark split, GeoTIFF writing, resampled copies,
and the loop that writes a run of scenes (in parallel processes, same files either way)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.metadata import POTSDAM_CLASSES

from .canvas import Scene
from .generate import SceneOptions, generate_scene

EPSG = 25833
# Scenes sit side by side on a grid this many metres per pixel of scene size, so that no two
# overlap at any GSD the generator allows.
GRID_M_PER_PX = 1.0

# The common Potsdam benchmark split (SCIENCE.md); synthetic scenes take these tile ids so
# that ``prepare potsdam --split benchmark`` splits them like the real tiles.
BENCHMARK_TRAIN = tuple(f"{r}_{c}" for r in (2, 3, 4, 5) for c in (10, 11, 12)) + tuple(
    f"{r}_{c}" for r in (6, 7) for c in range(7, 13)
)
BENCHMARK_TEST = (
    "2_13", "2_14", "3_13", "3_14", "4_13", "4_14", "4_15",
    "5_13", "5_14", "5_15", "6_13", "6_14", "6_15", "7_13",
)  # fmt: skip

EXTRA_COLUMNS = 20  # training scenes beyond the benchmark's ids: rows 8, 9, … of 20 columns

IMAGE_DIR = "2_Ortho_RGB"
LABEL_DIR = "5_Labels_for_participants"
NO_BOUNDARY_DIR = "5_Labels_for_participants_no_Boundary"


# --- Potsdam files ----------------------------------------------------------------------------


def label_colours() -> np.ndarray:
    """Class index -> RGB lookup table (row 255: black, the 'undefined/boundary' colour)."""
    lut = np.zeros((256, 3), np.uint8)
    for c in POTSDAM_CLASSES:
        lut[c.index] = c.color
    return lut


def erode_boundaries(labels: np.ndarray, radius: int = 3) -> np.ndarray:
    """Potsdam's ``noBoundary`` labels: pixels within ``radius`` of another class -> 255."""
    edge = np.zeros(labels.shape, bool)
    for d in range(1, radius + 1):
        dy = labels[d:, :] != labels[:-d, :]
        dx = labels[:, d:] != labels[:, :-d]
        edge[d:, :] |= dy
        edge[:-d, :] |= dy
        edge[:, d:] |= dx
        edge[:, :-d] |= dx
    out = labels.copy()
    out[edge] = 255
    return out


def tile_ids(scenes: int, test_fraction: float = 0.25) -> list[tuple[str, str]]:
    """(tile id, 'train' | 'test') for ``scenes`` scenes, test ids from the benchmark split.

    Training scenes take the benchmark's 24 training ids first, then ids of rows 8 and on
    (no Potsdam tile has them), so more, smaller scenes can train; ``prepare potsdam`` leaves
    those out (it knows Potsdam's tiles only), ``prepare folder`` on a resampled copy keeps
    them.
    """
    n_test = 0 if scenes < 2 else max(1, round(scenes * test_fraction))
    n_train = scenes - n_test
    if n_test > len(BENCHMARK_TEST):
        raise ValueError(
            f"at most {len(BENCHMARK_TEST)} test scenes (Potsdam's benchmark test tile ids); "
            f"asked for {n_test}: lower --test-fraction or use a larger --size"
        )
    extra = [f"{8 + k // EXTRA_COLUMNS}_{1 + k % EXTRA_COLUMNS}" for k in range(n_train)]
    train = (list(BENCHMARK_TRAIN) + extra)[:n_train]
    return [(t, "train") for t in train] + [(t, "test") for t in BENCHMARK_TEST[:n_test]]


def scene_origin(tile_id: str, size: int) -> tuple[float, float]:
    """Upper-left corner in EPSG:25833, Potsdam-like, tiles side by side without overlap."""
    row, col = (int(v) for v in tile_id.split("_"))
    step = max(300.0, size * GRID_M_PER_PX)
    return 366_000.0 + (col - 7) * step, 5_808_000.0 - (row - 2) * step


def scene_rng(seed: int, tile_id: str) -> np.random.Generator:
    row, col = (int(v) for v in tile_id.split("_"))
    return np.random.default_rng([seed, row, col])


def _write_geotiff(path: Path, bands: np.ndarray, origin: tuple[float, float], gsd: float) -> None:
    from osgeo import gdal, osr

    gdal.UseExceptions()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, cols, count = bands.shape
    tmp = path.with_name(path.name + ".part")
    ds = gdal.GetDriverByName("GTiff").Create(
        str(tmp), cols, rows, count, gdal.GDT_Byte,
        ["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "PHOTOMETRIC=RGB"],
    )  # fmt: skip
    ds.SetGeoTransform((origin[0], gsd, 0.0, origin[1], 0.0, -gsd))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    ds.SetProjection(srs.ExportToWkt())
    for b in range(count):
        ds.GetRasterBand(b + 1).WriteArray(bands[..., b])
    ds.FlushCache()
    ds = None
    tmp.replace(path)


@dataclass(frozen=True)
class WrittenScene:
    tile_id: str
    split: str
    image: Path
    label: Path
    label_no_boundary: Path
    gsd_m: float = 0.05
    kind: str = ""
    season: str = ""
    features: tuple[str, ...] = ()


def write_scene(scene: Scene, out_dir: Path, tile_id: str, split: str = "") -> WrittenScene:
    """Write image, colour label and eroded label under Potsdam's folder and file names,
    georeferenced at the scene's own GSD."""
    origin = scene_origin(tile_id, scene.image.shape[0])
    out_dir = Path(out_dir)
    image = out_dir / IMAGE_DIR / f"top_potsdam_{tile_id}_RGB.tif"
    label = out_dir / LABEL_DIR / f"top_potsdam_{tile_id}_label.tif"
    eroded = out_dir / NO_BOUNDARY_DIR / f"top_potsdam_{tile_id}_label_noBoundary.tif"
    lut = label_colours()
    _write_geotiff(image, scene.image, origin, scene.gsd_m)
    _write_geotiff(label, lut[scene.labels], origin, scene.gsd_m)
    _write_geotiff(eroded, lut[erode_boundaries(scene.labels)], origin, scene.gsd_m)
    return WrittenScene(
        tile_id,
        split,
        image,
        label,
        eroded,
        scene.gsd_m,
        scene.kind,
        scene.season,
        tuple(sorted(scene.features)),
    )


def _one(job: tuple[Path, str, str, int, int, SceneOptions]) -> WrittenScene:
    out_dir, tile_id, split, size, seed, options = job
    scene = generate_scene(size, scene_rng(seed, tile_id), options=options)
    return write_scene(scene, out_dir, tile_id, split)


def synthesize(
    out_dir: Path,
    scenes: int,
    size: int = 2000,
    seed: int = 0,
    test_fraction: float = 0.25,
    options: SceneOptions | None = None,
    workers: int = 1,
) -> Iterator[WrittenScene]:
    """Generate and write ``scenes`` scenes, yielding each as it is written (in tile order).
    Each scene draws from its own generator seeded by (seed, row, col), so ``workers``
    processes write the same files as one."""
    jobs = tile_ids(scenes, test_fraction)
    yield from synthesize_tiles(out_dir, jobs, size, seed, options, workers)


def synthesize_tiles(
    out_dir: Path,
    jobs: list[tuple[str, str]],
    size: int = 2000,
    seed: int = 0,
    options: SceneOptions | None = None,
    workers: int = 1,
) -> Iterator[WrittenScene]:
    """The scenes of the (tile id, split) pairs given, each the same as in a whole run of
    the same seed: a set's chosen scenes can be written alone."""
    options = options or SceneOptions()
    work = [(Path(out_dir), t, split, size, seed, options) for t, split in jobs]
    written: list[WrittenScene] = []
    if workers <= 1:
        for job in work:
            written.append(_one(job))
            yield written[-1]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for w in pool.map(_one, work):
                written.append(w)
                yield w
    _write_index(Path(out_dir), written)


def _write_index(out_dir: Path, written: list[WrittenScene]) -> None:
    """``synthetic_scenes.json``: each scene's kind, season, GSD and what it shows."""
    index = {
        w.tile_id: {
            "split": w.split,
            "kind": w.kind,
            "season": w.season,
            "gsd_m": w.gsd_m,
            "features": list(w.features),
        }
        for w in written
    }
    (out_dir / "synthetic_scenes.json").write_text(json.dumps(index, indent=1))


def write_resampled_folder(scenes: list[WrittenScene], out_dir: Path, resolution_cm: float) -> Path:
    """A copy at one GSD in the trainer's folder format (``images/``, ``masks/``, classes.json).

    Scenes come at many GSDs; a model trains at one. Finer scenes are averaged down, coarser
    ones enlarged bilinearly (as the engine does with coarse rasters), so the copy holds
    every degree of sharpness a user's imagery may have. Eroded colour labels are taken by
    nearest neighbour (no mixed colours).
    """
    from osgeo import gdal

    gdal.UseExceptions()
    out_dir = Path(out_dir)
    res = resolution_cm / 100.0
    for w in scenes:
        split = "test" if w.split == "test" else "train"
        enlarge = w.gsd_m > res * 1.001
        for src, kind, alg in (
            (w.image, "images", "bilinear" if enlarge else "average"),
            (w.label_no_boundary, "masks", "near"),
        ):
            target = out_dir / kind / split / f"top_potsdam_{w.tile_id}.tif"
            target.parent.mkdir(parents=True, exist_ok=True)
            gdal.Translate(
                str(target), str(src), xRes=res, yRes=res, resampleAlg=alg,
                creationOptions=["COMPRESS=DEFLATE", "TILED=YES"],
            )  # fmt: skip
    classes = [{"name": c.name, "color": list(c.color)} for c in POTSDAM_CLASSES]
    (out_dir / "classes.json").write_text(
        json.dumps({"classes": classes, "resolution_cm": resolution_cm}, indent=1)
    )
    return out_dir
