"""A user's own data: ``images/`` and ``masks/`` with matching file stems, and a classes file.

``classes.json`` lists ``{"name": ..., "color": [r, g, b]}`` in class-index order (and may
set ``"resolution_cm"``). Masks are either single-band class indices (255 = ignore) or RGB
colours from that list. ``images/train`` + ``images/val`` (and the same under ``masks/``)
give the split; otherwise every n-th image is held out.
"""

from __future__ import annotations

import json
from pathlib import Path

from osgeo import gdal

from .labels import ColourMap, IndexMap
from .tiles import DatasetInfo, Scene, prepare_tiles

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")


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


def folder_scenes(src: Path, val_every: int = 5) -> list[Scene]:
    scenes = []
    if (src / "images" / "train").is_dir():
        for split in ("train", "val"):
            images = _files(src / "images" / split)
            masks = _files(src / "masks" / split)
            scenes += [Scene(s, p, masks[s], split) for s, p in images.items() if s in masks]
    else:
        images, masks = _files(src / "images"), _files(src / "masks")
        for i, stem in enumerate(s for s in images if s in masks):
            split = "val" if val_every and i % val_every == val_every - 1 else "train"
            scenes.append(Scene(stem, images[stem], masks[stem], split))
    if not scenes:
        raise FileNotFoundError(f"no image with a mask of the same name under {src}/images")
    return scenes


def prepare_folder(
    src: Path, out: Path, *, tile: int = 512, stride: int | None = None, val_every: int = 5
) -> dict:
    names, colors, resolution = read_classes(src)
    scenes = folder_scenes(src, val_every)
    first_mask = gdal.Open(str(scenes[0].label))
    encoder = ColourMap(tuple(colors)) if first_mask.RasterCount >= 3 else IndexMap(len(names))
    info = DatasetInfo(
        dataset=src.name,
        class_names=names,
        class_colors=colors,
        resolution_cm=resolution,
        split_scheme="folder",
        labels="colours" if isinstance(encoder, ColourMap) else "indices",
    )
    return prepare_tiles(scenes, out, encoder, info, tile=tile, stride=stride)
