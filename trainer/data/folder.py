"""A user's own data: ``images/`` and ``masks/`` with matching file stems, and a classes file.

``classes.json`` lists ``{"name": ..., "color": [r, g, b]}`` in class-index order (and may
set ``"resolution_cm"``). Masks are either single-band class indices (255 = ignore) or RGB
colours from that list. ``images/train`` and ``images/test`` (optionally ``images/validation``;
the same under ``masks/``) give the splits; without them every n-th image is the test set.
Validation is carved from the training images unless ``validation/`` names it.
"""

from __future__ import annotations

import json
from pathlib import Path

from osgeo import gdal

from .labels import ColourMap, IndexMap
from .splits import SPLITS, TEST, TRAIN, ValidationCarve
from .tiles import DatasetInfo, Scene, prepare_tiles

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")
# Folder names that say "held out" without saying for what.
AMBIGUOUS_SPLITS = ("val", "valid", "held_out", "holdout")


def read_classes(src: Path) -> tuple[list[str], list[tuple[int, int, int]], float | None]:
    path = src / "classes.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: list the classes as "
            '{"classes": [{"name": "building", "color": [0, 0, 255]}, ...]}'
        )
    data = json.loads(path.read_text())
    entries = data["classes"] if isinstance(data, dict) else data
    names = [str(e["name"]) for e in entries]
    colors = [tuple(int(v) for v in e["color"]) for e in entries]
    resolution = data.get("resolution_cm") if isinstance(data, dict) else None
    return names, colors, resolution


def _files(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def folder_scenes(src: Path, test_every: int = 5) -> list[Scene]:
    """Scenes with their split from sub-folders, else every ``test_every``-th image is a test
    image (0: no test set)."""
    for name in AMBIGUOUS_SPLITS:
        if (src / "images" / name).is_dir():
            raise ValueError(
                f"{src / 'images' / name}: rename it to 'validation' (images that choose the "
                "best epoch) or 'test' (images that only evaluate scores)"
            )
    scenes = []
    if (src / "images" / TRAIN).is_dir():
        for split in SPLITS:
            if not (src / "images" / split).is_dir():
                continue
            images = _files(src / "images" / split)
            masks = _files(src / "masks" / split)
            scenes += [Scene(s, p, masks[s], split) for s, p in images.items() if s in masks]
    else:
        images, masks = _files(src / "images"), _files(src / "masks")
        for i, stem in enumerate(s for s in images if s in masks):
            split = TEST if test_every and i % test_every == test_every - 1 else TRAIN
            scenes.append(Scene(stem, images[stem], masks[stem], split))
    if not scenes:
        raise FileNotFoundError(f"no image with a mask of the same name under {src}/images")
    return scenes


def prepare_folder(
    src: Path,
    out: Path,
    *,
    tile: int = 512,
    stride: int | None = None,
    test_every: int = 5,
    carve: ValidationCarve | None = None,
    command: str = "",
    skip_unreadable: bool = False,
) -> dict:
    names, colors, resolution = read_classes(src)
    scenes = folder_scenes(src, test_every)
    first_mask = gdal.Open(str(scenes[0].label))
    encoder = ColourMap(tuple(colors)) if first_mask.RasterCount >= 3 else IndexMap(len(names))
    info = DatasetInfo(
        dataset=src.name,
        class_names=names,
        class_colors=colors,
        resolution_cm=resolution,
        split_scheme="folder",
        labels=dict.fromkeys(SPLITS, "colours" if isinstance(encoder, ColourMap) else "indices"),
    )
    options = dict(tile=tile, stride=stride, carve=carve, command=command)
    return prepare_tiles(scenes, out, encoder, info, **options, skip_unreadable=skip_unreadable)
