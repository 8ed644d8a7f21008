"""The scene plan: a rotated street grid, blocks cut into plots, each plot filled."""

from __future__ import annotations

import itertools

import numpy as np

from .canvas import Canvas, Scene, SceneStyle
from .layout_frame import Layout
from .materials import asphalt, crop_field, lawn_ground, pavers
from .painters import building, car_layout, clutter_layout, parking, street, tree, tree_layout
from .sensor import finish

# --- parcels -------------------------------------------------------------------------------------


def parcel(cv: Canvas, u0: float, u1: float, v0: float, v1: float, front: int) -> None:
    """Fill one plot: ``front`` = -1 if the street is at v0, +1 if at v1."""
    rng, m = cv.rng, cv.m
    kind = rng.choice(
        ["house", "block", "parking", "park", "yard", "field"],
        p=[0.42, 0.22, 0.1, 0.08, 0.12, 0.06],
    )
    depth = v1 - v0
    fv = v0 if front < 0 else v1  # the street side
    inward = 1 if front < 0 else -1

    def band(d0: float, d1: float) -> tuple[float, float]:
        a, b = fv + inward * d0, fv + inward * d1
        return min(a, b), max(a, b)

    if kind in ("house", "block"):
        setback = m(rng.uniform(2, 6))
        bdepth = min(
            m(rng.uniform(10, 15) if kind == "house" else rng.uniform(13, 20)), depth * 0.65
        )
        margin = m(rng.uniform(1.5, 3.5))
        bu0, bu1 = u0 + margin, u1 - margin
        if kind == "house":
            bu1 = min(bu1, bu0 + m(rng.uniform(10, 16)))
            drive = (bu1 + m(0.5), min(bu1 + m(3.5), u1 - m(0.3)))
            if drive[1] - drive[0] > m(2.5):
                dv0, dv1 = band(0, setback + m(6))
                p = cv.layout.rect(drive[0], drive[1], dv0, dv1)
                if p is not None:
                    pavers(cv, p, size_m=0.2)
                if rng.uniform() < 0.6:
                    car_layout(
                        cv, (drive[0] + drive[1]) / 2, fv + inward * (setback + m(2.5)), np.pi / 2
                    )
        else:
            # A courtyard car park in front of the block.
            pv0, pv1 = band(0, setback)
            if setback > m(5):
                parking(cv, u0 + m(0.5), u1 - m(0.5), pv0, pv1)
        bv0, bv1 = band(setback, setback + bdepth)
        building(cv, bu0, bu1, bv0, bv1, str(kind))
        # Back garden: trees, sometimes a heap of clutter or a shed-sized stack.
        for _ in range(rng.poisson(1.3 * cv.style.tree_density)):
            tu = rng.uniform(u0, u1)
            tv = fv + inward * rng.uniform(setback + bdepth * 0.7, max(depth, setback + bdepth))
            tree_layout(cv, tu, tv, rng.uniform(2, 4.5))
        garden = (setback + bdepth + m(2), depth - m(2))
        if rng.uniform() < 0.6 and garden[1] > garden[0]:
            cu = rng.uniform(u0 + m(2), u1 - m(2))
            clutter_layout(cv, cu, fv + inward * rng.uniform(*garden), rng.uniform(1.2, 2.5))
    elif kind == "parking":
        pv0, pv1 = band(m(0.5), depth - m(0.5))
        parking(cv, u0 + m(0.5), u1 - m(0.5), pv0, pv1)
        if rng.uniform() < 0.5:
            tree_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(2.5, 4))
    elif kind == "park":
        for _ in range(rng.poisson(4 * cv.style.tree_density)):
            tree_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(2.5, 6))
        if rng.uniform() < 0.5:  # a footpath
            pu = rng.uniform(u0 + m(2), u1 - m(2))
            p = cv.layout.rect(pu - m(1), pu + m(1), v0, v1)
            if p is not None:
                pavers(cv, p, colour=(0.62, 0.56, 0.46), size_m=0.15)
    elif kind == "yard":
        p = cv.layout.rect(u0 + m(1), u1 - m(1), *band(m(1), depth - m(1)))
        if p is not None:
            asphalt(cv, p, tone=rng.uniform(0.9, 1.15))
        for _ in range(rng.integers(3, 8)):
            clutter_layout(
                cv, rng.uniform(u0 + m(3), u1 - m(3)), rng.uniform(v0, v1), rng.uniform(1.5, 4)
            )
        if rng.uniform() < 0.5:
            car_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(0, np.pi))
    else:
        p = cv.layout.rect(u0, u1, v0, v1)
        if p is not None:
            crop_field(cv, p)


