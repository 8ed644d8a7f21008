"""Trees: broadleaves in leaf or turned, bare winter crowns, conifers, shrubs, and whole
canopies (forest, orchard, avenue) drawn at once.

A crown is a height field (dome plus leaf clumps), so the sun lights one side and the clumps,
and the crown's shadow falls detached from it, as far as the tree is tall. A bare crown is a
lace of limbs and twigs over whatever lies beneath, and so is its shadow. Every crown,
bare or not, is tree in the ISPRS convention.
"""

from __future__ import annotations

import math

import numpy as np

from ..canvas import TREE, Canvas
from ..materials import grain, mix, shaded, texture, vary
from ..primitives import Patch, blob_patch, cell_random, choose, coverage

LEAVES = (
    # (rgb, weight) for broadleaves in leaf
    ((0.17, 0.30, 0.12), 5.0),
    ((0.24, 0.36, 0.15), 4.0),
    ((0.33, 0.42, 0.18), 1.5),
    ((0.36, 0.21, 0.18), 0.6),  # copper beech
    ((0.28, 0.38, 0.24), 1.0),
)
AUTUMN = (
    (0.62, 0.55, 0.2),
    (0.66, 0.42, 0.15),
    (0.55, 0.23, 0.12),
    (0.45, 0.34, 0.2),
    (0.48, 0.48, 0.2),
)
NEEDLES = ((0.12, 0.21, 0.12), (0.16, 0.25, 0.16), (0.2, 0.27, 0.2))
BARK = ((0.36, 0.32, 0.28), (0.42, 0.38, 0.33), (0.3, 0.27, 0.25))


def _weighted(rng: np.random.Generator, table) -> np.ndarray:
    return np.asarray(table[choose(rng, {k: w for k, (_, w) in enumerate(table)})][0], np.float32)


def leaf_colour(cv: Canvas) -> tuple[np.ndarray, str]:
    """A broadleaf's colour in this season, and the feature it stands for."""
    rng = cv.rng
    if rng.uniform() < cv.env.autumn:
        return vary(rng, AUTUMN[rng.integers(len(AUTUMN))], 0.08), "autumn_tree"
    colour = _weighted(rng, LEAVES)
    if cv.env.season == "spring":
        colour = colour * np.array((1.15, 1.12, 0.95), np.float32)
    if cv.env.season in ("dry_summer", "autumn"):
        colour = colour * np.array((1.08, 1.0, 0.9), np.float32)
    return vary(rng, colour, 0.07), "tree"


def foliage(cv: Canvas, shape: tuple[int, int]) -> np.ndarray:
    """Leaf-scale shading inside a crown: sprays of leaves, single leaves, dark gaps."""
    sprays = texture(cv, shape, 0.5, 2)
    leaves = texture(cv, shape, 0.12, 2)
    shade = 1 + 0.1 * sprays + 0.12 * leaves + 0.07 * grain(cv, shape)
    return np.where(sprays + leaves < -1.2, shade * 0.7, shade)


def branch_cover(
    cv: Canvas, rho: np.ndarray, ang: np.ndarray, r_px: float, salt: float
) -> np.ndarray:
    """Coverage of a bare crown's limbs and twigs (polar coordinates about its trunk)."""
    rng = cv.rng
    cover = np.zeros(rho.shape, np.float32)
    for n, width_m, start in ((rng.integers(5, 9), 0.22, 0.0), (rng.integers(13, 21), 0.08, 0.3)):
        warped = ang + 0.45 * rho * np.sin(4 * ang + salt) + 0.25 * np.sin(9 * rho + salt * 2)
        width = cv.m(width_m) * (1.1 - rho) + cv.m(0.02)
        gap = np.abs(np.sin(n / 2 * warped)) * (2 / n) * rho * r_px
        limbs = np.clip(width / 2 + 0.5 - gap, 0, np.minimum(width, 1)) * (rho > start)
        cover = np.maximum(cover, limbs)
    # Twigs: a soft grey-brown veil, densest over the trunk, thinning to nothing at the rim.
    density = rng.uniform(0.3, 0.6) * np.clip(1.0 - rho**2, 0, 1)
    twigs = np.clip(density * (1 + 0.5 * texture(cv, rho.shape, 0.6, 3)), 0, 0.8)
    return np.maximum(cover * (rho < 1), twigs)


