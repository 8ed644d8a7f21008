"""Prepared datasets on disk: tiles in one memory-mapped ``.npy`` per split, and a manifest.

One array per split (N×C×T×T uint8 images, N×T×T uint8 labels) reads fastest on a small
machine: no per-file open, no decode, and the page cache does the rest. The splits are
train, validation (carved from the training scenes, see ``splits.py``) and test. Validation
and test regions also keep class-index label rasters, because ``evaluate`` runs the engine's
tiled inference on whole images (or validation blocks) and compares with them.
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
from .splits import SPLITS, TRAIN, Region, ValidationCarve, carve_validation

gdal.UseExceptions()
log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "aerial_seg.tiles/2"
STATS_ROWS = 512


class LabelEncoder(Protocol):
    def encode(self, raw: np.ndarray) -> tuple[np.ndarray, UnknownValues]: ...


@dataclass(frozen=True)
class Scene:
    """One source image with its label raster and the dataset's split for it (train or test;
    validation when the dataset names its own validation scenes)."""

    name: str
    image: Path
    label: Path
    split: str


@dataclass
class DatasetInfo:
    """What the manifest says about the data besides the tiles. ``labels`` says what the
    label files of each split are (e.g. full or eroded ISPRS labels, colours or indices)."""

    dataset: str
    class_names: list[str]
    class_colors: list[tuple[int, int, int]]
    resolution_cm: float | None
    split_scheme: str
    labels: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def tile_origins(size: int, tile: int, stride: int) -> list[int]:
    """Origins along one axis; the last tile is aligned to the edge so everything is covered."""
    if size <= tile:
        return [0]
    origins = list(range(0, size - tile + 1, stride))
    if origins[-1] != size - tile:
        origins.append(size - tile)
    return origins


def _read(
    ds: gdal.Dataset, bands: list[int], x: int, y: int, w: int, h: int, shape: tuple[int, int]
) -> np.ndarray:
    """The window ``w × h`` at (x, y) as (bands, *shape); the rest of ``shape`` stays 0."""
    out = np.zeros((len(bands), *shape), dtype=np.uint8)
    for i, b in enumerate(bands):
        out[i, :h, :w] = ds.GetRasterBand(b).ReadAsArray(x, y, w, h)
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


def write_label_raster(
    label: gdal.Dataset, encoder: LabelEncoder, out_path: Path, region: Region
) -> None:
    """The region's labels as a class-index GeoTIFF (nodata = ignore), georeferenced like the
    source window."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".part.tif")
    driver = gdal.GetDriverByName("GTiff")
    dst = driver.Create(
        str(partial), region.width, region.height, 1, gdal.GDT_Byte,
        ["COMPRESS=DEFLATE", "TILED=YES"],
    )  # fmt: skip
    g = label.GetGeoTransform()
    x, y = region.x, region.y
    dst.SetGeoTransform(
        (g[0] + x * g[1] + y * g[2], g[1], g[2], g[3] + x * g[4] + y * g[5], g[4], g[5])
    )
    dst.SetProjection(label.GetProjection())
    band = dst.GetRasterBand(1)
    band.SetNoDataValue(IGNORE_INDEX)
    for row in range(0, region.height, STATS_ROWS):
        h = min(STATS_ROWS, region.height - row)
        raw = _read(label, _label_bands(label), x, y + row, region.width, h, (h, region.width))
        classes, _ = encoder.encode(raw)
        band.WriteArray(classes, 0, row)
    dst.FlushCache()
    dst = None
    partial.replace(out_path)


@dataclass
class _Opened:
    scene: Scene
    image: gdal.Dataset
    label: gdal.Dataset
    bands: list[int]

    @property
    def size(self) -> tuple[int, int]:
        return self.image.RasterXSize, self.image.RasterYSize


def unreadable(path: Path) -> str:
    """Why GDAL cannot read every pixel of ``path`` ("" when it can): a truncated copy, a
    damaged block. Every block is read once (checksums), before any tile is cut."""
    try:
        dataset = gdal.Open(str(path))
        for number in range(1, dataset.RasterCount + 1):
            dataset.GetRasterBand(number).Checksum()
    except RuntimeError as error:
        return str(error).strip() or "unreadable"
    return ""


