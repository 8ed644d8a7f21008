"""Synthetic orthophotos in the ISPRS Potsdam file format.

No labelled aerial imagery can be downloaded where this project is built and tested, yet the
trainer, the bundled demo model and the benchmarks need scenes that behave like Potsdam:
the same file names, label colours, 5 cm GSD and a projected CRS, and content on which a
per-pixel colour rule is not enough. So the scenes deliberately pair look-alike colours
(grey roofs beside grey asphalt, green roofs beside lawns, red roofs beside red cars and
clutter, shadows over everything) and leave the decisive cues to shape, texture, edges and
context: tiled roof courses and ridges, paver grids, lane markings, crown clumps, cast
shadows. Pure numpy + GDAL, vectorised, deterministic by ``(seed, row, col)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.metadata import POTSDAM_CLASSES

GSD_M = 0.05
EPSG = 25833

_INDEX = {c.name: c.index for c in POTSDAM_CLASSES}
IMPERVIOUS = _INDEX["impervious surfaces"]
BUILDING = _INDEX["building"]
LOW_VEGETATION = _INDEX["low vegetation"]
TREE = _INDEX["tree"]
CAR = _INDEX["car"]
CLUTTER = _INDEX["clutter"]

# The common Potsdam benchmark split (SCIENCE.md); synthetic scenes take these tile ids so
# that ``prepare potsdam --split benchmark`` splits them like the real tiles.
BENCHMARK_TRAIN = tuple(f"{r}_{c}" for r in (2, 3, 4, 5) for c in (10, 11, 12)) + tuple(
    f"{r}_{c}" for r in (6, 7) for c in range(7, 13)
)
BENCHMARK_TEST = (
    "2_13", "2_14", "3_13", "3_14", "4_13", "4_14", "4_15",
    "5_13", "5_14", "5_15", "6_13", "6_14", "6_15", "7_13",
)  # fmt: skip

IMAGE_DIR = "2_Ortho_RGB"
LABEL_DIR = "5_Labels_for_participants"
NO_BOUNDARY_DIR = "5_Labels_for_participants_no_Boundary"


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


@dataclass
class Layout:
    """The street grid's frame: layout (u, v) in pixels, rotated by ``theta`` from the image."""

    size: int
    theta: float

    def to_pixel(self, u: float, v: float) -> tuple[float, float]:
        c, s, m = math.cos(self.theta), math.sin(self.theta), self.size / 2
        return m + c * u - s * v, m + s * u + c * v

    def rect(self, u0: float, u1: float, v0: float, v1: float, phi: float = 0.0) -> Patch | None:
        """An axis-aligned layout rectangle (optionally turned by ``phi`` about its centre)."""
        cx, cy = self.to_pixel((u0 + u1) / 2, (v0 + v1) / 2)
        return rect_patch(self.size, cx, cy, abs(u1 - u0) / 2, abs(v1 - v0) / 2, self.theta + phi)


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


# --- scene parameters ------------------------------------------------------------------------

ROOF_COLOURS = {
    # name: (rgb, weight). Grey, light and green roofs are meant to collide with asphalt,
    # pavers and lawn; terracotta with red cars and clutter.
    "terracotta": ((0.62, 0.32, 0.24), 3.0),
    "brown": ((0.40, 0.28, 0.22), 1.5),
    "anthracite": ((0.26, 0.26, 0.28), 2.0),
    "grey": ((0.44, 0.44, 0.45), 2.5),
    "light": ((0.66, 0.65, 0.62), 1.5),
    "green": ((0.33, 0.45, 0.26), 2.0),
}
CAR_COLOURS = (
    (0.85, 0.86, 0.86), (0.65, 0.66, 0.68), (0.42, 0.43, 0.45), (0.10, 0.10, 0.11),
    (0.14, 0.18, 0.32), (0.62, 0.12, 0.10), (0.30, 0.33, 0.30), (0.55, 0.52, 0.45),
)  # fmt: skip


@dataclass
class SceneStyle:
    """What varies between scenes: light, colours, noise, density."""

    sun_azimuth: float  # direction shadows fall, radians in pixel axes
    shadow_per_m: float  # shadow length in metres per metre of height
    shadow_tint: tuple[float, float, float]
    asphalt: tuple[float, float, float]
    pavers: tuple[float, float, float]
    lawn: tuple[float, float, float]
    cast: tuple[float, float, float]
    gain: float
    gamma: float
    haze: float
    noise: float
    tree_density: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> SceneStyle:
        g = rng.uniform(0.36, 0.5)
        p = rng.uniform(0.55, 0.72)
        warm = rng.uniform(0.0, 0.1)
        dry = rng.uniform(0, 1)
        strength = rng.uniform(0.4, 0.55)
        return cls(
            sun_azimuth=rng.uniform(0, 2 * np.pi),
            shadow_per_m=rng.uniform(0.45, 0.9),
            shadow_tint=(strength * 0.95, strength * 1.0, strength * 1.2),
            asphalt=(g, g + rng.uniform(-0.01, 0.01), g + rng.uniform(0.0, 0.03)),
            pavers=(p + warm, p + warm * 0.4, p - warm * 0.5),
            lawn=(0.30 + 0.15 * dry, 0.46 + 0.04 * dry, 0.22 + 0.03 * dry),
            cast=tuple(float(v) for v in rng.normal(1.0, 0.05, 3)),  # type: ignore[arg-type]
            gain=rng.uniform(0.85, 1.12),
            gamma=rng.uniform(0.85, 1.15),
            haze=rng.uniform(0.0, 0.05),
            noise=rng.uniform(0.012, 0.03),
            tree_density=rng.uniform(0.6, 1.4),
        )


