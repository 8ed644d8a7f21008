"""Parameters and FLOPs of a model, counted from its modules rather than taken from a table.

Convention: one multiply-accumulate = 2 FLOPs, counted for convolutions and linear layers
only (bias additions, BatchNorm, activations, pooling and resizing are left out; they are
well under 1 % here). This is the convention of the science notes' "652 GFLOP per tile".
Counting runs the model on the ``meta`` device: shapes propagate, nothing is computed, so
the 652-GFLOP model is counted in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .registry import build_model


@dataclass(frozen=True)
class ModelCost:
    parameters: int
    flops: int  # per forward pass of one input of ``input_shape``
    input_shape: tuple[int, ...]

    @property
    def gflops(self) -> float:
        return self.flops / 1e9


def _conv_flops(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    kernel = 1
    for size in module.kernel_size:
        kernel *= size
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        # Every input element is spread over out_channels/groups × kernel outputs.
        return 2 * inputs[0].numel() * (module.out_channels // module.groups) * kernel
    return 2 * output.numel() * (module.in_channels // module.groups) * kernel


def _linear_flops(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    return 2 * output.numel() * module.in_features


_COUNTERS = (
    ((nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d), _conv_flops),
    ((nn.Linear,), _linear_flops),
)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


def count_flops(model: nn.Module, input_shape: tuple[int, ...] = (1, 3, 512, 512)) -> int:
    """FLOPs of one forward pass, from forward hooks on every conv and linear layer.

    The input is made on the model's device: build the model under ``torch.device("meta")``
    to count a large one for free.
    """
    total = 0

    def hook(counter):
        def record(module, inputs, output):
            nonlocal total
            total += counter(module, inputs, output)

        return record

    handles = [
        module.register_forward_hook(hook(counter))
        for module in model.modules()
        for types, counter in _COUNTERS
        if isinstance(module, types)
    ]
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def architecture_cost(name: str, tile_size: int = 512, **kwargs: Any) -> ModelCost:
    """Parameters and FLOPs per ``in_channels × tile_size × tile_size`` tile, built on meta."""
    with torch.device("meta"):
        model = build_model(name, **kwargs)
    in_channels = kwargs.get("in_channels", 3)
    shape = (1, in_channels, tile_size, tile_size)
    return ModelCost(count_parameters(model), count_flops(model, shape), shape)
