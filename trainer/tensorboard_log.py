"""Optional TensorBoard logging: per-group learning rate and loss per step, the epoch's
metrics, and validation samples (image | target | prediction) when best.pt improves.

TensorBoard is imported only when a run asks for it (``[train] tensorboard = true`` or
``--tensorboard``); without the package that run stops at once with the command to install it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .plots import colourise

INSTALL = "pip install tensorboard==2.21.0"


class TensorBoardMissingError(RuntimeError):
    """A run asked for TensorBoard, and the package is not installed."""


class TensorBoardLog:
    def __init__(self, folder: Path, group_names: list[str]):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise TensorBoardMissingError(
                f"[train] tensorboard needs the tensorboard package: {INSTALL} "
                "(or set tensorboard = false)"
            ) from error
        self.writer = SummaryWriter(str(folder))
        self.group_names = [re.sub(r"[^A-Za-z0-9_.-]+", "_", n).strip("_") for n in group_names]

    def step(self, step: int, loss: float, param_groups: list[dict]) -> None:
        """The rate of each layer group (its first torch group) and the batch loss."""
        seen = set()
        for group in param_groups:
            index = group.get("layer_group", 0)
            if index in seen:
                continue
            seen.add(index)
            self.writer.add_scalar(f"lr/{self.group_names[index]}", group["lr"], step)
        self.writer.add_scalar("loss/train_step", loss, step)

    def epoch(self, epoch: int, row: dict) -> None:
        for key, value in row.items():
            if key in ("epoch", "step") or not isinstance(value, (int, float)):
                continue
            section = "loss" if key.endswith("loss") else "metrics"
            self.writer.add_scalar(f"{section}/{key}", value, epoch)

    def samples(self, epoch: int, samples: tuple, colors: list[tuple[int, int, int]]) -> None:
        images, targets, predictions = samples
        rows = []
        for image, target, prediction in zip(images, targets, predictions):
            rgb = np.moveaxis(image[:3], 0, -1)
            if rgb.shape[-1] < 3:
                rgb = np.repeat(rgb[..., :1], 3, axis=-1)
            rows.append(np.concatenate([rgb, colourise(target, colors),
                                        colourise(prediction, colors)], axis=1))  # fmt: skip
        self.writer.add_image("validation/image_target_prediction",
                              np.concatenate(rows, axis=0), epoch, dataformats="HWC")  # fmt: skip

    def close(self) -> None:
        self.writer.close()
