"""Open-country scenes: farmland cut into fields with a road, tracks, a farmstead, orchards
and woods; and the edge of a forest against meadows or fields."""

from __future__ import annotations

import math

import numpy as np

from ..canvas import LOW_VEGETATION, Canvas
from ..crops import choose_crop
from ..materials import soil, vary
from ..painters.buildings import building
from ..painters.clutter import container, field_items, heap, stack
from ..painters.ground import field, lawn, pond
from ..painters.roads import paved, road, track
from ..painters.vegetation import canopy
from ..primitives import Patch, stroke_patch, trimmed
from .frame import Frame, Later, Polygon, area, shrink, split_polygon


def _cells(rng: np.random.Generator, reach: float, size: float, direction: float):
    """Split the plan square into convex fields about ``size`` m across; returns the cells
    and the cut segments (first = the longest, for the road), as plan coordinates."""
    cells: list[Polygon] = [[(-reach, -reach), (reach, -reach), (reach, reach), (-reach, reach)]]
    cuts: list[tuple[tuple[float, float], tuple[float, float]]] = []
    done: list[Polygon] = []
    while cells:
        poly = cells.pop(0)
        if area(poly) < size * size * rng.uniform(0.6, 1.6) or len(done) + len(cells) > 60:
            done.append(poly)
            continue
        xs, ys = [x for x, _ in poly], [y for _, y in poly]
        wide = (max(xs) - min(xs)) * abs(math.cos(direction)) + (max(ys) - min(ys)) * abs(
            math.sin(direction)
        )
        deep = (max(xs) - min(xs)) * abs(math.sin(direction)) + (max(ys) - min(ys)) * abs(
            math.cos(direction)
        )
        # Cut across the longer extent, a little off the main direction.
        angle = direction + (0 if wide > deep else math.pi / 2) + rng.normal(0, 0.12)
        cx = sum(xs) / len(xs) + rng.normal(0, 0.15) * (max(xs) - min(xs))
        cy = sum(ys) / len(ys) + rng.normal(0, 0.15) * (max(ys) - min(ys))
        normal = (math.cos(angle), math.sin(angle))
        front, back = split_polygon(poly, (cx, cy), normal)
        if len(front) < 3 or len(back) < 3:
            done.append(poly)
            continue
        shared = [p for p in front if p in back]
        if len(shared) == 2:
            cuts.append((shared[0], shared[1]))
        cells += [front, back]
    return done, cuts


def _strip_cells(rng: np.random.Generator, reach: float, direction: float):
    """Strip farmland, as across much of Central and Eastern Europe: long plots 5-25 m wide
    side by side, running back from a road across their ends. Returns the cells and the cut
    segments (first = the road), as plan coordinates."""
    square: Polygon = [(-reach, -reach), (reach, -reach), (reach, reach), (-reach, reach)]
    along = (math.cos(direction), math.sin(direction))
    across = (-along[1], along[0])
    offset = rng.uniform(-0.5, 0.5) * reach
    halves = split_polygon(square, (along[0] * offset, along[1] * offset), along)
    cuts = [tuple(p for p in halves[0] if p in halves[1])]
    cells: list[Polygon] = []
    for rest in halves:
        at = -1.5 * reach
        while True:
            at += rng.uniform(5, 25)
            beyond, strip = split_polygon(rest, (across[0] * at, across[1] * at), across)
            if len(strip) >= 3 and len(beyond) >= 3:
                cells.append(strip)
                cuts.append(tuple(p for p in strip if p in beyond))
                rest = beyond
            elif len(beyond) < 3:  # the last strip
                cells.append(rest)
                break
    return cells, [c for c in cuts if len(c) == 2]


