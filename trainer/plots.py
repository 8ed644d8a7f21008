"""The study's figures as PNG: learning curves, confusion matrix, image / target / prediction."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from .data.labels import IGNORE_INDEX


def learning_curves(history: list[dict], path: Path) -> None:
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("train_loss", "validation_loss"):
        ax_loss.plot(epochs, [h.get(key, np.nan) for h in history], marker="o", label=key)
    for ax in (ax_loss, ax_metric):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_loss.set_xlabel("epoch")
    ax_loss.set_title("loss")
    ax_loss.legend()
    metric_keys = sorted(
        {
            k
            for h in history
            for k in h
            if k.startswith(("validation_miou", "validation_oa", "validation_jaccard"))
        }
    )
    for key in metric_keys:
        ax_metric.plot(epochs, [h.get(key, np.nan) for h in history], marker="o", label=key)
    ax_metric.set_xlabel("epoch")
    ax_metric.set_title("validation")
    ax_metric.set_ylim(0, 1)
    ax_metric.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def confusion_matrix(cm: np.ndarray, class_names: list[str], path: Path, title: str = "") -> None:
    """Row-normalised (recall per true class), with the counts' share printed in each cell."""
    cm = np.asarray(cm, dtype=np.float64)
    rows = cm.sum(1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.1 * n + 2.5, 1.1 * n + 1.5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{norm[i, j]:.2f}", ha="center", va="center",
                    color="white" if norm[i, j] > 0.5 else "black", fontsize=8)  # fmt: skip
    ax.set_title(title or "confusion matrix (rows: share of each true class)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def colourise(labels: np.ndarray, colors: list[tuple[int, int, int]]) -> np.ndarray:
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[: len(colors)] = np.asarray(colors, dtype=np.uint8)
    palette[IGNORE_INDEX] = (0, 0, 0)
    return palette[labels]


def sample_grid(
    images: np.ndarray,
    targets: np.ndarray,
    predictions: np.ndarray,
    colors: list[tuple[int, int, int]],
    path: Path,
) -> None:
    """Rows of image / target / prediction; images are uint8 N×C×H×W (first 3 bands shown)."""
    n = len(images)
    if n == 0:
        return
    fig, axes = plt.subplots(n, 3, figsize=(9, 3 * n), squeeze=False)
    for i in range(n):
        rgb = np.moveaxis(images[i][:3], 0, -1)
        panels = (rgb, colourise(targets[i], colors), colourise(predictions[i], colors))
        for ax, panel, title in zip(axes[i], panels, ("image", "target", "prediction")):
            ax.imshow(panel)
            ax.set_xticks([])  # keep the frame: white (impervious) must not melt into the page
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
