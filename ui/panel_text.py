"""The panel's words: model card, device line, result summary. Pure text, no Qt, so it is
tested (and reused) without a widget."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..engine.metadata import KEY_CLASS_NAMES, KEY_RESOLUTION, KEY_TILE_SIZE

# What a model file that lacks a key means for the analyst (keys never appear in the panel).
UNSTATED = {
    KEY_RESOLUTION: "no pixel size (GSD): rasters run at their own resolution",
    KEY_CLASS_NAMES: "no class names: classes are numbered from the model's outputs",
    KEY_TILE_SIZE: "no tile size: the model's input shape or 512 px is used",
}
_COMMAND = re.compile(r"\s*\([^()]*\bpython -m\b[^()]*\)|\s*\bpython -m [^;,()]*")
_VERSION = re.compile(r"^v?\d+(\.\d+)*([-+.]\w+)?$")


def describe_devices(devices: dict) -> str:
    """Plain words on what the engine found, from ``engine.backends.available_devices()``."""
    if "error" in devices:
        return f"Device detection failed: {devices['error']}"
    providers = [
        str(p).replace("ExecutionProvider", "") for p in devices.get("onnxruntime_providers", [])
    ]
    if devices.get("onnxruntime_cuda"):
        first = "CUDA GPU found: Auto runs on the GPU."
    elif devices.get("torch_cuda"):
        first = (
            "CUDA works in torch only: install onnxruntime-gpu to run ONNX models on the GPU; "
            "Auto runs on the CPU."
        )
    else:
        first = "No CUDA GPU found: Auto runs on the CPU."
    details = []
    if devices.get("onnxruntime"):
        details.append(f"ONNX Runtime {devices['onnxruntime']} ({', '.join(providers) or '-'})")
    if devices.get("torch"):
        details.append(f"torch {devices['torch']}")
    return first + (f" {'; '.join(details)}." if details else "")


def format_area(square_metres: float | None) -> str:
    if square_metres is None or square_metres != square_metres:  # None or NaN
        return "–"
    if square_metres >= 10_000:
        return f"{square_metres / 10_000:,.2f} ha"
    return f"{square_metres:,.0f} m²"


def result_summary(result) -> str:
    """Device, time and tiles of an ``engine.results.SegmentationResult``."""
    parts = [f"Device: {str(result.device).upper()} ({result.backend})"]
    parts.append(f"time: {float(result.seconds):.1f} s")
    skipped = f", {result.tiles_skipped} skipped" if result.tiles_skipped else ""
    parts.append(f"tiles: {result.tiles_processed}{skipped}")
    return ", ".join(parts)


def plain_training_text(text: str, limit: int = 160) -> str:
    """What a model was trained on, without the command lines and run folders a trainer
    writes into the metadata."""
    text = _COMMAND.sub("", text or "")
    text = re.sub(r"\s*\b(?:runs|checkpoints)/\S+", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ;,")
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "…"


def readable_version(version: str) -> str:
    """``v1.2`` for a version number; nothing for an internal run name."""
    version = str(version or "").strip()
    if not _VERSION.match(version):
        return ""
    return version if version.startswith("v") else f"v{version}"


def held_out_score(metrics: dict) -> str:
    """The model's score on data it never trained on, when its metadata states one."""
    for key, label in (("test_miou6", "test mIoU"), ("held_out_miou6", "held-out mIoU")):
        score = metrics.get(key)
        if isinstance(score, int | float):
            protocol = metrics.get("protocol")
            return f"{label} {100 * score:.1f} %" + (f" ({protocol})" if protocol else "")
    return ""


def _swatch_rows(classes) -> str:
    # A bordered one-cell table per swatch, so that white or pale classes stay visible.
    return "".join(
        '<tr><td><table border="1" cellspacing="0" cellpadding="0" style="border-color:#777">'
        f'<tr><td bgcolor="#{c.color[0]:02x}{c.color[1]:02x}{c.color[2]:02x}" width="14">'
        f"&nbsp;</td></tr></table></td><td>&nbsp;{html.escape(str(c.name))}</td></tr>"
        for c in classes
    )


def model_card_html(metadata, path: Path) -> str:
    """Classes with colour swatches, GSD, tile size and training data, from the model file."""
    facts = []
    if metadata.resolution_cm:
        facts.append(f"GSD {metadata.resolution_cm:g} cm/px")
    if metadata.tile_size:
        facts.append(f"tiles {metadata.tile_size} px")
    facts.append(f"overlap {metadata.tile_overlap_pct:g} %")
    facts.append(f"bands {', '.join(map(str, metadata.input_bands))}")
    if metadata.architecture:
        facts.append(html.escape(str(metadata.architecture)))
    text = f"<b>{html.escape(path.stem)}</b>"
    version = readable_version(metadata.version)
    if version:
        text += f" {html.escape(version)}"
    text += f"<br>{' · '.join(facts)}"
    training = plain_training_text(metadata.training_data)
    if training:
        text += f"<br>Trained on: {html.escape(training)}"
    score = held_out_score(metadata.metrics)
    if score:
        text += f"<br>Scores: {html.escape(score)}"
    if metadata.description:
        text += f"<br><i>{html.escape(str(metadata.description))}</i>"
    for h, classes in enumerate(metadata.heads, start=1):
        if len(metadata.heads) > 1:
            text += f"<br>Output {h}:"
        text += f'<table cellspacing="2">{_swatch_rows(classes)}</table>'
    unstated = [UNSTATED[key] for key in metadata.missing if key in UNSTATED]
    if unstated:
        text += "<br><small>The model file states " + html.escape("; ".join(unstated))
        text += ".</small>"
    return text
