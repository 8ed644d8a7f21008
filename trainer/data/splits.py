"""Train / validation / test: which rectangle of which scene belongs to which split.

The test split is the dataset's own (ISPRS' held-out tiles, a folder's ``test/``); it is only
ever read by ``evaluate``. Validation, which picks the best epoch and stops training early,
is carved out of the training scenes: whole scenes when there are enough of them, else
blocks of a grid laid over each training scene. Around a validation block the training
rectangles keep ``gap`` pixels away, and tiles are cut inside a rectangle only, so no tile
and no pixel is in two splits.

The carve depends only on the training scenes' names (and, for blocks, their sizes), the
fraction and the seed: copies of the same scenes at another resolution get the same
validation scenes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS = (TRAIN, VALIDATION, TEST)
CARVE_METHODS = ("auto", "scenes", "blocks")


@dataclass(frozen=True)
class Region:
    """A rectangle of one scene (pixels ``[x, x + width) × [y, y + height)``) in one split."""

    scene: str
    split: str
    x: int
    y: int
    width: int
    height: int

    @property
    def x1(self) -> int:
        return self.x + self.width

    @property
    def y1(self) -> int:
        return self.y + self.height

    def as_list(self) -> list:
        return [self.scene, self.x, self.y, self.width, self.height]


@dataclass(frozen=True)
class ValidationCarve:
    """How ``prepare`` carves validation out of the training scenes.

    ``by``: ``scenes`` (whole training scenes), ``blocks`` (grid cells of ``block`` pixels
    inside each training scene, kept ``gap`` pixels away from training pixels) or ``auto``
    (scenes when the fraction of the training scenes is at least one scene and leaves one
    to train on, else blocks). ``block`` defaults to 4 tiles, ``gap`` to half a tile.
    """

    fraction: float = 0.15
    seed: int = 0
    by: str = "auto"
    block: int | None = None
    gap: int | None = None

    def check(self, tile: int) -> None:
        if not 0 < self.fraction < 1:
            raise ValueError(
                f"the validation fraction must be between 0 and 1, got {self.fraction}"
            )
        if self.by not in CARVE_METHODS:
            raise ValueError(f"validation by '{self.by}': use one of {', '.join(CARVE_METHODS)}")
        block, gap = self.block_size(tile), self.gap_size(tile)
        if gap < 0:
            raise ValueError(f"the validation gap must be 0 or more pixels, got {gap}")
        if block < tile + 2 * gap:
            raise ValueError(
                f"validation blocks of {block} px cannot hold a {tile} px tile inside a {gap} px "
                f"gap on both sides: use blocks of at least {tile + 2 * gap} px"
            )

    def block_size(self, tile: int) -> int:
        return self.block or 4 * tile

    def gap_size(self, tile: int) -> int:
        return tile // 2 if self.gap is None else self.gap


def _grid_edges(size: int, block: int) -> list[int]:
    cells = max(1, size // block)
    return [round(i * size / cells) for i in range(cells + 1)]


def _whole(scene: str, split: str, size: tuple[int, int]) -> Region:
    return Region(scene, split, 0, 0, size[0], size[1])


def carve_validation(
    scenes: dict[str, str],
    sizes: dict[str, tuple[int, int]],
    tile: int,
    carve: ValidationCarve,
) -> tuple[list[Region], dict]:
    """Regions of every scene, validation carved from ``train``; and what was done, for the
    manifest. ``scenes`` maps a scene name to its dataset split (train, validation or test);
    ``sizes`` to its (width, height). A dataset that brings its own validation scenes is
    used as it is."""
    unknown = {s for s in scenes.values() if s not in SPLITS}
    if unknown:
        raise ValueError(f"unknown split(s) {sorted(unknown)}: use {', '.join(SPLITS)}")
    names = sorted(scenes)
    training = [n for n in names if scenes[n] == TRAIN]
    if not training:
        raise ValueError("no training scenes: nothing to train on or to carve validation from")
    fixed = [_whole(n, scenes[n], sizes[n]) for n in names if scenes[n] != TRAIN]
    if any(scenes[n] == VALIDATION for n in names):
        regions = fixed + [_whole(n, TRAIN, sizes[n]) for n in training]
        return regions, {"method": "given"}
    carve.check(tile)
    count = round(carve.fraction * len(training))
    method = carve.by
    if method == "auto":
        method = "scenes" if 1 <= count < len(training) else "blocks"
    rng = np.random.default_rng(carve.seed)
    summary = {"method": method, "fraction": carve.fraction, "seed": carve.seed}
    if method == "scenes":
        if not 1 <= count < len(training):
            raise ValueError(
                f"{carve.fraction:g} of {len(training)} training scenes is {count} scenes; "
                "validation by scenes needs at least one, and one left to train on: "
                "change the fraction or carve blocks"
            )
        chosen = set(rng.choice(training, size=count, replace=False).tolist())
        regions = fixed + [
            _whole(n, VALIDATION if n in chosen else TRAIN, sizes[n]) for n in training
        ]
        return regions, summary | {"scenes": sorted(chosen)}
    block, gap = carve.block_size(tile), carve.gap_size(tile)
    return fixed + _carve_blocks(training, sizes, carve.fraction, rng, block, gap), summary | {
        "block": block,
        "gap": gap,
    }


def _carve_blocks(
    training: list[str],
    sizes: dict[str, tuple[int, int]],
    fraction: float,
    rng: np.random.Generator,
    block: int,
    gap: int,
) -> list[Region]:
    grids = {
        n: (_grid_edges(sizes[n][0], block), _grid_edges(sizes[n][1], block)) for n in training
    }
    cells = [
        (n, row, col)
        for n in training
        for row in range(len(grids[n][1]) - 1)
        for col in range(len(grids[n][0]) - 1)
    ]
    count = max(1, round(fraction * len(cells)))
    if count >= len(cells):
        raise ValueError(
            f"the training scenes hold {len(cells)} validation block(s) of {block} px: too few "
            "to keep some for training; use smaller blocks (--validation-block)"
        )
    chosen = {cells[i] for i in rng.choice(len(cells), size=count, replace=False)}
    regions = []
    for name in training:
        xs, ys = grids[name]
        if not any(c[0] == name for c in chosen):
            regions.append(_whole(name, TRAIN, sizes[name]))
            continue
        for row in range(len(ys) - 1):
            for col in range(len(xs) - 1):
                x0, x1, y0, y1 = xs[col], xs[col + 1], ys[row], ys[row + 1]
                if (name, row, col) in chosen:
                    regions.append(Region(name, VALIDATION, x0, y0, x1 - x0, y1 - y0))
                    continue

                def validation(dr: int, dc: int, row=row, col=col, name=name) -> bool:
                    return (name, row + dr, col + dc) in chosen

                # Keep `gap` pixels from every validation neighbour; a diagonal one is kept
                # away along x (x alone already separates the two rectangles).
                left = validation(0, -1) or validation(-1, -1) or validation(1, -1)
                right = validation(0, 1) or validation(-1, 1) or validation(1, 1)
                x0, x1 = x0 + gap * left, x1 - gap * right
                y0, y1 = y0 + gap * validation(-1, 0), y1 - gap * validation(1, 0)
                regions.append(Region(name, TRAIN, x0, y0, x1 - x0, y1 - y0))
    return regions
