"""Fine-tuning under a time budget (or a number of epochs), keeping the best held-out weights.

An "epoch" here is a fixed number of optimiser steps on freshly sampled crops; after each, the
held-out polygons are predicted and scored, and the weights with the best held-out mIoU are
kept. The base model (after fitting its head) is scored first as epoch 0, so the report can
say how much fine-tuning gained and the run never returns something worse than its start.
The learning rate warms up, then follows a cosine over the budget's elapsed fraction (time or
steps), so a run cut by its time budget still ends at a low rate.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.cancel import CancelToken
from engine.errors import Cancelled

from ..precision import autocast, autocast_dtype
from .labels import UNLABELLED
from .network import freeze_batchnorm, predict_window
from .request import TrainingPlan
from .sampling import CropSampler, Normalisation
from .scene import TrainingScene

WARMUP_FRACTION = 0.05
Progress = Callable[[float, str], None]


@dataclass
class EpochRecord:
    epoch: int
    steps: int
    seconds: float
    train_loss: float | None
    holdout_miou: float | None
    holdout_iou: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainingOutcome:
    history: list[EpochRecord]
    best_epoch: int
    best_state: dict
    stopped_by: str  # "time" | "epochs"
    seconds: float
    precision: str = "fp32"  # what the forward passes ran in: fp32 | bfloat16 | float16

    @property
    def best(self) -> EpochRecord:
        return next(r for r in self.history if r.epoch == self.best_epoch)


def masked_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labelled pixels only: unlabelled pixels give no gradient."""
    return F.cross_entropy(logits, targets, ignore_index=UNLABELLED)


class HoldoutScorer:
    """IoU per class on the held-out polygons' pixels (only the tiles that hold them run)."""

    def __init__(self, scene: TrainingScene, normalisation: Normalisation, names: list[str]):
        self.names = names
        self.normalise = normalisation.model_input
        self.windows = [
            (w.image, w.holdout) for w in scene.windows if (w.holdout != UNLABELLED).any()
        ]

    @property
    def available(self) -> bool:
        return bool(self.windows)

    def score(self, module: nn.Module, tile: int, device: torch.device) -> tuple[float, dict]:
        classes = len(self.names)
        confusion = np.zeros((classes, classes), dtype=np.int64)
        for image, truth in self.windows:
            keep = truth != UNLABELLED
            predicted = predict_window(module, image, self.normalise, tile, device, needed=keep)
            pairs = truth[keep].astype(np.int64) * classes + predicted[keep]
            confusion += np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
        present = confusion.sum(axis=1) > 0
        intersection = np.diag(confusion)
        union = confusion.sum(axis=0) + confusion.sum(axis=1) - intersection
        iou = {
            self.names[i]: float(intersection[i] / union[i]) for i in range(classes) if present[i]
        }
        return float(np.mean(list(iou.values()))), iou


def _parameter_groups(module: nn.Module, plan: TrainingPlan) -> list[dict]:
    """The encoder at ``encoder_lr_scale`` of the rate (frozen at 0), the rest at the rate."""
    encoder = getattr(module, "encoder", None)
    encoder_ids = {id(p) for p in encoder.parameters()} if encoder is not None else set()
    scale = plan.encoder_lr_scale
    for p in module.parameters():
        p.requires_grad_(scale > 0 or id(p) not in encoder_ids)
    rest = [p for p in module.parameters() if id(p) not in encoder_ids]
    groups = [{"params": rest, "scale": 1.0}]
    if scale > 0 and encoder_ids:
        groups.append({"params": list(encoder.parameters()), "scale": scale})
    return groups


def _learning_rate(plan: TrainingPlan, fraction: float) -> float:
    if fraction < WARMUP_FRACTION:
        return plan.learning_rate * max(fraction / WARMUP_FRACTION, 0.05)
    progress = (fraction - WARMUP_FRACTION) / (1 - WARMUP_FRACTION)
    return plan.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


class _Clock:
    """The run's elapsed fraction by time or by steps, whichever budget ends it first."""

    def __init__(self, plan: TrainingPlan):
        self.plan = plan
        self.started = time.perf_counter()
        self.total_steps = plan.epochs * plan.steps_per_epoch if plan.epochs else None

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def fraction(self, step: int) -> float:
        parts = []
        if self.plan.minutes:
            parts.append(self.seconds / (60 * self.plan.minutes))
        if self.total_steps:
            parts.append(step / self.total_steps)
        return min(max(parts), 1.0)

    def done(self, step: int) -> bool:
        return self.fraction(step) >= 1.0


def train(
    module: nn.Module,
    sampler: CropSampler,
    scorer: HoldoutScorer,
    plan: TrainingPlan,
    tile: int,
    device: torch.device,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> TrainingOutcome:
    report = progress or (lambda fraction, message: None)
    torch.manual_seed(plan.seed)
    module.to(device)
    optimizer = torch.optim.AdamW(_parameter_groups(module, plan), weight_decay=plan.weight_decay)
    precision = autocast_dtype(device, plan.mixed_precision)
    clock = _Clock(plan)
    history: list[EpochRecord] = []
    best = (-1.0, 0, copy.deepcopy(module.state_dict()))

    def evaluate(epoch: int, steps: int, loss: float | None) -> None:
        nonlocal best
        miou, iou = scorer.score(module, tile, device) if scorer.available else (None, {})
        history.append(EpochRecord(epoch, steps, round(clock.seconds, 2), loss, miou, iou))
        value = miou if miou is not None else float(epoch)  # no held-out: keep the last
        if value > best[0]:
            best = (value, epoch, copy.deepcopy(module.state_dict()))

    evaluate(0, 0, None)
    step, epoch = 0, 0
    while not clock.done(step):
        epoch += 1
        module.train()
        freeze_batchnorm(module)
        losses = []
        for _ in range(plan.steps_per_epoch):
            if cancel is not None and cancel.cancelled:
                raise Cancelled("fine-tuning cancelled; no model was written")
            fraction = clock.fraction(step)
            if fraction >= 1.0:
                break
            rate = _learning_rate(plan, fraction)
            for group in optimizer.param_groups:
                group["lr"] = rate * group["scale"]
            images, targets = sampler.batch(plan.batch_size)
            with autocast(device, precision):
                logits = module(images.to(device))
            loss = masked_loss(logits.float(), targets.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            step += 1
            report(clock.fraction(step), f"epoch {epoch}, step {step}, loss {losses[-1]:.3f}")
        evaluate(epoch, step, float(np.mean(losses)) if losses else None)
        last = history[-1]
        if last.holdout_miou is not None:
            report(clock.fraction(step), f"epoch {epoch}: held-out mIoU {last.holdout_miou:.3f}")
    stopped_by = "epochs" if plan.epochs and step >= (clock.total_steps or 0) else "time"
    dtype = "fp32" if precision is None else str(precision).removeprefix("torch.")
    return TrainingOutcome(
        history, best[1], best[2], stopped_by, round(clock.seconds, 2), precision=dtype
    )
