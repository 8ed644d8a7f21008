"""Augmentations on batches of tensors, on the training device, from an explicit generator.

Drawing every random number from a generator seeded by (seed, epoch, rank) makes a resumed
run see exactly the augmentations an uninterrupted one would, with any number of workers.

Two families: the paper's (flips, random rescale, linear brightness/contrast) and fastai's
batch transforms that the study trained with (``Dihedral`` and ``aug_transforms``: flip,
rotation, zoom about a random centre and perspective warp in one resampling with reflection
padding, labels nearest; then brightness and contrast in logit space). See
``fastai_affine.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from .data.labels import IGNORE_INDEX
from .fastai_affine import affine_batch, lighting_batch

if TYPE_CHECKING:
    from .data.style import StyleBank


@dataclass
class AugmentConfig:
    flips: str = "d4"  # d4 (dihedral: flips + 90° rotations) | hflip | none
    flips_p: float = 1.0  # chance that `flips` applies at all (fastai's Dihedral(): 0.5)
    hflip_p: float = 0.0  # chance of a further horizontal flip (fastai aug_transforms: 0.5)
    scale: list[float] = field(default_factory=lambda: [0.5, 2.0])  # [] = off
    brightness: float = 0.2  # ± fraction added to [0, 1] pixels
    contrast: float = 0.2  # ± fraction of contrast around each image's mean
    # Colour (0 = off): saturation scaled by 1 ± `saturation` around each pixel's luminance,
    # and a `grayscale` chance of a tile losing its colour altogether. Colour is the least
    # reliable cue across cameras and seasons (a dry ploughed field can be as grey as
    # concrete): these make the model lean on texture and shape as well.
    saturation: float = 0.0
    grayscale: float = 0.0
    # A colour cast per tile (0 = off): red and blue gains 1 ± w in opposite directions
    # (warm / cool), green 1 ± w/2 (tint), w up to `white_balance`: cameras' automatic white
    # balance errs by this much, so brown soil can come out grey and grey paving brownish.
    white_balance: float = 0.0
    # fastai's aug_transforms (0 / [] = off): rotation up to `rotate` degrees, zoom in
    # [zoom[0], zoom[1]] and warp of `warp` magnitude, each with chance p_affine; brightness
    # and contrast of `lighting`, each with chance p_lighting.
    rotate: float = 0.0
    zoom: list[float] = field(default_factory=list)
    warp: float = 0.0
    p_affine: float = 0.75
    lighting: float = 0.0
    p_lighting: float = 0.75
    # Style adaptation (trainer/data/style.py): a folder of the user's unlabelled
    # orthophotos whose colour and light are mixed into training tiles ("" = off).
    style_dir: str = ""
    style_method: str = "fda"  # fda (Fourier amplitude swap) | histogram
    style_probability: float = 0.5  # share of training tiles styled
    style_beta: float = 0.01  # FDA: half-side of the swapped low-frequency square / tile side

    def __post_init__(self) -> None:
        if self.style_method not in ("fda", "histogram"):
            raise ValueError("[augment] style_method must be fda or histogram")
        if not 0 <= self.style_probability <= 1:
            raise ValueError("[augment] style_probability must lie in [0, 1]")
        if not 0 <= self.style_beta <= 0.5:
            raise ValueError("[augment] style_beta must lie in [0, 0.5]")
        if not 0 <= self.saturation <= 1:
            raise ValueError("[augment] saturation must lie in [0, 1]")
        if not 0 <= self.grayscale <= 1:
            raise ValueError("[augment] grayscale must lie in [0, 1]")
        if not 0 <= self.white_balance <= 0.5:
            raise ValueError("[augment] white_balance must lie in [0, 0.5]")


def d4(x: torch.Tensor, k: int) -> torch.Tensor:
    """The k-th element (0..7) of the dihedral group on the last two axes."""
    if k >= 4:
        x = x.flip(-1)
    return torch.rot90(x, k % 4, dims=(-2, -1))


def d4_inverse(x: torch.Tensor, k: int) -> torch.Tensor:
    x = torch.rot90(x, -(k % 4), dims=(-2, -1))
    return x.flip(-1) if k >= 4 else x


def normalise(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 1] float images -> standardised float, the way the engine feeds the model."""
    if images.dtype == torch.uint8:
        images = images.float() / 255.0
    return (images - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)


def _uniform(generator: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=generator))


