"""Losses of the study's phases: cross-entropy, CE + Dice, and Focal, all with an ignore index."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .data.labels import IGNORE_INDEX


@dataclass
class LossConfig:
    name: str = "ce"  # ce | ce_dice | focal
    ce_weight: float = 1.0  # ce_dice = ce_weight · CE + dice_weight · Dice
    dice_weight: float = 1.0
    # batch: one soft Dice over the batch, classes present only; fastai: fastai's DiceLoss,
    # per image and class (smooth 1e-6), every class, averaged (the study's CombinedLoss)
    dice_mode: str = "batch"
    focal_gamma: float = 2.0
    class_weights: list[float] = field(default_factory=list)
    ignore_index: int = IGNORE_INDEX
    ignore_classes: list[int] = field(default_factory=list)  # e.g. clutter for the paper
    label_smoothing: float = 0.0


def class_weights_text(weights: list[float]) -> str:
    """How the run header and the model card name a loss's class weights."""
    return f"class weights [{', '.join(f'{w:g}' for w in weights)}]"


class SegmentationLoss(nn.Module):
    def __init__(self, config: LossConfig):
        super().__init__()
        if config.name not in ("ce", "ce_dice", "focal"):
            raise ValueError(f"loss '{config.name}' unknown: use ce, ce_dice or focal")
        if config.dice_mode not in ("batch", "fastai"):
            raise ValueError(f"[loss] dice_mode '{config.dice_mode}' unknown: use batch or fastai")
        self.config = config
        weights = torch.tensor(config.class_weights) if config.class_weights else None
        self.register_buffer("weights", weights, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        c = self.config
        target = target.long()
        for cls in c.ignore_classes:
            target = target.masked_fill(target == cls, c.ignore_index)
        logits = logits.float()
        if c.name == "focal":
            return focal_loss(logits, target, c.focal_gamma, c.ignore_index, self.weights)
        loss = F.cross_entropy(
            logits,
            target,
            weight=self.weights,
            ignore_index=c.ignore_index,
            label_smoothing=c.label_smoothing,
        )
        if c.name == "ce_dice":
            dice = fastai_dice_loss if c.dice_mode == "fastai" else dice_loss
            loss = c.ce_weight * loss + c.dice_weight * dice(logits, target, c.ignore_index)
        return loss


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float,
    ignore_index: int = IGNORE_INDEX,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Lin et al.'s focal loss, mean over labelled pixels."""
    valid = target != ignore_index
    safe = target.masked_fill(~valid, 0)
    log_p = F.log_softmax(logits, dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
    loss = -((1 - log_p.exp()) ** gamma) * log_p
    if weight is not None:
        loss = loss * weight.to(loss.dtype)[safe]
    loss = loss * valid
    return loss.sum() / valid.sum().clamp_min(1)


def dice_loss(
    logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX, eps: float = 1.0
) -> torch.Tensor:
    """Soft multi-class Dice (1 - mean Dice over classes present in batch or prediction)."""
    probs, onehot = _soft_and_onehot(logits, target, ignore_index)
    dims = (0, 2, 3)
    intersection = (probs * onehot).sum(dims)
    total = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * intersection + eps) / (total + eps)
    return 1 - dice.mean()


def fastai_dice_loss(
    logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """fastai's DiceLoss: 1 - (2·intersection + 1e-6) / (sum + 1e-6) per image and class,
    over every class, averaged; ignored pixels count for no class."""
    probs, onehot = _soft_and_onehot(logits, target, ignore_index)
    intersection = (probs * onehot).sum((2, 3))
    total = (probs + onehot).sum((2, 3))
    return (1 - (2 * intersection + 1e-6) / (total + 1e-6)).mean()


def _soft_and_onehot(
    logits: torch.Tensor, target: torch.Tensor, ignore_index: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax and one-hot target (N, C, H, W), both zero on ignored pixels."""
    valid = (target != ignore_index).unsqueeze(1)
    probs = F.softmax(logits, dim=1) * valid
    onehot = F.one_hot(target.masked_fill(~valid.squeeze(1), 0), logits.shape[1])
    return probs, onehot.permute(0, 3, 1, 2) * valid
