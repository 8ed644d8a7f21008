"""Clutter in the ISPRS sense: heaps, containers and skips, stacked material, construction
sites (water bodies are in ``ground``)."""

from __future__ import annotations

import math

import numpy as np

from ..canvas import CLUTTER, Canvas
from ..materials import SOILS, grain, lines, mix, pick, shaded, soil, texture, vary
from ..primitives import Patch, blob_patch, rect_patch, stroke_patch

HEAPS = {
    "sand": (0.74, 0.66, 0.5),
    "gravel": (0.6, 0.58, 0.54),
    "soil": (0.42, 0.34, 0.26),
    "compost": (0.3, 0.24, 0.18),
    "wood_chips": (0.55, 0.42, 0.3),
    "rubble": (0.58, 0.52, 0.48),
}
CONTAINERS = (
    (0.2, 0.32, 0.55),
    (0.62, 0.16, 0.12),
    (0.2, 0.4, 0.25),
    (0.55, 0.55, 0.55),
    (0.5, 0.3, 0.18),
    (0.78, 0.55, 0.12),
)


def heap(cv: Canvas, x: float, y: float, radius_m: float) -> None:
    """A pile of sand, gravel, soil, compost, chips or rubble, up to a few metres high."""
    rng = cv.rng
    p = blob_patch(rng, cv.size, x, y, cv.m(radius_m), lumpiness=0.3)
    if p is None:
        return
    name = list(HEAPS)[rng.integers(len(HEAPS))]
    rho = np.sqrt(p.s * p.s + p.t * p.t)
    top = radius_m * rng.uniform(0.3, 0.6)
    height = top * np.clip(1 - rho, 0, 1) ** 1.2 * (1 + 0.1 * texture(cv, p.shape, 0.5, 2))
    speck = 0.12 if name in ("gravel", "rubble", "wood_chips") else 0.06
    colour = shaded(
        vary(rng, HEAPS[name], 0.06),
        1 + speck * grain(cv, p.shape) + 0.05 * texture(cv, p.shape, 1, 2),
    )
    cv.paint(p, np.clip(colour, 0, 1), CLUTTER, height=height, feature="heap")


def container(cv: Canvas, x: float, y: float, angle: float) -> None:
    """A shipping container or an open skip with rubbish in it."""
    rng, m = cv.rng, cv.m
    skip = rng.uniform() < 0.4
    length = rng.uniform(3.5, 5.5) if skip else rng.choice([6.06, 12.19])
    width = rng.uniform(1.7, 2.2) if skip else 2.44
    p = rect_patch(cv.size, x, y, m(length) / 2, m(width) / 2, angle)
    if p is None:
        return
    colour = vary(rng, CONTAINERS[rng.integers(len(CONTAINERS))], 0.08)
    if skip:
        inner = (np.abs(p.s) < m(length / 2 - 0.2)) & (np.abs(p.t) < m(width / 2 - 0.2))
        junk = shaded(
            vary(rng, rng.uniform(0.3, 0.6, 3), 0.1),
            1 + 0.25 * grain(cv, p.shape) + 0.2 * texture(cv, p.shape, 0.3, 2),
        )
        col = np.where(inner[..., None], junk, shaded(colour, np.ones(p.shape, np.float32)))
        height = np.where(inner, 0.9, 1.4)
    else:
        corrugation = lines(p.s, m(0.3), m(0.12))
        rust = np.clip((texture(cv, p.shape, 1, 3) - 0.4) * 2, 0, 1) * rng.uniform(0, 0.8)
        col = mix(shaded(colour, 1 - 0.12 * corrugation), (0.45, 0.27, 0.16), rust)
        height = np.full(p.shape, 2.6, np.float32)
    cv.paint(p, np.clip(col, 0, 1), CLUTTER, height=height, feature="container")


def stack(cv: Canvas, x: float, y: float, size_m: float, angle: float) -> None:
    """Pallets, stacked boards, bins and crates: boxes of many colours and heights."""
    rng, m = cv.rng, cv.m
    p = rect_patch(cv.size, x, y, m(size_m), m(size_m * rng.uniform(0.4, 0.9)), angle)
    if p is None:
        return
    cell = m(rng.uniform(0.8, 1.3))
    i, j = np.floor(p.s / cell), np.floor(p.t / cell)
    from ..primitives import cell_random

    pick_ = cell_random(i, j, rng.uniform(0, 50))
    palette = np.asarray(
        [
            (0.7, 0.58, 0.4),
            (0.25, 0.3, 0.55),
            (0.75, 0.65, 0.3),
            (0.45, 0.45, 0.45),
            (0.6, 0.5, 0.38),
            (0.2, 0.45, 0.25),
            (0.8, 0.8, 0.78),
        ],
        np.float32,
    )
    col = palette[(pick_ * len(palette)).astype(int) % len(palette)]
    slats = lines(p.s, m(0.12), m(0.04)) * 0.3
    col = shaded(col, 1 - slats + 0.08 * grain(cv, p.shape))
    gap = np.maximum(lines(p.s, cell, m(0.08)), lines(p.t, cell, m(0.08)))
    col = mix(col, col * 0.4, gap)
    height = 0.4 + 1.2 * cell_random(j, i, 3.0)
    cv.paint(p, np.clip(col, 0, 1), CLUTTER, height=height, feature="stack")