def _rescale(
    image: torch.Tensor, label: torch.Tensor, factor: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zoom by ``factor`` and cut (or pad, with ignore) back to the original size."""
    _, h, w = image.shape
    nh, nw = max(1, round(h * factor)), max(1, round(w * factor))
    img = F.interpolate(image[None], size=(nh, nw), mode="bilinear", align_corners=False)[0]
    lab = F.interpolate(label[None, None].float(), size=(nh, nw), mode="nearest")[0, 0]
    lab = lab.to(label.dtype)
    if nh >= h and nw >= w:
        y = int(torch.randint(0, nh - h + 1, (), generator=generator))
        x = int(torch.randint(0, nw - w + 1, (), generator=generator))
        return img[:, y : y + h, x : x + w], lab[y : y + h, x : x + w]
    out_img = image.new_zeros(image.shape)
    fill = image.mean(dim=(1, 2), keepdim=True)
    out_img += fill
    out_lab = label.new_full(label.shape, IGNORE_INDEX)
    y = int(torch.randint(0, h - nh + 1, (), generator=generator)) if nh < h else 0
    x = int(torch.randint(0, w - nw + 1, (), generator=generator)) if nw < w else 0
    ch, cw = min(nh, h), min(nw, w)
    out_img[:, y : y + ch, x : x + cw] = img[:, :ch, :cw]
    out_lab[y : y + ch, x : x + cw] = lab[:ch, :cw]
    return out_img, out_lab


def augment(
    images: torch.Tensor,
    labels: torch.Tensor,
    config: AugmentConfig,
    generator: torch.Generator,
    style: StyleBank | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Float [0, 1] images (N, C, H, W) and labels (N, H, W) -> augmented copies; with a
    style bank, some images first take the colour and light of the user's imagery."""
    if style is not None:
        images = style.apply(images, generator)
    out_images, out_labels = [], []
    for image, label in zip(images, labels):
        if config.brightness or config.contrast:
            b = _uniform(generator, -config.brightness, config.brightness)
            c = 1 + _uniform(generator, -config.contrast, config.contrast)
            mean = image.mean(dim=(1, 2), keepdim=True)
            image = ((image - mean) * c + mean + b).clamp(0, 1)
        if config.white_balance:
            image = _colour_cast(image, config.white_balance, generator)
        if config.saturation or config.grayscale:
            image = _recolour(image, config, generator)
        image, label = _flip(image, label, config, generator)
        if config.scale:
            factor = _uniform(generator, config.scale[0], config.scale[1])
            image, label = _rescale(image, label, factor, generator)
        out_images.append(image)
        out_labels.append(label)
    images, labels = torch.stack(out_images), torch.stack(out_labels)
    if config.rotate or config.zoom or config.warp:
        images, labels = affine_batch(images, labels, config, generator)
    if config.lighting:
        images = lighting_batch(images, config.lighting, config.p_lighting, generator)
    return images, labels


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B


def _recolour(
    image: torch.Tensor, config: AugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Scale the RGB bands' saturation around their luminance (other bands untouched); a
    grey tile has saturation 0. Both draws happen whatever the outcome, so the generator's
    sequence does not depend on them."""
    factor = 1 + _uniform(generator, -config.saturation, config.saturation)
    grey = float(torch.rand((), generator=generator)) < config.grayscale
    if image.shape[0] < 3:
        return image
    rgb = image[:3]
    weights = torch.tensor(LUMA, dtype=image.dtype, device=image.device).view(3, 1, 1)
    luma = (rgb * weights).sum(dim=0, keepdim=True)
    rgb = luma.expand_as(rgb) if grey else (luma + (rgb - luma) * factor).clamp(0, 1)
    return torch.cat([rgb, image[3:]])


def _colour_cast(image: torch.Tensor, amount: float, generator: torch.Generator) -> torch.Tensor:
    """Gains (1 + warm, 1 + tint, 1 - warm) on the RGB bands, warm in ±``amount`` and tint in
    ±``amount`` / 2; other bands untouched."""
    warm = _uniform(generator, -amount, amount)
    tint = _uniform(generator, -amount / 2, amount / 2)
    if image.shape[0] < 3:
        return image
    gains = torch.tensor((1 + warm, 1 + tint, 1 - warm), dtype=image.dtype, device=image.device)
    return torch.cat([(image[:3] * gains.view(3, 1, 1)).clamp(0, 1), image[3:]])


def _chance(generator: torch.Generator, p: float) -> bool:
    return p >= 1 or float(torch.rand((), generator=generator)) < p


def _flip(
    image: torch.Tensor, label: torch.Tensor, config: AugmentConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    if config.flips == "d4" and _chance(generator, config.flips_p):
        k = int(torch.randint(0, 8, (), generator=generator))
        image, label = d4(image, k), d4(label, k)
    elif config.flips == "hflip" and _chance(generator, config.flips_p):
        if float(torch.rand((), generator=generator)) < 0.5:
            image, label = image.flip(-1), label.flip(-1)
    if config.hflip_p and float(torch.rand((), generator=generator)) < config.hflip_p:
        image, label = image.flip(-1), label.flip(-1)
    return image, label
