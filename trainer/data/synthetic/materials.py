"""Surface colours and textures: lawns, fields, asphalt, pavers, markings; palettes."""

from __future__ import annotations

import numpy as np

from .canvas import IMPERVIOUS, LOW_VEGETATION, Canvas, rgb
from .primitives import Patch, cell_random, value_noise

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


# --- trees ---------------------------------------------------------------------------

TREE_COLOURS = (
    ((0.17, 0.30, 0.12), 5.0),
    ((0.26, 0.38, 0.16), 3.0),
    ((0.36, 0.40, 0.18), 1.0),
    ((0.36, 0.20, 0.18), 0.8),  # copper beech, near terracotta roofs
    ((0.30, 0.42, 0.26), 1.0),  # near green roofs and lawns
)


# --- ground: lawns, fields ---------------------------------------------------------------------


def lawn_ground(cv: Canvas) -> None:
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


def crop_field(cv: Canvas, p: Patch) -> None:
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
    cv.paint(p, rgb(base, shade), LOW_VEGETATION)


# --- impervious: roads, sidewalks, parking, driveways ------------------------------------------


def asphalt(cv: Canvas, p: Patch, label: int = IMPERVIOUS, tone: float = 1.0) -> None:
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
    cv.paint(p, rgb(cv.style.asphalt, shade), label)


def pavers(cv: Canvas, p: Patch, colour=None, size_m: float | None = None) -> None:
    rng, (h, w) = cv.rng, p.shape
    size = cv.m(size_m or rng.uniform(0.3, 0.6))
    i, j = np.floor(p.s / size), np.floor(p.t / size)
    jitter = cell_random(i, j, rng.uniform(0, 100)) - 0.5
    joint = (np.mod(p.s, size) < 1.2) | (np.mod(p.t, size) < 1.2)
    shade = 1 + 0.07 * jitter + 0.025 * rng.standard_normal((h, w), dtype=np.float32)
    shade = np.where(joint, shade * 0.84, shade)
    cv.paint(p, rgb(colour if colour is not None else cv.style.pavers, shade), IMPERVIOUS)


def markings(cv: Canvas, p: Patch, along_s: bool, dash: float, gap: float) -> None:
    """Dashed white lane marking down the middle of a road patch."""
    a, b = (p.s, p.t) if along_s else (p.t, p.s)
    line = (np.abs(b) < cv.m(0.07)) & (np.mod(a, cv.m(dash + gap)) < cv.m(dash))
    cv.paint(p, np.array((0.86, 0.86, 0.84), np.float32), IMPERVIOUS, where=line)
