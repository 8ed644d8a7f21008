"""The header every run prints before its first step (and ``--dry-run`` prints alone).

It states what the run will really do, so a config can be checked against the study before
hours of GPU time: device, data and tile counts, batches and optimiser steps per epoch, the
effective batch, the parameter groups with their sizes and learning rates, the schedule,
the loss and what picks and stops, and where the weights start from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .losses import class_weights_text
from .optim import lr_text

if TYPE_CHECKING:
    from .loop import Trainer


def _device_line(trainer: Trainer) -> str:
    device = trainer.device
    amp = {torch.bfloat16: "bf16 AMP", torch.float16: "fp16 AMP"}.get(trainer.amp_dtype, "fp32")
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)}), {amp}"
    return f"cpu ({torch.get_num_threads()} threads), {amp}"


def _data_lines(trainer: Trainer) -> list[str]:
    c, m = trainer.config.data, trainer.manifest
    resolution = f" at {m['resolution_cm']:g} cm" if m.get("resolution_cm") else ""
    train_used = len(trainer.train_loader.dataset)
    validation_used = len(trainer.validation_loader.dataset)
    return [
        f"data        {c.dir}: {m['dataset']} ({m['split_scheme']} split), "
        f"{m['tile_size']} px tiles{resolution}, {len(trainer.class_names)} classes",
        f"tiles       train '{c.train_split}' {train_used} of {len(trainer.train_set)}, "
        f"validation '{c.validation_split}' {validation_used} of {len(trainer.validation_set)}",
    ]


def _step_lines(trainer: Trainer) -> list[str]:
    c = trainer.config
    world = trainer.ctx.world_size
    effective = c.data.batch_size * c.optim.accumulate * world
    processes = f" × {world} processes" if world > 1 else ""
    total = trainer.steps_per_epoch * c.train.epochs
    return [
        f"steps       {len(trainer.train_loader)} batches of {c.data.batch_size} per epoch "
        f"and process, {trainer.steps_per_epoch} optimiser steps per epoch, {total} in "
        f"{c.train.epochs} epochs",
        f"batch       effective {effective} = batch {c.data.batch_size} × accumulate "
        f"{c.optim.accumulate}{processes}",
    ]


def _optimiser_lines(trainer: Trainer) -> list[str]:
    o = trainer.config.optim
    no_decay = sum(
        len(g["params"]) for g in trainer.optimizer.param_groups if g["weight_decay"] == 0
    )
    decay = f"weight decay {o.weight_decay:g}" + (
        f" (none on {no_decay} norm/bias tensors)" if no_decay and o.weight_decay else ""
    )
    hyper = f"betas {o.betas}, eps {o.eps:g}" if o.name == "adamw" else f"momentum {o.momentum}"
    shape = (
        f"one-cycle (lr/{o.div_factor:g} -> lr in {o.pct_start:.0%} of the steps -> "
        f"lr/{o.final_div_factor:g}; momentum {o.moms})"
        if o.schedule == "one_cycle"
        else o.schedule
    )
    lines = [f"optimiser   {o.name}, {decay}, {hyper}; schedule {shape}"]
    count = len(trainer.groups)
    lines.append(
        f"groups      {count} parameter group{'s' * (count != 1)} (fastai's split of "
        f"{trainer.config.model.architecture}), lr {lr_text(o.lr)}:"
    )
    for group in trainer.groups:
        lines.append(
            f"            - {group.name}: {len(group.params)} tensors, {group.size:,} "
            f"parameters, peak lr {group.lr:.3g}"
        )
    return lines


def _stopping_line(trainer: Trainer) -> str:
    t = trainer.config.train
    picks = f"best.pt by {t.monitor} ({t.monitor_mode})"
    if not t.patience:
        return f"{picks}; no early stopping"
    monitor, mode = trainer.stop_tracker.key, trainer.stop_tracker.mode
    delta = f", min_delta {t.min_delta:g}" if t.min_delta else ""
    return f"{picks}; early stop on {monitor} ({mode}, patience {t.patience}{delta})"


def header_lines(trainer: Trainer) -> list[str]:
    c = trainer.config
    loss = c.loss.name + (
        f" ({c.loss.ce_weight:g} CE + {c.loss.dice_weight:g} Dice, {c.loss.dice_mode})"
        if c.loss.name == "ce_dice"
        else ""
    )
    if c.loss.class_weights:
        loss += f", {class_weights_text(c.loss.class_weights)}"
    lines = [
        f"run         {c.run.name}: {c.run.description}".rstrip(": "),
        f"folder      {trainer.out} ({trainer.folder_state})",
        f"device      {_device_line(trainer)}",
        *_data_lines(trainer),
        *_step_lines(trainer),
        *_optimiser_lines(trainer),
        f"loss        {loss}; {_stopping_line(trainer)}",
        f"warm start  {trainer.warm_start_text}",
        f"model       {c.model.architecture}, base width {c.model.base_width}, "
        f"{sum(g.size for g in trainer.groups):,} trainable parameters",
    ]
    return lines
