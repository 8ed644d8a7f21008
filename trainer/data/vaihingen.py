"""ISPRS Vaihingen: IRRG true orthophotos at 9 cm, same classes and colours as Potsdam."""

from __future__ import annotations

import re
from pathlib import Path

from .labels import ColourMap
from .splits import TEST, TRAIN, ValidationCarve
from .tiles import DatasetInfo, Scene, prepare_tiles

RESOLUTION_CM = 9.0
_RE = re.compile(r"top_mosaic_09cm_area(\d+)(_noBoundary)?\.tif$", re.IGNORECASE)
# The benchmark split used by most papers since the test labels were released.
BENCHMARK_TRAIN = (1, 3, 5, 7, 11, 13, 15, 17, 21, 23, 26, 28, 30, 32, 34, 37)
BENCHMARK_TEST = (2, 4, 6, 8, 10, 12, 14, 16, 20, 22, 24, 27, 29, 31, 33, 35, 38)


def find_files(src: Path) -> tuple[dict[int, Path], dict[int, Path], dict[int, Path]]:
    """Images and labels share a file name; labels live in a folder whose name has 'gts'."""
    images: dict[int, Path] = {}
    full: dict[int, Path] = {}
    eroded: dict[int, Path] = {}
    for path in sorted(src.rglob("*.tif")):
        if not (m := _RE.search(path.name)):
            continue
        area = int(m.group(1))
        if m.group(2):
            eroded[area] = path
        elif any("gts" in part.lower() for part in path.parent.parts[-2:]):
            full[area] = path
        else:
            images[area] = path
    return images, full, eroded


def prepare_vaihingen(
    src: Path,
    out: Path,
    *,
    tile: int = 512,
    stride: int | None = None,
    split: str = "benchmark",
    test_labels: str | None = None,
    train_labels: str = "full",
    carve: ValidationCarve | None = None,
    command: str = "",
    skip_unreadable: bool = False,
) -> dict:
    """The benchmark's training areas train (validation carved from them), its test areas
    test; ``test_labels`` and ``train_labels`` are ``full`` or ``eroded`` (noBoundary)."""
    from engine.metadata import POTSDAM_CLASSES

    if split != "benchmark":
        raise ValueError("Vaihingen has one official split here: use --split benchmark")
    test_labels = test_labels or "eroded"
    images, full, eroded = find_files(src)
    if not images:
        raise FileNotFoundError(f"no top_mosaic_09cm_area*.tif images under {src}")
    scenes = []
    for area, image in sorted(images.items()):
        assigned = TRAIN if area in BENCHMARK_TRAIN else TEST if area in BENCHMARK_TEST else None
        which = train_labels if assigned == TRAIN else test_labels
        chosen = eroded if which == "eroded" else full
        if assigned is None or area not in chosen:
            continue
        scenes.append(Scene(f"top_mosaic_09cm_area{area}", image, chosen[area], assigned))
    info = DatasetInfo(
        dataset="vaihingen",
        class_names=[c.name for c in POTSDAM_CLASSES],
        class_colors=[c.color for c in POTSDAM_CLASSES],
        resolution_cm=RESOLUTION_CM,
        split_scheme=split,
        labels={"train": train_labels, "validation": train_labels, "test": test_labels},
        extra={"image_kind": "IRRG"},
    )
    colour_map = ColourMap(tuple(c.color for c in POTSDAM_CLASSES))
    options = dict(tile=tile, stride=stride, carve=carve, command=command)
    return prepare_tiles(scenes, out, colour_map, info, **options, skip_unreadable=skip_unreadable)
