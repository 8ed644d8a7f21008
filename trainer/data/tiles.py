"""Prepared datasets on disk: tiles in one memory-mapped ``.npy`` per split, and a manifest.

One array per split (N×C×T×T uint8 images, N×T×T uint8 labels) reads fastest on a small
machine: no per-file open, no decode, and the page cache does the rest. Held-out scenes also
keep whole-image class-index label rasters, because ``evaluate`` runs the engine's tiled
inference on whole images and compares with them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from osgeo import gdal
from torch.utils.data import Dataset
from tqdm import tqdm

from .labels import IGNORE_INDEX, UnknownValues

gdal.UseExceptions()
log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "aerial_seg.tiles/1"


class LabelEncoder(Protocol):
    def encode(self, raw: np.ndarray) -> tuple[np.ndarray, UnknownValues]: ...


@dataclass(frozen=True)
class Scene:
    """One source image with its label raster, assigned to a split."""

    name: str
    image: Path
    label: Path
    split: str


@dataclass
class DatasetInfo:
    """What the manifest says about the data besides the tiles."""

    dataset: str
    class_names: list[str]
    class_colors: list[tuple[int, int, int]]
    resolution_cm: float | None
    split_scheme: str
    labels: str
    held_out: tuple[str, ...] = ("val",)
    extra: dict[str, Any] = field(default_factory=dict)


def tile_origins(size: int, tile: int, stride: int) -> list[int]:
    """Origins along one axis; the last tile is aligned to the edge so everything is covered."""
    if size <= tile:
        return [0]
    origins = list(range(0, size - tile + 1, stride))
    if origins[-1] != size - tile:
        origins.append(size - tile)
    return origins


def _read(ds: gdal.Dataset, bands: list[int], x: int, y: int, w: int, h: int) -> np.ndarray:
    """A window as (bands, h, w); parts outside the raster are left 0 for the caller to fill."""
    out = np.zeros((len(bands), h, w), dtype=np.uint8)
    w_in = min(w, ds.RasterXSize - x)
    h_in = min(h, ds.RasterYSize - y)
    for i, b in enumerate(bands):
        out[i, :h_in, :w_in] = ds.GetRasterBand(b).ReadAsArray(x, y, w_in, h_in)
    return out


def _check_scene(scene: Scene, image: gdal.Dataset, label: gdal.Dataset, bands: list[int]) -> None:
    if (image.RasterXSize, image.RasterYSize) != (label.RasterXSize, label.RasterYSize):
        raise ValueError(
            f"{scene.name}: image {image.RasterXSize}x{image.RasterYSize} and label "
            f"{label.RasterXSize}x{label.RasterYSize} differ in size"
        )
    if max(bands) > image.RasterCount:
        raise ValueError(f"{scene.image.name} has {image.RasterCount} bands; asked for {bands}")
    dtype = image.GetRasterBand(bands[0]).DataType
    if dtype != gdal.GDT_Byte:
        raise ValueError(
            f"{scene.image.name} holds {gdal.GetDataTypeName(dtype)} pixels; only 8-bit images "
            "are supported (convert with gdal_translate -ot Byte -scale)"
        )


def _label_bands(label: gdal.Dataset) -> list[int]:
    return [1, 2, 3] if label.RasterCount >= 3 else [1]


def write_label_raster(label: gdal.Dataset, encoder: LabelEncoder, out_path: Path) -> UnknownValues:
    """The whole label as a class-index GeoTIFF (nodata = ignore), georeferenced like the source."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".part.tif")
    width, height = label.RasterXSize, label.RasterYSize
    driver = gdal.GetDriverByName("GTiff")
    dst = driver.Create(
        str(partial), width, height, 1, gdal.GDT_Byte, ["COMPRESS=DEFLATE", "TILED=YES"]
    )
    dst.SetGeoTransform(label.GetGeoTransform())
    dst.SetProjection(label.GetProjection())
    band = dst.GetRasterBand(1)
    band.SetNoDataValue(IGNORE_INDEX)
    unknown = UnknownValues()
    step = 512
    for y in range(0, height, step):
        h = min(step, height - y)
        raw = _read(label, _label_bands(label), 0, y, width, h)
        classes, found = encoder.encode(raw)
        unknown.merge(found)
        band.WriteArray(classes, 0, y)
    dst.FlushCache()
    dst = None
    partial.replace(out_path)
    return unknown


