"""How much a few minutes of fine-tuning on sparse labels gain, against two references.

A synthetic Potsdam-format scene the base model was not trained on, shown in a shifted
style (channels rotated, gamma, colour cast: imagery unlike the base model's), gets
simulated analyst labels: rectangles wholly inside one class, about 10 % of the pixels. Scored
on every other labelled pixel (the other ~90 %):
- the base model as it is,
- a per-pixel colour k-NN fitted on the same labelled pixels,
- the base model fine-tuned on the labels for each time budget (independent runs).

    .venv/bin/python bench/finetune.py --minutes 2 4 8
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from osgeo import gdal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.label_simulation import (  # noqa: E402
    rectangles_mask,
    shift_style,
    simulate_rectangles,
    write_polygons,
)
from engine.metadata import POTSDAM_CLASSES  # noqa: E402
from trainer.commands.colour_baseline import fit_colour_knn  # noqa: E402
from trainer.data.labels import ColourMap  # noqa: E402

gdal.UseExceptions()
NAMES = [c.name for c in POTSDAM_CLASSES]


def make_scene(work: Path, seed: int, size: int) -> tuple[Path, np.ndarray, gdal.Dataset]:
    subprocess.run(
        [sys.executable, "-m", "trainer", "synth", "--out", str(work / "scenes"), "--scenes", "1",
         "--size", str(size), "--seed", str(seed), "--test-fraction", "1"],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    image_path = next((work / "scenes").glob("2_Ortho_RGB/*_RGB.tif"))
    label_path = next((work / "scenes").glob("*no_Boundary/*_label_noBoundary.tif"))
    source = gdal.Open(str(image_path))
    shifted = shift_style(source.ReadAsArray())
    out = work / "scene_shifted.tif"
    copy = gdal.GetDriverByName("GTiff").CreateCopy(str(out), source, options=["TILED=YES"])
    for b in range(3):
        copy.GetRasterBand(b + 1).WriteArray(shifted[b])
    copy = None
    label = gdal.Open(str(label_path))
    classes, _ = ColourMap(tuple(c.color for c in POTSDAM_CLASSES)).encode(label.ReadAsArray())
    return out, classes, source


def miou(truth: np.ndarray, predicted: np.ndarray, mask: np.ndarray) -> tuple[float, list]:
    k = len(NAMES)
    t, p = truth[mask].astype(np.int64), predicted[mask].astype(np.int64)
    confusion = np.bincount(t * k + np.minimum(p, k), minlength=k * (k + 1))[: k * k]
    confusion = confusion.reshape(k, k)
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    present = confusion.sum(1) > 0
    ious = [float(inter[i] / union[i]) if present[i] else None for i in range(k)]
    return float(np.mean([v for v in ious if v is not None])), ious


def segment(model: str, image: Path, out: Path) -> np.ndarray:
    from engine.pipeline import SegmentationOptions, segment

    segment(str(image), model, str(out), SegmentationOptions(device="cpu"))
    return gdal.Open(str(out)).ReadAsArray()


def names_of(model: Path) -> list[str]:
    from engine.model_file import read_model_metadata

    return read_model_metadata(model).class_names


def to_potsdam(predicted: np.ndarray, names: list[str]) -> np.ndarray:
    """A fine-tuned model's class indices -> Potsdam indices (its classes are a subset)."""
    lookup = np.full(256, 255, dtype=np.uint8)
    for i, name in enumerate(names):
        lookup[i] = NAMES.index(name)
    return lookup[predicted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[2, 4, 8])
    parser.add_argument("--model", default="cse_unet_synthetic")
    parser.add_argument("--size", type=int, default=2000, help="scene size in 5 cm pixels")
    parser.add_argument("--coverage", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    args = parser.parse_args()

    from trainer.finetune.base_model import resolve_base_path
    from trainer.finetune.request import FinetuneRequest, TrainingPlan
    from trainer.finetune.runner import run_finetune

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_finetune_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()}")
    image, truth, source = make_scene(work, args.seed, args.size)
    rng = np.random.default_rng(args.seed)
    rectangles = simulate_rectangles(truth, args.coverage, rng, size_px=(30, 160))
    labelled = rectangles_mask(rectangles, truth.shape)
    labels = write_polygons(
        rectangles, NAMES, source.GetGeoTransform(), source.GetProjection(), work / "labels.gpkg"
    )
    scored = ~labelled & (truth != 255)
    print(
        f"scene {truth.shape[1]}x{truth.shape[0]} px at 5 cm, style-shifted; "
        f"{len(rectangles)} label rectangles on {labelled.mean():.1%} of it; "
        f"scored on the other {scored.mean():.1%}"
    )
    rows = []
    base_path = resolve_base_path(args.model)
    predicted = segment(str(base_path), image, work / "base.tif")
    rows.append(("base model", *miou(truth, to_potsdam(predicted, names_of(base_path)), scored)))

    pixels = gdal.Open(str(image)).ReadAsArray()
    colours = pixels[:, labelled].T
    knn = fit_colour_knn(colours, truth[labelled], len(NAMES))
    rows.append(("colour k-NN (same labels)", *miou(truth, knn.predict(pixels), scored)))

    for minutes in args.minutes:
        out = work / f"finetuned_{minutes:g}min.onnx"
        started = time.perf_counter()
        result = run_finetune(
            FinetuneRequest(
                image=str(image), labels=str(labels), base_model=args.model, output=str(out),
                plan=TrainingPlan(minutes=minutes, seed=args.seed), device="cpu", overwrite=True,
            )
        )  # fmt: skip
        wall = time.perf_counter() - started
        predicted = to_potsdam(
            segment(str(out), image, work / f"ft_{minutes:g}.tif"), result.classes
        )
        score, ious = miou(truth, predicted, scored)
        rows.append((f"fine-tuned {minutes:g} min", score, ious))
        print(
            f"  fine-tune {minutes:g} min: {wall:.0f} s wall, epoch {result.best_epoch}/"
            f"{result.epochs} kept, held-out mIoU {result.holdout_miou:.3f}"
        )
    print()
    header = f"{'':28}{'mIoU':>7}" + "".join(f"{n[:10]:>12}" for n in NAMES)
    print(header)
    for name, score, ious in rows:
        cells = "".join(f"{'-' if v is None else f'{v:.3f}':>12}" for v in ious)
        print(f"{name:28}{score:7.3f}{cells}")
    base, knn_score = rows[0][1], rows[1][1]
    for name, score, _ in rows[2:]:
        print(f"{name}: {score - knn_score:+.3f} vs colour k-NN, {score - base:+.3f} vs base")
    print(f"load average after: {os.getloadavg()}")
    print(f"files in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
