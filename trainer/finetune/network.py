"""The network being fine-tuned: its head fitted to the new classes, BatchNorms frozen, and
tiled prediction of a window for the held-out score."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from engine.tiling import make_grid

from .classes import ClassScheme
from .errors import FinetuneError

EVAL_OVERLAP = 0.15


def fit_head(module: nn.Module, scheme: ClassScheme, seed: int = 0) -> nn.Module:
    """Replace the 1×1 head by one with the scheme's classes; rows of classes the base model
    knows are copied (the head is all the model must relearn for them: nothing). New rows
    start as torch initialises a convolution, drawn from ``seed``: the same request gives
    the same model and the same score before training, whatever ran before in the process."""
    head = getattr(module, "head", None)
    if not isinstance(head, nn.Conv2d) or head.kernel_size != (1, 1):
        raise FinetuneError("the base model has no 1×1 classifier head to adapt")
    new = nn.Conv2d(head.in_channels, len(scheme), kernel_size=1, bias=True)
    generator = torch.Generator().manual_seed(seed)
    bound = 1 / math.sqrt(head.in_channels)  # nn.Conv2d's own: kaiming_uniform_(a=sqrt(5))
    with torch.no_grad():
        nn.init.kaiming_uniform_(new.weight, a=math.sqrt(5), generator=generator)
        nn.init.uniform_(new.bias, -bound, bound, generator=generator)
        for row, base_row in enumerate(scheme.base_rows):
            if base_row is not None:
                new.weight[row] = head.weight[base_row]
                new.bias[row] = head.bias[base_row]
    module.head = new
    return module


def freeze_batchnorm(module: nn.Module) -> None:
    """Keep BatchNorm statistics as they are (eval mode), whatever mode the rest is in:
    batches of a few crops from one image would give poor statistics."""
    for child in module.modules():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            child.eval()


@torch.no_grad()
def predict_window(
    module: nn.Module,
    raw: np.ndarray,
    normalise: Callable[[np.ndarray], np.ndarray],
    tile: int,
    device: torch.device,
    needed: np.ndarray | None = None,
    batch_size: int = 4,
) -> np.ndarray:
    """Class index per pixel of a raw (C, H, W) window, tiled with centre ownership; each
    tile normalised as it is cut (``normalise``), mirrored past the window's edge.

    With ``needed`` (H, W) only the tiles that own a needed pixel run (a window around many
    labels can be large; the held-out polygons in it are not): other pixels stay 0.
    """
    divisor = int(getattr(module, "size_divisor", 32))
    bands, h, w = raw.shape
    size = min(tile, _round_up(max(h, w), divisor))
    grid = make_grid((0, 0, w, h), (max(w, size), max(h, size)), size, size,
                     round(size * EVAL_OVERLAP))  # fmt: skip
    result = np.zeros((h, w), dtype=np.uint8)
    tiles = [t for r in range(len(grid.rows)) for t in grid.row_tiles(r)]
    if needed is not None:
        tiles = [t for t in tiles if needed[t.y.start : t.y.stop, t.x.start : t.x.stop].any()]
    module.eval()
    for start in range(0, len(tiles), batch_size):
        chunk = tiles[start : start + batch_size]
        batch = np.empty((len(chunk), bands, size, size), dtype=np.float32)
        for k, t in enumerate(chunk):
            cut = normalise(raw[:, t.y.origin : t.y.origin + size, t.x.origin : t.x.origin + size])
            pad = ((0, 0), (0, size - cut.shape[1]), (0, size - cut.shape[2]))
            batch[k] = np.pad(cut, pad, mode="symmetric")  # mirrored, as the engine pads
        classes = module(torch.from_numpy(batch).to(device)).argmax(1).cpu().numpy()
        for t, prediction in zip(chunk, classes):
            result[t.y.start : t.y.stop, t.x.start : t.x.stop] = prediction[
                t.y.start - t.y.origin : t.y.stop - t.y.origin,
                t.x.start - t.x.origin : t.x.stop - t.x.origin,
            ]
    return result


def _round_up(value: int, divisor: int) -> int:
    return -(-value // divisor) * divisor
