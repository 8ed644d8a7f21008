"""Built-up scenes: a town centre of closed blocks round courtyards, and a suburb of
detached houses in gardens, both on a street grid turned any way."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..canvas import Canvas
from ..painters.buildings import building
from ..painters.clutter import construction_site, container, heap, stack
from ..painters.ground import bare_soil, lawn, pool
from ..painters.roads import crossing, marking, path, paved, road
from ..primitives import Patch, between, choose
from .frame import Frame, Later


@dataclass
class Street:
    """One straight street of the grid: at ``pos`` across, running along u (or along v)."""

    pos: float
    along_u: bool
    width: float
    walk: float
    kind: str
    walk_kind: str


def _positions(rng: np.random.Generator, reach: float, spacing: tuple[float, float]) -> list[float]:
    out, x = [], -reach + rng.uniform(0, spacing[1])
    while x < reach:
        out.append(x)
        x += rng.uniform(*spacing)
    return out


def _street_line(fr: Frame, st: Street, offset: float = 0.0) -> list[tuple[float, float]]:
    r = fr.reach
    if st.along_u:
        return fr.points([(-r, st.pos + offset), (r, st.pos + offset)])
    return fr.points([(st.pos + offset, -r), (st.pos + offset, r)])


def _uv(st: Street, along: float, across: float) -> tuple[float, float]:
    return (along, st.pos + across) if st.along_u else (st.pos + across, along)


def street_grid(
    cv: Canvas,
    fr: Frame,
    later: Later,
    spacing: tuple[float, float],
    width: tuple[float, float],
    walk: tuple[float, float],
    road_kinds: dict[str, float],
    walk_kinds: dict[str, float],
) -> list[tuple[float, float, float, float]]:
    """Paint a street grid with pavements, parked and moving cars, crossings and street
    trees; return the blocks between the streets as plan rectangles (u0, u1, v0, v1)."""
    rng = cv.rng
    reach = fr.reach

    us = _positions(rng, reach, spacing)
    vs = _positions(rng, reach, spacing)
    if rng.uniform() < 0.2:
        us = us[::2]

    def street(pos: float, along_u: bool) -> Street:
        width_m, walk_m = rng.uniform(*width), rng.uniform(*walk)
        return Street(
            pos, along_u, width_m, walk_m, choose(rng, road_kinds), choose(rng, walk_kinds)
        )

    streets = [street(p, False) for p in us] + [street(p, True) for p in vs]
    for st in streets:
        path(
            cv,
            _street_line(fr, st),
            st.width + 2 * st.walk,
            st.kind if st.walk_kind == "same" else st.walk_kind,
        )
    for st in streets:
        road(cv, _street_line(fr, st), st.width, st.kind, lanes=st.width > 5.5)
    for st in streets:
        _street_furniture(cv, fr, later, st, [o.pos for o in streets if o.along_u != st.along_u])

    def cuts(across: list[Street]) -> list[tuple[float, float]]:
        edges = [(-reach, 0.0), *[(s.pos, s.width / 2 + s.walk) for s in across], (reach, 0.0)]
        out = []
        for (lo, lw), (hi, hw) in itertools.pairwise(edges):
            if hi - hw - (lo + lw) > 8:
                out.append((lo + lw, hi - hw))
        return out

    along_v = [s for s in streets if not s.along_u]
    along_u = [s for s in streets if s.along_u]
    return [(u0, u1, v0, v1) for u0, u1 in cuts(along_v) for v0, v1 in cuts(along_u)]


def _street_furniture(
    cv: Canvas, fr: Frame, later: Later, st: Street, junctions: list[float]
) -> None:
    rng = cv.rng
    reach = fr.reach
    heading = fr.theta + (0.0 if st.along_u else math.pi / 2)
    for side in (-1, 1):
        x = -reach + rng.uniform(0, 8)
        occupancy = rng.uniform(0.2, 0.85)
        while x < reach:
            if rng.uniform() < occupancy and min((abs(x - j) for j in junctions), default=99) > 8:
                u, v = _uv(st, x, side * (st.width / 2 - 1.2))
                later.cars.append(
                    (*fr.px(u, v), heading + (math.pi if rng.uniform() < 0.5 else 0.0))
                )
            x += rng.uniform(5.2, 7.5)
    for _ in range(rng.poisson(2 * reach / 70)):
        u, v = _uv(st, rng.uniform(-reach, reach), rng.choice([-1, 1]) * st.width / 4)
        later.cars.append((*fr.px(u, v), heading + (math.pi if rng.uniform() < 0.5 else 0.0)))
    if rng.uniform() < 0.5 * cv.env.tree_density and st.walk > 2:
        side = rng.choice([-1, 1])
        x = -reach + rng.uniform(0, 10)
        spacing = rng.uniform(8, 15)
        while x < reach:
            u, v = _uv(st, x, side * (st.width / 2 + st.walk * 0.55))
            later.trees.append((*fr.px(u, v), rng.uniform(2.5, 5.0), None))
            x += spacing * rng.uniform(0.9, 1.1)
    for j in junctions:
        if rng.uniform() < 0.35:
            u, v = _uv(st, j + rng.choice([-1, 1]) * rng.uniform(8, 12), 0.0)
            crossing(cv, *fr.px(u, v), heading, st.width)


def parking_lot(
    cv: Canvas, fr: Frame, later: Later, u0: float, u1: float, v0: float, v1: float
) -> None:
    """A car park: surface, bay lines, cars in most bays (rows along u)."""
    rng = cv.rng
    p = fr.rect(u0, u1, v0, v1)
    if p is None:
        return
    paved(cv, p, str(rng.choice(["asphalt", "asphalt", "slabs", "gravel", "concrete"])))
    bay, depth, aisle = rng.uniform(2.4, 2.7), rng.uniform(4.8, 5.3), rng.uniform(5.5, 7)
    occupancy = rng.uniform(0.3, 0.95)
    v = v0 + 0.5
    row = 0
    while v + depth <= v1 - 0.5:
        u = u0 + 0.5
        while u + bay <= u1 - 0.5:
            line = fr.rect(u - 0.06, u + 0.06, v, v + depth)
            if line is not None:
                marking(cv, line, line.alpha)
            if rng.uniform() < occupancy:
                angle = (
                    fr.theta
                    + math.pi / 2
                    + rng.normal(0, 0.04)
                    + (math.pi if rng.uniform() < 0.5 else 0)
                )
                later.cars.append((*fr.px(u + bay / 2, v + depth / 2), angle))
            u += bay
        v += depth + (aisle if row % 2 == 0 else 0.3)
        row += 1


def _garden(
    cv: Canvas, fr: Frame, later: Later, u0: float, u1: float, v0: float, v1: float
) -> None:
    """A back garden: its own lawn, beds, a pool, a compost heap, a shed, trees and shrubs."""
    rng = cv.rng
    if u1 - u0 < 3 or v1 - v0 < 3:
        return
    p = fr.rect(u0, u1, v0, v1)
    if p is not None:
        lawn(cv, p)
    if rng.uniform() < 0.25:
        a = between(rng, u0, u1 - 2)
        b = between(rng, v0, v1 - 2)
        bed = fr.rect(a, min(a + rng.uniform(2, 6), u1), b, min(b + rng.uniform(1.5, 4), v1))
        if bed is not None:
            bare_soil(cv, bed)
    if rng.uniform() < 0.18 and u1 - u0 > 8 and v1 - v0 > 6:
        pool(cv, *fr.px((u0 + u1) / 2, (v0 + v1) / 2), fr.theta)
    if rng.uniform() < 0.45:  # compost, sand for the children, a firewood stack
        x, y = fr.px(between(rng, u0 + 1, u1 - 1), between(rng, v0 + 1, v1 - 1))
        if rng.uniform() < 0.6:
            heap(cv, x, y, rng.uniform(0.6, 1.5))
        else:
            stack(cv, x, y, rng.uniform(0.6, 1.5), fr.theta)
    if rng.uniform() < 0.3:
        cu, cv_ = between(rng, u0 + 2, u1 - 2), between(rng, v0 + 2, v1 - 2)
        building(cv, *fr.px(cu, cv_), rng.uniform(2, 4), rng.uniform(2, 3.5), fr.theta, "garage")
    for _ in range(rng.poisson(1.6 * cv.env.tree_density)):
        kind = "shrub" if rng.uniform() < 0.35 else None
        later.trees.append(
            (*fr.px(between(rng, u0, u1), between(rng, v0, v1)), rng.uniform(1.5, 5.0), kind)
        )


def _house_plot(
    cv: Canvas, fr: Frame, later: Later, u0: float, u1: float, v0: float, v1: float, front: int
) -> None:
    """A detached house set back from the street (``front`` -1: street at v0, +1: at v1)."""
    rng = cv.rng
    depth = v1 - v0
    street_v = v0 if front < 0 else v1
    inward = -front

    def at(d0: float, d1: float) -> tuple[float, float]:
        a, b = street_v + inward * d0, street_v + inward * d1
        return min(a, b), max(a, b)

    setback = rng.uniform(3, 8)
    house_d = min(rng.uniform(8, 12), depth - setback - 3)
    house_w = min(rng.uniform(8, 14), u1 - u0 - 5)
    if house_d < 6 or house_w < 6:
        _garden(cv, fr, later, u0, u1, v0, v1)
        return
    hu0 = u0 + between(rng, 1.5, max(1.6, u1 - u0 - house_w - 4))
    hv0, hv1 = at(setback, setback + house_d)
    gv0, gv1 = at(setback + house_d, depth)
    _garden(cv, fr, later, u0 + 0.5, u1 - 0.5, gv0, gv1)
    drive_u = hu0 + house_w + 0.8
    if u1 - drive_u > 3.2:
        dv0, dv1 = at(0, setback + rng.uniform(3, 7))
        p = fr.rect(drive_u, drive_u + 3, dv0, dv1)
        if p is not None:
            paved(cv, p, str(rng.choice(["slabs", "slabs", "gravel", "asphalt", "cobbles"])))
        if rng.uniform() < 0.6:
            later.cars.append(
                (
                    *fr.px(drive_u + 1.5, street_v + inward * (setback * 0.6 + 1.5)),
                    fr.theta + math.pi / 2,
                )
            )
        if rng.uniform() < 0.4:
            gv = street_v + inward * (setback + 4)
            building(cv, *fr.px(drive_u + 1.5, gv), 3.0, 6.0, fr.theta + math.pi / 2, "garage")
    front_path = fr.rect(hu0 + house_w / 2 - 0.6, hu0 + house_w / 2 + 0.6, *at(0, setback))
    if front_path is not None:
        paved(cv, front_path, str(rng.choice(["slabs", "gravel", "cobbles"])))
    hx, hy = fr.px(hu0 + house_w / 2, (hv0 + hv1) / 2)
    building(cv, hx, hy, house_w, house_d, fr.theta + rng.normal(0, 0.02), "house")
    if rng.uniform() < 0.35:  # an annex making an L
        aw, ad = house_w * rng.uniform(0.35, 0.5), house_d * rng.uniform(0.5, 0.8)
        au = hu0 + (aw / 2 if rng.uniform() < 0.5 else house_w - aw / 2)
        av = street_v + inward * (setback + house_d + ad / 2 - 1)
        building(cv, *fr.px(au, av), aw, ad, fr.theta + math.pi / 2, "house")
    if rng.uniform() < 0.5:  # a terrace behind the house
        tv0, tv1 = at(setback + house_d, setback + house_d + rng.uniform(2.5, 4))
        p = fr.rect(hu0 + 1, hu0 + house_w * 0.6, tv0, tv1)
        if p is not None:
            paved(cv, p, str(rng.choice(["slabs", "concrete", "cobbles"])))


def _fill(
    cv: Canvas, fr: Frame, later: Later, block: tuple[float, float, float, float], kind: str
) -> None:
    u0, u1, v0, v1 = block
    rng = cv.rng
    if kind == "parking":
        parking_lot(cv, fr, later, u0, u1, v0, v1)
    elif kind == "park":
        p = fr.rect(u0, u1, v0, v1)
        if p is not None:
            lawn(cv, p, meadow=rng.uniform() < 0.3)
        for _ in range(rng.poisson(max(1.0, (u1 - u0) * (v1 - v0) / 150) * cv.env.tree_density)):
            later.trees.append(
                (*fr.px(between(rng, u0, u1), between(rng, v0, v1)), rng.uniform(2.5, 7), None)
            )
        mid = between(rng, u0 + 2, u1 - 2)
        path(
            cv,
            fr.points([(mid, v0), (mid + rng.uniform(-10, 10), v1)]),
            rng.uniform(1.5, 3),
            "gravel",
        )
    elif kind == "construction":
        p = fr.rect(u0 + 1, u1 - 1, v0 + 1, v1 - 1)
        if p is not None:
            construction_site(cv, p, fr.theta)
    elif kind == "square":
        p = fr.rect(u0, u1, v0, v1)
        if p is not None:
            paved(cv, p, str(rng.choice(["cobbles", "slabs", "slabs"])))
        step = rng.uniform(7, 12)
        for u, v in itertools.product(
            np.arange(u0 + 4, u1 - 3, step), np.arange(v0 + 4, v1 - 3, step)
        ):
            if rng.uniform() < 0.6:
                later.trees.append((*fr.px(u, v), rng.uniform(2.5, 4.5), None))
    elif kind == "yard":
        p = fr.rect(u0 + 0.5, u1 - 0.5, v0 + 0.5, v1 - 0.5)
        if p is not None:
            paved(cv, p, str(rng.choice(["asphalt", "concrete", "gravel"])))
        building(
            cv,
            *fr.px((u0 + u1) / 2, v0 + (v1 - v0) * 0.3),
            (u1 - u0) * 0.7,
            (v1 - v0) * 0.35,
            fr.theta,
            "hall",
        )
        for _ in range(rng.integers(2, 7)):
            x, y = fr.px(between(rng, u0 + 3, u1 - 3), between(rng, v0 + (v1 - v0) * 0.55, v1 - 3))
            if rng.uniform() < 0.5:
                container(cv, x, y, fr.theta + rng.choice([0.0, math.pi / 2]))
            else:
                heap(cv, x, y, rng.uniform(1.5, 4))
        for _ in range(rng.integers(0, 4)):
            later.cars.append(
                (
                    *fr.px(
                        between(rng, u0 + 3, u1 - 3), between(rng, v0 + (v1 - v0) * 0.6, v1 - 3)
                    ),
                    rng.uniform(0, 6.3),
                )
            )


def _apartment_block(
    cv: Canvas, fr: Frame, later: Later, block: tuple[float, float, float, float]
) -> None:
    """A free-standing block of flats, its car park in front and lawn and trees around it."""
    rng = cv.rng
    u0, u1, v0, v1 = block
    p = fr.rect(u0, u1, v0, v1)
    if p is not None:
        lawn(cv, p)
    parking_lot(cv, fr, later, u0 + 1, u1 - 1, v0 + 1, v0 + min(14, (v1 - v0) * 0.35))
    bv0 = v0 + min(16, (v1 - v0) * 0.4)
    length, depth = min(60, (u1 - u0) * 0.8), min(16, (v1 - bv0) * 0.8)
    building(cv, *fr.px((u0 + u1) / 2, (bv0 + v1) / 2), length, max(depth, 6), fr.theta, "block")
    for _ in range(rng.poisson(2 * cv.env.tree_density)):
        later.trees.append((*fr.px(between(rng, u0, u1), between(rng, v1 - 4, v1)), 3.0, None))


def suburb(cv: Canvas, fr: Frame, later: Later) -> None:
    """Detached houses in gardens on a grid of residential streets."""
    rng = cv.rng
    full = fr.rect(-fr.reach, fr.reach, -fr.reach, fr.reach)
    if full is not None:
        lawn(cv, full)
    roads = {"asphalt": 6, "cobbles": 1, "concrete": 1}
    walks = {"slabs": 4, "asphalt": 2, "cobbles": 1, "same": 1}
    blocks = street_grid(cv, fr, later, (45, 90), (5, 8), (1.5, 3), roads, walks)
    for block in blocks:
        u0, u1, v0, v1 = block
        kind = rng.choice(
            ["houses", "block", "park", "parking", "construction"], p=[0.72, 0.1, 0.08, 0.05, 0.05]
        )
        if kind == "block":
            _apartment_block(cv, fr, later, block)
            continue
        if kind != "houses":
            _fill(cv, fr, later, block, str(kind))
            continue
        mid = (v0 + v1) / 2
        rows = [(v0, mid, -1), (mid, v1, 1)] if v1 - v0 > 32 else [(v0, v1, -1)]
        for rv0, rv1, front in rows:
            u = u0
            while u < u1 - 10:
                w = min(rng.uniform(16, 28), u1 - u)
                if u1 - (u + w) < 10:
                    w = u1 - u
                _house_plot(cv, fr, later, u, u + w, rv0, rv1, front)
                u += w


def town_centre(cv: Canvas, fr: Frame, later: Later) -> None:
    """Closed blocks of terraced buildings round courtyards; squares, car parks, yards."""
    rng = cv.rng
    full = fr.rect(-fr.reach, fr.reach, -fr.reach, fr.reach)
    if full is not None:
        paved(cv, full, "slabs")
    roads = {"asphalt": 5, "cobbles": 2}
    walks = {"slabs": 4, "cobbles": 2, "asphalt": 1}
    blocks = street_grid(cv, fr, later, (55, 110), (6, 12), (2.5, 5), roads, walks)
    for block in blocks:
        kind = rng.choice(
            ["perimeter", "slabs", "square", "parking", "yard", "construction", "park"],
            p=[0.58, 0.1, 0.07, 0.08, 0.06, 0.05, 0.06],
        )
        if kind == "slabs":
            _apartment_block(cv, fr, later, block)
            continue
        if kind != "perimeter":
            _fill(cv, fr, later, block, str(kind))
            continue
        _perimeter_block(cv, fr, later, block)


def _perimeter_block(
    cv: Canvas, fr: Frame, later: Later, block: tuple[float, float, float, float]
) -> None:
    rng = cv.rng
    u0, u1, v0, v1 = block
    depth = rng.uniform(10, 16)
    if u1 - u0 < 2 * depth + 6 or v1 - v0 < 2 * depth + 6:
        depth = min(u1 - u0, v1 - v0) / 2 - 1
    inner = (u0 + depth, u1 - depth, v0 + depth, v1 - depth)
    court = fr.rect(*inner)
    if court is not None:
        _courtyard(cv, fr, later, court, inner)
    # Terraced houses along the four sides, each its own roof, colour and height.
    sides = [
        (u0, u1, v0, v0 + depth, True),
        (u0, u1, v1 - depth, v1, True),
        (u0, u0 + depth, v0 + depth, v1 - depth, False),
        (u1 - depth, u1, v0 + depth, v1 - depth, False),
    ]
    for a0, a1, b0, b1, along_u in sides:
        lo, hi = (a0, a1) if along_u else (b0, b1)
        x = lo
        while x < hi - 2:
            seg = min(rng.uniform(8, 24), hi - x)
            if hi - (x + seg) < 6:
                seg = hi - x
            if along_u:
                uc, vc, length, dep = x + seg / 2, (b0 + b1) / 2, seg, b1 - b0
                angle = fr.theta
            else:
                uc, vc, length, dep = (a0 + a1) / 2, x + seg / 2, seg, a1 - a0
                angle = fr.theta + math.pi / 2
            if rng.uniform() < 0.05:
                x += seg  # a gap: gateway into the courtyard
                continue
            building(
                cv, *fr.px(uc, vc), length - 0.05, dep * rng.uniform(0.85, 1.0), angle, "terrace"
            )
            x += seg


def _courtyard(
    cv: Canvas, fr: Frame, later: Later, p: Patch, inner: tuple[float, float, float, float]
) -> None:
    rng = cv.rng
    u0, u1, v0, v1 = inner
    what = rng.choice(["lawn", "paved", "mixed"], p=[0.35, 0.35, 0.3])
    if what == "lawn":
        lawn(cv, p)
    else:
        paved(cv, p, str(rng.choice(["asphalt", "cobbles", "gravel", "slabs", "concrete"])))
    if what == "mixed" and u1 - u0 > 8 and v1 - v0 > 8:
        g = fr.rect(u0 + 2, (u0 + u1) / 2, v0 + 2, v1 - 2)
        if g is not None:
            lawn(cv, g)
    if u1 - u0 > 12 and rng.uniform() < 0.5:  # a row of garages
        n = int((u1 - u0 - 4) // 3)
        for k in range(min(n, rng.integers(2, 8))):
            building(cv, *fr.px(u0 + 2 + 3 * k + 1.5, v1 - 3.5), 2.9, 6, fr.theta, "garage")
    for _ in range(rng.poisson(1.5 * cv.env.tree_density)):
        later.trees.append(
            (*fr.px(between(rng, u0, u1), between(rng, v0, v1)), rng.uniform(2, 5), None)
        )
    for _ in range(rng.poisson(1.5)):
        later.cars.append(
            (
                *fr.px(between(rng, u0 + 2, u1 - 2), between(rng, v0 + 2, v1 - 2)),
                fr.theta + rng.choice([0, math.pi / 2]),
            )
        )
    for _ in range(rng.poisson(1.2)):  # bins, pallets, building material
        stack(
            cv,
            *fr.px(between(rng, u0 + 1, u1 - 1), between(rng, v0 + 1, v1 - 1)),
            rng.uniform(0.8, 2),
            fr.theta,
        )
    if rng.uniform() < 0.4:
        container(cv, *fr.px(between(rng, u0 + 3, u1 - 3), between(rng, v0 + 2, v1 - 2)), fr.theta)
