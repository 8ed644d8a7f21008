"""The record of a training run that travels with its checkpoints into the model file.

A record is plain JSON data (it loads with ``torch.load(weights_only=True)`` and is stored in
the ONNX metadata): one entry per phase, each with the resolved config, the dataset it saw
(splits, scene and tile counts, GSD), its validation history and best epoch, its timings,
the command that ran it and the machine it ran on. A warm start copies the phases before it,
so the last phase's record tells the whole story. The model card is written from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

RECORD_FORMAT = 1


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def dataset_summary(manifest: dict, data_dir: str = "") -> dict:
    """What a card needs to say about a prepared dataset, from its manifest."""
    return {
        "dataset": manifest["dataset"],
        "dir": str(data_dir),
        "split_scheme": manifest["split_scheme"],
        "labels": manifest.get("labels", {}),
        "resolution_cm": manifest.get("resolution_cm"),
        "scene_resolution_cm": manifest.get("scene_resolution_cm"),
        "tile_size": manifest["tile_size"],
        "stride": manifest.get("stride", manifest["tile_size"]),
        "channels": manifest["channels"],
        "validation_carve": manifest.get("validation_carve", {}),
        "splits": {
            name: {"scenes": len(entry.get("scenes", [])), "tiles": entry["count"]}
            for name, entry in manifest["splits"].items()
        },
        "prepare_command": manifest.get("command", ""),
    }


def phase_record(
    *,
    config: dict,
    manifest: dict,
    history: list[dict],
    best_epoch: int,
    started: str,
    command: str,
    machines: list[dict],
    warm_start: str = "",
) -> dict:
    """One phase: what it was told to do, what it saw, what came out, where and how long."""
    monitor = config["train"]["monitor"]
    return {
        "name": config["run"]["name"],
        "description": config["run"].get("description", ""),
        "command": command,
        "warm_start": warm_start,
        "config": config,
        "data": dataset_summary(manifest, config["data"]["dir"]),
        "monitor": monitor,
        "monitor_mode": config["train"].get("monitor_mode", "max"),
        "best_epoch": best_epoch,
        "epochs_run": len(history),
        "history": history,
        "started": started,
        "finished": now(),
        "seconds": round(sum(float(row.get("seconds", 0.0)) for row in history), 1),
        "machines": machines,
    }


def extend(previous: dict | None, phase: dict) -> dict:
    """The record of a run that warm-started from ``previous`` (a record or None)."""
    phases = list((previous or {}).get("phases", []))
    return {"format": RECORD_FORMAT, "phases": [*phases, phase]}


def best_row(phase: dict) -> dict[str, Any]:
    """The metrics.csv row of the phase's best epoch (empty if it has none)."""
    return next((row for row in phase["history"] if row["epoch"] == phase["best_epoch"]), {})
