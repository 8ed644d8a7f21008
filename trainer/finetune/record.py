"""What a fine-tuning run stores in its model file, for the model card and for provenance."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from engine.metadata import ModelMetadata

from ..machine import describe_machine
from ..run_record import now
from .classes import ClassScheme
from .loop import TrainingOutcome, TrainingPlan
from .scene import TrainingScene
from .split import HoldoutSplit


def finetune_record(
    *,
    base_name: str,
    base: ModelMetadata,
    image: str,
    label_source: str,
    scheme: ClassScheme,
    split: HoldoutSplit,
    scene: TrainingScene,
    plan: TrainingPlan,
    outcome: TrainingOutcome,
    device: str,
    command: str,
) -> dict[str, Any]:
    return {
        "finished": now(),
        "command": command,
        "base_model": {
            "name": base_name,
            "architecture": base.architecture,
            "classes": base.class_names,
            "resolution_cm": base.resolution_cm,
            "training_data": base.training_data,
        },
        "image": image,
        "labels": label_source,
        "classes": {
            "names": list(scheme.names),
            "from_base": [n for n, row in zip(scheme.names, scheme.base_rows) if row is not None],
            "new": scheme.new_classes,
        },
        "polygons": {
            "train": split.train_polygons,
            "holdout": split.holdout_polygons,
            "classes_without_holdout": list(split.classes_without_holdout),
        },
        "pixels": {
            "train": scene.class_pixels("train", len(scheme)).tolist(),
            "holdout": scene.class_pixels("holdout", len(scheme)).tolist(),
        },
        "grid": {
            "resolution_cm": scene.gsd_cm,
            "raster_resolution_cm": scene.raster_gsd_cm,
            "resampled": scene.resampled,
            "windows": len(scene.windows),
        },
        "plan": asdict(plan),
        "history": [asdict(record) for record in outcome.history],
        "best_epoch": outcome.best_epoch,
        "stopped_by": outcome.stopped_by,
        "seconds": outcome.seconds,
        "device": device,
        "precision": outcome.precision,
        "machine": describe_machine(),
    }