def tree(cv: Canvas, x: float, y: float, radius_m: float, kind: str | None = None) -> None:
    """A single tree at (x, y) px: ``kind`` broadleaf | bare | conifer | shrub, or by season."""
    rng = cv.rng
    if kind is None:
        kind = (
            "conifer"
            if rng.uniform() < 0.15
            else ("bare" if rng.uniform() < cv.env.leaf_off else "broadleaf")
        )
    if kind == "shrub":
        radius_m = min(radius_m, rng.uniform(0.6, 1.6))
    r = cv.m(radius_m)
    lump = 0.08 if kind == "conifer" else rng.uniform(0.12, 0.25)
    p = blob_patch(rng, cv.size, x, y, r, lumpiness=lump)
    if p is None:
        return
    rho = np.sqrt(p.s * p.s + p.t * p.t)
    ang = np.arctan2(p.t, p.s)
    top = float(np.clip(2.2 * radius_m + rng.uniform(1, 7), 2.0, 32.0))
    if kind == "shrub":
        top = rng.uniform(1.2, 3.0)
    depth = min(top * 0.7, radius_m * rng.uniform(0.6, 1.0))
    if kind == "bare":
        cover = branch_cover(cv, rho, ang, r, rng.uniform(0, 6))
        under = cv.albedo[p.ys, p.xs]
        bark = vary(rng, BARK[rng.integers(len(BARK))], 0.06)
        colour = mix(under, bark, cover)
        height = np.where(cover > 0.6, top - depth * rho**2, 0.0)
        cv.paint(p, colour, TREE, height=height, overhang=True, feature="leaf_off_tree")
        return
    if kind == "conifer":
        colour = vary(rng, NEEDLES[rng.integers(len(NEEDLES))], 0.08)
        # A cone of irregular branch tiers: lit on the sun side, dark between the tiers.
        tiers = texture(cv, p.shape, 0.4, 2) + 0.5 * np.cos(
            rng.integers(5, 9) * ang + 2 * texture(cv, p.shape, radius_m, 2)
        )
        height = top - top * 0.55 * rho + 0.2 * radius_m * tiers * rho
        shade = 1 + 0.1 * texture(cv, p.shape, 0.4, 2) + 0.05 * grain(cv, p.shape)
        cv.paint(p, shaded(colour, shade), TREE, height=height, overhang=True, feature="conifer")
        return
    colour, name = leaf_colour(cv)
    clumps = texture(cv, p.shape, max(radius_m * 0.4, 0.5), 3)
    dome = np.sqrt(np.clip(1 - rho * rho, 0, 1))
    height = top - depth + depth * dome + 0.3 * radius_m * clumps
    hue = texture(cv, p.shape, radius_m * 0.5, 2)
    shade = foliage(cv, p.shape)
    col = shaded(colour, shade)
    col[..., 0] *= 1 + 0.08 * hue
    cv.paint(
        p,
        np.clip(col, 0, 1),
        TREE,
        height=height,
        overhang=True,
        feature="shrub" if kind == "shrub" else name,
    )


