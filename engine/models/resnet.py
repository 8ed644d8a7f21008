"""ResNet encoder with torchvision's parameter names, so ImageNet state dicts load as-is.

torchvision cannot be installed beside our torch, so the network is written here; the
names (``conv1``, ``bn1``, ``layer1``..``layer4``, blocks with ``conv1/bn1/conv2/bn2`` and
``downsample.0/.1``) match ``torchvision.models.resnet34`` key for key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch
from torch import nn

from ..errors import ModelError
from ..torch_files import load_weights_only

RESNET34_LAYERS = (3, 4, 6, 3)
# Parameters of torchvision's classifier, which a segmentation encoder has no use for.
CLASSIFIER_PREFIXES = ("fc.",)


class BasicBlock(nn.Module):
    """Two 3×3 convs with an identity (or 1×1 projection) shortcut."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNetEncoder(nn.Module):
    """ResNet without its classifier; returns the features at strides 1, 2, 4, 8, 16, 32.

    ``out_channels`` follows segmentation_models_pytorch: the input's width first, then each
    stage's. ``base_width`` 64 is ImageNet's ResNet; smaller widths make test-sized models.
    """

    def __init__(
        self,
        in_channels: int = 3,
        layers: tuple[int, ...] = RESNET34_LAYERS,
        base_width: int = 64,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, base_width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        widths = [base_width * 2**stage for stage in range(len(layers))]
        in_width = base_width
        for stage, (blocks, width) in enumerate(zip(layers, widths), start=1):
            stride = 1 if stage == 1 else 2
            stage_blocks = [BasicBlock(in_width, width, stride)]
            stage_blocks += [BasicBlock(width, width) for _ in range(blocks - 1)]
            self.add_module(f"layer{stage}", nn.Sequential(*stage_blocks))
            in_width = width
        self.stages = len(layers)
        self.out_channels: tuple[int, ...] = (in_channels, base_width, *widths)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = [x]
        x = self.relu(self.bn1(self.conv1(x)))
        features.append(x)
        x = self.maxpool(x)
        for stage in range(1, self.stages + 1):
            x = getattr(self, f"layer{stage}")(x)
            features.append(x)
        return features


def load_torchvision_weights(
    encoder: ResNetEncoder, state_dict: Mapping[str, torch.Tensor]
) -> list[str]:
    """Load a torchvision ResNet state dict into ``encoder``; returns the keys dropped.

    The classifier (``fc.*``) is dropped on purpose; any other missing or unexpected key is
    an error, so a wrong file never loads half-way. With ``in_channels`` other than 3 the
    RGB stem filters are cycled over the bands and rescaled to keep activations' scale.
    """
    dropped = sorted(k for k in state_dict if k.startswith(CLASSIFIER_PREFIXES))
    weights = {k: v for k, v in state_dict.items() if not k.startswith(CLASSIFIER_PREFIXES)}
    stem = weights.get("conv1.weight")
    bands = encoder.conv1.in_channels
    if stem is not None and stem.shape[1] != bands:
        index = torch.arange(bands) % stem.shape[1]
        weights["conv1.weight"] = stem[:, index] * (stem.shape[1] / bands)
    result = encoder.load_state_dict(weights, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            "not a torchvision ResNet state dict for this encoder: "
            f"missing {result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    return dropped


def load_torchvision_weights_file(encoder: ResNetEncoder, path: str | os.PathLike) -> list[str]:
    """Read an ImageNet ResNet state dict (e.g. torchvision's resnet34-*.pth) safely."""
    try:
        state_dict = load_weights_only(path)
    except ModelError as error:
        raise ValueError(str(error)) from None
    if isinstance(state_dict, Mapping) and "state_dict" in state_dict:
        state_dict = state_dict["state_dict"]
    if not isinstance(state_dict, Mapping):
        raise ValueError(f"{path} does not hold a state dict")
    return load_torchvision_weights(encoder, state_dict)
