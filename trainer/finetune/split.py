"""Which labelled polygons train and which are held out to score and pick the weights.

Whole polygons are held out, never pixels of a polygon that also trains (neighbouring pixels
of one polygon would make the score an echo of the training loss). They are taken from one
side of the labelled area, along a direction drawn from the seed, so that held-out polygons
lie apart from the training ones. A class with a single polygon cannot be held out: it trains
and its score is missing from the held-out mIoU (the report says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from osgeo import ogr

from .classes import ClassScheme
from .labels import UNLABELLED, LabelSet
from .request import DEFAULT_HOLDOUT_FRACTION


@dataclass(frozen=True)
class HoldoutSplit:
    train_class: tuple[int, ...]  # per polygon: its class if it trains, else UNLABELLED
    holdout_class: tuple[int, ...]  # per polygon: its class if held out, else UNLABELLED
    classes_without_holdout: tuple[str, ...]

    @property
    def holdout_polygons(self) -> int:
        return sum(c != UNLABELLED for c in self.holdout_class)

    @property
    def train_polygons(self) -> int:
        return sum(c != UNLABELLED for c in self.train_class)


def _centroid(wkb: bytes) -> tuple[float, float]:
    point = ogr.CreateGeometryFromWkb(wkb).Centroid()
    return point.GetX(), point.GetY()


def split_polygons(
    labels: LabelSet,
    scheme: ClassScheme,
    fraction: float = DEFAULT_HOLDOUT_FRACTION,
    seed: int = 0,
) -> HoldoutSplit:
    classes = [scheme.index_of(p.value) for p in labels.polygons]
    angle = np.random.default_rng(seed).uniform(0, 2 * math.pi)
    direction = np.array([math.cos(angle), math.sin(angle)])
    projection = np.array([_centroid(p.wkb) for p in labels.polygons]) @ direction
    held = np.zeros(len(classes), dtype=bool)
    if fraction > 0:
        for index in sorted(set(classes)):
            members = [i for i, c in enumerate(classes) if c == index]
            if len(members) < 2:
                continue
            count = min(len(members) - 1, max(1, round(fraction * len(members))))
            farthest = sorted(members, key=lambda i: projection[i], reverse=True)[:count]
            held[farthest] = True
    held_classes = {c for c, h in zip(classes, held) if h}
    missing = tuple(scheme.names[c] for c in sorted(set(classes)) if c not in held_classes)
    return HoldoutSplit(
        train_class=tuple(UNLABELLED if h else c for c, h in zip(classes, held)),
        holdout_class=tuple(c if h else UNLABELLED for c, h in zip(classes, held)),
        classes_without_holdout=missing,
    )