def construction_site(cv: Canvas, p: Patch, angle: float) -> None:
    """Churned bare ground with tyre tracks, heaps, stacks and containers (all clutter)."""
    rng = cv.rng
    colour = soil(cv, p, pick(rng, SOILS)[1])
    tracks = lines(
        np.cos(rng.uniform(0, math.pi)) * p.s + np.sin(rng.uniform(0, math.pi)) * p.t,
        cv.m(1.8),
        cv.m(0.45),
    )
    colour = mix(colour, colour * 0.8, tracks * 0.7)
    cv.paint(p, colour, CLUTTER, height=0.0, feature="construction_site")
    cy, cx = (p.ys.start + p.ys.stop) / 2, (p.xs.start + p.xs.stop) / 2
    h, w = p.shape
    for _ in range(rng.integers(2, 6)):
        x, y = cx + rng.uniform(-0.4, 0.4) * w, cy + rng.uniform(-0.4, 0.4) * h
        what = rng.uniform()
        if what < 0.4:
            heap(cv, x, y, rng.uniform(1.5, 4))
        elif what < 0.7:
            container(cv, x, y, angle + rng.choice([0, math.pi / 2]))
        else:
            stack(cv, x, y, rng.uniform(1, 3), angle)


# Things left on fields and in yards: farm tarps and plastic film, wrapped round bales,
# hoses and tapes. Often saturated colours found nowhere else in a scene, so that a model
# learns to call an odd-coloured object on a field clutter rather than a roof.
FIELD_ITEM_COLOURS = (
    (0.12, 0.28, 0.78),  # blue tarp
    (0.78, 0.12, 0.1),  # red
    (0.12, 0.55, 0.22),  # green
    (0.92, 0.92, 0.9),  # white film
    (0.08, 0.08, 0.09),  # black film
    (0.92, 0.48, 0.08),  # orange
    (0.9, 0.8, 0.12),  # yellow
    (0.75, 0.2, 0.65),  # magenta tape
)
BALE_WRAPS = ((0.92, 0.92, 0.88), (0.1, 0.1, 0.1), (0.25, 0.45, 0.25), (0.78, 0.7, 0.45))


def tarp(cv: Canvas, x: float, y: float, angle: float) -> None:
    """A sheet of plastic or a tarpaulin, creased, weighed down at the edges."""
    rng, m = cv.rng, cv.m
    a, b = m(rng.uniform(1.0, 5.0)), m(rng.uniform(0.8, 3.0))
    p = rect_patch(cv.size, x, y, a, b, angle, corner=m(0.1))
    if p is None:
        return
    colour = vary(rng, FIELD_ITEM_COLOURS[rng.integers(len(FIELD_ITEM_COLOURS))], 0.06)
    creases = 0.12 * texture(cv, p.shape, 0.4, 3) + 0.05 * grain(cv, p.shape)
    cv.paint(p, np.clip(shaded(colour, 1 + creases), 0, 1), CLUTTER, height=0.1, feature="tarp")


def bale(cv: Canvas, x: float, y: float) -> None:
    """A wrapped round bale (white, black or green film) or a straw bale, 1.2-1.8 m across."""
    rng = cv.rng
    p = blob_patch(rng, cv.size, x, y, cv.m(rng.uniform(0.6, 0.9)), lumpiness=0.05)
    if p is None:
        return
    colour = vary(rng, BALE_WRAPS[rng.integers(len(BALE_WRAPS))], 0.05)
    rho = np.sqrt(p.s * p.s + p.t * p.t)
    colour = shaded(colour, 1 - 0.25 * rho**2 + 0.04 * grain(cv, p.shape))
    cv.paint(p, np.clip(colour, 0, 1), CLUTTER, height=1.5, feature="bale")


def hose(cv: Canvas, x: float, y: float) -> None:
    """A hose, a cable or a marking tape lying on the ground: a wandering line 0.1-0.6 m wide;
    one in four 0.8-2.4 m (a strip of mulch film, a lay-flat hose, a sprayed marking band)."""
    rng, m = cv.rng, cv.m
    heading = rng.uniform(0, 2 * math.pi)
    points = [(x, y)]
    for _ in range(rng.integers(3, 8)):
        heading += rng.normal(0, 0.7)
        step = m(rng.uniform(1.5, 6.0))
        points.append(
            (points[-1][0] + step * math.cos(heading), points[-1][1] + step * math.sin(heading))
        )
    half_width = rng.uniform(0.06, 0.3) if rng.uniform() < 0.75 else rng.uniform(0.4, 1.2)
    p = stroke_patch(cv.size, points, max(m(half_width), 0.6))
    if p is None:
        return
    colour = vary(rng, FIELD_ITEM_COLOURS[rng.integers(len(FIELD_ITEM_COLOURS))], 0.06)
    cv.paint(p, np.clip(shaded(colour, 1 + 0.05 * grain(cv, p.shape)), 0, 1), CLUTTER,
             height=0.05, feature="hose")  # fmt: skip


def field_items(cv: Canvas, p: Patch, density: float) -> None:
    """A few tarps, bales and hoses scattered over the patch (a field, a yard)."""
    rng = cv.rng
    h, w = p.shape
    area_m2 = h * w / max(cv.m(1.0), 1e-6) ** 2
    for _ in range(rng.poisson(density * area_m2 / 1000.0)):
        x = p.xs.start + rng.uniform(0.05, 0.95) * w
        y = p.ys.start + rng.uniform(0.05, 0.95) * h
        what = rng.uniform()
        if what < 0.35:
            tarp(cv, x, y, rng.uniform(0, math.pi))
        elif what < 0.65:
            for _ in range(rng.integers(1, 6)):  # bales lie in rows or heaps
                bale(cv, x + cv.m(rng.uniform(-4, 4)), y + cv.m(rng.uniform(-4, 4)))
        else:
            hose(cv, x, y)
