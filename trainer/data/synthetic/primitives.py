"""Noise, blur and geometry patches: the building blocks every painter uses."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --- noise and texture primitives ------------------------------------------------------


def value_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Smooth zero-mean, unit-ish noise with features about ``cell`` pixels across."""
    cell = max(float(cell), 1.0)
    gh, gw = int(h / cell) + 3, int(w / cell) + 3
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    oy, ox = rng.uniform(0, 1, 2)
    fy = np.arange(h, dtype=np.float32) / cell + oy
    fx = np.arange(w, dtype=np.float32) / cell + ox
    y0, x0 = fy.astype(np.int32), fx.astype(np.int32)
    ty, tx = fy - y0, fx - x0
    ty, tx = ty * ty * (3 - 2 * ty), tx * tx * (3 - 2 * tx)
    rows = grid[y0] * (1 - ty)[:, None] + grid[y0 + 1] * ty[:, None]
    return rows[:, x0] * (1 - tx)[None, :] + rows[:, x0 + 1] * tx[None, :]


def cell_random(i: np.ndarray, j: np.ndarray, salt: float) -> np.ndarray:
    """A repeatable pseudo-random value in [0, 1) per integer cell (pavers, tiles, panels)."""
    v = np.sin(i * 12.9898 + j * 78.233 + salt * 37.719) * 43758.5453
    return (v - np.floor(v)).astype(np.float32)


def box_blur(a: np.ndarray, r: int) -> np.ndarray:
    """Separable box blur of radius ``r`` with edge clamping (two passes look Gaussian)."""
    if r <= 0:
        return a
    out = a.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.float32)
        n = out.shape[axis]
        hi = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis)
        lo = np.take(c, np.arange(0, n), axis=axis)
        out = (hi - lo) / (2 * r + 1)
    return out


# --- geometry ------------------------------------------------------------------------------


@dataclass
class Patch:
    """Pixels of a shape inside its bounding box, with coordinates along the shape's axes."""

    ys: slice
    xs: slice
    mask: np.ndarray  # bool, bbox-shaped
    s: np.ndarray  # along the shape's first axis, pixels from its centre
    t: np.ndarray  # along its second axis

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape


def rect_patch(size: int, cx: float, cy: float, a: float, b: float, angle: float) -> Patch | None:
    ca, sa = math.cos(angle), math.sin(angle)
    ex, ey = abs(a * ca) + abs(b * sa), abs(a * sa) + abs(b * ca)
    x0, x1 = max(int(cx - ex), 0), min(math.ceil(cx + ex) + 1, size)
    y0, y1 = max(int(cy - ey), 0), min(math.ceil(cy + ey) + 1, size)
    if x0 >= x1 or y0 >= y1:
        return None
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    s = ca * dx + sa * dy
    t = -sa * dx + ca * dy
    mask = (np.abs(s) <= a) & (np.abs(t) <= b)
    if not mask.any():
        return None
    return Patch(slice(y0, y1), slice(x0, x1), mask, s, t)


def blob_patch(
    rng: np.random.Generator, size: int, cx: float, cy: float, r: float, lumpiness: float
) -> Patch | None:
    """A disc whose rim wobbles by ``lumpiness`` of its radius (crowns, piles)."""
    rr = r * (1 + lumpiness) + 1
    x0, x1 = max(int(cx - rr), 0), min(int(cx + rr) + 1, size)
    y0, y1 = max(int(cy - rr), 0), min(int(cy + rr) + 1, size)
    if x0 >= x1 or y0 >= y1:
        return None
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    ang = np.arctan2(dy, dx)
    wobble = np.zeros_like(ang)
    for k in (3, 5, 8, 13):
        wobble += rng.uniform(-1, 1) * np.cos(k * ang + rng.uniform(0, 2 * np.pi)) / math.sqrt(k)
    radius = r * (1 + lumpiness * wobble / 1.6)
    dist = np.sqrt(dx * dx + dy * dy)
    mask = dist <= radius
    if not mask.any():
        return None
    s, t = np.broadcast_arrays(dx / r, dy / r)
    return Patch(slice(y0, y1), slice(x0, x1), mask, s.copy(), t.copy())


def polygon_mask(xs: np.ndarray, ys: np.ndarray, hull: list[tuple[float, float]]) -> np.ndarray:
    """Inside a convex polygon given counter-clockwise (in pixel axes, y down)."""
    inside = np.ones(np.broadcast(xs, ys).shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(hull, hull[1:] + hull[:1]):
        inside &= (x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0) >= 0
    return inside


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for p in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by) = out[-2], out[-1]
                if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0:
                    break
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return lower[:-1] + upper[:-1]
