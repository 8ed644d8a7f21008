"""ResNet34-UNet: the AGH study's baseline, a fastai-style dynamic UNet on a ResNet34 encoder.

The study trained fastai's ``unet_learner(resnet34)``; with 3 bands in and 7 outputs that
network has 41,221,668 parameters, and this one has the same layout (and count):

- bottleneck: BatchNorm + ReLU on the deepest features, then two 3×3 convs (×2, ×½ width);
- each decoder level: 1×1 conv + ReLU + pixel shuffle ×2 (ICNR-initialised, so it starts
  as nearest-neighbour upsampling) to half the width, concatenated with the BatchNorm'd
  skip, ReLU, two 3×3 convs; the last level halves its width;
- a final pixel-shuffle ×2 back to full resolution, the input image concatenated, a
  residual block of two 3×3 convs, and a 1×1 classifier.

The decoder's convs have biases and no BatchNorm, as in fastai. Widths come from the
encoder's ``out_channels``.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import SegmentationHead, check_divisible
from .resnet import RESNET34_LAYERS, ResNetEncoder


def _conv_relu(in_channels: int, out_channels: int, kernel_size: int = 3) -> nn.Sequential:
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    nn.init.zeros_(conv.bias)
    return nn.Sequential(conv, nn.ReLU(inplace=True))


class PixelShuffleUp(nn.Sequential):
    """×2 upsampling by a 1×1 conv to 4× the channels, ReLU and pixel shuffle."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        conv = nn.Conv2d(in_channels, out_channels * 4, kernel_size=1)
        # ICNR: the four sub-pixels of each output channel start with the same filter, so the
        # freshly built layer upsamples without checkerboard artefacts.
        with torch.no_grad():
            base = torch.empty(out_channels, in_channels, 1, 1)
            nn.init.kaiming_normal_(base, nonlinearity="relu")
            conv.weight.copy_(base.repeat_interleave(4, dim=0))
            conv.bias.zero_()
        super().__init__(conv, nn.ReLU(inplace=True), nn.PixelShuffle(2))


class DynamicUpBlock(nn.Module):
    """Decoder level: shuffle-upsample, concat with the normalised skip, two 3×3 convs."""

    def __init__(self, in_channels: int, skip_channels: int, halve_output: bool) -> None:
        super().__init__()
        self.up = PixelShuffleUp(in_channels, in_channels // 2)
        self.skip_bn = nn.BatchNorm2d(skip_channels)
        self.relu = nn.ReLU(inplace=True)
        width = in_channels // 2 + skip_channels
        self.out_channels = width // 2 if halve_output else width
        self.conv1 = _conv_relu(width, self.out_channels)
        self.conv2 = _conv_relu(self.out_channels, self.out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.relu(torch.cat([self.up(x), self.skip_bn(skip)], dim=1))
        return self.conv2(self.conv1(x))


class ResidualBlock(nn.Module):
    """Two 3×3 convs (ReLU after the first) added to the input, then ReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv_relu(channels, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        nn.init.kaiming_normal_(self.conv2.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv2.bias)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv2(self.conv1(x)) + x)


class DynamicUNetDecoder(nn.Module):
    """fastai-style UNet decoder wired from an encoder's ``out_channels``.

    ``encoder_channels`` = (input, stride 2, 4, 8, 16, 32), as ResNetEncoder gives them.
    """

    def __init__(self, encoder_channels: tuple[int, ...]) -> None:
        super().__init__()
        input_channels, *skip_channels, deepest = encoder_channels
        self.bottleneck_bn = nn.BatchNorm2d(deepest)
        self.relu = nn.ReLU(inplace=True)
        self.middle = nn.Sequential(
            _conv_relu(deepest, deepest * 2), _conv_relu(deepest * 2, deepest)
        )
        blocks = []
        width = deepest
        for index, skip in enumerate(reversed(skip_channels)):
            block = DynamicUpBlock(width, skip, halve_output=index == len(skip_channels) - 1)
            blocks.append(block)
            width = block.out_channels
        self.blocks = nn.ModuleList(blocks)
        self.final_up = PixelShuffleUp(width, width)
        self.refine = ResidualBlock(width + input_channels)
        self.out_channels = width + input_channels

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        image, *skips, x = features
        x = self.middle(self.relu(self.bottleneck_bn(x)))
        for block, skip in zip(self.blocks, reversed(skips)):
            x = block(x, skip)
        x = torch.cat([self.final_up(x), image], dim=1)
        return self.refine(x)


class ResNet34UNet(nn.Module):
    """UNet on a ResNet34 encoder whose weights can come from an ImageNet checkpoint."""

    size_divisor = 32

    def __init__(self, in_channels: int = 3, classes: int = 6, base_width: int = 64) -> None:
        super().__init__()
        self.encoder = ResNetEncoder(in_channels, RESNET34_LAYERS, base_width)
        self.decoder = DynamicUNetDecoder(self.encoder.out_channels)
        self.head = SegmentationHead(self.decoder.out_channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x, self.size_divisor, "ResNet34-UNet")
        return self.head(self.decoder(self.encoder(x)))