def prepare_tiles(
    scenes: list[Scene],
    out: Path,
    encoder: LabelEncoder,
    info: DatasetInfo,
    *,
    tile: int = 512,
    stride: int | None = None,
    bands: list[int] | None = None,
) -> dict:
    """Cut every scene into tiles, write one array pair per split and the manifest."""
    stride = stride or tile
    out.mkdir(parents=True, exist_ok=True)
    if not scenes:
        raise ValueError("no scenes to prepare")
    opened = {}
    for scene in scenes:
        image = gdal.Open(str(scene.image))
        label = gdal.Open(str(scene.label))
        scene_bands = bands or list(range(1, image.RasterCount + 1))
        _check_scene(scene, image, label, scene_bands)
        opened[scene.name] = (image, label, scene_bands)
    n_bands = {len(b) for _, _, b in opened.values()}
    if len(n_bands) != 1:
        raise ValueError(f"scenes have different band counts: {sorted(n_bands)}")
    channels = n_bands.pop()

    splits: dict[str, list[Scene]] = {}
    for scene in scenes:
        splits.setdefault(scene.split, []).append(scene)

    manifest_splits: dict[str, Any] = {}
    unknown_by_scene: dict[str, Any] = {}
    total_unknown = UnknownValues()
    channel_sum = np.zeros(channels, dtype=np.float64)
    channel_sq = np.zeros(channels, dtype=np.float64)
    pixel_count = 0
    for split, members in splits.items():
        windows = []
        for scene in members:
            image = opened[scene.name][0]
            for y in tile_origins(image.RasterYSize, tile, stride):
                for x in tile_origins(image.RasterXSize, tile, stride):
                    windows.append((scene, x, y))
        images = np.lib.format.open_memmap(
            out / f"{split}_images.npy", "w+", np.uint8, (len(windows), channels, tile, tile)
        )
        labels = np.lib.format.open_memmap(
            out / f"{split}_labels.npy", "w+", np.uint8, (len(windows), tile, tile)
        )
        records = []
        bar = tqdm(members, desc=f"prepare {split}", unit="scene", leave=False)
        index = 0
        for scene in bar:
            image, label, scene_bands = opened[scene.name]
            found = UnknownValues()
            for y in tile_origins(image.RasterYSize, tile, stride):
                # One stripe of full width per tile row: a few reads per scene.
                width = max(image.RasterXSize, tile)
                stripe = _read(image, scene_bands, 0, y, width, tile)
                raw = _read(label, _label_bands(label), 0, y, width, tile)
                classes, unknown = encoder.encode(raw)
                found.merge(unknown)
                classes[min(tile, image.RasterYSize - y) :, :] = IGNORE_INDEX
                classes[:, image.RasterXSize :] = IGNORE_INDEX
                for x in tile_origins(image.RasterXSize, tile, stride):
                    images[index] = stripe[:, :, x : x + tile]
                    labels[index] = classes[:, x : x + tile]
                    records.append([scene.name, x, y])
                    index += 1
            if split == "train":
                # Statistics on the training tiles only, over valid pixels of the image.
                h, w = image.RasterYSize, image.RasterXSize
                for y0 in range(0, h, 512):
                    rows = _read(image, scene_bands, 0, y0, w, min(512, h - y0))
                    values = rows.reshape(channels, -1).astype(np.float64) / 255.0
                    channel_sum += values.sum(axis=1)
                    channel_sq += np.square(values).sum(axis=1)
                pixel_count += h * w
            if found.total:
                unknown_by_scene[scene.name] = found.to_json()
                total_unknown.merge(found)
                log.warning("%s: %d label pixels of unknown colour", scene.name, found.total)
        images.flush()
        labels.flush()
        del images, labels
        manifest_splits[split] = {
            "images": f"{split}_images.npy",
            "labels": f"{split}_labels.npy",
            "count": len(records),
            "tiles": records,
        }

    held_out = {}
    for split in info.held_out:
        for scene in splits.get(split, []):
            image, label, scene_bands = opened[scene.name]
            target = Path("labels") / f"{scene.name}_classes.tif"
            write_label_raster(label, encoder, out / target)
            held_out.setdefault(split, []).append(
                {"name": scene.name, "image": str(scene.image.resolve()), "label": str(target)}
            )

    if pixel_count:
        mean = channel_sum / pixel_count
        std = np.sqrt(np.maximum(channel_sq / pixel_count - mean**2, 1e-12))
    else:
        mean, std = np.full(channels, 0.5), np.full(channels, 0.25)
    manifest = {
        "format": FORMAT,
        "dataset": info.dataset,
        "split_scheme": info.split_scheme,
        "labels": info.labels,
        "tile_size": tile,
        "stride": stride,
        "channels": channels,
        "bands": bands or list(range(1, channels + 1)),
        "resolution_cm": info.resolution_cm,
        "classes": [
            {"index": i, "name": n, "color": list(c)}
            for i, (n, c) in enumerate(zip(info.class_names, info.class_colors))
        ],
        "ignore_index": IGNORE_INDEX,
        "pixel_scale": 255.0,
        "mean": [round(float(v), 6) for v in mean],
        "std": [round(float(v), 6) for v in std],
        "splits": manifest_splits,
        "scenes": {s.name: {"image": str(s.image), "label": str(s.label)} for s in scenes},
        "held_out": held_out,
        "unknown_label_values": {"total": total_unknown.total, "by_scene": unknown_by_scene},
        **info.extra,
    }
    partial = out / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=1))
    partial.replace(out / MANIFEST)
    manifest["_unknown"] = total_unknown
    return manifest


def read_manifest(root: str | Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: run `python -m trainer prepare ...` to make a dataset first"
        )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: not a prepared dataset of format {FORMAT}")
    return manifest


class TileDataset(Dataset):
    """Tiles of one split as (uint8 C×T×T image, uint8 T×T label); augmentation happens later,
    on the batch and on the training device."""

    def __init__(self, root: str | Path, split: str):
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        if split not in self.manifest["splits"]:
            raise KeyError(
                f"{self.root} has no split '{split}' (has {sorted(self.manifest['splits'])})"
            )
        self.split = split
        self._entry = self.manifest["splits"][split]
        self._images: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def _open(self) -> None:
        # Opened lazily so that DataLoader workers each map the file themselves.
        self._images = np.load(self.root / self._entry["images"], mmap_mode="r")
        self._labels = np.load(self.root / self._entry["labels"], mmap_mode="r")

    def __len__(self) -> int:
        return int(self._entry["count"])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._images is None:
            self._open()
        image = torch.from_numpy(np.array(self._images[index]))
        label = torch.from_numpy(np.array(self._labels[index]))
        return image, label
