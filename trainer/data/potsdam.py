"""ISPRS Potsdam as distributed: find the files, apply an official split, prepare tiles.

Both official splits name training and test tiles only; validation is carved from the
training tiles by ``prepare`` (see ``splits.py``), so the test tiles never choose an epoch.
"""

from __future__ import annotations

import re
from pathlib import Path

from .labels import ColourMap
from .splits import TEST, TRAIN, ValidationCarve
from .tiles import DatasetInfo, Scene, prepare_tiles

RESOLUTION_CM = 5.0
IMAGE_KINDS = ("RGB", "RGBIR", "IRRG")
_IMAGE_RE = re.compile(r"top_potsdam_(\d+)_(\d+)_(RGB|RGBIR|IRRG)\.tif$", re.IGNORECASE)
_LABEL_RE = re.compile(r"top_potsdam_(\d+)_(\d+)_label(_noBoundary)?\.tif$", re.IGNORECASE)


def _tiles(row: int, cols: range) -> list[str]:
    return [f"{row}_{c}" for c in cols]


LABELLED = (
    _tiles(2, range(10, 13)) + _tiles(3, range(10, 13)) + _tiles(4, range(10, 13))
    + _tiles(5, range(10, 13)) + _tiles(6, range(7, 13)) + _tiles(7, range(7, 13))
)  # fmt: skip
# The CSE-UNet paper: 4_12 dropped, five tiles held out (our test set), the other 18 train.
PAPER_TEST = ("2_12", "3_12", "5_12", "6_12", "7_12")
PAPER_DROPPED = ("4_12",)
# The common benchmark split: the 24 labelled tiles train, 14 tiles test (eroded labels).
BENCHMARK_TEST = (
    "2_13", "2_14", "3_13", "3_14", "4_13", "4_14", "4_15",
    "5_13", "5_14", "5_15", "6_13", "6_14", "6_15", "7_13",
)  # fmt: skip


def split_of(tile_id: str, scheme: str) -> str | None:
    """'train', 'test' or None (not used) for a tile id like '2_10'."""
    if scheme == "paper":
        if tile_id in PAPER_DROPPED or tile_id not in LABELLED:
            return None
        return TEST if tile_id in PAPER_TEST else TRAIN
    if scheme == "benchmark":
        if tile_id in BENCHMARK_TEST:
            return TEST
        return TRAIN if tile_id in LABELLED else None
    raise ValueError(f"unknown split '{scheme}': use paper or benchmark")


def find_files(src: Path, kind: str = "RGB") -> tuple[dict[str, Path], dict[str, Path], dict]:
    """Images of one kind, full labels and eroded labels, each by tile id, anywhere under src."""
    images: dict[str, Path] = {}
    full: dict[str, Path] = {}
    eroded: dict[str, Path] = {}
    for path in sorted(src.rglob("*.tif")):
        if m := _IMAGE_RE.search(path.name):
            if m.group(3).upper() == kind.upper():
                images[f"{int(m.group(1))}_{int(m.group(2))}"] = path
        elif m := _LABEL_RE.search(path.name):
            (eroded if m.group(3) else full)[f"{int(m.group(1))}_{int(m.group(2))}"] = path
    return images, full, eroded


def potsdam_scenes(
    src: Path, *, kind: str, split: str, test_labels: str, train_labels: str = "full"
) -> list[Scene]:
    """``test_labels`` for the test tiles (what evaluation compares with), ``train_labels``
    for the training tiles (and the validation carved from them): the benchmark convention
    trains on full labels and scores on eroded ones."""
    images, full, eroded = find_files(src, kind)
    if not images:
        raise FileNotFoundError(
            f"no top_potsdam_*_{kind}.tif under {src}: point --src at the unzipped Potsdam folder"
        )
    scenes = []
    for tile_id, image in sorted(images.items()):
        assigned = split_of(tile_id, split)
        if assigned is None:
            continue
        which = train_labels if assigned == TRAIN else test_labels
        chosen = eroded if which == "eroded" else full
        if tile_id not in chosen:
            kind_text = "_label_noBoundary" if which == "eroded" else "_label"
            raise FileNotFoundError(f"top_potsdam_{tile_id}{kind_text}.tif not found under {src}")
        scenes.append(Scene(f"top_potsdam_{tile_id}", image, chosen[tile_id], assigned))
    if not any(s.split == TRAIN for s in scenes):
        raise FileNotFoundError(f"none of the {split} split's training tiles is under {src}")
    return scenes


def prepare_potsdam(
    src: Path,
    out: Path,
    *,
    tile: int = 512,
    stride: int | None = None,
    split: str = "paper",
    test_labels: str | None = None,
    train_labels: str = "full",
    kind: str = "RGB",
    carve: ValidationCarve | None = None,
    command: str = "",
    skip_unreadable: bool = False,
) -> dict:
    from engine.metadata import POTSDAM_CLASSES

    test_labels = test_labels or ("eroded" if split == "benchmark" else "full")
    scenes = potsdam_scenes(
        src, kind=kind, split=split, test_labels=test_labels, train_labels=train_labels
    )
    info = DatasetInfo(
        dataset="potsdam",
        class_names=[c.name for c in POTSDAM_CLASSES],
        class_colors=[c.color for c in POTSDAM_CLASSES],
        resolution_cm=RESOLUTION_CM,
        split_scheme=split,
        labels={"train": train_labels, "validation": train_labels, "test": test_labels},
        extra={"image_kind": kind.upper(), **_own_resolutions(scenes)},
    )
    colour_map = ColourMap(tuple(c.color for c in POTSDAM_CLASSES))
    options = dict(tile=tile, stride=stride, carve=carve, command=command)
    return prepare_tiles(scenes, out, colour_map, info, **options, skip_unreadable=skip_unreadable)


def _own_resolutions(scenes: list[Scene]) -> dict:
    """``scene_resolution_cm`` (min, max) when the images are not all at Potsdam's 5 cm
    (synthetic scenes in the Potsdam layout carry their own GSD): said on the model card."""
    from engine.errors import EngineError
    from engine.raster_io import RasterSource

    sizes = []
    for scene in scenes:
        try:
            source = RasterSource.open(scene.image)
        except EngineError:  # unreadable: prepare reports it itself
            continue
        gsd = source.gsd_m()
        source.close()
        if gsd is not None:
            sizes.append(round(gsd[0] * 100, 2))
    if not sizes or all(abs(s - RESOLUTION_CM) < 0.05 for s in sizes):
        return {}
    return {"scene_resolution_cm": [min(sizes), max(sizes)]}
