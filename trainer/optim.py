"""Optimiser and schedule: discriminative learning rates over layer groups, as fastai did.

The study trained with ``lr=slice(lo, hi)``: the earliest layer group gets ``lo``, the last
``hi``, the ones between geometric steps. Groups: the model's own ``layer_groups()`` if it
has one; otherwise encoder / decoder (and the rest) / head when there are three and the model
has those parts; otherwise contiguous runs of parameters in definition order.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import OptimConfig


def layer_groups(model: nn.Module, count: int) -> list[list[nn.Parameter]]:
    if hasattr(model, "layer_groups"):
        return [list(g.parameters()) if isinstance(g, nn.Module) else list(g)
                for g in model.layer_groups()]  # fmt: skip
    params = [p for p in model.parameters() if p.requires_grad]
    if count <= 1:
        return [params]
    encoder, head = getattr(model, "encoder", None), getattr(model, "head", None)
    if count == 3 and isinstance(encoder, nn.Module) and isinstance(head, nn.Module):
        first = {id(p) for p in encoder.parameters()}
        last = {id(p) for p in head.parameters()}
        groups = [
            [p for p in params if id(p) in first],
            [p for p in params if id(p) not in first and id(p) not in last],
            [p for p in params if id(p) in last],
        ]
        if all(groups):
            return groups
    size = math.ceil(len(params) / count)
    return [params[i : i + size] for i in range(0, len(params), size)]


def group_lrs(lr: float | list[float], count: int) -> list[float]:
    """fastai's even_mults: geometric steps from lo to hi."""
    if not isinstance(lr, list):
        return [float(lr)] * count
    lo, hi = float(lr[0]), float(lr[1])
    if count == 1:
        return [hi]
    step = (hi / lo) ** (1 / (count - 1))
    return [lo * step**i for i in range(count)]


def build_optimizer(model: nn.Module, config: OptimConfig) -> tuple[torch.optim.Optimizer, list]:
    groups = [g for g in layer_groups(model, config.layer_groups) if g]
    lrs = group_lrs(config.lr, len(groups))
    param_groups = [{"params": g, "lr": lr} for g, lr in zip(groups, lrs)]
    if config.name == "sgd":
        optimizer = torch.optim.SGD(
            param_groups, lr=lrs[-1], momentum=config.momentum, weight_decay=config.weight_decay
        )
    else:
        optimizer = torch.optim.AdamW(
            param_groups, lr=lrs[-1], betas=tuple(config.betas), weight_decay=config.weight_decay
        )
    return optimizer, lrs


class WarmupCosine:
    """Linear warm-up then cosine decay to zero, as a LambdaLR factor (picklable, stateless)."""

    def __init__(self, warmup: int, total: int):
        self.warmup, self.total = warmup, max(1, total)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    config: OptimConfig,
    lrs: list[float],
    total_steps: int,
    steps_per_epoch: int,
) -> torch.optim.lr_scheduler.LRScheduler:
    if config.schedule == "one_cycle" and total_steps >= 3:
        # Each of the two phases needs at least one step (smoke runs have only a few).
        pct_start = min(max(config.pct_start, 2 / total_steps), 1 - 1 / total_steps)
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=lrs,
            total_steps=total_steps,
            pct_start=pct_start,
            div_factor=config.div_factor,
            final_div_factor=config.final_div_factor,
            cycle_momentum=config.name == "adamw",
            base_momentum=0.85,
            max_momentum=0.95,
        )
    if config.schedule == "cosine":
        warmup = round(config.warmup_epochs * steps_per_epoch)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(warmup, total_steps))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
