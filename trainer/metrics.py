"""Segmentation scores from one confusion matrix, under the protocols of the literature.

The CSE-UNet paper leaves clutter out (5 classes); ISPRS tables also give all 6 classes; the
AGH study averaged 7 codes: the 6 classes and the "undefined" code of unlabelled pixels, with
fastai's ``JaccardCoeffMulti``. All come from one matrix here: ``cm[t, p]`` counts pixels of
true class t predicted as p. The training loop keeps a matrix with one extra code, the last,
for pixels labelled without class (the ignore index); the class scores read the classes'
block of it, so unlabelled pixels never enter them. Under the 5-class protocol the excluded
class's pixels (by their label) leave OA, and the means run over the other classes;
predictions of the excluded class on other pixels still count as errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchmetrics.classification import MulticlassConfusionMatrix

from .data.labels import IGNORE_INDEX


def confusion_metric(
    classes: int, ignore_index: int | None = IGNORE_INDEX
) -> MulticlassConfusionMatrix:
    """Accumulates one matrix over a whole evaluation; synced across ranks on compute()."""
    return MulticlassConfusionMatrix(classes, ignore_index=ignore_index, validate_args=False)


def with_undefined_code(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """Labels with the ignore index as code ``classes``: the study's "undefined" code."""
    return labels.masked_fill(labels == IGNORE_INDEX, classes)


def jaccard_coeff_multi(cm: np.ndarray | torch.Tensor) -> float:
    """fastai's JaccardCoeffMulti over every code of ``cm``: per code, intersection over
    union of prediction and target accumulated over the whole set; a code that neither
    occurs nor is predicted is left out of the mean (NaN, then nanmean)."""
    cm = _as_array(cm)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, tp / union, np.nan)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def study_scores(cm_codes: np.ndarray | torch.Tensor, prefix: str = "validation") -> dict:
    """The study's table columns from the matrix with the undefined code: fastai's pixel
    accuracy, DiceMulti and JaccardCoeffMulti over all codes (e.g. ``validation_jaccard7``)."""
    cm = _as_array(cm_codes)
    codes = len(cm)
    tp = np.diag(cm)
    total = cm.sum()
    denominator = cm.sum(0) + cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dice = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    return {
        f"{prefix}_accuracy{codes}": float(tp.sum() / total) if total else float("nan"),
        f"{prefix}_dice{codes}": float(np.nanmean(dice)) if np.isfinite(dice).any() else np.nan,
        f"{prefix}_jaccard{codes}": jaccard_coeff_multi(cm),
    }


def _as_array(cm: np.ndarray | torch.Tensor) -> np.ndarray:
    cm = cm.detach().cpu().numpy() if isinstance(cm, torch.Tensor) else np.asarray(cm)
    return cm.astype(np.float64)


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
    cm = _as_array(cm)
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
    cm_codes: torch.Tensor, class_names: list[str], prefix: str = "validation"
) -> dict[str, float]:
    """The flat numbers logged per epoch (metrics.csv) from the matrix with the undefined
    code: validation_oa, validation_miou6/5, validation_mf1_6/5 (with clutter left out in
    the 5-class ones), and the study's validation_accuracy7, _dice7 and _jaccard7."""
    n = len(class_names)
    cm = cm_codes[:n, :n]
    full = scores(cm)
    flat = {f"{prefix}_oa": full.oa, f"{prefix}_miou{n}": full.miou, f"{prefix}_mf1_{n}": full.mf1}
    names_lower = [name.lower() for name in class_names]
    if "clutter" in names_lower:
        part = scores(cm, exclude=(names_lower.index("clutter"),))
        flat.update({
            f"{prefix}_oa{n - 1}": part.oa,
            f"{prefix}_miou{n - 1}": part.miou,
            f"{prefix}_mf1_{n - 1}": part.mf1,
        })  # fmt: skip
    return flat | study_scores(cm_codes, prefix)


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
    codes = next((k for k in result if k.startswith("jaccard") and k.endswith("_codes")), None)
    if codes:
        n = codes[len("jaccard") : -len("_codes")]
        lines.append(
            f"| **the study's {n} codes**, classes and undefined (fastai JaccardCoeffMulti / "
            f"DiceMulti; accuracy {_pct(result[f'accuracy{n}_codes'])}) | "
            f"{_pct(result[codes])} | {_pct(result[f'dice{n}_codes'])} |"
        )
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.2f}"