def readable_scenes(scenes: list[Scene], skip: bool) -> tuple[list[Scene], list[dict]]:
    """The scenes whose image and label read whole, and what was skipped (with ``skip``;
    without it the first damaged file stops the run, naming the flag that skips it)."""
    kept, skipped = [], []
    for scene in scenes:
        damaged = [(path, why) for path in (scene.image, scene.label) if (why := unreadable(path))]
        if not damaged:
            kept.append(scene)
            continue
        path, why = damaged[0]
        if not skip:
            raise ValueError(
                f"{path} cannot be read ({why}): replace or remove it, or run again with "
                "--skip-unreadable to prepare the dataset without it"
            )
        log.warning("skipped scene %s: %s cannot be read (%s)", scene.name, path, why)
        skipped.append({"scene": scene.name, "file": str(path), "reason": why})
    return kept, skipped


def _open_scenes(scenes: list[Scene], bands: list[int] | None) -> tuple[dict[str, _Opened], int]:
    opened = {}
    for scene in scenes:
        image = gdal.Open(str(scene.image))
        label = gdal.Open(str(scene.label))
        scene_bands = bands or list(range(1, image.RasterCount + 1))
        _check_scene(scene, image, label, scene_bands)
        opened[scene.name] = _Opened(scene, image, label, scene_bands)
    n_bands = {len(o.bands) for o in opened.values()}
    if len(n_bands) != 1:
        raise ValueError(f"scenes have different band counts: {sorted(n_bands)}")
    return opened, n_bands.pop()


