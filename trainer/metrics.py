"""Segmentation scores from one confusion matrix, under both protocols of the literature.

The CSE-UNet paper leaves clutter out (5 classes); the AGH study averaged all codes. Both
come from the same matrix here: ``cm[t, p]`` counts pixels of true class t predicted as p,
ignore-index pixels never enter it. Under the 5-class protocol the excluded class's pixels
(by their label) leave OA, and the means run over the other classes; predictions of the
excluded class on other pixels still count as errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics.classification import MulticlassConfusionMatrix

from .data.labels import IGNORE_INDEX


def confusion_metric(classes: int, ignore_index: int = IGNORE_INDEX) -> MulticlassConfusionMatrix:
    """Accumulates one matrix over a whole evaluation; synced across ranks on compute()."""
    return MulticlassConfusionMatrix(classes, ignore_index=ignore_index, validate_args=False)


@dataclass(frozen=True)
class Scores:
    oa: float
    iou: list[float]
    f1: list[float]
    miou: float
    mf1: float

    def as_dict(self, suffix: str = "") -> dict[str, float]:
        return {f"oa{suffix}": self.oa, f"miou{suffix}": self.miou, f"mf1{suffix}": self.mf1}


def scores(cm: np.ndarray | torch.Tensor, exclude: tuple[int, ...] = ()) -> Scores:
    """OA, per-class IoU/F1 and their means; classes in ``exclude`` are left out.

    A class that never occurs and is never predicted has no IoU (NaN) and no share in the
    means, as usual in the benchmark tables.
    """
    cm = cm.detach().cpu().numpy() if isinstance(cm, torch.Tensor) else np.asarray(cm)
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = tp / (tp + fp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
    keep = np.array([c not in exclude for c in range(len(tp))])
    rows = cm[keep].sum()
    oa = float(tp[keep].sum() / rows) if rows else float("nan")
    kept_iou, kept_f1 = iou[keep], f1[keep]
    miou = float(np.nanmean(kept_iou)) if np.isfinite(kept_iou).any() else float("nan")
    mf1 = float(np.nanmean(kept_f1)) if np.isfinite(kept_f1).any() else float("nan")
    return Scores(oa, iou.tolist(), f1.tolist(), miou, mf1)


def protocol_scores(
    cm: np.ndarray | torch.Tensor, class_names: list[str], excluded_class: str = "clutter"
) -> dict:
    """Both protocols: all classes, and all but clutter (when the dataset has it)."""
    full = scores(cm)
    result: dict = {f"{k}_all": v for k, v in full.as_dict().items()}
    result["classes"] = {
        name: {"iou": full.iou[i], "f1": full.f1[i]} for i, name in enumerate(class_names)
    }
    names_lower = [n.lower() for n in class_names]
    if excluded_class in names_lower:
        part = scores(cm, exclude=(names_lower.index(excluded_class),))
        result.update({f"{k}_no_{excluded_class}": v for k, v in part.as_dict().items()})
    matrix = cm.detach().cpu() if isinstance(cm, torch.Tensor) else torch.as_tensor(cm)
    result["pixels"] = int(matrix.sum())
    return result


def epoch_scores(
    cm: torch.Tensor, class_names: list[str], prefix: str = "validation"
) -> dict[str, float]:
    """The flat numbers logged per epoch (metrics.csv): validation_oa, validation_miou6/5,
    validation_mf1_6/5 (with clutter left out in the 5-class ones)."""
    full = scores(cm)
    n = len(class_names)
    flat = {f"{prefix}_oa": full.oa, f"{prefix}_miou{n}": full.miou, f"{prefix}_mf1_{n}": full.mf1}
    names_lower = [name.lower() for name in class_names]
    if "clutter" in names_lower:
        part = scores(cm, exclude=(names_lower.index("clutter"),))
        flat.update({
            f"{prefix}_oa{n - 1}": part.oa,
            f"{prefix}_miou{n - 1}": part.miou,
            f"{prefix}_mf1_{n - 1}": part.mf1,
        })  # fmt: skip
    return flat


def per_class_table(result: dict) -> str:
    """A Markdown table of per-class IoU/F1 and the means of both protocols."""
    lines = ["| class | IoU | F1 |", "|---|---|---|"]
    for name, values in result["classes"].items():
        lines.append(f"| {name} | {_pct(values['iou'])} | {_pct(values['f1'])} |")
    for suffix, label in (("all", "all classes"), ("no_clutter", "without clutter")):
        if f"miou_{suffix}" in result:
            lines.append(
                f"| **mean, {label}** (OA {_pct(result[f'oa_{suffix}'])}) | "
                f"{_pct(result[f'miou_{suffix}'])} | {_pct(result[f'mf1_{suffix}'])} |"
            )
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.2f}"
