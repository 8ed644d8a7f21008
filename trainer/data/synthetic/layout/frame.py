"""Plan coordinates: metres in a frame turned against the image, convex cells and their splits,
and the order in which the planned things are painted."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..canvas import Canvas
from ..painters.ground import snow
from ..painters.vegetation import tree
from ..painters.vehicles import car
from ..primitives import Patch, coverage, polygon_patch, rect_patch

Polygon = list[tuple[float, float]]


@dataclass
class Frame:
    """Plan coordinates (u, v) in metres from the image centre, turned by ``theta``."""

    cv: Canvas
    theta: float

    @property
    def reach(self) -> float:
        """Half the diagonal of the image in metres: a plan this wide covers it turned any way."""
        return self.cv.extent_m * 0.75

    def px(self, u: float, v: float) -> tuple[float, float]:
        c, s = math.cos(self.theta), math.sin(self.theta)
        half = self.cv.size / 2
        return half + (c * u - s * v) / self.cv.gsd, half + (s * u + c * v) / self.cv.gsd

    def points(self, uv: Polygon) -> Polygon:
        return [self.px(u, v) for u, v in uv]

    def rect(
        self, u0: float, u1: float, v0: float, v1: float, corner_m: float = 0.0
    ) -> Patch | None:
        """An axis-aligned plan rectangle (patch ``s`` along u, ``t`` along v)."""
        x, y = self.px((u0 + u1) / 2, (v0 + v1) / 2)
        a, b = self.cv.m(abs(u1 - u0)) / 2, self.cv.m(abs(v1 - v0)) / 2
        return rect_patch(self.cv.size, x, y, a, b, self.theta, corner=self.cv.m(corner_m))

    def polygon(self, uv: Polygon, axis: float = 0.0) -> Patch | None:
        """A convex plan polygon; the patch's ``s`` runs along plan direction ``axis``."""
        return polygon_patch(self.cv.size, self.points(uv), axis=self.theta + axis)

    def band(self, edge: Callable[[np.ndarray], np.ndarray]) -> Patch:
        """The whole image beyond a wiggly plan line: pixels with v > edge(u) (forest edges)."""
        n, gsd = self.cv.size, self.cv.gsd
        c, s = math.cos(self.theta), math.sin(self.theta)
        yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
        dx, dy = (xx + 0.5 - n / 2) * gsd, (yy + 0.5 - n / 2) * gsd
        u = c * dx + s * dy
        v = -s * dx + c * dy
        alpha = coverage((edge(u) - v) / gsd)
        return Patch(slice(0, n), slice(0, n), alpha, u / gsd, v / gsd)


def split_polygon(poly: Polygon, point: tuple[float, float], normal: tuple[float, float]):
    """Cut a convex polygon by the line through ``point`` with ``normal``: (front, back)."""
    front: Polygon = []
    back: Polygon = []
    side = [(x - point[0]) * normal[0] + (y - point[1]) * normal[1] for x, y in poly]
    for k, (p, d) in enumerate(zip(poly, side)):
        q, e = poly[(k + 1) % len(poly)], side[(k + 1) % len(poly)]
        (front if d >= 0 else back).append(p)
        if (d >= 0) != (e >= 0):
            f = d / (d - e)
            cut = (p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1]))
            front.append(cut)
            back.append(cut)
    return front, back


def area(poly: Polygon) -> float:
    return 0.5 * abs(
        sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1]))
    )


def shrink(poly: Polygon, metres: float) -> Polygon:
    """Pull every vertex towards the centroid by ``metres`` (a margin inside a cell)."""
    cx = sum(x for x, _ in poly) / len(poly)
    cy = sum(y for _, y in poly) / len(poly)
    out = []
    for x, y in poly:
        d = math.hypot(x - cx, y - cy)
        f = max(d - metres, 0.0) / d if d > 0 else 0.0
        out.append((cx + (x - cx) * f, cy + (y - cy) * f))
    return out


@dataclass
class Later:
    """What is painted after the ground, roads and buildings: snow, then cars, then crowns
    (crowns over everything, cars over snow-cleared ground)."""

    cars: list[tuple[float, float, float]] = field(default_factory=list)
    trees: list[tuple[float, float, float, str | None]] = field(default_factory=list)
    canopies: list[Callable[[], None]] = field(default_factory=list)

    def paint(self, cv: Canvas) -> None:
        snow(cv)
        for x, y, angle in self.cars:
            car(cv, x, y, angle)
        for run in self.canopies:
            run()
        for x, y, r, kind in self.trees:
            tree(cv, x, y, r, kind)