def street_positions(rng: np.random.Generator, extent: float, spacing: tuple[float, float]):
    pos, x = [], -extent + rng.uniform(0, spacing[1])
    while x < extent:
        pos.append(x)
        x += rng.uniform(*spacing)
    return pos


def generate_scene(size: int, rng: np.random.Generator) -> Scene:
    """Render one scene ``size`` x ``size`` pixels at 5 cm: RGB uint8 and class indices."""
    style = SceneStyle.draw(rng)
    theta = rng.uniform(0, np.pi / 2) if rng.uniform() < 0.7 else rng.choice([0.0, np.pi / 2])
    cv = Canvas(rng, size, style, Layout(size, float(theta)))
    m = cv.m
    lawn_ground(cv)
    extent = size * 0.72
    spacing = (m(45), m(80))
    us = street_positions(rng, extent, spacing)
    vs = street_positions(rng, extent, spacing)
    if rng.uniform() < 0.25:  # some scenes have streets one way only
        us = []
    road_w = {p: m(rng.uniform(6, 9)) for p in us + vs}
    walk = {p: m(rng.uniform(1.8, 3)) for p in us + vs}

    # Blocks between streets, filled with plots that face the street on either side.
    def cuts(positions: list[float]) -> list[tuple[float, float]]:
        edges = [-extent, *positions, extent]
        out = []
        for lo, hi in itertools.pairwise(edges):
            a = lo + (road_w.get(lo, 0) / 2 + walk.get(lo, 0) if lo in road_w else 0)
            b = hi - (road_w.get(hi, 0) / 2 + walk.get(hi, 0) if hi in road_w else 0)
            if b - a > m(8):
                out.append((a, b))
        return out

    for bu0, bu1 in cuts(us):
        for bv0, bv1 in cuts(vs):
            mid = (bv0 + bv1) / 2
            rows = [(bv0, mid, -1), (mid, bv1, 1)] if bv1 - bv0 > m(30) else [(bv0, bv1, -1)]
            for rv0, rv1, front in rows:
                u = bu0
                while u < bu1 - m(8):
                    w = min(m(rng.uniform(15, 28)), bu1 - u)
                    if bu1 - (u + w) < m(8):
                        w = bu1 - u
                    parcel(cv, u, u + w, rv0, rv1, front)
                    u += w
    # Streets last among the ground layers so they cut cleanly through plots; then street
    # trees over sidewalks and roads.
    for v in vs:
        street(cv, True, v, road_w[v], walk[v])
    for u in us:
        street(cv, False, u, road_w[u], walk[u])
    for horizontal, positions in ((True, vs), (False, us)):
        for pos in positions:
            if rng.uniform() < 0.6 * style.tree_density:
                side = rng.choice([-1, 1])
                off = side * (road_w[pos] / 2 + walk[pos] * 0.5)
                x = -extent + rng.uniform(0, m(10))
                while x < extent:
                    u, v = (x, pos + off) if horizontal else (pos + off, x)
                    tree_layout(cv, u, v, rng.uniform(2.5, 4.5))
                    x += m(rng.uniform(9, 16))
    for x, y, radius_m in cv.trees:
        tree(cv, x, y, radius_m)
    return finish(cv)