def canopy(
    cv: Canvas,
    region: Patch,
    spacing_m: float,
    radius: tuple[float, float],
    jitter: float,
    conifers: float,
    gaps: float,
    tall: tuple[float, float],
    feature: str,
    angle: float = 0.0,
) -> None:
    """Many crowns at once: a jittered lattice of trees ``spacing_m`` apart whose trunks
    stand in ``region`` (a forest with ``jitter`` near 1, an orchard with ``jitter`` near
    0); each pixel shows the highest crown over it, and crowns overhang the region's edge."""
    rng = cv.rng
    cell = cv.m(spacing_m)
    reach = math.ceil(cv.m(radius[1])) + 1
    y0, y1 = max(region.ys.start - reach, 0), min(region.ys.stop + reach, cv.size)
    x0, x1 = max(region.xs.start - reach, 0), min(region.xs.stop + reach, cv.size)
    shape = (y1 - y0, x1 - x0)
    py = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    px = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    ca, sa = np.float32(math.cos(angle)), np.float32(math.sin(angle))
    # Lattice coordinates turned by ``angle`` (orchard rows along a field's edge).
    gx, gy = ca * px + sa * py, -sa * px + ca * py
    ci, cj = np.floor(gx / cell), np.floor(gy / cell)
    salt = rng.uniform(0, 100)
    best = np.full(shape, -1.0, np.float32)
    edge = np.zeros(shape, np.float32)
    dx_best = np.zeros(shape, np.float32)
    dy_best = np.zeros(shape, np.float32)
    r_best = np.ones(shape, np.float32)
    ident = np.zeros(shape, np.float32)
    rh, rw = region.shape
    # Ragged crown rims, shared by neighbours where crowns meet.
    rim = 1 + 0.18 * texture(cv, shape, max(radius[0] * 0.6, 0.5), 2)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            i, j = ci + di, cj + dj
            cx = (i + 0.5 + jitter * (cell_random(i, j, salt) - 0.5)) * cell
            cy = (j + 0.5 + jitter * (cell_random(j, i, salt + 1) - 0.5)) * cell
            # Is the trunk inside the region? Look the region up at the trunk's pixel.
            tx = (ca * cx - sa * cy).astype(np.int64) - region.xs.start
            ty = (sa * cx + ca * cy).astype(np.int64) - region.ys.start
            inside = (tx >= 0) & (tx < rw) & (ty >= 0) & (ty < rh)
            present = inside & (region.alpha[np.clip(ty, 0, rh - 1), np.clip(tx, 0, rw - 1)] >= 0.5)
            present &= cell_random(i, j, salt + 3) >= gaps
            r = cv.m(radius[0] + (radius[1] - radius[0]) * cell_random(i, j, salt + 2))
            dx, dy = gx - cx, gy - cy
            rho = np.sqrt(dx * dx + dy * dy) / (r * rim)
            top = tall[0] + (tall[1] - tall[0]) * cell_random(j, i, salt + 4)
            h = top - 0.6 * r * cv.gsd * rho * rho
            win = present & (rho < 1.0) & (h > best)
            best = np.where(win, h, best)
            edge = np.maximum(edge, coverage((rho - 1.0) * r * rim) * present)
            dx_best = np.where(win, dx, dx_best)
            dy_best = np.where(win, dy, dy_best)
            r_best = np.where(win, r * rim, r_best)
            ident = np.where(win, i * 7919 + j, ident)
    crowns = Patch(slice(y0, y1), slice(x0, x1), edge, gx, gy)
    if not crowns.mask.any():
        return
    rho = np.sqrt(dx_best**2 + dy_best**2) / r_best
    ang = np.arctan2(dy_best, dx_best)
    conifer = cell_random(ident, ident * 0 + 3, salt + 5) < conifers
    bare = (~conifer) & (cell_random(ident, ident * 0 + 5, salt + 6) < cv.env.leaf_off)
    # Per-crown colour: a broadleaf or needle palette entry, lighter or darker per tree.
    leaf, _ = leaf_colour(cv)
    needles = vary(rng, NEEDLES[rng.integers(len(NEEDLES))], 0.05)
    tone = 0.82 + 0.36 * cell_random(ident, ident * 0 + 9, salt + 7)
    hue = cell_random(ident, ident * 0 + 11, salt + 8) - 0.5
    colour = np.where(conifer[..., None], needles, leaf) * tone[..., None]
    colour[..., 0] *= 1 + 0.25 * hue * (rng.uniform() < 0.7)
    colour = shaded(colour, foliage(cv, shape))
    radius_m = r_best * cv.gsd
    height = np.where(
        conifer,
        best - radius_m * rho + 0.3 * radius_m * texture(cv, shape, 0.4, 2),
        best
        - 0.6 * radius_m * (1 - np.sqrt(np.clip(1 - rho * rho, 0, 1)))
        + 0.3 * radius_m * texture(cv, shape, max(radius[1] * 0.35, 0.4), 3),
    )
    if bare.any():
        cover = branch_cover(cv, rho, ang, float(np.median(r_best)), salt)
        under = cv.albedo[y0:y1, x0:x1]
        bark = vary(rng, BARK[rng.integers(len(BARK))], 0.05)
        colour = np.where(bare[..., None], mix(under, bark, cover), colour)
        height = np.where(bare & (cover < 0.6), 0.0, height)
    cv.paint(crowns, np.clip(colour, 0, 1), TREE, height=height, overhang=True, feature=feature)
    if bare.any():
        cv.note("leaf_off_tree", cv.labels[y0:y1, x0:x1][bare & crowns.mask])
    if conifers > 0:
        cv.note("conifer", cv.labels[y0:y1, x0:x1][conifer & crowns.mask])