@dataclass
class Scene:
    """An image (uint8 RGB, rows x cols x 3) and its class-index labels (uint8)."""

    image: np.ndarray
    labels: np.ndarray
    gsd_m: float = GSD_M


@dataclass
class _Canvas:
    rng: np.random.Generator
    size: int
    style: SceneStyle
    layout: Layout
    img: np.ndarray = field(init=False)
    lab: np.ndarray = field(init=False)
    building_shadow: np.ndarray = field(init=False)
    tree_shadow: np.ndarray = field(init=False)
    trees: list[tuple[float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = self.size
        self.img = np.zeros((n, n, 3), np.float32)
        self.lab = np.full((n, n), LOW_VEGETATION, np.uint8)
        self.building_shadow = np.zeros((n, n), bool)
        self.tree_shadow = np.zeros((n, n), bool)

    @property
    def px_per_m(self) -> float:
        return 1.0 / GSD_M

    def m(self, metres: float) -> float:
        return metres * self.px_per_m

    def paint(self, p: Patch, colour: np.ndarray, label: int | None, where=None) -> None:
        """Write ``colour`` (bbox x 3 or 3) and ``label`` where the patch's mask is set."""
        mask = p.mask if where is None else p.mask & where
        view = self.img[p.ys, p.xs]
        col = np.broadcast_to(np.asarray(colour, np.float32), view.shape)
        view[mask] = col[mask]
        if label is not None:
            self.lab[p.ys, p.xs][mask] = label

    def shadow_dir(self) -> tuple[float, float]:
        return math.cos(self.style.sun_azimuth), math.sin(self.style.sun_azimuth)


def _rgb(base, shade: np.ndarray | float = 1.0) -> np.ndarray:
    base = np.asarray(base, np.float32)
    return np.asarray(shade, np.float32)[..., None] * base


# --- ground: lawns, fields ---------------------------------------------------------------------


def _ground(cv: _Canvas) -> None:
    n, rng = cv.size, cv.rng
    big = value_noise(rng, n, n, cv.m(12))
    mid = value_noise(rng, n, n, cv.m(2.5))
    fine = value_noise(rng, n, n, 2.5)
    grain = rng.standard_normal((n, n), dtype=np.float32)
    lawn = np.asarray(cv.style.lawn, np.float32)
    dry = np.asarray((0.55, 0.52, 0.32), np.float32)
    dryness = np.clip(0.25 + 0.22 * big, 0, 1)[..., None]
    base = lawn * (1 - dryness) + dry * dryness
    shade = 1 + 0.07 * mid + 0.1 * fine + 0.05 * grain
    # Mowing stripes in the layout's direction on some scenes.
    if rng.uniform() < 0.5:
        yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
        ang = cv.layout.theta + rng.choice([0, np.pi / 2])
        coord = np.cos(ang) * xx + np.sin(ang) * yy
        shade *= 1 + 0.05 * np.sign(np.sin(coord * np.pi / cv.m(rng.uniform(0.8, 1.6))))
    cv.img[:] = base * shade[..., None]


def _field(cv: _Canvas, p: Patch) -> None:
    """A crop field or meadow: low vegetation with rows, a different hue from lawns."""
    rng = cv.rng
    base = np.array((0.45, 0.47, 0.25), np.float32) + rng.normal(0, 0.04, 3).astype(np.float32)
    period = rng.uniform(8, 16)
    rows = 0.5 + 0.5 * np.sin(p.s * 2 * np.pi / period)
    h, w = p.shape
    shade = (
        0.88
        + 0.16 * rows
        + 0.06 * value_noise(rng, h, w, 3)
        + 0.05 * rng.standard_normal((h, w), dtype=np.float32)
    )
    cv.paint(p, _rgb(base, shade), LOW_VEGETATION)


# --- impervious: roads, sidewalks, parking, driveways ------------------------------------------


def _asphalt(cv: _Canvas, p: Patch, label: int = IMPERVIOUS, tone: float = 1.0) -> None:
    rng, (h, w) = cv.rng, p.shape
    shade = (
        tone
        + 0.05 * value_noise(rng, h, w, cv.m(3))
        + 0.04 * value_noise(rng, h, w, 2)
        + 0.05 * rng.standard_normal((h, w), dtype=np.float32)
    )
    # Tar-sealed cracks: thin dark lines along one axis.
    cracks = np.abs(value_noise(rng, h, w, cv.m(1.5))) < 0.03
    shade = np.where(cracks, shade * 0.8, shade)
    cv.paint(p, _rgb(cv.style.asphalt, shade), label)


def _pavers(cv: _Canvas, p: Patch, colour=None, size_m: float | None = None) -> None:
    rng, (h, w) = cv.rng, p.shape
    size = cv.m(size_m or rng.uniform(0.3, 0.6))
    i, j = np.floor(p.s / size), np.floor(p.t / size)
    jitter = cell_random(i, j, rng.uniform(0, 100)) - 0.5
    joint = (np.mod(p.s, size) < 1.2) | (np.mod(p.t, size) < 1.2)
    shade = 1 + 0.07 * jitter + 0.025 * rng.standard_normal((h, w), dtype=np.float32)
    shade = np.where(joint, shade * 0.84, shade)
    cv.paint(p, _rgb(colour if colour is not None else cv.style.pavers, shade), IMPERVIOUS)


def _markings(cv: _Canvas, p: Patch, along_s: bool, dash: float, gap: float) -> None:
    """Dashed white lane marking down the middle of a road patch."""
    a, b = (p.s, p.t) if along_s else (p.t, p.s)
    line = (np.abs(b) < cv.m(0.07)) & (np.mod(a, cv.m(dash + gap)) < cv.m(dash))
    cv.paint(p, np.array((0.86, 0.86, 0.84), np.float32), IMPERVIOUS, where=line)


def _street(cv: _Canvas, horizontal: bool, pos: float, width: float, walk: float) -> None:
    lay, big = cv.layout, cv.size * 0.75
    half = width / 2

    def band(lo: float, hi: float) -> Patch | None:
        if horizontal:
            return lay.rect(-big, big, pos + lo, pos + hi)
        return lay.rect(pos + lo, pos + hi, -big, big)

    for lo, hi in ((-half - walk, -half), (half, half + walk)):
        p = band(lo, hi)
        if p is not None:
            _pavers(cv, p)
    road = band(-half, half)
    if road is None:
        return
    _asphalt(cv, road)
    _markings(cv, road, along_s=horizontal, dash=3, gap=6)
    for edge in (-half, half - cv.m(0.2)):
        curb = band(edge, edge + cv.m(0.2))
        if curb is not None:
            cv.paint(curb, np.array(cv.style.pavers, np.float32) * 1.12, IMPERVIOUS)
    # Parked cars along both curbs, and a few driving.
    length = 2 * big
    for side in (-1, 1):
        x = -big + cv.rng.uniform(0, cv.m(8))
        while x < big:
            if cv.rng.uniform() < 0.45:
                off = side * (half - cv.m(1.3))
                u, v = (x, pos + off) if horizontal else (pos + off, x)
                _car_layout(cv, u, v, 0.0 if horizontal else np.pi / 2)
            x += cv.m(cv.rng.uniform(5.5, 9)) if cv.rng.uniform() < 0.7 else cv.m(20)
    for _ in range(cv.rng.poisson(length / cv.m(60))):
        x = cv.rng.uniform(-big, big)
        off = cv.rng.choice([-1, 1]) * width / 4.2
        u, v = (x, pos + off) if horizontal else (pos + off, x)
        _car_layout(cv, u, v, 0.0 if horizontal else np.pi / 2)


def _parking(cv: _Canvas, u0: float, u1: float, v0: float, v1: float) -> None:
    lay = cv.layout
    p = lay.rect(u0, u1, v0, v1)
    if p is None:
        return
    if cv.rng.uniform() < 0.6:
        _asphalt(cv, p, tone=cv.rng.uniform(0.95, 1.1))
    else:
        _pavers(cv, p, size_m=0.25)
    bay, depth = cv.m(2.6), cv.m(5.2)
    rows = max(int((v1 - v0) // (depth + cv.m(6))), 1)
    for r in range(rows):
        vr = v0 + cv.m(1) + r * (depth + cv.m(6)) + (0 if r % 2 == 0 else -cv.m(0))
        k = 0
        u = u0 + cv.m(1)
        while u + bay < u1 - cv.m(0.5):
            line = lay.rect(u - cv.m(0.06), u + cv.m(0.06), vr, vr + depth)
            if line is not None:
                cv.paint(line, np.array((0.85, 0.85, 0.82), np.float32), IMPERVIOUS)
            if cv.rng.uniform() < 0.65:
                jitter = cv.rng.normal(0, 0.04)
                _car_layout(cv, u + bay / 2, vr + depth / 2, np.pi / 2 + jitter)
            u += bay
            k += 1


# --- cars ---------------------------------------------------------------------------------------


def _car_layout(cv: _Canvas, u: float, v: float, phi: float) -> None:
    x, y = cv.layout.to_pixel(u, v)
    _car(cv, x, y, cv.layout.theta + phi + (np.pi if cv.rng.uniform() < 0.5 else 0))


def _car(cv: _Canvas, x: float, y: float, angle: float) -> None:
    rng = cv.rng
    a, b = cv.m(rng.uniform(2.05, 2.45)), cv.m(rng.uniform(0.85, 0.95))
    p = rect_patch(cv.size, x, y, a, b, angle)
    if p is None:
        return
    # Rounded corners.
    cr = b * 0.45
    ds = np.maximum(np.abs(p.s) - (a - cr), 0)
    dt = np.maximum(np.abs(p.t) - (b - cr), 0)
    body = p.mask & (ds * ds + dt * dt <= cr * cr)
    p = Patch(p.ys, p.xs, body, p.s, p.t)
    colour = np.asarray(CAR_COLOURS[rng.integers(len(CAR_COLOURS))], np.float32)
    colour = np.clip(colour * rng.uniform(0.9, 1.1), 0, 1)
    su = p.s / a  # -1 rear .. 1 front
    tu = np.abs(p.t) / b
    shade = 1.0 - 0.25 * tu**4 + 0.05 * rng.standard_normal(p.shape, dtype=np.float32)
    col = _rgb(colour, shade)
    glass = ((su > 0.18) & (su < 0.42) | (su > -0.72) & (su < -0.55)) & (tu < 0.86)
    side_glass = (su > -0.55) & (su < 0.18) & (tu > 0.72) & (tu < 0.9)
    col[glass | side_glass] = (0.09, 0.10, 0.12)
    roof = (su > -0.55) & (su < 0.18) & (tu < 0.72)
    col[roof] *= 1.08
    # A small shadow on the lee side, then the body.
    dx, dy = cv.shadow_dir()
    off = cv.m(0.5 + 0.5 * cv.style.shadow_per_m)
    sh = rect_patch(cv.size, x + dx * off, y + dy * off, a, b, angle)
    if sh is not None:
        cv.building_shadow[sh.ys, sh.xs] |= sh.mask
    cv.paint(p, np.clip(col, 0, 1), CAR)


# --- buildings -----------------------------------------------------------------------------------


def _building(cv: _Canvas, u0: float, u1: float, v0: float, v1: float, kind: str) -> None:
    rng, lay = cv.rng, cv.layout
    phi = rng.normal(0, 0.03)
    parts = [(u0, u1, v0, v1)]
    if kind == "house" and rng.uniform() < 0.35:  # an L-shaped annex
        du, dv = (u1 - u0), (v1 - v0)
        w = rng.uniform(0.35, 0.5) * du
        if rng.uniform() < 0.5:
            parts.append((u0, u0 + w, v1 - dv * 0.1, v1 + dv * rng.uniform(0.3, 0.6)))
        else:
            parts.append((u1 - w, u1, v0 - dv * rng.uniform(0.3, 0.6), v0 + dv * 0.1))
    names = list(ROOF_COLOURS)
    weights = np.array([ROOF_COLOURS[k][1] for k in names])
    name = names[rng.choice(len(names), p=weights / weights.sum())]
    colour = np.clip(
        np.asarray(ROOF_COLOURS[name][0], np.float32) * rng.uniform(0.88, 1.12, 3), 0, 1
    )
    flat = kind == "block" or (name in ("green", "light") and rng.uniform() < 0.5)
    flat = flat or rng.uniform() < 0.2
    height = rng.uniform(9, 16) if kind == "block" else rng.uniform(5, 9)
    cx, cy = lay.to_pixel((u0 + u1) / 2, (v0 + v1) / 2)
    angle = lay.theta + phi
    ca, sa = math.cos(angle), math.sin(angle)
    for pu0, pu1, pv0, pv1 in parts:
        pcu, pcv = (pu0 + pu1) / 2, (pv0 + pv1) / 2
        # Centre of the part in pixels, turned with the whole building about its centre.
        du, dv = pcu - (u0 + u1) / 2, pcv - (v0 + v1) / 2
        px, py = cx + ca * du - sa * dv, cy + sa * du + ca * dv
        a, b = abs(pu1 - pu0) / 2, abs(pv1 - pv0) / 2
        p = rect_patch(cv.size, px, py, a, b, angle)
        if p is None:
            continue
        _cast_prism_shadow(cv, px, py, a, b, angle, height)
        if flat:
            _flat_roof(cv, p, colour, name == "green")
        else:
            _gable_roof(cv, p, colour, ridge_along_s=a >= b, angle=angle)


def _cast_prism_shadow(
    cv: _Canvas, x: float, y: float, a: float, b: float, angle: float, height_m: float
) -> None:
    ca, sa = math.cos(angle), math.sin(angle)
    corners = [
        (x + ca * i * a - sa * j * b, y + sa * i * a + ca * j * b)
        for i, j in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    dx, dy = cv.shadow_dir()
    length = cv.m(height_m * cv.style.shadow_per_m)
    pts = corners + [(px + dx * length, py + dy * length) for px, py in corners]
    hull = convex_hull(pts)
    xs_ = [q[0] for q in hull]
    ys_ = [q[1] for q in hull]
    x0, x1 = max(int(min(xs_)), 0), min(int(max(xs_)) + 2, cv.size)
    y0, y1 = max(int(min(ys_)), 0), min(int(max(ys_)) + 2, cv.size)
    if x0 >= x1 or y0 >= y1:
        return
    gx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    gy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    # In pixel axes (y down) the monotone-chain hull runs clockwise on screen; flip the test.
    inside = polygon_mask(gx, gy, hull[::-1]) | polygon_mask(gx, gy, hull)
    cv.building_shadow[y0:y1, x0:x1] |= inside


def _gable_roof(
    cv: _Canvas, p: Patch, colour: np.ndarray, ridge_along_s: bool, angle: float
) -> None:
    rng = cv.rng
    along, across = (p.s, p.t) if ridge_along_s else (p.t, p.s)
    # Which face looks into the sun: its normal points against the shadow direction.
    normal_angle = angle + (np.pi / 2 if ridge_along_s else 0.0)
    dx, dy = cv.shadow_dir()
    facing = -(math.cos(normal_angle) * dx + math.sin(normal_angle) * dy)
    face = np.sign(across)
    light = 0.86 + 0.2 * face * facing
    course = cv.m(rng.uniform(0.3, 0.4))
    rows = np.mod(across, course) < 1.6
    tiles = cell_random(np.floor(across / course), np.floor(along / cv.m(0.25)), 3.0) - 0.5
    shade = light * (1 + 0.05 * tiles) * np.where(rows, 0.86, 1.0)
    shade = shade + 0.03 * rng.standard_normal(p.shape, dtype=np.float32)
    col = _rgb(colour, shade)
    ridge = np.abs(across) < cv.m(0.18)
    col[ridge] = colour * 0.75
    # Eaves: a thin darker rim, and now and then a dormer or skylight.
    half = np.max(np.abs(across[p.mask])) if p.mask.any() else 0
    col[np.abs(across) > half - cv.m(0.25)] *= 0.8
    if rng.uniform() < 0.5:
        k = rng.uniform(-0.5, 0.5) * np.max(np.abs(along[p.mask]))
        side = rng.choice([-1, 1])
        sky = (np.abs(along - k) < cv.m(0.6)) & (np.abs(across - side * half * 0.5) < cv.m(0.5))
        col[sky] = (0.2, 0.24, 0.3)
    cv.paint(p, np.clip(col, 0, 1), BUILDING)


def _flat_roof(cv: _Canvas, p: Patch, colour: np.ndarray, green: bool) -> None:
    rng, (h, w) = cv.rng, p.shape
    if green:
        # Sedum mats: lawn-like colour, but in a regular grid of trays.
        tray = cv.m(1.0)
        cellv = cell_random(np.floor(p.s / tray), np.floor(p.t / tray), 7.0) - 0.5
        seam = (np.mod(p.s, tray) < 1.5) | (np.mod(p.t, tray) < 1.5)
        shade = 1 + 0.16 * cellv + 0.1 * value_noise(rng, h, w, 2)
        shade = np.where(seam, shade * 0.8, shade)
    else:
        # Membrane strips with seams one way, and sparse gravel speckle: not asphalt's cracks
        # and grain, not the pavers' two-way grid.
        strip = cv.m(rng.uniform(0.9, 1.3))
        along = p.s if rng.uniform() < 0.5 else p.t
        seam = np.mod(along, strip) < 2.0
        speck = rng.uniform(0, 1, (h, w)).astype(np.float32)
        shade = 1 + 0.04 * value_noise(rng, h, w, cv.m(2)) + 0.02 * (speck - 0.5)
        shade = np.where(speck > 0.97, shade * 1.25, np.where(speck < 0.03, shade * 0.75, shade))
        shade = np.where(seam, shade * 0.82, shade)
    col = _rgb(colour, shade)
    a = np.max(np.abs(p.s[p.mask]))
    b = np.max(np.abs(p.t[p.mask]))
    edge = (np.abs(p.s) > a - cv.m(0.4)) | (np.abs(p.t) > b - cv.m(0.4))
    col[edge] = np.clip(colour * 1.25 + 0.08, 0, 1)
    inner = (np.abs(p.s) > a - cv.m(0.55)) | (np.abs(p.t) > b - cv.m(0.55))
    col[inner & ~edge] = colour * 0.7
    dx, dy = cv.shadow_dir()
    # Rooftop plant, vents and solar panels with their own little shadows.
    for _ in range(rng.integers(1, 5)):
        us, ut = rng.uniform(-0.7, 0.7) * a, rng.uniform(-0.7, 0.7) * b
        ha, hb = cv.m(rng.uniform(0.5, 1.5)), cv.m(rng.uniform(0.5, 1.2))
        box = (np.abs(p.s - us) < ha) & (np.abs(p.t - ut) < hb)
        off = cv.m(1.0 * cv.style.shadow_per_m)
        ss, st = p.s - us - dx * off, p.t - ut - dy * off
        col[(np.abs(ss) < ha) & (np.abs(st) < hb) & ~box] *= 0.55
        col[box] = np.clip(colour * 0.3 + 0.5, 0, 1)
    if not green and rng.uniform() < 0.4:
        pw, ph = cv.m(1.7), cv.m(1.0)
        us, ut = rng.uniform(-0.3, 0.3) * a, rng.uniform(-0.3, 0.3) * b
        na, nb = rng.integers(2, 6), rng.integers(1, 4)
        rel_s, rel_t = p.s - us, p.t - ut
        panel = (np.abs(rel_s) < na * pw / 2) & (np.abs(rel_t) < nb * ph / 2)
        grid = (np.mod(rel_s, pw) < 1.5) | (np.mod(rel_t, ph) < 1.5)
        col[panel] = (0.12, 0.14, 0.22)
        col[panel & grid] = (0.5, 0.5, 0.52)
    cv.paint(p, np.clip(col, 0, 1), BUILDING)


# --- trees ---------------------------------------------------------------------------

TREE_COLOURS = (
    ((0.17, 0.30, 0.12), 5.0),
    ((0.26, 0.38, 0.16), 3.0),
    ((0.36, 0.40, 0.18), 1.0),
    ((0.36, 0.20, 0.18), 0.8),  # copper beech, near terracotta roofs
    ((0.30, 0.42, 0.26), 1.0),  # near green roofs and lawns
)


def _tree(cv: _Canvas, x: float, y: float, radius_m: float) -> None:
    rng = cv.rng
    r = cv.m(radius_m)
    p = blob_patch(rng, cv.size, x, y, r, lumpiness=0.18)
    if p is None:
        return
    cols = [c for c, _ in TREE_COLOURS]
    weights = np.array([w for _, w in TREE_COLOURS])
    colour = np.asarray(cols[rng.choice(len(cols), p=weights / weights.sum())], np.float32)
    colour = colour * rng.uniform(0.9, 1.1, 3).astype(np.float32)
    h, w = p.shape
    # Sphere shading lit from the side opposite the shadows, broken into leaf clumps.
    rho2 = np.clip(p.s * p.s + p.t * p.t, 0, 1)
    nz = np.sqrt(1 - rho2)
    dx, dy = cv.shadow_dir()
    light = np.clip(-(p.s * dx + p.t * dy) * 0.8 + nz * 0.6, 0, None)
    clumps = value_noise(rng, h, w, max(r / 5, 4)) + 0.6 * value_noise(rng, h, w, 3)
    shade = (0.45 + 0.7 * light) * (1 + 0.22 * clumps)
    shade = np.where(clumps < -1.1, shade * 0.55, shade)
    shade = shade + 0.04 * rng.standard_normal((h, w), dtype=np.float32)
    cv.paint(p, np.clip(_rgb(colour, shade), 0, 1), TREE)
    # The crown's shadow on the ground, detached from it by the crown's height.
    height = rng.uniform(5, 12)
    off = cv.m(height * cv.style.shadow_per_m) * 0.8
    sh = blob_patch(rng, cv.size, x + dx * off, y + dy * off, r * 0.95, lumpiness=0.2)
    if sh is not None:
        cv.tree_shadow[sh.ys, sh.xs] |= sh.mask


def _tree_layout(cv: _Canvas, u: float, v: float, radius_m: float) -> None:
    """Queue a tree: crowns are drawn last, over roofs, roads and cars alike."""
    x, y = cv.layout.to_pixel(u, v)
    cv.trees.append((x, y, radius_m))


# --- clutter ------------------------------------------------------------------------------------


def _clutter(cv: _Canvas, x: float, y: float, size_m: float) -> None:
    """Heaps, bins, pallets and building material: speckled, many-coloured, irregular."""
    rng = cv.rng
    kind = rng.choice(["heap", "stack", "soil"], p=[0.4, 0.35, 0.25])
    if kind == "stack":
        p = rect_patch(
            cv.size, x, y, cv.m(size_m), cv.m(size_m * rng.uniform(0.4, 0.9)), rng.uniform(0, 7)
        )
        if p is None:
            return
        cell = cv.m(rng.uniform(0.6, 1.2))
        i, j = np.floor(p.s / cell), np.floor(p.t / cell)
        pick = cell_random(i, j, rng.uniform(0, 50))
        palette = np.asarray(
            [(0.7, 0.3, 0.2), (0.25, 0.3, 0.55), (0.75, 0.65, 0.3), (0.45, 0.45, 0.45),
             (0.6, 0.5, 0.38), (0.2, 0.45, 0.25)],
            np.float32,
        )  # fmt: skip
        col = palette[(pick * len(palette)).astype(int) % len(palette)]
        gap = (np.mod(p.s, cell) < 2) | (np.mod(p.t, cell) < 2)
        col = col * (0.9 + 0.25 * rng.standard_normal(p.shape, dtype=np.float32))[..., None]
        col[gap] *= 0.45
    else:
        p = blob_patch(rng, cv.size, x, y, cv.m(size_m), lumpiness=0.35)
        if p is None:
            return
        h, w = p.shape
        base = (
            np.asarray((0.5, 0.38, 0.28), np.float32)
            if kind == "soil"
            else np.asarray(rng.uniform(0.3, 0.7, 3), np.float32)
        )
        speck = value_noise(rng, h, w, 2.0)
        hue = value_noise(rng, h, w, 6.0)
        col = base * (1 + 0.3 * speck)[..., None]
        col[..., 0] *= 1 + 0.15 * hue
        col[..., 2] *= 1 - 0.15 * hue
        if kind == "soil":
            tracks = np.abs(np.sin(p.s * 9)) > 0.93
            col[tracks] *= 0.7
        else:
            rho = np.sqrt(p.s * p.s + p.t * p.t)
            col *= (1.1 - 0.35 * rho)[..., None]
    cv.paint(p, np.clip(col, 0, 1), CLUTTER)


def _clutter_layout(cv: _Canvas, u: float, v: float, size_m: float) -> None:
    x, y = cv.layout.to_pixel(u, v)
    _clutter(cv, x, y, size_m)


# --- parcels -------------------------------------------------------------------------------------


def _parcel(cv: _Canvas, u0: float, u1: float, v0: float, v1: float, front: int) -> None:
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
                    _pavers(cv, p, size_m=0.2)
                if rng.uniform() < 0.6:
                    _car_layout(
                        cv, (drive[0] + drive[1]) / 2, fv + inward * (setback + m(2.5)), np.pi / 2
                    )
        else:
            # A courtyard car park in front of the block.
            pv0, pv1 = band(0, setback)
            if setback > m(5):
                _parking(cv, u0 + m(0.5), u1 - m(0.5), pv0, pv1)
        bv0, bv1 = band(setback, setback + bdepth)
        _building(cv, bu0, bu1, bv0, bv1, str(kind))
        # Back garden: trees, sometimes a heap of clutter or a shed-sized stack.
        for _ in range(rng.poisson(1.3 * cv.style.tree_density)):
            tu = rng.uniform(u0, u1)
            tv = fv + inward * rng.uniform(setback + bdepth * 0.7, max(depth, setback + bdepth))
            _tree_layout(cv, tu, tv, rng.uniform(2, 4.5))
        garden = (setback + bdepth + m(2), depth - m(2))
        if rng.uniform() < 0.6 and garden[1] > garden[0]:
            cu = rng.uniform(u0 + m(2), u1 - m(2))
            _clutter_layout(cv, cu, fv + inward * rng.uniform(*garden), rng.uniform(1.2, 2.5))
    elif kind == "parking":
        pv0, pv1 = band(m(0.5), depth - m(0.5))
        _parking(cv, u0 + m(0.5), u1 - m(0.5), pv0, pv1)
        if rng.uniform() < 0.5:
            _tree_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(2.5, 4))
    elif kind == "park":
        for _ in range(rng.poisson(4 * cv.style.tree_density)):
            _tree_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(2.5, 6))
        if rng.uniform() < 0.5:  # a footpath
            pu = rng.uniform(u0 + m(2), u1 - m(2))
            p = cv.layout.rect(pu - m(1), pu + m(1), v0, v1)
            if p is not None:
                _pavers(cv, p, colour=(0.62, 0.56, 0.46), size_m=0.15)
    elif kind == "yard":
        p = cv.layout.rect(u0 + m(1), u1 - m(1), *band(m(1), depth - m(1)))
        if p is not None:
            _asphalt(cv, p, tone=rng.uniform(0.9, 1.15))
        for _ in range(rng.integers(3, 8)):
            _clutter_layout(
                cv, rng.uniform(u0 + m(3), u1 - m(3)), rng.uniform(v0, v1), rng.uniform(1.5, 4)
            )
        if rng.uniform() < 0.5:
            _car_layout(cv, rng.uniform(u0, u1), rng.uniform(v0, v1), rng.uniform(0, np.pi))
    else:
        p = cv.layout.rect(u0, u1, v0, v1)
        if p is not None:
            _field(cv, p)


def _street_positions(rng: np.random.Generator, extent: float, spacing: tuple[float, float]):
    pos, x = [], -extent + rng.uniform(0, spacing[1])
    while x < extent:
        pos.append(x)
        x += rng.uniform(*spacing)
    return pos


def generate_scene(size: int, rng: np.random.Generator) -> Scene:
    """Render one scene ``size`` x ``size`` pixels at 5 cm: RGB uint8 and class indices."""
    style = SceneStyle.draw(rng)
    theta = rng.uniform(0, np.pi / 2) if rng.uniform() < 0.7 else rng.choice([0.0, np.pi / 2])
    cv = _Canvas(rng, size, style, Layout(size, float(theta)))
    m = cv.m
    _ground(cv)
    extent = size * 0.72
    spacing = (m(45), m(80))
    us = _street_positions(rng, extent, spacing)
    vs = _street_positions(rng, extent, spacing)
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
                    _parcel(cv, u, u + w, rv0, rv1, front)
                    u += w
    # Streets last among the ground layers so they cut cleanly through plots; then street
    # trees over sidewalks and roads.
    for v in vs:
        _street(cv, True, v, road_w[v], walk[v])
    for u in us:
        _street(cv, False, u, road_w[u], walk[u])
    for horizontal, positions in ((True, vs), (False, us)):
        for pos in positions:
            if rng.uniform() < 0.6 * style.tree_density:
                side = rng.choice([-1, 1])
                off = side * (road_w[pos] / 2 + walk[pos] * 0.5)
                x = -extent + rng.uniform(0, m(10))
                while x < extent:
                    u, v = (x, pos + off) if horizontal else (pos + off, x)
                    _tree_layout(cv, u, v, rng.uniform(2.5, 4.5))
                    x += m(rng.uniform(9, 16))
    for x, y, radius_m in cv.trees:
        _tree(cv, x, y, radius_m)
    return _finish(cv)


def _finish(cv: _Canvas) -> Scene:
    """Shadows, illumination, optics and sensor noise; quantise to 8 bits."""
    st, rng = cv.style, cv.rng
    img, lab = cv.img, cv.lab
    ground_level = (lab != BUILDING) & (lab != TREE)
    shadow = (cv.building_shadow & ground_level) | (cv.tree_shadow & (lab != TREE))
    soft = box_blur(shadow.astype(np.float32), 2)
    tint = np.asarray(st.shadow_tint, np.float32)
    img *= 1 - soft[..., None] * (1 - tint)
    img *= np.asarray(st.cast, np.float32) * st.gain
    np.clip(img, 0, 1, out=img)
    img **= st.gamma
    img += st.haze
    # A slight optical blur, then sensor noise (partly shared between channels).
    img = box_blur(img, 1) * 0.5 + img * 0.5
    n = cv.size
    common = rng.standard_normal((n, n), dtype=np.float32)[..., None]
    img += st.noise * (0.7 * common + 0.5 * rng.standard_normal((n, n, 3), dtype=np.float32))
    out = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    return Scene(image=out, labels=lab.copy())


# --- Potsdam files ----------------------------------------------------------------------------


def label_colours() -> np.ndarray:
    """Class index -> RGB lookup table (row 255: black, the 'undefined/boundary' colour)."""
    lut = np.zeros((256, 3), np.uint8)
    for c in POTSDAM_CLASSES:
        lut[c.index] = c.color
    return lut


def erode_boundaries(labels: np.ndarray, radius: int = 3) -> np.ndarray:
    """Potsdam's ``noBoundary`` labels: pixels within ``radius`` of another class -> 255."""
    edge = np.zeros(labels.shape, bool)
    for d in range(1, radius + 1):
        dy = labels[d:, :] != labels[:-d, :]
        dx = labels[:, d:] != labels[:, :-d]
        edge[d:, :] |= dy
        edge[:-d, :] |= dy
        edge[:, d:] |= dx
        edge[:, :-d] |= dx
    out = labels.copy()
    out[edge] = 255
    return out


def tile_ids(scenes: int, test_fraction: float = 0.25) -> list[tuple[str, str]]:
    """(tile id, 'train' | 'test') for ``scenes`` scenes, test ids from the benchmark split."""
    n_test = 0 if scenes < 2 else max(1, round(scenes * test_fraction))
    n_train = scenes - n_test
    if n_train > len(BENCHMARK_TRAIN) or n_test > len(BENCHMARK_TEST):
        raise ValueError(
            f"at most {len(BENCHMARK_TRAIN)} training and {len(BENCHMARK_TEST)} test scenes "
            f"(Potsdam's benchmark tile ids); asked for {n_train} and {n_test}. "
            "Use a larger --size for more data per scene."
        )
    return [(t, "train") for t in BENCHMARK_TRAIN[:n_train]] + [
        (t, "test") for t in BENCHMARK_TEST[:n_test]
    ]


def scene_origin(tile_id: str, size: int) -> tuple[float, float]:
    """Upper-left corner in EPSG:25833, Potsdam-like, tiles side by side without overlap."""
    row, col = (int(v) for v in tile_id.split("_"))
    step = max(300.0, size * GSD_M)
    return 366_000.0 + (col - 7) * step, 5_808_000.0 - (row - 2) * step


def scene_rng(seed: int, tile_id: str) -> np.random.Generator:
    row, col = (int(v) for v in tile_id.split("_"))
    return np.random.default_rng([seed, row, col])


def _write_geotiff(path: Path, bands: np.ndarray, origin: tuple[float, float]) -> None:
    from osgeo import gdal, osr

    gdal.UseExceptions()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, cols, count = bands.shape
    tmp = path.with_name(path.name + ".part")
    ds = gdal.GetDriverByName("GTiff").Create(
        str(tmp), cols, rows, count, gdal.GDT_Byte,
        ["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES", "PHOTOMETRIC=RGB"],
    )  # fmt: skip
    ds.SetGeoTransform((origin[0], GSD_M, 0.0, origin[1], 0.0, -GSD_M))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    ds.SetProjection(srs.ExportToWkt())
    for b in range(count):
        ds.GetRasterBand(b + 1).WriteArray(bands[..., b])
    ds.FlushCache()
    ds = None
    tmp.replace(path)


@dataclass(frozen=True)
class WrittenScene:
    tile_id: str
    split: str
    image: Path
    label: Path
    label_no_boundary: Path


def write_scene(scene: Scene, out_dir: Path, tile_id: str, split: str = "") -> WrittenScene:
    """Write image, colour label and eroded label under Potsdam's folder and file names."""
    origin = scene_origin(tile_id, scene.image.shape[0])
    out_dir = Path(out_dir)
    image = out_dir / IMAGE_DIR / f"top_potsdam_{tile_id}_RGB.tif"
    label = out_dir / LABEL_DIR / f"top_potsdam_{tile_id}_label.tif"
    eroded = out_dir / NO_BOUNDARY_DIR / f"top_potsdam_{tile_id}_label_noBoundary.tif"
    lut = label_colours()
    _write_geotiff(image, scene.image, origin)
    _write_geotiff(label, lut[scene.labels], origin)
    _write_geotiff(eroded, lut[erode_boundaries(scene.labels)], origin)
    return WrittenScene(tile_id, split, image, label, eroded)


def synthesize(
    out_dir: Path, scenes: int, size: int = 2000, seed: int = 0, test_fraction: float = 0.25
) -> Iterator[WrittenScene]:
    """Generate and write ``scenes`` scenes; yields each as it is written."""
    for tile_id, split in tile_ids(scenes, test_fraction):
        scene = generate_scene(size, scene_rng(seed, tile_id))
        yield write_scene(scene, out_dir, tile_id, split)


def write_resampled_folder(scenes: list[WrittenScene], out_dir: Path, resolution_cm: float) -> Path:
    """A coarser copy in the trainer's folder format (``images/``, ``masks/``, classes.json).

    Training a small model at 10 cm sees four times the ground per tile for the same compute;
    the engine resamples 5 cm rasters to the model's resolution, so it still segments them.
    Images are averaged, eroded colour labels taken by nearest neighbour (no mixed colours).
    """
    import json

    from osgeo import gdal

    gdal.UseExceptions()
    out_dir = Path(out_dir)
    res = resolution_cm / 100.0
    for w in scenes:
        split = "val" if w.split == "test" else "train"
        for src, kind, alg in (
            (w.image, "images", "average"),
            (w.label_no_boundary, "masks", "near"),
        ):
            target = out_dir / kind / split / f"top_potsdam_{w.tile_id}.tif"
            target.parent.mkdir(parents=True, exist_ok=True)
            gdal.Translate(
                str(target), str(src), xRes=res, yRes=res, resampleAlg=alg,
                creationOptions=["COMPRESS=DEFLATE", "TILED=YES"],
            )  # fmt: skip
    classes = [{"name": c.name, "color": list(c.color)} for c in POTSDAM_CLASSES]
    (out_dir / "classes.json").write_text(
        json.dumps({"classes": classes, "resolution_cm": resolution_cm}, indent=1)
    )
    return out_dir
