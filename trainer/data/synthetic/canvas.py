"""The scene being painted: class indices, the season and sun, the canvas, the finished scene.

A canvas holds three layers that painters write together: surface albedo (RGB reflectance,
before light), class labels, and height above ground in metres. Light (shading, cast shadows)
and the camera are applied after painting, from the height and the environment, so every
shadow follows the same sun and the labels are final before any blur or noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.metadata import POTSDAM_CLASSES

from .primitives import Patch

CLASS_INDEX = {c.name: c.index for c in POTSDAM_CLASSES}
IMPERVIOUS = CLASS_INDEX["impervious surfaces"]
BUILDING = CLASS_INDEX["building"]
LOW_VEGETATION = CLASS_INDEX["low vegetation"]
TREE = CLASS_INDEX["tree"]
CAR = CLASS_INDEX["car"]
CLUTTER = CLASS_INDEX["clutter"]
NUM_CLASSES = len(POTSDAM_CLASSES)

SCENE_KINDS = ("town_centre", "suburb", "rural", "forest_edge")
SEASONS = ("spring", "summer", "dry_summer", "autumn", "winter")


@dataclass
class Environment:
    """Season and light of one scene: what the ground, the trees and every shadow look like."""

    season: str
    sun_elevation: float  # radians above the horizon
    sun_azimuth: float  # radians clockwise from image up (north)
    direct: float  # share of sunlight in the illumination: about 0.3 overcast, 0.85 clear
    lawn_dryness: float  # 0 green .. 1 straw-brown
    leaf_off: float  # chance that a deciduous tree is bare
    autumn: float  # chance that a leafy deciduous tree has turned yellow or red
    snow: float  # share of open ground under snow patches
    tree_density: float

    @classmethod
    def draw(cls, rng: np.random.Generator, season: str | None = None) -> Environment:
        season = season or str(rng.choice(SEASONS, p=[0.2, 0.25, 0.15, 0.2, 0.2]))
        lo, hi = {
            "spring": (30, 55),
            "summer": (40, 63),
            "dry_summer": (35, 60),
            "autumn": (18, 40),
            "winter": (10, 25),
        }[season]
        dryness = {
            "spring": (0.0, 0.2),
            "summer": (0.0, 0.45),
            "dry_summer": (0.55, 1.0),
            "autumn": (0.1, 0.5),
            "winter": (0.45, 1.0),
        }[season]
        return cls(
            season=season,
            sun_elevation=math.radians(rng.uniform(lo, hi)),
            sun_azimuth=rng.uniform(0, 2 * math.pi),
            direct=rng.uniform(0.3, 0.88) if rng.uniform() < 0.85 else rng.uniform(0.1, 0.3),
            lawn_dryness=rng.uniform(*dryness),
            leaf_off={"winter": rng.uniform(0.85, 1.0), "spring": rng.uniform(0.1, 0.5)}.get(
                season, rng.uniform(0.0, 0.2) if season == "autumn" else 0.0
            ),
            autumn=rng.uniform(0.3, 0.8) if season == "autumn" else 0.0,
            snow=rng.uniform(0.05, 0.5) if season == "winter" and rng.uniform() < 0.5 else 0.0,
            tree_density=rng.uniform(0.5, 1.5),
        )

    def to_sun(self) -> tuple[float, float, float]:
        """Unit vector towards the sun in pixel axes (x right = east, y down = south, z up)."""
        ce = math.cos(self.sun_elevation)
        return (
            math.sin(self.sun_azimuth) * ce,
            -math.cos(self.sun_azimuth) * ce,
            math.sin(self.sun_elevation),
        )


@dataclass
class Scene:
    """An image (uint8 RGB, rows x cols x 3), its class-index labels (uint8), its GSD, and
    what the generator drew on it: feature name -> pixels per class it painted there."""

    image: np.ndarray
    labels: np.ndarray
    gsd_m: float = 0.05
    kind: str = ""
    season: str = ""
    features: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Canvas:
    rng: np.random.Generator
    size: int
    gsd: float  # metres per pixel
    env: Environment
    albedo: np.ndarray = field(init=False)
    labels: np.ndarray = field(init=False)
    height: np.ndarray = field(init=False)
    features: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.size
        self.albedo = np.zeros((n, n, 3), np.float32)
        self.labels = np.full((n, n), LOW_VEGETATION, np.uint8)
        self.height = np.zeros((n, n), np.float32)

    def m(self, metres: float) -> float:
        """Metres -> pixels at this scene's GSD."""
        return metres / self.gsd

    @property
    def extent_m(self) -> float:
        return self.size * self.gsd

    def paint(
        self,
        p: Patch,
        colour: np.ndarray | tuple[float, float, float],
        label: int | None,
        height: np.ndarray | float | None = None,
        opacity: np.ndarray | float = 1.0,
        feature: str | None = None,
        overhang: bool = False,
    ) -> None:
        """Blend ``colour`` (bbox x 3, or one RGB) in by the patch's coverage times
        ``opacity``; where that is at least 1/2 set ``label`` and ``height`` (metres above
        ground; with ``overhang``, only raise it: crowns over roofs, bare twigs over lawns)."""
        alpha = p.alpha * np.asarray(opacity, np.float32)
        view = self.albedo[p.ys, p.xs]
        col = np.asarray(colour, np.float32)
        view += (col - view) * alpha[..., None]
        owned = alpha >= 0.5
        if label is not None:
            self.labels[p.ys, p.xs][owned] = label
        if height is not None:
            hv = self.height[p.ys, p.xs]
            new = np.broadcast_to(np.asarray(height, np.float32), hv.shape)
            hv[owned] = (np.maximum(hv, new) if overhang else new)[owned]
        if feature:
            self.note(feature, self.labels[p.ys, p.xs][owned])

    def note(self, feature: str, labels: np.ndarray | None = None) -> None:
        """Record that ``feature`` was drawn, over pixels of these classes."""
        counts = np.zeros(NUM_CLASSES, np.int64)
        if labels is not None and labels.size:
            counts += np.bincount(labels.ravel(), minlength=256)[:NUM_CLASSES]
        self.features[feature] = self.features.get(feature, 0) + counts
