"""Parameter groups, optimiser and schedule as fastai forms them, which the study trained with.

Groups: fastai's ``Learner`` without a splitter puts every trainable parameter in one group
(the study's CSE-UNet); ``unet_learner(resnet34)`` splits with ``_resnet_split`` into the
encoder's stem, layer1 and layer2 / layer3 and layer4 / everything after the encoder (the
study's ResNet34-UNet baseline). A learning rate ``[lo, hi]`` is fastai's ``slice(lo, hi)``:
geometric steps from ``lo`` (first group) to ``hi`` (last), so one group trains at ``hi``; a
single number sets every group. Weight decay is decoupled (fastai's Adam = AdamW) and, with
``norm_bias_decay = false``, skips norm layers and biases as fastai's ``wd_bn_bias=False``.

The one-cycle schedule is fastai's ``fit_one_cycle``: the rate rises from ``lr/div`` to
``lr`` along half a cosine over ``pct_start`` of the steps, then falls along another to
``lr/div_final``, while momentum (beta1) goes the opposite way. The schedule is a function
of the step's position in the run, so a resumed run whose epoch count changed continues on
the curve of the new length.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .config import OptimConfig

NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


@dataclass
class ParameterGroup:
    """One of fastai's layer groups: its name, parameters and (peak) learning rate."""

    name: str
    params: list[nn.Parameter]
    lr: float = 0.0

    @property
    def size(self) -> int:
        return sum(p.numel() for p in self.params)


def _trainable(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


def resnet_unet_split(model: nn.Module) -> list[ParameterGroup]:
    """fastai's ``_resnet_split`` of a dynamic UNet: body[:6] / body[6:] / the rest."""
    encoder = model.encoder
    stem = [encoder.conv1, encoder.bn1, encoder.layer1, encoder.layer2]
    deep = [getattr(encoder, f"layer{i}") for i in range(3, encoder.stages + 1)]
    first = [p for m in stem for p in _trainable(m)]
    second = [p for m in deep for p in _trainable(m)]
    taken = {id(p) for p in first + second}
    rest = [p for p in _trainable(model) if id(p) not in taken]
    return [
        ParameterGroup("encoder stem, layer1-2", first),
        ParameterGroup("encoder layer3-4", second),
        ParameterGroup("decoder and head", rest),
    ]


# How the study's fastai learner split each architecture; others are one group, as a plain
# fastai Learner (no splitter) makes them.
FASTAI_SPLITS: dict[str, Callable[[nn.Module], list[ParameterGroup]]] = {
    "resnet34_unet": resnet_unet_split,
}


def parameter_groups(model: nn.Module, architecture: str, lr: float | list[float]) -> list:
    """The architecture's fastai parameter groups with their peak learning rates."""
    split = FASTAI_SPLITS.get(architecture)
    groups = split(model) if split else [ParameterGroup("all parameters", _trainable(model))]
    groups = [g for g in groups if g.params]
    for group, rate in zip(groups, group_lrs(lr, len(groups))):
        group.lr = rate
    return groups


def group_lrs(lr: float | list[float], count: int) -> list[float]:
    """fastai's set_hyper: a number for every group; slice(lo, hi) as even_mults(lo, hi, n)."""
    if not isinstance(lr, list):
        return [float(lr)] * count
    lo, hi = float(lr[0]), float(lr[1])
    if count == 1:
        return [hi]
    step = (hi / lo) ** (1 / (count - 1))
    return [lo * step**i for i in range(count)]


def lr_text(lr: float | list[float]) -> str:
    """A configured rate as fastai wrote it: a number, or slice(lo, hi)."""
    return f"slice({lr[0]:g}, {lr[1]:g})" if isinstance(lr, list) else f"{lr:g}"


def _no_decay(model: nn.Module) -> set[int]:
    """Ids of norm-layer parameters and biases (fastai's norm_bias_params)."""
    ids = set()
    for module in model.modules():
        if isinstance(module, NORM_LAYERS):
            ids |= {id(p) for p in module.parameters(recurse=False)}
        bias = getattr(module, "bias", None)
        if isinstance(bias, nn.Parameter):
            ids.add(id(bias))
    return ids


def build_optimizer(
    model: nn.Module, config: OptimConfig, groups: list[ParameterGroup]
) -> torch.optim.Optimizer:
    """One torch param group per layer group (two when norm/bias parameters skip decay);
    each remembers its layer group's peak rate as ``max_lr`` for the schedule."""
    skip = set() if config.norm_bias_decay else _no_decay(model)
    param_groups = []
    for index, group in enumerate(groups):
        decay = [p for p in group.params if id(p) not in skip]
        plain = [p for p in group.params if id(p) in skip]
        for params, weight_decay in ((decay, config.weight_decay), (plain, 0.0)):
            if params:
                param_groups.append({
                    "params": params, "lr": group.lr, "max_lr": group.lr,
                    "weight_decay": weight_decay, "layer_group": index,
                })  # fmt: skip
    if config.name == "sgd":
        return torch.optim.SGD(param_groups, lr=groups[-1].lr, momentum=config.momentum)
    return torch.optim.AdamW(
        param_groups, lr=groups[-1].lr, betas=tuple(config.betas), eps=config.eps
    )


def _cos(start: float, end: float, pos: float) -> float:
    """Half a cosine from start (pos 0) to end (pos 1), as fastai's SchedCos."""
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


@dataclass(frozen=True)
class OneCycleShape:
    """fastai's combined_cos for the rate (as a factor of the peak) and for momentum."""

    pct_start: float = 0.25
    div: float = 25.0
    div_final: float = 1e5
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95)

    def _phase(self, pos: float, start: float, middle: float, end: float) -> float:
        if pos < self.pct_start:
            return _cos(start, middle, pos / self.pct_start)
        return _cos(middle, end, (pos - self.pct_start) / (1 - self.pct_start))

    def lr_factor(self, pos: float) -> float:
        return self._phase(pos, 1 / self.div, 1.0, 1 / self.div_final)

    def momentum(self, pos: float) -> float:
        return self._phase(pos, *self.moms)


