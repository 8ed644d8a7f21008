"""Noise, blur and geometry patches: the building blocks every painter uses.

Everything is vectorised numpy on float32. Shapes come with a soft coverage (``alpha``,
from a signed distance, so edges are anti-aliased at any ground sampling distance) and a
hard mask (coverage of at least one half) for the labels.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

# --- noise -----------------------------------------------------------------------------------


def _interpolation_matrix(n: int, cell: float, offset: float) -> np.ndarray:
    """Rows of smoothstep weights onto a lattice ``cell`` pixels apart (two per row)."""
    f = np.arange(n, dtype=np.float32) / cell + offset
    i0 = f.astype(np.int64)
    t = f - i0
    t = t * t * (3 - 2 * t)
    m = np.zeros((n, int(n / cell) + 3), np.float32)
    rows = np.arange(n)
    m[rows, i0] = 1 - t
    m[rows, i0 + 1] = t
    return m


def value_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Smooth zero-mean noise (std about 0.75) with features about ``cell`` pixels across.

    Cells from 3 px up interpolate a random lattice with two matrix products (fast, BLAS);
    smaller ones gather the lattice per pixel.
    """
    cell = max(float(cell), 1.0)
    oy, ox = rng.uniform(0, 1, 2)
    if cell >= 3:
        wy = _interpolation_matrix(h, cell, oy)
        wx = _interpolation_matrix(w, cell, ox)
        grid = rng.standard_normal((wy.shape[1], wx.shape[1]), dtype=np.float32)
        return (wy @ grid) @ wx.T
    grid = rng.standard_normal((int(h / cell) + 3, int(w / cell) + 3), dtype=np.float32)
    fy = np.arange(h, dtype=np.float32) / cell + oy
    fx = np.arange(w, dtype=np.float32) / cell + ox
    y0, x0 = fy.astype(np.int32), fx.astype(np.int32)
    ty, tx = fy - y0, fx - x0
    ty, tx = ty * ty * (3 - 2 * ty), tx * tx * (3 - 2 * tx)
    rows = grid[y0] * (1 - ty)[:, None] + grid[y0 + 1] * ty[:, None]
    return rows[:, x0] * (1 - tx)[None, :] + rows[:, x0 + 1] * tx[None, :]


def fbm(
    rng: np.random.Generator,
    h: int,
    w: int,
    cell: float,
    octaves: int = 4,
    gain: float = 0.5,
    grain: float = 0.0,
) -> np.ndarray:
    """Fractal (multi-octave) noise from ``cell`` px down; octaves under 2 px are left out
    and ``grain`` adds per-pixel white noise on top (the finest texture a pixel can hold)."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        if cell < 2:
            break
        out += amp * value_noise(rng, h, w, cell)
        total += amp
        amp *= gain
        cell /= 2
    if total:
        out /= total
    if grain:
        out += grain * rng.standard_normal((h, w), dtype=np.float32)
    return out


def between(rng: np.random.Generator, lo: float, hi: float) -> float:
    """Uniform in [lo, hi], or the middle when a small plot leaves hi below lo."""
    if hi <= lo:
        return (lo + hi) / 2
    return float(rng.uniform(lo, hi))


def choose(rng: np.random.Generator, weights: dict):
    """A key of ``weights`` drawn with probability proportional to its value."""
    keys = list(weights)
    w = np.asarray([weights[k] for k in keys], np.float64)
    return keys[rng.choice(len(keys), p=w / w.sum())]


def cell_random(i: np.ndarray, j: np.ndarray, salt: float) -> np.ndarray:
    """A repeatable pseudo-random value in [0, 1) per integer cell (pavers, tiles, plants)."""
    v = np.sin(i * 12.9898 + j * 78.233 + salt * 37.719) * 43758.5453
    return (v - np.floor(v)).astype(np.float32)


def fade(period_px: float, full: float = 4.0) -> float:
    """How much of a pattern ``period_px`` pixels across survives sampling: 0 below two
    pixels (it would alias), 1 from ``full`` pixels up. Patterns finer than a pixel then
    leave only their average colour, as a coarser sensor would record them."""
    return float(np.clip((period_px - 2.0) / (full - 2.0), 0.0, 1.0))


# --- blur ------------------------------------------------------------------------------------


def _along(a: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    return a[start:stop] if axis == 0 else a[:, start:stop]


def box_blur(a: np.ndarray, r: int) -> np.ndarray:
    """Separable box blur of radius ``r`` with edge clamping (three passes look Gaussian)."""
    if r <= 0:
        return a
    out = a.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.float32)
        n = out.shape[axis]
        out = (_along(c, axis, 2 * r + 1, 2 * r + 1 + n) - _along(c, axis, 0, n)) / (2 * r + 1)
    return out


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the first two axes: an exact kernel up to sigma 3 px, then three
    box passes (the sensor's optics, soft shadows)."""
    if sigma < 0.2:
        return a.astype(np.float32, copy=True)
    if sigma > 3:
        r = max(1, round(math.sqrt(4 * sigma * sigma + 1) / 2 - 0.5))
        return box_blur(box_blur(box_blur(a, r), r), r)
    radius = math.ceil(2.5 * sigma)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    out = a.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        p = np.pad(out, pad, mode="edge")
        n = out.shape[axis]
        acc = _along(p, axis, 0, n) * k[0]
        for i in range(1, len(k)):
            acc += _along(p, axis, i, i + n) * k[i]
        out = acc
    return out


