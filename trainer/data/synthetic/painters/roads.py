"""Impervious surfaces: roads, pavements, paths, squares and car parks, with their paint,
repairs, manholes and drains."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..canvas import IMPERVIOUS, Canvas
from ..materials import (
    COBBLES,
    GRAVEL,
    PAVING,
    asphalt,
    cobbles,
    concrete,
    grain,
    gravel,
    lines,
    mix,
    pick,
    shaded,
    slabs,
    stripe,
    texture,
    vary,
)
from ..primitives import Patch, rect_patch, stroke_patch

WHITE_PAINT = (0.86, 0.86, 0.83)
YELLOW_PAINT = (0.86, 0.74, 0.3)


def surface(cv: Canvas, p: Patch, kind: str) -> tuple[np.ndarray, np.ndarray | float]:
    """Albedo and relief of a paved surface of ``kind``."""
    rng = cv.rng
    if kind == "asphalt":
        return asphalt(cv, p, rng.uniform(0.2, 0.5)), 0.0
    if kind == "cobbles":
        return cobbles(cv, p, pick(rng, COBBLES)[1], rng.uniform(0.09, 0.16))
    if kind == "slabs":
        size = rng.choice([0.2, 0.3, 0.4, 0.5, 0.6])
        return slabs(cv, p, pick(rng, PAVING)[1], size, rng.choice([1.0, 1.0, 2.0])), 0.0
    if kind == "concrete":
        return concrete(cv, p, vary(rng, (0.62, 0.61, 0.58), 0.05)), 0.0
    return gravel(cv, p, pick(rng, GRAVEL)[1]), 0.0


def paved(cv: Canvas, p: Patch, kind: str) -> None:
    """Paint a paved area (square, yard, drive, car park) of ``kind``."""
    colour, relief = surface(cv, p, kind)
    cv.paint(p, colour, IMPERVIOUS, height=relief, feature=kind)


def marking(cv: Canvas, p: Patch, coverage: np.ndarray, yellow: bool = False) -> None:
    """Road paint over ``p`` where ``coverage`` says, worn off in blotches and wheel paths."""
    rng = cv.rng
    wear = np.clip(rng.uniform(0.55, 1.1) + 0.5 * texture(cv, p.shape, 0.8, 3), 0, 1)
    wear *= np.clip(1 + 0.15 * grain(cv, p.shape), 0, 1)
    paint = np.asarray(YELLOW_PAINT if yellow else WHITE_PAINT, np.float32)
    if not np.any(coverage * wear > 0.05):
        return
    cv.paint(p, vary(rng, paint, 0.03), None, opacity=coverage * wear)
    cv.note("road_paint", cv.labels[p.ys, p.xs][(coverage * wear * p.alpha) > 0.5])


def road(
    cv: Canvas,
    points: list[tuple[float, float]],
    width_m: float,
    kind: str = "asphalt",
    lanes: bool = True,
    edge_lines: bool = False,
    curbs: bool = True,
) -> Patch | None:
    """A road along a polyline (pixels): surface, tyre-worn lanes, curbs, markings,
    repairs and manholes."""
    rng = cv.rng
    half = cv.m(width_m) / 2
    p = stroke_patch(cv.size, points, half)
    if p is None:
        return None
    colour, relief = surface(cv, p, kind)
    if kind == "asphalt":
        # Wheel paths: polished darker (or dusty lighter) bands in each lane.
        lane = half / 2
        track = np.maximum(
            lines(np.abs(p.t) - lane + cv.m(0.9), 4 * half, cv.m(0.5)),
            lines(np.abs(p.t) - lane - cv.m(0.9), 4 * half, cv.m(0.5)),
        )
        colour = shaded(colour, 1 + rng.uniform(-0.08, 0.06) * track)
        stains = np.clip((texture(cv, p.shape, 1.5, 3) - 0.6) * 3, 0, 1)
        stains *= np.exp(-((np.abs(p.t) - lane) ** 2) / (2 * cv.m(0.5) ** 2))
        colour = mix(colour, colour * 0.75, stains)
    cv.paint(p, colour, IMPERVIOUS, height=relief, feature=f"road_{kind}")
    if curbs:
        edge = stripe(np.abs(p.t) - half + cv.m(0.12), cv.m(0.2))
        cv.paint(p, vary(rng, (0.68, 0.67, 0.64), 0.04), None, opacity=edge)
    if kind == "asphalt":
        _repairs(cv, points, half)
        if lanes and width_m > 4.5:
            dash, gap = rng.choice([(3.0, 6.0), (6.0, 12.0), (1e4, 1.0)])
            centre = stripe(p.t, cv.m(0.12)) * (np.mod(p.s, cv.m(dash + gap)) < cv.m(dash))
            marking(cv, p, centre, yellow=rng.uniform() < 0.05)
        if edge_lines:
            marking(cv, p, stripe(np.abs(p.t) - half + cv.m(0.5), cv.m(0.15)))
    if kind in ("asphalt", "cobbles", "concrete") and width_m > 3.5:
        _manholes(cv, points, half)
    return p


def _along(points: list[tuple[float, float]], distance: float):
    """Point and direction at ``distance`` px along a polyline, or None past its end."""
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        if distance <= length and length > 0:
            f = distance / length
            return x0 + f * (x1 - x0), y0 + f * (y1 - y0), math.atan2(y1 - y0, x1 - x0)
        distance -= length
    return None


def _repairs(cv: Canvas, points: list[tuple[float, float]], half: float) -> None:
    """Patched asphalt: rectangles of another tone with dark sealed joints."""
    rng = cv.rng
    total = sum(math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in itertools.pairwise(points))
    for _ in range(rng.poisson(total / cv.m(40))):
        at = _along(points, rng.uniform(0, total))
        if at is None:
            continue
        x, y, ang = at
        off = rng.uniform(-0.6, 0.6) * half
        cx, cy = x - math.sin(ang) * off, y + math.cos(ang) * off
        a, b = cv.m(rng.uniform(0.6, 4)), cv.m(rng.uniform(0.5, 1.8))
        p = rect_patch(cv.size, cx, cy, a, b, ang)
        if p is None:
            continue
        colour = asphalt(cv, p, rng.uniform(0.15, 0.45))
        seal = stripe(np.maximum(np.abs(p.s) - a, np.abs(p.t) - b), cv.m(0.1))
        colour = mix(colour, (0.1, 0.1, 0.11), seal)
        cv.paint(p, colour, None, feature="asphalt_patch")


def manhole(cv: Canvas, x: float, y: float) -> None:
    """A round cast-iron cover in its frame."""
    rng = cv.rng
    r = cv.m(rng.uniform(0.3, 0.4))
    p = rect_patch(cv.size, x, y, r, r, 0.0, corner=r)
    if p is None:
        return
    rho = np.sqrt(p.s * p.s + p.t * p.t) / r
    iron = vary(rng, (0.24, 0.23, 0.22), 0.1)
    pattern = lines(p.s + p.t, cv.m(0.06), cv.m(0.02)) + lines(p.s - p.t, cv.m(0.06), cv.m(0.02))
    colour = shaded(iron, 1 - 0.15 * np.clip(pattern, 0, 1) + 0.25 * (rho > 0.85))
    cv.paint(p, colour, None, feature="manhole")


def _manholes(cv: Canvas, points: list[tuple[float, float]], half: float) -> None:
    rng = cv.rng
    d = rng.uniform(0, cv.m(30))
    while (at := _along(points, d)) is not None:
        x, y, ang = at
        off = rng.choice([0.0, 0.45, -0.45]) * half
        manhole(cv, x - math.sin(ang) * off, y + math.cos(ang) * off)
        # Gully grates at the kerb.
        side = rng.choice([-1, 1]) * (half - cv.m(0.35))
        grate = rect_patch(
            cv.size, x - math.sin(ang) * side, y + math.cos(ang) * side, cv.m(0.25), cv.m(0.2), ang
        )
        if grate is not None:
            bars = lines(grate.s, cv.m(0.05), cv.m(0.02))
            cv.paint(grate, shaded((0.2, 0.2, 0.2), 1 + 0.8 * bars), None, feature="drain")
        d += cv.m(rng.uniform(25, 60))


def path(cv: Canvas, points: list[tuple[float, float]], width_m: float, kind: str) -> Patch | None:
    """A pavement, footpath or drive along a polyline: slabs, cobbles, asphalt or gravel."""
    p = stroke_patch(cv.size, points, cv.m(width_m) / 2)
    if p is not None:
        paved(cv, p, kind)
    return p


def track(cv: Canvas, points: list[tuple[float, float]], width_m: float) -> None:
    """A farm or forest track: gravel or packed earth in two wheel ruts, grass between."""
    rng = cv.rng
    p = stroke_patch(cv.size, points, cv.m(width_m) / 2)
    if p is None:
        return
    colour = gravel(cv, p, pick(rng, GRAVEL)[1] * rng.uniform(0.8, 1.0))
    middle = np.clip(1 - np.abs(p.t) / cv.m(0.45), 0, 1) * (rng.uniform() < 0.6)
    grass = vary(rng, (0.36, 0.42, 0.22), 0.06)
    colour = mix(colour, shaded(grass, 1 + 0.1 * grain(cv, p.shape)), middle * 0.8)
    cv.paint(p, colour, None, height=0.0)
    cv.paint(p.within(middle < 0.5), colour, IMPERVIOUS, feature="track")


def crossing(cv: Canvas, x: float, y: float, angle: float, length_m: float) -> None:
    """A zebra crossing across a road (``angle`` = the road's direction)."""
    p = rect_patch(cv.size, x, y, cv.m(length_m) / 2, cv.m(2.0), angle + math.pi / 2)
    if p is None:
        return
    stripes = lines(p.s, cv.m(1.0), cv.m(0.5))
    marking(cv, p, stripes)