@dataclass(frozen=True)
class WarmupCosineShape:
    """Linear warm-up over ``warmup`` of the run, then cosine decay to zero."""

    warmup: float = 0.0

    def lr_factor(self, pos: float) -> float:
        if pos < self.warmup:
            return pos / self.warmup
        return 0.5 * (1 + math.cos(math.pi * (pos - self.warmup) / (1 - self.warmup)))

    def momentum(self, pos: float) -> float | None:
        return None


@dataclass(frozen=True)
class ConstantShape:
    def lr_factor(self, pos: float) -> float:
        return 1.0

    def momentum(self, pos: float) -> float | None:
        return None


class StepSchedule:
    """Sets every group's rate (and momentum) from the position ``step / total_steps``.

    Its state is the step count only, so it loads with ``weights_only=True`` and a resumed
    run with another length follows the new curve from where it stopped.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, shape, total_steps: int):
        self.optimizer, self.shape = optimizer, shape
        self.total_steps = max(1, total_steps)
        self.step_count = 0
        self.apply()

    @property
    def position(self) -> float:
        return min(1.0, self.step_count / self.total_steps)

    def apply(self) -> None:
        pos = self.position
        factor, momentum = self.shape.lr_factor(pos), self.shape.momentum(pos)
        for group in self.optimizer.param_groups:
            group["lr"] = group["max_lr"] * factor
            if momentum is None:
                continue
            if "betas" in group:
                group["betas"] = (momentum, group["betas"][1])
            elif "momentum" in group:
                group["momentum"] = momentum

    def step(self) -> None:
        self.step_count += 1
        self.apply()

    def state_dict(self) -> dict:
        return {"step_count": self.step_count, "total_steps": self.total_steps}

    def load_state_dict(self, state: dict) -> None:
        self.step_count = int(state["step_count"])
        self.apply()


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, total_steps: int, steps_per_epoch: int
) -> StepSchedule:
    if config.schedule == "one_cycle":
        shape = OneCycleShape(
            config.pct_start, config.div_factor, config.final_div_factor, tuple(config.moms)
        )
    elif config.schedule == "cosine":
        warmup = config.warmup_epochs * steps_per_epoch / max(1, total_steps)
        shape = WarmupCosineShape(min(warmup, 0.99))
    else:
        shape = ConstantShape()
    return StepSchedule(optimizer, shape, total_steps)