def _farmstead(cv: Canvas, fr: Frame, later: Later, poly: Polygon, direction: float) -> None:
    """A farmyard: concrete and gravel, halls and barns, a house, heaps, machinery, cars."""
    rng = cv.rng
    cu = sum(x for x, _ in poly) / len(poly)
    cvv = sum(y for _, y in poly) / len(poly)
    span = min(math.sqrt(area(poly)) * 0.7, 90)
    c, s = math.cos(direction), math.sin(direction)

    def at(a: float, b: float) -> tuple[float, float]:
        return fr.px(cu + c * a - s * b, cvv + s * a + c * b)

    yard = fr.polygon(
        [
            (cu + c * a - s * b, cvv + s * a + c * b)
            for a, b in (
                (-span / 2, -span / 2),
                (span / 2, -span / 2),
                (span / 2, span / 2),
                (-span / 2, span / 2),
            )
        ],
        direction,
    )
    if yard is not None:
        paved(cv, yard, str(rng.choice(["concrete", "gravel", "asphalt"])))
    for k in range(rng.integers(2, 5)):
        a, b = rng.uniform(-0.3, 0.3) * span, (k - 1.5) * span / 4
        building(
            cv, *at(a, b), rng.uniform(15, 40), rng.uniform(9, 18), fr.theta + direction, "hall"
        )
    building(
        cv,
        *at(-span * 0.35, span * 0.35),
        rng.uniform(9, 14),
        rng.uniform(8, 11),
        fr.theta + direction,
        "house",
    )
    for _ in range(rng.integers(1, 5)):
        heap(
            cv,
            *at(rng.uniform(-0.45, 0.45) * span, rng.uniform(-0.45, 0.45) * span),
            rng.uniform(2, 6),
        )
    for _ in range(rng.integers(0, 3)):
        container(
            cv,
            *at(rng.uniform(-0.4, 0.4) * span, rng.uniform(-0.4, 0.4) * span),
            fr.theta + direction,
        )
    for _ in range(rng.integers(1, 4)):
        later.cars.append(
            (
                *at(rng.uniform(-0.4, 0.4) * span, rng.uniform(-0.4, 0.4) * span),
                rng.uniform(0, 2 * math.pi),
            )
        )
    for _ in range(rng.integers(2, 8)):
        later.trees.append(
            (
                *at(rng.uniform(-0.6, 0.6) * span, rng.uniform(-0.6, 0.6) * span),
                rng.uniform(3, 7),
                None,
            )
        )


def _orchard(cv: Canvas, fr: Frame, later: Later, p: Patch, direction: float) -> None:
    rng = cv.rng
    lawn(cv, p, meadow=True)
    spacing = rng.uniform(4, 8)
    r = spacing * rng.uniform(0.25, 0.42)
    args = dict(
        spacing_m=spacing,
        radius=(r * 0.8, r * 1.1),
        jitter=0.06,
        conifers=0.0,
        gaps=rng.uniform(0.03, 0.2),
        tall=(3.0, 6.0),
        feature="orchard",
        angle=fr.theta + direction,
    )
    later.canopies.append(lambda: canopy(cv, p, **args))


def _wood(cv: Canvas, fr: Frame, later: Later, p: Patch, conifers: float, feature: str) -> None:
    """Forest floor, then a closed canopy over it (painted with the other crowns)."""
    rng = cv.rng
    floor = vary(
        rng, ((0.34, 0.3, 0.22), (0.25, 0.3, 0.17), (0.42, 0.34, 0.24))[rng.integers(3)], 0.06
    )
    cv.paint(p, soil(cv, p, floor), LOW_VEGETATION, height=0.0)
    spacing = rng.uniform(3.5, 7)
    args = dict(
        spacing_m=spacing,
        radius=(spacing * 0.5, spacing * 0.85),
        jitter=1.0,
        conifers=conifers,
        gaps=rng.uniform(0.02, 0.15),
        tall=(14.0, 30.0),
        feature=feature,
    )
    later.canopies.append(lambda: canopy(cv, p, **args))


