"""Small building blocks shared by the architectures (conv + BN + ReLU, double conv, head)."""

from __future__ import annotations

import torch
from torch import nn


class ConvBNReLU(nn.Sequential):
    """Conv without bias (BatchNorm has one) + BatchNorm + optional ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        *,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        relu: bool = True,
    ) -> None:
        if padding is None:
            padding = dilation * (kernel_size - 1) // 2  # "same" for odd kernels
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class DoubleConv(nn.Sequential):
    """UNet's two 3×3 conv blocks, optionally followed by Dropout2d (the study uses 0.2)."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [
            ConvBNReLU(in_channels, out_channels),
            ConvBNReLU(out_channels, out_channels),
        ]
        if dropout > 0:
            layers.append(nn.Dropout2d(dropout))
        super().__init__(*layers)


class SegmentationHead(nn.Conv2d):
    """1×1 classifier: one logit per class and pixel."""

    def __init__(self, in_channels: int, classes: int) -> None:
        super().__init__(in_channels, classes, kernel_size=1, bias=True)


def check_divisible(x: torch.Tensor, divisor: int, model_name: str) -> None:
    """Fail with a clear message when a tile cannot be halved often enough (eager mode only)."""
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return
    height, width = x.shape[-2:]
    if height % divisor or width % divisor:
        raise ValueError(
            f"{model_name} needs tile height and width divisible by {divisor}, "
            f"got {height}×{width}: choose a tile size that is a multiple of {divisor}"
        )
