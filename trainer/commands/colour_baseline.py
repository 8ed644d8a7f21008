"""``python -m trainer colour-baseline``: how far colour alone gets, per pixel.

A k-nearest-neighbour vote in RGB, fitted on pixels of a prepared dataset's training tiles
and scored on its held-out scenes exactly as ``evaluate`` scores a model (same label
rasters, same confusion-matrix metrics). A segmentation model that does not clearly beat it
has learnt nothing beyond colour. Pure numpy: colours are quantised, and the k-NN vote is
computed once per quantised colour into a lookup table, so scoring is a table look-up.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="a prepared dataset folder")
    parser.add_argument("--k", type=int, default=15, help="neighbours that vote (default 15)")
    parser.add_argument(
        "--samples", type=int, default=40000, help="training pixels drawn (default 40000)"
    )
    parser.add_argument(
        "--bits", type=int, default=5, help="bits per channel of the look-up table (default 5)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default=None, help="held-out split to score (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="write the scores as JSON here")


@dataclass
class ColourKnn:
    """A fitted k-NN colour classifier as a look-up table over quantised RGB."""

    bits: int
    table: np.ndarray  # (2**bits)**3 class indices

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """(3, H, W) uint8 -> (H, W) uint8 class indices."""
        shift = 8 - self.bits
        q = rgb.astype(np.int64) >> shift
        return self.table[(q[0] << (2 * self.bits)) | (q[1] << self.bits) | q[2]]


def fit_colour_knn(
    colours: np.ndarray, labels: np.ndarray, classes: int, *, k: int = 15, bits: int = 5
) -> ColourKnn:
    """``colours`` (N, 3) uint8 and ``labels`` (N,) class indices -> a look-up table."""
    if len(colours) < k:
        raise ValueError(f"need at least k={k} labelled training pixels, got {len(colours)}")
    levels = 1 << bits
    centres = (np.arange(levels, dtype=np.float32) + 0.5) * (256 / levels)
    grid = np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), -1).reshape(-1, 3)
    samples = colours.astype(np.float32)
    sq = (samples * samples).sum(1)
    table = np.empty(len(grid), np.uint8)
    for start in range(0, len(grid), 512):
        q = grid[start : start + 512]
        dist = sq[None, :] - 2 * q @ samples.T  # |q|² is the same along a row
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        votes = np.zeros((len(q), classes), np.int32)
        np.add.at(votes, (np.arange(len(q))[:, None], labels[nearest]), 1)
        table[start : start + 512] = votes.argmax(1)
    return ColourKnn(bits, table)


def sample_training_pixels(
    root: Path, manifest: dict, count: int, rng: np.random.Generator, ignore: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random labelled pixels from random training tiles (a few hundred tiles are read)."""
    entry = manifest["splits"]["train"]
    images = np.load(root / entry["images"], mmap_mode="r")
    labels = np.load(root / entry["labels"], mmap_mode="r")
    tiles = rng.choice(len(images), size=min(len(images), 300), replace=False)
    per_tile = -(-count // len(tiles))
    colours, classes = [], []
    for t in np.sort(tiles):
        lab = np.asarray(labels[t]).ravel()
        valid = np.flatnonzero(lab != ignore)
        if not len(valid):
            continue
        pick = rng.choice(valid, size=min(per_tile, len(valid)), replace=False)
        img = np.asarray(images[t, :3]).reshape(3, -1)
        colours.append(img[:, pick].T)
        classes.append(lab[pick])
    return np.concatenate(colours)[:count], np.concatenate(classes)[:count]


def score_scene(
    model: ColourKnn, image_path: str, label_path: Path, bands: list[int], classes: int
) -> np.ndarray:
    """Confusion matrix (true x predicted) of one held-out scene, read in strips."""
    from osgeo import gdal

    gdal.UseExceptions()
    image, label = gdal.Open(str(image_path)), gdal.Open(str(label_path))
    lab_band = label.GetRasterBand(1)
    ignore = lab_band.GetNoDataValue()
    cm = np.zeros((classes, classes), np.int64)
    width, height = image.RasterXSize, image.RasterYSize
    for y in range(0, height, 512):
        h = min(512, height - y)
        rgb = np.stack([image.GetRasterBand(b).ReadAsArray(0, y, width, h) for b in bands[:3]])
        truth = lab_band.ReadAsArray(0, y, width, h).astype(np.int64)
        pred = model.predict(rgb).astype(np.int64)
        valid = truth < classes if ignore is None else (truth != ignore) & (truth < classes)
        cm += np.bincount(
            truth[valid] * classes + pred[valid], minlength=classes * classes
        ).reshape(classes, classes)
    return cm


def run(args: argparse.Namespace) -> int:
    from trainer.data.tiles import read_manifest
    from trainer.metrics import per_class_table, protocol_scores

    manifest = read_manifest(args.data)
    names = [c["name"] for c in manifest["classes"]]
    ignore = int(manifest.get("ignore_index", 255))
    held_out = manifest.get("held_out", {})
    splits = [args.split] if args.split else sorted(held_out)
    scenes = [s for split in splits for s in held_out.get(split, [])]
    if "train" not in manifest["splits"] or not scenes:
        raise SystemExit(
            f"colour-baseline: {args.data} needs a 'train' split and held-out scenes "
            f"(has splits {sorted(manifest['splits'])}, held out {sorted(held_out)})"
        )
    rng = np.random.default_rng(args.seed)
    colours, labels = sample_training_pixels(args.data, manifest, args.samples, rng, ignore)
    model = fit_colour_knn(colours, labels, len(names), k=args.k, bits=args.bits)
    cm = np.zeros((len(names), len(names)), np.int64)
    for scene in scenes:
        cm += score_scene(
            model, scene["image"], args.data / scene["label"], manifest["bands"], len(names)
        )
    result = protocol_scores(cm, names)
    result["method"] = (
        f"per-pixel RGB k-NN (k={args.k}, {len(colours)} training pixels, "
        f"{args.bits}-bit look-up table), seed {args.seed}"
    )
    result["scenes"] = [s["name"] for s in scenes]
    print(f"Colour baseline on {len(scenes)} held-out scenes: {result['method']}")
    print(per_class_table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0
