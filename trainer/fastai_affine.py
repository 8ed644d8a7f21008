"""fastai's batch augmentations as the study trained with them, written for this trainer.

``aug_transforms`` composes rotation, zoom and perspective warp into one sampling grid per
image and resamples once (bilinear images, nearest labels, reflection padding, corners
aligned); each transform applies with chance ``p_affine``, independently. Rotation draws an
angle in ±``rotate`` degrees; zoom a factor in ``zoom`` and a centre anywhere in the image;
warp moves the four corners by up to ``warp`` (in [-1, 1] image coordinates) along x and y,
a perspective transform. Lighting then works in logit space, each with chance
``p_lighting``: brightness adds logit(b), b in 0.5·(1 ± lighting), and contrast multiplies
by c, log c in ±log(1 - lighting), before the sigmoid brings pixels back to (0, 1).
Every draw comes from the caller's generator, so runs are reproducible and resumable.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .transforms import AugmentConfig

CORNERS = ((-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0))


def _uniform(generator: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=generator))


def _chance(generator: torch.Generator, p: float) -> bool:
    return float(torch.rand((), generator=generator)) < p


def _affine_matrix(config: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """Rotation then zoom as one 3×3 matrix on normalised output coordinates."""
    matrix = torch.eye(3, dtype=torch.float64)
    if config.rotate and _chance(generator, config.p_affine):
        theta = math.radians(_uniform(generator, -config.rotate, config.rotate))
        cos, sin = math.cos(theta), math.sin(theta)
        matrix = matrix @ torch.tensor([[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]]).double()
    if config.zoom and _chance(generator, config.p_affine):
        s = 1 / _uniform(generator, config.zoom[0], config.zoom[1])
        cx = (1 - s) * (2 * _uniform(generator, 0, 1) - 1)
        cy = (1 - s) * (2 * _uniform(generator, 0, 1) - 1)
        matrix = matrix @ torch.tensor([[s, 0, cx], [0, s, cy], [0, 0, 1]]).double()
    return matrix


def _warp_shift(config: AugmentConfig, generator: torch.Generator) -> tuple[float, float]:
    shifts = []
    for _ in range(2):
        applied = _chance(generator, config.p_affine)
        shift = _uniform(generator, -config.warp, config.warp)
        shifts.append(shift if applied else 0.0)
    return shifts[0], shifts[1]


def perspective(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The 3×3 homography taking the four ``source`` points (4, 2) to ``target``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source.tolist(), target.tolist()):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = torch.linalg.solve(torch.tensor(rows, dtype=torch.float64), torch.tensor(rhs).double())
    return torch.cat([h, torch.ones(1, dtype=torch.float64)]).view(3, 3)


def _warp_grid(grid: torch.Tensor, dx: float, dy: float) -> torch.Tensor:
    """Move the sampling grid so the image's corners land dx, dy off the frame's corners."""
    corners = torch.tensor(CORNERS, dtype=torch.float64)
    moved = torch.tensor(
        [[-1 - dy, -1 - dx], [-1 + dy, 1 + dx], [1 + dy, -1 + dx], [1 - dy, 1 - dx]],
        dtype=torch.float64,
    )
    # Output points at the moved corners sample the image's corners.
    h = perspective(moved, corners).to(grid.dtype)
    points = torch.cat([grid, torch.ones_like(grid[..., :1])], dim=-1) @ h.T
    return points[..., :2] / points[..., 2:]


def affine_batch(
    images: torch.Tensor, labels: torch.Tensor, config: AugmentConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotation, zoom and warp in one resampling per image."""
    n, _, h, w = images.shape
    grids = []
    for _ in range(n):
        matrix = _affine_matrix(config, generator)
        # Square-pixel aspect, as fastai scales the off-diagonal terms for non-square tiles.
        matrix[0, 1] *= h / w
        matrix[1, 0] *= w / h
        theta = matrix[:2].float().unsqueeze(0)
        grid = F.affine_grid(theta, [1, 1, h, w], align_corners=True)
        if config.warp:
            dx, dy = _warp_shift(config, generator)
            if dx or dy:
                grid = _warp_grid(grid, dx, dy)
        grids.append(grid)
    grid = torch.cat(grids).to(images.device, images.dtype)
    out_images = F.grid_sample(
        images, grid, mode="bilinear", padding_mode="reflection", align_corners=True
    )
    out_labels = F.grid_sample(
        labels[:, None].to(images.dtype), grid, mode="nearest",
        padding_mode="reflection", align_corners=True,
    )[:, 0].round().to(labels.dtype)  # fmt: skip
    return out_images, out_labels


def lighting_batch(
    images: torch.Tensor, lighting: float, p: float, generator: torch.Generator
) -> torch.Tensor:
    """fastai's Brightness then Contrast on [0, 1] images, in logit space."""
    n = images.shape[0]
    shift, gain = torch.zeros(n), torch.ones(n)
    limit = -math.log(1 - lighting)
    for i in range(n):
        if _chance(generator, p):
            b = _uniform(generator, 0.5 * (1 - lighting), 0.5 * (1 + lighting))
            shift[i] = math.log(b / (1 - b))
        if _chance(generator, p):
            gain[i] = math.exp(_uniform(generator, -limit, limit))
    x = images.clamp(1e-7, 1 - 1e-7)
    logits = torch.log(x / (1 - x))
    shift = shift.to(images.device, images.dtype).view(n, 1, 1, 1)
    gain = gain.to(images.device, images.dtype).view(n, 1, 1, 1)
    return torch.sigmoid((logits + shift) * gain)
