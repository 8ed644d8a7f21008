"""Clutter in the ISPRS sense: heaps, containers and skips, stacked material, construction
sites (water bodies are in ``ground``)."""

from __future__ import annotations

import math

import numpy as np

from ..canvas import CLUTTER, Canvas
from ..materials import SOILS, grain, lines, mix, pick, shaded, soil, texture, vary
from ..primitives import Patch, blob_patch, rect_patch

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
