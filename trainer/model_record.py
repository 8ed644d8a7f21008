"""The records a model file carries besides ``engine.metadata``'s keys, and the test scores.

``aerial_seg.training_run`` holds the training record (``run_record.py``),
``aerial_seg.export`` how the file was exported, ``aerial_seg.evaluation`` the latest test
evaluation (scores per class, the colour baseline beside them, the data, the machine).
``aerial_seg.metrics`` holds the flat numbers: the best epoch's ``validation_*`` scores and,
once evaluated, the ``test_*`` ones. The model card is written from these alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.metadata import (
    OUR_PREFIX,
    ModelMetadata,
    from_onnx_props,
    read_onnx_props,
    write_onnx_metadata,
)

KEY_TRAINING_RUN = OUR_PREFIX + "training_run"
KEY_EXPORT = OUR_PREFIX + "export"
KEY_EVALUATION = OUR_PREFIX + "evaluation"
RECORD_KEYS = (KEY_TRAINING_RUN, KEY_EXPORT, KEY_EVALUATION)
# Metrics an evaluation replaces: its own, and what files exported before the splits were
# separated carry ("val_" could be the test split there, "held_out_" either split, and a
# hand-written "protocol").
REPLACED_METRICS = ("test_", "colour_baseline_", "val_", "held_out_", "protocol")


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=True)


def read_records(path: str | os.PathLike) -> tuple[ModelMetadata, dict[str, Any]]:
    """The file's metadata and its records (absent ones are None)."""
    props = read_onnx_props(path)
    records = {key: json.loads(props[key]) if key in props else None for key in RECORD_KEYS}
    return from_onnx_props(props), records


def flat_scores(scores: dict, prefix: str, classes: int) -> dict[str, float]:
    """``evaluate``'s protocol scores as flat metric names, the way metrics.csv names them:
    ``test_miou6``, ``test_oa6``, ``test_mf1_6`` and, without clutter, ``..5``."""
    flat = {}
    for suffix, count in (("all", classes), ("no_clutter", classes - 1)):
        if f"miou_{suffix}" in scores:
            flat[f"{prefix}_oa{count}"] = scores[f"oa_{suffix}"]
            flat[f"{prefix}_miou{count}"] = scores[f"miou_{suffix}"]
            flat[f"{prefix}_mf1_{count}"] = scores[f"mf1_{suffix}"]
    return flat


def evaluation_metrics(evaluation: dict, classes: int) -> dict[str, float]:
    """The flat ``test_*`` (and ``colour_baseline_test_*``) numbers of an evaluation record."""
    metrics = flat_scores(evaluation["scores"], "test", classes)
    if evaluation.get("colour_baseline"):
        metrics |= flat_scores(evaluation["colour_baseline"], "colour_baseline_test", classes)
    return metrics


def stamp_evaluation(path: Path, evaluation: dict) -> ModelMetadata:
    """Write the evaluation record and its flat test scores into the model file (in place,
    through a temporary file); earlier test scores are replaced, validation ones kept."""
    meta, _ = read_records(path)
    kept = {k: v for k, v in meta.metrics.items() if not k.startswith(REPLACED_METRICS)}
    meta = meta.with_changes(metrics=kept | evaluation_metrics(evaluation, len(meta.classes)))
    write_onnx_metadata(path, meta, {KEY_EVALUATION: dump(evaluation)})
    return meta