# --- shapes ----------------------------------------------------------------------------------


@dataclass
class Patch:
    """A shape inside its bounding box: soft coverage, and coordinates along its own axes
    (pixels from its centre; for strokes, along and across the stroke)."""

    ys: slice
    xs: slice
    alpha: np.ndarray  # float32 coverage in [0, 1], bbox-shaped
    s: np.ndarray  # along the shape's first axis
    t: np.ndarray  # along its second axis

    @property
    def shape(self) -> tuple[int, int]:
        return self.alpha.shape

    @property
    def mask(self) -> np.ndarray:
        """Pixels the shape owns in the label: at least half covered."""
        return self.alpha >= 0.5

    def within(self, keep: np.ndarray) -> Patch:
        """The same patch with coverage kept only where ``keep`` (bbox-shaped) is set."""
        return Patch(self.ys, self.xs, self.alpha * keep, self.s, self.t)


def full_patch(size: int) -> Patch:
    """The whole canvas as one patch (``s`` = column, ``t`` = row)."""
    axis = np.arange(size, dtype=np.float32)
    return Patch(
        slice(0, size),
        slice(0, size),
        np.ones((size, size), np.float32),
        np.broadcast_to(axis[None, :], (size, size)),
        np.broadcast_to(axis[:, None], (size, size)),
    )


