"""Training crops around labelled pixels, classes drawn evenly, augmented like training tiles.

Analysts label unevenly (one big lawn, three small cars), so each crop first draws a class
uniformly, then a labelled pixel of it, then a crop that holds that pixel at a random place.
Pixels outside the window and unlabelled pixels carry the ignore value: the loss never sees
them. Everything random comes from one seeded generator, so a run is repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from trainer.transforms import AugmentConfig, augment

from .labels import UNLABELLED
from .scene import TrainingScene

MAX_PIXELS_PER_CLASS = 200_000  # a random subset per class bounds the index memory
FINETUNE_AUGMENT = AugmentConfig(flips="d4", scale=[0.8, 1.25], brightness=0.1, contrast=0.1)


@dataclass(frozen=True)
class Normalisation:
    """The base model's input transform: raw / pixel_scale, then standardised."""

    pixel_scale: float
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def apply(self, unit: torch.Tensor) -> torch.Tensor:
        """[0, 1] images (N, C, H, W) -> what the model reads."""
        mean = torch.tensor(self.mean, dtype=unit.dtype).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=unit.dtype).view(1, -1, 1, 1)
        return (unit - mean) / std

    def unit(self, raw: np.ndarray) -> np.ndarray:
        return (raw.astype(np.float32) / self.pixel_scale).clip(0.0, 1.0)

    def model_input(self, raw: np.ndarray) -> np.ndarray:
        """Raw (C, H, W) -> normalised float32, as the engine feeds the model."""
        unit = self.unit(raw)
        mean = np.asarray(self.mean, dtype=np.float32)[:, None, None]
        std = np.asarray(self.std, dtype=np.float32)[:, None, None]
        return (unit - mean) / std


class CropSampler:
    def __init__(
        self,
        scene: TrainingScene,
        classes: int,
        crop: int,
        normalisation: Normalisation,
        seed: int,
        augment_config: AugmentConfig = FINETUNE_AUGMENT,
    ) -> None:
        self.scene = scene
        self.crop = crop
        self.normalisation = normalisation
        self.augment_config = augment_config
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.pixels: dict[int, np.ndarray] = {}  # class -> (n, 3): window, row, column
        for index in range(classes):
            found = [
                np.column_stack([np.full(len(ys), w), ys, xs])
                for w, window in enumerate(scene.windows)
                for ys, xs in [np.nonzero(window.train == index)]
                if len(ys)
            ]
            if found:
                stacked = np.concatenate(found)
                if len(stacked) > MAX_PIXELS_PER_CLASS:
                    keep = self.rng.choice(len(stacked), MAX_PIXELS_PER_CLASS, replace=False)
                    stacked = stacked[keep]
                self.pixels[index] = stacked
        self.classes_present = sorted(self.pixels)

    def _crop(self) -> tuple[np.ndarray, np.ndarray]:
        index = self.classes_present[self.rng.integers(len(self.classes_present))]
        w, y, x = self.pixels[index][self.rng.integers(len(self.pixels[index]))]
        window = self.scene.windows[w]
        h, width = window.shape
        size = self.crop
        # The labelled pixel lands anywhere in the crop's middle half.
        y0 = int(y) - size // 2 + int(self.rng.integers(-size // 4, size // 4 + 1))
        x0 = int(x) - size // 2 + int(self.rng.integers(-size // 4, size // 4 + 1))
        y0 = min(max(y0, 0), max(h - size, 0))
        x0 = min(max(x0, 0), max(width - size, 0))
        bands = window.image.shape[0]
        image = np.empty((bands, size, size), dtype=np.float32)
        image[:] = np.asarray(self.normalisation.mean, dtype=np.float32)[:, None, None]
        label = np.full((size, size), UNLABELLED, dtype=np.uint8)
        ch, cw = min(size, h - y0), min(size, width - x0)
        image[:, :ch, :cw] = self.normalisation.unit(window.image[:, y0 : y0 + ch, x0 : x0 + cw])
        label[:ch, :cw] = window.train[y0 : y0 + ch, x0 : x0 + cw]
        return image, label

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised float images (N, C, S, S) and int64 targets (N, S, S)."""
        crops = [self._crop() for _ in range(size)]
        images = torch.from_numpy(np.stack([c[0] for c in crops]))
        labels = torch.from_numpy(np.stack([c[1] for c in crops]))
        images, labels = augment(images, labels, self.augment_config, self.generator)
        return self.normalisation.apply(images), labels.long()