def rural(cv: Canvas, fr: Frame, later: Later) -> None:
    """Farmland: fields in rows (blocks, or one scene in three long narrow strips), meadows,
    a country road with verges and an avenue, farm tracks, a farmstead, orchards, copses and
    a pond."""
    rng = cv.rng
    full = fr.rect(-fr.reach, fr.reach, -fr.reach, fr.reach)
    if full is not None:
        lawn(cv, full, meadow=True)
    direction = rng.uniform(0, math.pi)
    # Fields of 40-200 m; small scenes (drone flights) get smaller plots so that they too
    # show where one crop meets another.
    size = min(rng.uniform(40, 200), cv.extent_m * rng.uniform(0.4, 1.2))
    strips = rng.uniform() < 0.35
    if strips:
        cells, cuts = _strip_cells(rng, fr.reach, direction)
        cv.note("strip_fields")
    else:
        cells, cuts = _cells(rng, fr.reach, max(size, 15.0), direction)
    farm = int(rng.integers(len(cells))) if rng.uniform() < 0.5 and not strips else -1
    conifers = rng.uniform(0, 0.8)
    for k, poly in enumerate(cells):
        inner = shrink(poly, rng.uniform(0.2, 1.0) if strips else rng.uniform(0.5, 3))
        if len(inner) < 3 or area(inner) < 20:
            continue
        (u0, v0), (u1, v1) = inner[0], inner[1]
        # Rows along a strip, or along a field's first edge.
        rows = direction if strips else math.atan2(v1 - v0, u1 - u0)
        p = fr.polygon(inner, rows)
        if p is None:
            continue
        if k == farm:
            _farmstead(cv, fr, later, inner, rows)
            continue
        use = rng.choice(["crop", "meadow", "orchard", "wood"], p=[0.72, 0.16, 0.06, 0.06])
        if use == "crop":
            field(cv, p, choose_crop(rng, cv.env.season))
            if rng.uniform() < 0.5:  # tarps, bales, hoses left on half of the fields
                field_items(cv, p, density=rng.uniform(0.05, 0.6))
        elif use == "meadow":
            lawn(cv, p, meadow=True)
            if rng.uniform() < 0.2:
                field_items(cv, p, density=rng.uniform(0.05, 0.3))
        elif use == "orchard":
            _orchard(cv, fr, later, p, rows)
        else:
            _wood(cv, fr, later, p, conifers, "forest")
    if cuts:
        _country_road(cv, fr, later, cuts[0])
    for a, b in cuts[1 : 1 + rng.integers(0, 4)]:
        track(cv, fr.points([a, b]), rng.uniform(2.5, 4))
    if rng.uniform() < 0.25:
        x, y = fr.px(rng.uniform(-0.4, 0.4) * fr.reach, rng.uniform(-0.4, 0.4) * fr.reach)
        pond(cv, x, y, min(rng.uniform(4, 15), 0.15 * cv.extent_m))
    for _ in range(rng.poisson(3 * cv.env.tree_density)):
        later.trees.append(
            (
                *fr.px(rng.uniform(-1, 1) * fr.reach, rng.uniform(-1, 1) * fr.reach),
                rng.uniform(2, 7),
                None,
            )
        )


