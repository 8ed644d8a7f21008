"""The scene being painted: class indices, per-scene style, the canvas and the finished scene."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.metadata import POTSDAM_CLASSES

from .layout_frame import Layout
from .primitives import Patch

GSD_M = 0.05

CLASS_INDEX = {c.name: c.index for c in POTSDAM_CLASSES}
IMPERVIOUS = CLASS_INDEX["impervious surfaces"]
BUILDING = CLASS_INDEX["building"]
LOW_VEGETATION = CLASS_INDEX["low vegetation"]
TREE = CLASS_INDEX["tree"]
CAR = CLASS_INDEX["car"]
CLUTTER = CLASS_INDEX["clutter"]


@dataclass
class SceneStyle:
    """What varies between scenes: light, colours, noise, density."""

    sun_azimuth: float  # direction shadows fall, radians in pixel axes
    shadow_per_m: float  # shadow length in metres per metre of height
    shadow_tint: tuple[float, float, float]
    asphalt: tuple[float, float, float]
    pavers: tuple[float, float, float]
    lawn: tuple[float, float, float]
    cast: tuple[float, float, float]
    gain: float
    gamma: float
    haze: float
    noise: float
    tree_density: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> SceneStyle:
        g = rng.uniform(0.36, 0.5)
        p = rng.uniform(0.55, 0.72)
        warm = rng.uniform(0.0, 0.1)
        dry = rng.uniform(0, 1)
        strength = rng.uniform(0.4, 0.55)
        return cls(
            sun_azimuth=rng.uniform(0, 2 * np.pi),
            shadow_per_m=rng.uniform(0.45, 0.9),
            shadow_tint=(strength * 0.95, strength * 1.0, strength * 1.2),
            asphalt=(g, g + rng.uniform(-0.01, 0.01), g + rng.uniform(0.0, 0.03)),
            pavers=(p + warm, p + warm * 0.4, p - warm * 0.5),
            lawn=(0.30 + 0.15 * dry, 0.46 + 0.04 * dry, 0.22 + 0.03 * dry),
            cast=tuple(float(v) for v in rng.normal(1.0, 0.05, 3)),  # type: ignore[arg-type]
            gain=rng.uniform(0.85, 1.12),
            gamma=rng.uniform(0.85, 1.15),
            haze=rng.uniform(0.0, 0.05),
            noise=rng.uniform(0.012, 0.03),
            tree_density=rng.uniform(0.6, 1.4),
        )


@dataclass
class Scene:
    """An image (uint8 RGB, rows x cols x 3) and its class-index labels (uint8)."""

    image: np.ndarray
    labels: np.ndarray
    gsd_m: float = GSD_M


@dataclass
class Canvas:
    rng: np.random.Generator
    size: int
    style: SceneStyle
    layout: Layout
    img: np.ndarray = field(init=False)
    lab: np.ndarray = field(init=False)
    building_shadow: np.ndarray = field(init=False)
    tree_shadow: np.ndarray = field(init=False)
    trees: list[tuple[float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.size
        self.img = np.zeros((n, n, 3), np.float32)
        self.lab = np.full((n, n), LOW_VEGETATION, np.uint8)
        self.building_shadow = np.zeros((n, n), bool)
        self.tree_shadow = np.zeros((n, n), bool)

    @property
    def px_per_m(self) -> float:
        return 1.0 / GSD_M

    def m(self, metres: float) -> float:
        return metres * self.px_per_m

    def paint(self, p: Patch, colour: np.ndarray, label: int | None, where=None) -> None:
        """Write ``colour`` (bbox x 3 or 3) and ``label`` where the patch's mask is set."""
        mask = p.mask if where is None else p.mask & where
        view = self.img[p.ys, p.xs]
        col = np.broadcast_to(np.asarray(colour, np.float32), view.shape)
        view[mask] = col[mask]
        if label is not None:
            self.lab[p.ys, p.xs][mask] = label

    def shadow_dir(self) -> tuple[float, float]:
        return math.cos(self.style.sun_azimuth), math.sin(self.style.sun_azimuth)


def rgb(base, shade: np.ndarray | float = 1.0) -> np.ndarray:
    base = np.asarray(base, np.float32)
    return np.asarray(shade, np.float32)[..., None] * base