def _windows(region: Region, tile: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Tile origins (absolute) and the width/height of real pixels in each; the rest pads."""
    return [
        (region.x + x, region.y + y, min(tile, region.width - x), min(tile, region.height - y))
        for y in tile_origins(region.height, tile, stride)
        for x in tile_origins(region.width, tile, stride)
    ]


@dataclass
class _Statistics:
    """Per-channel mean/std of the training pixels, in [0, 1]."""

    channels: int
    total: np.ndarray = field(init=False)
    squares: np.ndarray = field(init=False)
    pixels: int = 0

    def __post_init__(self) -> None:
        self.total = np.zeros(self.channels)
        self.squares = np.zeros(self.channels)

    def add_region(self, opened: _Opened, region: Region) -> None:
        for row in range(0, region.height, STATS_ROWS):
            h = min(STATS_ROWS, region.height - row)
            rows = _read(opened.image, opened.bands, region.x, region.y + row, region.width, h,
                         (h, region.width))  # fmt: skip
            values = rows.reshape(self.channels, -1).astype(np.float64) / 255.0
            self.total += values.sum(axis=1)
            self.squares += np.square(values).sum(axis=1)
        self.pixels += region.width * region.height

    def mean_std(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.pixels:
            return np.full(self.channels, 0.5), np.full(self.channels, 0.25)
        mean = self.total / self.pixels
        return mean, np.sqrt(np.maximum(self.squares / self.pixels - mean**2, 1e-12))


def _cut_region(
    opened: _Opened,
    region: Region,
    encoder: LabelEncoder,
    tile: int,
    stride: int,
    images: np.ndarray,
    labels: np.ndarray,
    index: int,
    found: UnknownValues,
) -> int:
    """Write the region's tiles from ``index`` on; returns the next free index."""
    width = max(region.width, tile)
    counted_until = 0  # rows whose unknown label values are counted already
    for y in tile_origins(region.height, tile, stride):
        # One stripe of the region's width per tile row: a few reads per region.
        rows = min(tile, region.height - y)
        args = (region.x, region.y + y, region.width, rows, (tile, width))
        stripe = _read(opened.image, opened.bands, *args)
        raw = _read(opened.label, _label_bands(opened.label), *args)
        classes, unknown = encoder.encode(raw)
        if counted_until > y:  # the edge-aligned last row overlaps the one before
            _, unknown = encoder.encode(raw[:, counted_until - y : rows, : region.width])
        found.merge(unknown)
        counted_until = y + rows
        classes[rows:, :] = IGNORE_INDEX
        classes[:, region.width :] = IGNORE_INDEX
        for x in tile_origins(region.width, tile, stride):
            images[index] = stripe[:, :, x : x + tile]
            labels[index] = classes[:, x : x + tile]
            index += 1
    return index


def _label_raster_name(region: Region, size: tuple[int, int]) -> str:
    if (region.x, region.y, region.width, region.height) == (0, 0, *size):
        return region.scene
    return f"{region.scene}_x{region.x}_y{region.y}"


@dataclass
class _Cutter:
    """What cutting one split's regions needs, and what it gathers across splits."""

    out: Path
    encoder: LabelEncoder
    tile: int
    stride: int
    channels: int
    opened: dict[str, _Opened]
    statistics: _Statistics
    unknown: dict[str, UnknownValues] = field(default_factory=dict)

    def write_split(self, split: str, members: list[Region]) -> dict[str, Any]:
        """The split's tile arrays (and, but for train, label rasters); its manifest entry."""
        windows = [(r, w) for r in members for w in _windows(r, self.tile, self.stride)]
        shape = (len(windows), self.tile, self.tile)
        images = np.lib.format.open_memmap(
            self.out / f"{split}_images.npy", "w+", np.uint8, (shape[0], self.channels, *shape[1:])
        )
        labels = np.lib.format.open_memmap(self.out / f"{split}_labels.npy", "w+", np.uint8, shape)
        index = 0
        for region in tqdm(members, desc=f"prepare {split}", unit="region", leave=False):
            opened = self.opened[region.scene]
            found = self.unknown.setdefault(region.scene, UnknownValues())
            index = _cut_region(
                opened, region, self.encoder, self.tile, self.stride, images, labels, index, found
            )
            if split == TRAIN:
                self.statistics.add_region(opened, region)
        images.flush()
        labels.flush()
        del images, labels
        entry: dict[str, Any] = {
            "images": f"{split}_images.npy",
            "labels": f"{split}_labels.npy",
            "count": len(windows),
            "scenes": sorted({r.scene for r in members}),
            "regions": [r.as_list() for r in members],
            "tiles": [[r.scene, *w] for r, w in windows],
        }
        if split != TRAIN:
            entry["label_rasters"] = [self._label_raster(region) for region in members]
        return entry

    def _label_raster(self, region: Region) -> dict[str, Any]:
        opened = self.opened[region.scene]
        name = _label_raster_name(region, opened.size)
        target = Path("labels") / f"{name}_classes.tif"
        write_label_raster(opened.label, self.encoder, self.out / target, region)
        return {
            "name": name,
            "scene": region.scene,
            "image": str(opened.scene.image.resolve()),
            "label": str(target),
            "window": [region.x, region.y, region.width, region.height],
        }


def prepare_tiles(
    scenes: list[Scene],
    out: Path,
    encoder: LabelEncoder,
    info: DatasetInfo,
    *,
    tile: int = 512,
    stride: int | None = None,
    bands: list[int] | None = None,
    carve: ValidationCarve | None = None,
    command: str = "",
    skip_unreadable: bool = False,
) -> dict:
    """Carve validation, cut every region into tiles, write one array pair per split, the
    label rasters of validation and test, and the manifest. A scene whose image or label
    cannot be read whole stops the run, or with ``skip_unreadable`` is left out (and listed
    in the manifest's ``skipped_scenes``)."""
    stride = stride or tile
    carve = carve or ValidationCarve()
    scenes, skipped = readable_scenes(scenes, skip_unreadable)
    if not scenes:
        raise ValueError("no scenes to prepare")
    out.mkdir(parents=True, exist_ok=True)
    opened, channels = _open_scenes(scenes, bands)
    sizes = {name: o.size for name, o in opened.items()}
    regions, carve_summary = carve_validation({s.name: s.split for s in scenes}, sizes, tile, carve)
    cutter = _Cutter(out, encoder, tile, stride, channels, opened, _Statistics(channels))
    manifest_splits = {}
    for split in SPLITS:
        members = [r for r in regions if r.split == split]
        if members:
            manifest_splits[split] = cutter.write_split(split, members)

    total_unknown = UnknownValues()
    for name, found in cutter.unknown.items():
        if found.total:
            total_unknown.merge(found)
            log.warning("%s: %d label pixels of unknown colour", name, found.total)
    mean, std = cutter.statistics.mean_std()
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
        "validation_carve": carve_summary,
        "splits": manifest_splits,
        "scenes": {
            s.name: {
                "image": str(s.image),
                "label": str(s.label),
                "split": s.split,
                "size": list(sizes[s.name]),
            }
            for s in scenes
        },
        "unknown_label_values": {
            "total": total_unknown.total,
            "by_scene": {n: f.to_json() for n, f in cutter.unknown.items() if f.total},
        },
        "command": command,
        "skipped_scenes": skipped,
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
    if manifest.get("format") == "aerial_seg.tiles/1":
        raise ValueError(
            f"{path} was prepared before validation and test were separate splits: run "
            "`python -m trainer prepare ...` again"
        )
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