def trimmed(p: Patch) -> Patch | None:
    """The patch cut down to the bounding box of its covered pixels (None if empty)."""
    rows = np.flatnonzero(p.alpha.any(axis=1))
    cols = np.flatnonzero(p.alpha.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    s = np.broadcast_to(p.s, p.alpha.shape)[r0:r1, c0:c1]
    t = np.broadcast_to(p.t, p.alpha.shape)[r0:r1, c0:c1]
    return Patch(
        slice(p.ys.start + r0, p.ys.start + r1),
        slice(p.xs.start + c0, p.xs.start + c1),
        p.alpha[r0:r1, c0:c1],
        s,
        t,
    )


def _bbox(size: int, cx: float, cy: float, ex: float, ey: float):
    x0, x1 = max(int(cx - ex) - 1, 0), min(math.ceil(cx + ex) + 2, size)
    y0, y1 = max(int(cy - ey) - 1, 0), min(math.ceil(cy + ey) + 2, size)
    if x0 >= x1 or y0 >= y1:
        return None
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    return slice(y0, y1), slice(x0, x1), dx, dy


def coverage(signed_distance: np.ndarray) -> np.ndarray:
    """Pixel coverage from a signed distance in pixels (negative inside)."""
    return np.clip(0.5 - signed_distance, 0.0, 1.0).astype(np.float32)


def rect_patch(
    size: int,
    cx: float,
    cy: float,
    a: float,
    b: float,
    angle: float,
    corner: float = 0.0,
) -> Patch | None:
    """A rectangle of half-sides ``a`` x ``b`` px turned by ``angle``, corners rounded by
    ``corner`` px."""
    ca, sa = math.cos(angle), math.sin(angle)
    box = _bbox(size, cx, cy, abs(a * ca) + abs(b * sa), abs(a * sa) + abs(b * ca))
    if box is None:
        return None
    ys, xs, dx, dy = box
    s = ca * dx + sa * dy
    t = -sa * dx + ca * dy
    r = min(corner, a, b)
    qx, qy = np.abs(s) - a + r, np.abs(t) - b + r
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    sd = outside + np.minimum(np.maximum(qx, qy), 0) - r
    alpha = coverage(sd)
    if not alpha.any():
        return None
    return Patch(ys, xs, alpha, s, t)


def blob_patch(
    rng: np.random.Generator, size: int, cx: float, cy: float, r: float, lumpiness: float
) -> Patch | None:
    """A disc whose rim wobbles by ``lumpiness`` of its radius (crowns, heaps, ponds);
    ``s`` and ``t`` are offsets in units of the radius."""
    box = _bbox(size, cx, cy, r * (1 + lumpiness) + 1, r * (1 + lumpiness) + 1)
    if box is None:
        return None
    ys, xs, dx, dy = box
    ang = np.arctan2(dy, dx)
    wobble = np.zeros_like(ang)
    for k in (3, 5, 8, 13):
        wobble += rng.uniform(-1, 1) * np.cos(k * ang + rng.uniform(0, 2 * np.pi)) / math.sqrt(k)
    radius = r * (1 + lumpiness * wobble / 1.6)
    alpha = coverage(np.sqrt(dx * dx + dy * dy) - radius)
    if not alpha.any():
        return None
    s, t = np.broadcast_arrays(dx / r, dy / r)
    return Patch(ys, xs, alpha, s.copy(), t.copy())


def polygon_patch(size: int, points: list[tuple[float, float]], axis: float = 0.0) -> Patch | None:
    """A convex polygon (pixel coordinates, either winding); ``s``/``t`` run along ``axis``
    (radians) and across it, from the polygon's centroid."""
    pts = np.asarray(points, np.float64)
    if len(pts) < 3:
        return None
    area2 = np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    if area2 < 0:
        pts = pts[::-1]
    cx, cy = pts.mean(axis=0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box = _bbox(
        size, (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (hi[0] - lo[0]) / 2, (hi[1] - lo[1]) / 2
    )
    if box is None:
        return None
    ys, xs, dx, dy = box
    gx = dx + (lo[0] + hi[0]) / 2
    gy = dy + (lo[1] + hi[1]) / 2
    sd = np.full(np.broadcast(gx, gy).shape, -np.inf, np.float32)
    for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0)):
        ex, ey = x1 - x0, y1 - y0
        norm = math.hypot(ex, ey)
        if norm < 1e-9:
            continue
        # Positive outside: for counter-clockwise points in y-down axes the outside of an
        # edge lies to its left on screen.
        sd = np.maximum(sd, ((gx - x0) * ey - (gy - y0) * ex) / norm)
    alpha = coverage(sd)
    if not alpha.any():
        return None
    ca, sa = math.cos(axis), math.sin(axis)
    s = ca * (gx - cx) + sa * (gy - cy)
    t = -sa * (gx - cx) + ca * (gy - cy)
    return Patch(ys, xs, alpha, s.astype(np.float32), t.astype(np.float32))


def stroke_patch(size: int, points: list[tuple[float, float]], half_width: float) -> Patch | None:
    """A band ``half_width`` px either side of a polyline (roads, tracks, hedges): ``s`` is
    the distance along the line, ``t`` the signed offset across it."""
    pts = np.asarray(points, np.float64)
    lo, hi = pts.min(axis=0) - half_width, pts.max(axis=0) + half_width
    box = _bbox(
        size, (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (hi[0] - lo[0]) / 2, (hi[1] - lo[1]) / 2
    )
    if box is None:
        return None
    ys, xs, dx, dy = box
    gx = np.broadcast_to(dx + (lo[0] + hi[0]) / 2, (dy.shape[0], dx.shape[1]))
    gy = np.broadcast_to(dy + (lo[1] + hi[1]) / 2, gx.shape)
    best = np.full(gx.shape, np.inf, np.float32)
    along = np.zeros(gx.shape, np.float32)
    across = np.zeros(gx.shape, np.float32)
    walked = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        ex, ey = x1 - x0, y1 - y0
        length = math.hypot(ex, ey)
        if length < 1e-9:
            continue
        ux, uy = ex / length, ey / length
        proj = (gx - x0) * ux + (gy - y0) * uy
        side = -(gx - x0) * uy + (gy - y0) * ux
        clamped = np.clip(proj, 0, length)
        dist = np.hypot(gx - (x0 + clamped * ux), gy - (y0 + clamped * uy)).astype(np.float32)
        closer = dist < best
        best = np.where(closer, dist, best)
        along = np.where(closer, walked + proj, along)
        across = np.where(closer, side, across)
        walked += length
    alpha = coverage(best - half_width)
    if not alpha.any():
        return None
    return Patch(ys, xs, alpha, along.astype(np.float32), across.astype(np.float32))
