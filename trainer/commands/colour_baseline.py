"""``python -m trainer colour-baseline``: how far colour alone gets, per pixel.

A k-nearest-neighbour vote in RGB, fitted on pixels of a prepared dataset's training tiles
and scored on its test split (by default) exactly as ``evaluate`` scores a model (same label
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
    parser.add_argument(
        "--split", default="test", choices=["test", "validation"], help="split to score (test)"
    )
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
    model: ColourKnn, entry: dict, label_path: Path, bands: list[int], classes: int
) -> np.ndarray:
    """Confusion matrix (true x predicted) of one label raster's window, read in strips."""
    from osgeo import gdal

    gdal.UseExceptions()
    image, label = gdal.Open(entry["image"]), gdal.Open(str(label_path))
    lab_band = label.GetRasterBand(1)
    ignore = lab_band.GetNoDataValue()
    cm = np.zeros((classes, classes), np.int64)
    x0, y0, width, height = entry["window"]
    for y in range(0, height, 512):
        h = min(512, height - y)
        rgb = np.stack([
            image.GetRasterBand(b).ReadAsArray(x0, y0 + y, width, h) for b in bands[:3]
        ])  # fmt: skip
        truth = lab_band.ReadAsArray(0, y, width, h).astype(np.int64)
        pred = model.predict(rgb).astype(np.int64)
        valid = truth < classes if ignore is None else (truth != ignore) & (truth < classes)
        cm += np.bincount(
            truth[valid] * classes + pred[valid], minlength=classes * classes
        ).reshape(classes, classes)
    return cm


def colour_baseline(
    data_dir: Path, split: str = "test", *, k: int = 15, samples: int = 40000, bits: int = 5,
    seed: int = 0,
) -> dict:  # fmt: skip
    """Fit on the training split's pixels, score the split's label rasters; ``evaluate``'s
    metrics plus the method and the scenes scored."""
    from trainer.data.tiles import read_manifest
    from trainer.evaluate import label_rasters
    from trainer.metrics import protocol_scores

    manifest = read_manifest(data_dir)
    names = [c["name"] for c in manifest["classes"]]
    ignore = int(manifest.get("ignore_index", 255))
    if "train" not in manifest["splits"]:
        raise ValueError(f"{data_dir} has no training split to fit the colours on")
    scenes = label_rasters(manifest, split, data_dir)
    rng = np.random.default_rng(seed)
    colours, labels = sample_training_pixels(data_dir, manifest, samples, rng, ignore)
    model = fit_colour_knn(colours, labels, len(names), k=k, bits=bits)
    cm = np.zeros((len(names), len(names)), np.int64)
    for scene in scenes:
        cm += score_scene(model, scene, data_dir / scene["label"], manifest["bands"], len(names))
    result = protocol_scores(cm, names)
    result["method"] = (
        f"per-pixel RGB k-NN (k={k}, {len(colours)} training pixels, {bits}-bit look-up "
        f"table), seed {seed}"
    )
    result["split"] = split
    result["scenes"] = [s["name"] for s in scenes]
    return result


def run(args: argparse.Namespace) -> int:
    from trainer.metrics import per_class_table

    try:
        result = colour_baseline(
            args.data, args.split, k=args.k, samples=args.samples, bits=args.bits, seed=args.seed
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"colour-baseline: {error}")
        return 2
    print(f"Colour baseline on {len(result['scenes'])} {args.split} scenes: {result['method']}")
    print(per_class_table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0
