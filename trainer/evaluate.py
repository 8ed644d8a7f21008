"""Evaluation on whole images through the engine, the code path the plugin runs.

By default the test split's scenes: each is segmented by ``engine.pipeline.segment`` into a
temporary GeoTIFF, which is then compared with the class-index label raster ``prepare``
wrote; one confusion matrix collects every scene. The validation split can be scored the
same way (its blocks are cut out of their scenes as virtual rasters). Optional D4 test-time
augmentation is the engine's own (``SegmentationOptions(tta=True)``), as in the plugin.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from osgeo import gdal

from . import plots
from .data.labels import IGNORE_INDEX
from .data.tiles import read_manifest
from .metrics import (
    confusion_metric,
    per_class_table,
    protocol_scores,
    study_scores,
    with_undefined_code,
)
from .run_record import dataset_summary

gdal.UseExceptions()


@dataclass
class EvaluationReport:
    metrics: dict
    confusion: np.ndarray
    class_names: list[str]
    per_scene: dict
    json_path: Path
    table_path: Path


def _read_band(path: Path) -> np.ndarray:
    ds = gdal.Open(str(path))
    return ds.GetRasterBand(1).ReadAsArray()


def _compared(prediction: Path, label: Path, scene: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted and labelled classes of the pixels the engine predicted (those it left as
    nodata leave the count); unlabelled pixels keep the ignore index."""
    predicted, target = _read_band(prediction), _read_band(label)
    if predicted.shape != target.shape:
        raise ValueError(
            f"{scene['name']}: prediction {predicted.shape} and label {target.shape} differ"
        )
    scored = predicted != IGNORE_INDEX
    return (
        torch.from_numpy(predicted[scored].astype(np.int64)),
        torch.from_numpy(target[scored].astype(np.int64)),
    )


def label_rasters(manifest: dict, split: str, data_dir: Path) -> list[dict]:
    """The split's label rasters with their image windows, or a message naming the splits."""
    entry = manifest["splits"].get(split, {})
    rasters = entry.get("label_rasters")
    if not rasters:
        scored = sorted(k for k, v in manifest["splits"].items() if v.get("label_rasters"))
        raise ValueError(
            f"{data_dir} holds no label rasters for split '{split}' (it has them for "
            f"{', '.join(scored) or 'no split'})"
        )
    return rasters


def image_window(entry: dict, folder: Path) -> str:
    """The entry's image, or a virtual raster of its window when it is part of a scene."""
    image = gdal.Open(entry["image"])
    x, y, w, h = entry["window"]
    if (x, y, w, h) == (0, 0, image.RasterXSize, image.RasterYSize):
        return entry["image"]
    path = folder / f"{entry['name']}.vrt"
    gdal.Translate(str(path), image, format="VRT", srcWin=[x, y, w, h])
    return str(path)


def evaluate(
    model_path: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    split: str = "test",
    tta: bool = False,
    device: str = "auto",
    batch_size: int = 4,
    tile_size: int | None = None,
    overlap_pct: float | None = None,
    progress=None,
) -> EvaluationReport:
    from engine.model_file import load_model
    from engine.pipeline import SegmentationOptions, segment

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    manifest = read_manifest(data_dir)
    scenes = label_rasters(manifest, split, data_dir)
    model = load_model(model_path, device=device)
    class_names = list(model.metadata.class_names)
    dataset_names = [c["name"] for c in manifest["classes"]]
    if len(class_names) != len(dataset_names):
        raise ValueError(
            f"the model predicts {len(class_names)} classes, the dataset has {len(dataset_names)}"
        )
    options = SegmentationOptions(
        device=device, batch_size=batch_size, tile_size=tile_size, overlap_pct=overlap_pct,
        tta=tta,
    )  # fmt: skip
    metric = confusion_metric(len(class_names))
    # The study's protocol: unlabelled pixels as one more code (see metrics.py).
    codes_metric = confusion_metric(len(class_names) + 1, ignore_index=None)
    per_scene = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="evaluate_") as tmp:
        for i, scene in enumerate(scenes):
            prediction_path = Path(tmp) / f"{scene['name']}_prediction.tif"

            def scene_progress(fraction: float, message: str, i=i, name=scene["name"]) -> None:
                if progress:
                    progress((i + fraction) / len(scenes), f"{name}: {message}")

            image = image_window(scene, Path(tmp))
            result = segment(image, model, prediction_path, options, progress=scene_progress)
            predicted, target = _compared(prediction_path, data_dir / scene["label"], scene)
            scene_metric = confusion_metric(len(class_names))
            scene_metric.update(predicted, target)
            metric.update(predicted, target)
            codes_metric.update(predicted, with_undefined_code(target, len(class_names)))
            scene_scores = protocol_scores(scene_metric.compute(), class_names)
            per_scene[scene["name"]] = {k: v for k, v in scene_scores.items() if k != "classes"} | {
                "seconds": round(result.seconds, 3),
                "device": result.device,
            }
    confusion = metric.compute()
    metrics = protocol_scores(confusion, class_names)
    metrics |= {k.replace("test_", "", 1) + "_codes": v
                for k, v in study_scores(codes_metric.compute(), "test").items()}  # fmt: skip
    metrics |= {
        "split": split,
        "scenes": len(scenes),
        "dataset": dataset_summary(manifest, str(data_dir)),
        "tta": tta,
        "model": str(model_path),
        "device": model.device,
    }
    report = {
        **metrics,
        "confusion_matrix": confusion.tolist(),
        "per_scene": per_scene,
    }
    json_path = out_dir / "metrics.json"
    json_path.write_text(json.dumps(report, indent=1))
    table_path = out_dir / "per_class.md"
    table_path.write_text(per_class_table(metrics))
    plots.confusion_matrix(
        confusion.numpy(), class_names, out_dir / "confusion.png",
        title=f"{split}{' + D4 TTA' if tta else ''}: whole images",
    )  # fmt: skip
    return EvaluationReport(
        metrics, confusion.numpy(), class_names, per_scene, json_path, table_path
    )
