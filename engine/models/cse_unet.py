"""CSE-UNet (Wang & Xie 2020): UNet + auxiliary multi-kernel encoder path + RFB skip pathways.

Two variants share this code, chosen by ``variant``:

- ``"paper"``: as the paper describes it. The auxiliary chain starts from the level-1 double
  conv's output and runs on its own (strided conv + BN, ReLU between links); its output at
  each level is added to the max-pooled UNet map. Each skip passes through one RFB branch in
  sequence (L1: 3×3 ×3 then dilation 7 ... L4: 1×1 then dilation 1). Decoder: 1×1 conv,
  bilinear ×2, concatenation, double conv.
- ``"study"``: the AGH reproduction (36,988,807 parameters with 3 bands in, 7 out, base 64).
  The auxiliary convs read the raw image (level 1) or the previous *fused* map; the RFB
  stack and the dilated conv run in parallel and are concatenated (level 3's single conv is
  1×1); the decoder upsamples before its 1×1 conv (align_corners=True); Dropout2d(0.2) ends
  every double conv.

Widths come from ``base_width`` (64 gives 64..1024) and are wired from the encoder's
``out_channels``; nothing below hard-codes a channel count.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import ConvBNReLU, DoubleConv, SegmentationHead, check_divisible

Variant = Literal["paper", "study"]
VARIANTS: tuple[str, ...] = ("paper", "study")

# One entry per encoder level, shallowest first.
AUX_KERNELS = (7, 5, 3, 2)
RFB_DILATIONS = (7, 5, 3, 1)
RFB_STACK_DEPTHS = (3, 2, 1, 1)
PAPER_RFB_STACK_KERNELS = (3, 3, 3, 1)


def _stack_kernel(variant: str, level: int) -> int:
    if variant == "paper":
        return PAPER_RFB_STACK_KERNELS[level]
    # The study used 3×3 when the stack has more than one conv and 1×1 otherwise.
    return 3 if RFB_STACK_DEPTHS[level] > 1 else 1


class CSEEncoder(nn.Module):
    """Dual-path encoder: UNet double convs + an auxiliary strided multi-kernel chain.

    ``forward`` returns each level's double-conv output (kept for the skips) and the
    bottleneck, at strides 1, 2, 4, 8, 16; ``out_channels`` lists their widths.
    """

    def __init__(
        self, in_channels: int, base_width: int, variant: Variant, dropout: float = 0.0
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown CSE-UNet variant {variant!r}; use one of {VARIANTS}")
        self.variant = variant
        widths = [base_width * 2**level for level in range(len(AUX_KERNELS) + 1)]
        self.out_channels: tuple[int, ...] = tuple(widths)

        level_inputs = [in_channels, *widths[:-2]]
        self.levels = nn.ModuleList(
            DoubleConv(cin, cout, dropout) for cin, cout in zip(level_inputs, widths[:-1])
        )
        self.bridge = DoubleConv(widths[-2], widths[-1], dropout)
        self.pool = nn.MaxPool2d(2)

        # Paper: the chain reads level 1's output (width w) and keeps its own widths.
        # Study: link 1 reads the raw image, link k the fused map of level k-1.
        aux_inputs = [in_channels if variant == "study" else widths[0], *widths[:-2]]
        self.aux = nn.ModuleList(
            ConvBNReLU(cin, cout, k, stride=2, padding=(k - 1) // 2, relu=False)
            for cin, cout, k in zip(aux_inputs, widths[:-1], AUX_KERNELS)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        chain = x  # study: the first auxiliary conv reads the image itself
        for index, (level, aux) in enumerate(zip(self.levels, self.aux)):
            main = level(x)
            features.append(main)
            if self.variant == "paper":
                source = main if index == 0 else F.relu(chain)
                chain = aux(source)
                x = F.relu(self.pool(main) + chain)
            else:
                x = F.relu(self.pool(main) + aux(chain))
                chain = x
        features.append(self.bridge(x))
        return features


class RFBSkip(nn.Module):
    """One RFB branch on a skip connection: a conv stack and a dilated 3×3 conv.

    ``sequential=True`` (paper) applies the dilated conv after the stack and keeps the
    width; ``sequential=False`` (study) runs both on the input and concatenates (2× width).
    """

    def __init__(
        self,
        channels: int,
        depth: int,
        stack_kernel: int,
        dilation: int,
        sequential: bool,
    ) -> None:
        super().__init__()
        self.sequential = sequential
        self.stack = nn.Sequential(
            *(ConvBNReLU(channels, channels, stack_kernel) for _ in range(depth))
        )
        self.dilated = ConvBNReLU(channels, channels, 3, dilation=dilation)
        self.out_channels = channels if sequential else 2 * channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.sequential:
            return self.dilated(self.stack(x))
        return torch.cat([self.stack(x), self.dilated(x)], dim=1)


class RFBSkips(nn.ModuleList):
    """The four skip pathways, L1 (full resolution, dilation 7) to L4 (dilation 1)."""

    def __init__(self, skip_channels: tuple[int, ...], variant: Variant) -> None:
        super().__init__(
            RFBSkip(
                channels,
                RFB_STACK_DEPTHS[level],
                _stack_kernel(variant, level),
                RFB_DILATIONS[level],
                sequential=variant == "paper",
            )
            for level, channels in enumerate(skip_channels)
        )
        self.out_channels: tuple[int, ...] = tuple(skip.out_channels for skip in self)


class UpBlock(nn.Module):
    """Decoder level: 1×1 conv (halving the width) and bilinear ×2, concat, double conv."""

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        *,
        upsample_first: bool,
        align_corners: bool,
        dropout: float,
    ) -> None:
        super().__init__()
        self.upsample_first = upsample_first
        self.align_corners = align_corners
        self.reduce = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=True)
        self.conv = DoubleConv(out_channels + skip_channels, out_channels, dropout)

    def _upsample(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=self.align_corners)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        if self.upsample_first:
            x = self.reduce(self._upsample(x))
        else:  # the paper's order: the 1×1 conv runs at the coarse resolution (4× cheaper)
            x = self._upsample(self.reduce(x))
        return self.conv(torch.cat([x, skip], dim=1))


class CSEDecoder(nn.Module):
    """UNet decoder whose level widths follow the encoder's and whose skips are RFB outputs."""

    def __init__(
        self,
        encoder_channels: tuple[int, ...],
        skip_channels: tuple[int, ...],
        variant: Variant,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        blocks = []
        in_channels = encoder_channels[-1]
        # Deepest level first: level k's output width is the encoder's width at level k.
        for out_channels, skip in zip(encoder_channels[-2::-1], skip_channels[::-1]):
            blocks.append(
                UpBlock(
                    in_channels,
                    skip,
                    out_channels,
                    upsample_first=variant == "study",
                    align_corners=variant == "study",
                    dropout=dropout,
                )
            )
            in_channels = out_channels
        self.blocks = nn.ModuleList(blocks)
        self.out_channels = in_channels

    def forward(self, bottleneck: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = bottleneck
        for block, skip in zip(self.blocks, reversed(skips)):
            x = block(x, skip)
        return x


class CSEUNet(nn.Module):
    """CSE-UNet; ``variant`` picks the paper's wiring or the AGH study's (see module doc)."""

    size_divisor = 2 ** len(AUX_KERNELS)

    def __init__(
        self,
        in_channels: int = 3,
        classes: int = 6,
        base_width: int = 64,
        dropout: float = 0.0,
        variant: Variant = "paper",
    ) -> None:
        super().__init__()
        self.variant = variant
        self.encoder = CSEEncoder(in_channels, base_width, variant, dropout)
        self.skips = RFBSkips(self.encoder.out_channels[:-1], variant)
        self.decoder = CSEDecoder(
            self.encoder.out_channels, self.skips.out_channels, variant, dropout
        )
        self.head = SegmentationHead(self.decoder.out_channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x, self.size_divisor, f"CSE-UNet ({self.variant})")
        *levels, bottleneck = self.encoder(x)
        skips = [skip(feature) for skip, feature in zip(self.skips, levels)]
        return self.head(self.decoder(bottleneck, skips))