def _country_road(cv: Canvas, fr: Frame, later: Later, cut) -> None:
    """An asphalt road along a field boundary, gently curved, grass verges, maybe an avenue."""
    rng = cv.rng
    (u0, v0), (u1, v1) = cut
    length = math.hypot(u1 - u0, v1 - v0)
    nu, nv = -(v1 - v0) / length, (u1 - u0) / length
    bend = rng.normal(0, 0.03) * length
    pts = [
        (
            u0 + (u1 - u0) * f + nu * bend * math.sin(math.pi * f),
            v0 + (v1 - v0) * f + nv * bend * math.sin(math.pi * f),
        )
        for f in np.linspace(0, 1, 17)
    ]
    width = rng.uniform(4, 6.5)
    verge = fr.points(pts)
    strip = stroke_patch(cv.size, verge, cv.m(width / 2 + rng.uniform(1, 3)))
    if strip is not None:
        lawn(cv, strip, meadow=True)
    kind = "concrete" if rng.uniform() < 0.2 else "asphalt"
    road(cv, verge, width, kind, lanes=width > 5, edge_lines=rng.uniform() < 0.5, curbs=False)
    if rng.uniform() < 0.5 * cv.env.tree_density:
        step = rng.uniform(8, 14)
        side_off = width / 2 + rng.uniform(1.5, 3)
        for f in np.arange(rng.uniform(0, step), length, step) / length:
            k = min(int(f * 16), 15)
            (a0, b0), (a1, b1) = pts[k], pts[k + 1]
            g = f * 16 - k
            u, v = a0 + (a1 - a0) * g, b0 + (b1 - b0) * g
            for side in (-1, 1) if rng.uniform() < 0.6 else (rng.choice([-1, 1]),):
                later.trees.append(
                    (
                        *fr.px(u + nu * side * side_off, v + nv * side * side_off),
                        rng.uniform(2.5, 5),
                        None,
                    )
                )
    for _ in range(rng.poisson(length / 150)):
        f = rng.uniform(0, 1)
        k = min(int(f * 16), 15)
        u, v = pts[k]
        heading = fr.theta + math.atan2(v1 - v0, u1 - u0)
        later.cars.append(
            (*fr.px(u + nu * width / 4 * rng.choice([-1, 1]), v + nv * width / 4), heading)
        )


def forest_edge(cv: Canvas, fr: Frame, later: Later) -> None:
    """A forest's ragged edge against meadow or fields, a track along it, shrubs in front,
    log piles and a few parked cars."""
    rng = cv.rng
    reach = fr.reach
    full = fr.rect(-reach, reach, -reach, reach)
    if full is not None:
        lawn(cv, full, meadow=True)
    if rng.uniform() < 0.5:
        fp = fr.rect(-reach, reach, -reach, reach * rng.uniform(-0.3, 0.3))
        if fp is not None:
            field(cv, fp, choose_crop(rng, cv.env.season))
            if rng.uniform() < 0.35:
                field_items(cv, fp, density=rng.uniform(0.05, 0.4))
    offset = rng.uniform(-0.35, 0.35) * cv.extent_m
    waves = [(rng.uniform(0.01, 0.12), rng.uniform(0, 6.3), rng.uniform(2, 15)) for _ in range(5)]

    def edge(u: np.ndarray) -> np.ndarray:
        out = np.full(np.shape(u), offset, np.float32)
        for k, phase, amp in waves:
            out += amp * np.sin(k * u + phase)
        return out

    band = trimmed(fr.band(edge))
    if band is not None:
        _wood(cv, fr, later, band, rng.uniform(0, 1), "forest")
    us = np.linspace(-reach, reach, 40)
    track_off = rng.uniform(4, 12)
    track(
        cv,
        fr.points([(u, float(edge(np.float32(u))) - track_off) for u in us]),
        rng.uniform(2.5, 4),
    )
    for u in rng.uniform(-reach, reach, rng.poisson(reach / 12)):
        v = float(edge(np.float32(u))) - rng.uniform(-1, 3)
        later.trees.append(
            (*fr.px(u, v), rng.uniform(1, 4), "shrub" if rng.uniform() < 0.5 else None)
        )
    for _ in range(rng.integers(0, 4)):
        u = rng.uniform(-reach, reach)
        v = float(edge(np.float32(u))) - track_off + rng.choice([-3.5, 3.5])
        stack(cv, *fr.px(u, v), rng.uniform(1.5, 4), fr.theta)
    if rng.uniform() < 0.4:
        u = rng.uniform(-reach / 2, reach / 2)
        v = float(edge(np.float32(u))) - track_off - 6
        lot = fr.rect(u - 10, u + 10, v - 4, v + 3)
        if lot is not None:
            paved(cv, lot, "gravel")
        for k in range(rng.integers(1, 5)):
            later.cars.append(
                (*fr.px(u - 8 + 3 * k, v), fr.theta + math.pi / 2 + rng.normal(0, 0.1))
            )
