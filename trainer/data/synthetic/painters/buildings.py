"""Buildings: footprints, gable, hip, shed and flat roofs of many materials and colours, and
what stands on them (chimneys, dormers, skylights, solar panels, plant on flat roofs).

Roof heights go into the height layer, so the light makes the sun-facing face bright and
the other dark, and chimneys, dormers and the building itself cast their own shadows.
Everything on a roof is building in the ISPRS convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..canvas import BUILDING, Canvas
from ..materials import grain, gravel, lines, mix, shaded, stripe, texture, vary
from ..primitives import Patch, cell_random, choose, fade, rect_patch

PITCHED = {
    # material: (colours, weight)
    "clay_tiles": (
        (
            (0.62, 0.30, 0.22),
            (0.70, 0.40, 0.26),
            (0.50, 0.27, 0.20),
            (0.38, 0.24, 0.20),
            (0.56, 0.34, 0.30),
        ),
        4.0,
    ),
    "concrete_tiles": (
        ((0.24, 0.24, 0.26), (0.42, 0.42, 0.43), (0.45, 0.30, 0.25), (0.33, 0.27, 0.24)),
        3.0,
    ),
    "slate": (((0.25, 0.27, 0.31), (0.31, 0.32, 0.34)), 1.0),
    "metal": (
        (
            (0.60, 0.61, 0.62),
            (0.30, 0.42, 0.35),
            (0.52, 0.20, 0.17),
            (0.22, 0.23, 0.25),
            (0.40, 0.30, 0.24),
        ),
        1.5,
    ),
    "fibre_cement": (((0.56, 0.56, 0.53), (0.47, 0.48, 0.46)), 0.7),
}
FLAT = {
    "membrane": (
        ((0.38, 0.38, 0.39), (0.55, 0.55, 0.55), (0.76, 0.76, 0.74), (0.27, 0.27, 0.28)),
        3.0,
    ),
    "bitumen": (((0.22, 0.22, 0.23), (0.30, 0.29, 0.28)), 2.0),
    "gravel": (((0.55, 0.52, 0.47), (0.47, 0.46, 0.44)), 2.0),
    "green": (((0.38, 0.44, 0.24), (0.48, 0.42, 0.28), (0.45, 0.33, 0.27)), 1.5),
}
FORMS = {
    # kind: ((gable, hip, shed, flat) weights, eave height range m, pitch range degrees)
    "house": ((0.55, 0.3, 0.05, 0.1), (3.0, 7.0), (25, 50)),
    "terrace": ((0.5, 0.1, 0.05, 0.35), (8.0, 17.0), (25, 45)),
    "block": ((0.25, 0.05, 0.0, 0.7), (10.0, 25.0), (20, 40)),
    "hall": ((0.5, 0.05, 0.1, 0.35), (5.0, 10.0), (8, 20)),
    "garage": ((0.1, 0.0, 0.3, 0.6), (2.4, 3.0), (10, 25)),
}


def _choose(rng: np.random.Generator, table: dict) -> tuple[str, np.ndarray]:
    name = choose(rng, {k: weight for k, (_, weight) in table.items()})
    colours = table[name][0]
    return name, vary(rng, colours[rng.integers(len(colours))], 0.07)


@dataclass
class Roof:
    """A roof over a rectangle (half-sides ``a`` along the ridge, ``b`` across, pixels)."""

    form: str  # gable | hip | shed | flat
    material: str
    colour: np.ndarray
    eave_m: float
    pitch: float  # radians


def _geometry(p: Patch, roof: Roof, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance up the slope from the eave (px) and the coordinate along the courses."""
    if roof.form == "gable":
        return b - np.abs(p.t), p.s
    if roof.form == "hip":
        across, along = b - np.abs(p.t), a - np.abs(p.s)
        return np.minimum(across, along), np.where(across <= along, p.s, p.t)
    if roof.form == "shed":
        return p.t + b, p.s
    return np.minimum(a - np.abs(p.s), b - np.abs(p.t)), p.s


def _texture(cv: Canvas, p: Patch, roof: Roof, up: np.ndarray, along: np.ndarray) -> np.ndarray:
    """The roof covering's albedo, from courses, seams and weathering."""
    rng, shape, m = cv.rng, p.shape, cv.m
    base = roof.colour
    weather = texture(cv, shape, rng.uniform(2, 8), 4)
    if roof.material in ("clay_tiles", "concrete_tiles", "slate"):
        course = m(0.2 if roof.material == "slate" else rng.uniform(0.3, 0.4))
        width = m(0.2 if roof.material == "slate" else rng.uniform(0.22, 0.3))
        row = np.floor(up / course)
        offset = np.mod(row, 2) * width / 2
        col = np.floor((along + offset) / width)
        tone = cell_random(row, col, rng.uniform(0, 50)) - 0.5
        joints = lines(up, course, m(0.05)) * 0.9 + lines(along + offset, width, m(0.02)) * 0.4
        amount = 0.16 if roof.material == "slate" else 0.1
        shade = (1 + amount * tone * fade(width)) * (1 - 0.35 * np.clip(joints, 0, 1))
    elif roof.material in ("metal", "fibre_cement"):
        seam = m(0.5) if roof.material == "metal" else m(0.18)
        shade = 1 + 0.12 * lines(along, seam, m(0.05)) - 0.05 * lines(up, m(2.5), m(0.05))
    elif roof.material == "gravel":
        return np.clip(shaded(gravel(cv, p, base), 1 + 0.05 * weather), 0, 1)
    elif roof.material == "green":
        sedum = texture(cv, shape, 0.5, 3)
        colour = mix(base, vary(rng, (0.5, 0.36, 0.26), 0.05), np.clip(0.4 + 0.5 * sedum, 0, 1))
        return np.clip(shaded(colour, 1 + 0.1 * grain(cv, shape)), 0, 1)
    else:  # membrane or bitumen: welded strips, patches, dirt
        strip = m(rng.uniform(1.0, 2.0))
        shade = 1 - 0.08 * lines(p.s if rng.uniform() < 0.5 else p.t, strip, m(0.06))
        shade = shade + 0.06 * texture(cv, shape, rng.uniform(1, 4), 3)
    colour = shaded(base, shade * (1 + 0.07 * weather) + 0.03 * grain(cv, shape))
    if roof.material != "metal" and rng.uniform() < 0.5:
        # Moss and lichen: dark green-grey blotches, mostly low on the roof.
        moss = np.clip((texture(cv, shape, rng.uniform(0.5, 2), 3) - 0.5) * 3, 0, 1)
        colour = mix(colour, (0.22, 0.26, 0.18), moss * 0.6)
    return np.clip(colour, 0, 1)


def draw_roof(rng: np.random.Generator, kind: str) -> Roof:
    weights, eave, pitch = FORMS[kind]
    form = choose(rng, dict(zip(("gable", "hip", "shed", "flat"), weights)))
    table = FLAT if form == "flat" else PITCHED
    if kind == "hall" and form != "flat":
        table = {k: PITCHED[k] for k in ("metal", "fibre_cement", "concrete_tiles")}
    material, colour = _choose(rng, table)
    return Roof(form, material, colour, rng.uniform(*eave), math.radians(rng.uniform(*pitch)))


def building(
    cv: Canvas, cx: float, cy: float, length_m: float, depth_m: float, angle: float, kind: str
) -> Patch | None:
    """A rectangular building centred at (cx, cy) px, its ridge along ``angle``."""
    rng = cv.rng
    roof = draw_roof(rng, kind)
    a, b = cv.m(length_m) / 2, cv.m(depth_m) / 2
    if roof.form in ("gable", "hip") and b > a:
        a, b, angle = b, a, angle + math.pi / 2
    p = rect_patch(cv.size, cx, cy, a, b, angle)
    if p is None:
        return None
    up, along = _geometry(p, roof, a, b)
    slope = math.tan(roof.pitch) if roof.form != "flat" else 0.0
    rise = np.maximum(up, 0) * cv.gsd * slope
    if roof.form == "shed":
        rise *= 0.35
    height = roof.eave_m + rise
    colour = _texture(cv, p, roof, up, along)
    if roof.form == "gable":
        colour = mix(colour, colour * 0.8, stripe(up - b, cv.m(0.3)))  # ridge tiles
    if roof.form == "hip":
        hips = stripe((b - np.abs(p.t)) - (a - np.abs(p.s)), cv.m(0.25))
        colour = mix(colour, colour * 0.82, hips)
    if roof.form == "flat":
        coping = np.clip(stripe(up - cv.m(0.2), cv.m(0.4)) + (up < cv.m(0.05)), 0, 1)
        colour = mix(colour, vary(rng, (0.7, 0.69, 0.66), 0.05), coping)
        height = height + 0.4 * coping
    else:
        colour = mix(colour, colour * 0.7, stripe(up, cv.m(0.15)))  # gutters
    cv.paint(p, colour, BUILDING, height=height, feature=f"roof_{roof.form}")
    cv.note(f"roof_{roof.material}", cv.labels[p.ys, p.xs][p.mask])
    cv.note(f"building_{kind}", cv.labels[p.ys, p.xs][p.mask])
    if roof.form == "flat":
        _flat_furniture(cv, p, a, b)
    else:
        _pitched_furniture(cv, p, roof, (cx, cy, a, b, angle), up, kind)
    return p


def _offset(cx: float, cy: float, angle: float, s: float, t: float) -> tuple[float, float]:
    ca, sa = math.cos(angle), math.sin(angle)
    return cx + ca * s - sa * t, cy + sa * s + ca * t


def _on_roof(cv: Canvas, p: Patch) -> np.ndarray:
    return cv.height[p.ys, p.xs]


def _pitched_furniture(
    cv: Canvas, p: Patch, roof: Roof, frame: tuple, up: np.ndarray, kind: str
) -> None:
    rng, m = cv.rng, cv.m
    cx, cy, a, b, angle = frame
    if roof.form == "gable" and kind in ("house", "terrace") and rng.uniform() < 0.4:
        _dormers(cv, p, roof, a, b, up)
    if kind in ("house", "terrace") and rng.uniform() < 0.65:
        for _ in range(rng.integers(1, 3)):
            s = rng.uniform(-0.7, 0.7) * a
            t = rng.uniform(-0.3, 0.3) * b
            side = m(rng.uniform(0.4, 0.8))
            x, y = _offset(cx, cy, angle, s, t)
            c = rect_patch(cv.size, x, y, side, side * rng.uniform(0.7, 1.3), angle)
            if c is None:
                continue
            top = float(_on_roof(cv, c)[c.mask].max(initial=0)) + rng.uniform(0.6, 1.4)
            brick = vary(
                rng,
                ((0.55, 0.3, 0.24), (0.5, 0.48, 0.45), (0.7, 0.68, 0.63))[rng.integers(3)],
                0.06,
            )
            flue = np.maximum(np.abs(c.s), np.abs(c.t)) < side * 0.5
            col = mix(brick, (0.12, 0.11, 0.1), flue.astype(np.float32) * 0.8)
            cv.paint(c, col, BUILDING, height=top, feature="chimney")
    if rng.uniform() < 0.45:
        _windows(cv, p, a, b, up, rng.uniform() < 0.5)


def _dormers(cv: Canvas, p: Patch, roof: Roof, a: float, b: float, up: np.ndarray) -> None:
    """Dormers on one face: a small box with its own gable, a window at the front."""
    rng, m = cv.rng, cv.m
    face = rng.choice([-1, 1])
    slope = math.tan(roof.pitch)
    count = rng.integers(1, 4)
    width = m(rng.uniform(1.2, 2.5))
    front = m(rng.uniform(0.6, 1.2))  # how far above the eave the dormer's front stands
    back = b - m(0.5)
    if back - front < m(1.0):
        return
    top = roof.eave_m + (back * cv.gsd) * slope - 0.2
    positions = np.linspace(-a, a, count + 2)[1:-1]
    heights = _on_roof(cv, p).copy()
    inside_any = np.zeros(p.shape, bool)
    for s0 in positions:
        ds = np.abs(p.s - s0)
        inside = (ds < width / 2) & (np.sign(p.t) == face) & (up > front) & (up < back)
        h = top - ds * cv.gsd * slope
        heights = np.where(inside, np.maximum(heights, h), heights)
        inside_any |= inside
        window = inside & (up < front + m(0.25))
        inside_any |= window
    d = p.within(inside_any)
    colour = cv.albedo[p.ys, p.xs].copy()
    glass = inside_any & (up < front + m(0.25))
    colour[glass] = (0.14, 0.16, 0.19)
    cv.paint(d, colour, BUILDING, height=heights, feature="dormer")


def _windows(cv: Canvas, p: Patch, a: float, b: float, up: np.ndarray, solar: bool) -> None:
    """Roof windows or a solar array on one face, in the roof's plane."""
    rng, m = cv.rng, cv.m
    face = rng.choice([-1, 1])
    if solar:
        pw, ph = m(rng.uniform(1.0, 1.1)), m(rng.uniform(1.6, 1.75))
        if rng.uniform() < 0.5:
            pw, ph = ph, pw
        cols = max(1, min(int(1.6 * a / pw), rng.integers(3, 12)))
        rows = max(1, min(int(0.8 * b / ph), rng.integers(1, 4)))
        s0 = rng.uniform(-0.2, 0.2) * a
        u0 = rng.uniform(0.15, 0.3) * b
        rel_s = p.s - s0
        rel_u = up - u0
        panel = (
            (np.abs(rel_s) < cols * pw / 2)
            & (rel_u > 0)
            & (rel_u < rows * ph)
            & (np.sign(p.t) == face)
        )
        if not panel.any():
            return
        cells = np.maximum(lines(rel_s + cols * pw / 2, pw, m(0.03)), lines(rel_u, ph, m(0.03)))
        cell_grid = lines(rel_s, m(0.16), m(0.01)) * 0.3
        dark = vary(
            rng, ((0.1, 0.12, 0.2), (0.07, 0.07, 0.08), (0.14, 0.17, 0.27))[rng.integers(3)], 0.05
        )
        colour = mix(dark, (0.62, 0.63, 0.65), np.clip(cells + cell_grid, 0, 1))
        cv.paint(
            p.within(panel), colour, BUILDING, height=_on_roof(cv, p) + 0.12, feature="solar_panels"
        )
        return
    for _ in range(rng.integers(1, 4)):
        s0 = rng.uniform(-0.75, 0.75) * a
        u0 = rng.uniform(0.25, 0.6) * b
        w, h = m(rng.uniform(0.35, 0.6)), m(rng.uniform(0.5, 0.8))
        pane = (np.abs(p.s - s0) < w) & (np.abs(up - u0) < h) & (np.sign(p.t) == face)
        if not pane.any():
            continue
        frame = ~((np.abs(p.s - s0) < w - m(0.07)) & (np.abs(up - u0) < h - m(0.07)))
        glass = vary(rng, (0.16, 0.2, 0.26), 0.1)
        colour = np.where(frame[..., None], np.float32(0.55), glass)
        cv.paint(
            p.within(pane), colour, BUILDING, height=_on_roof(cv, p) + 0.05, feature="skylight"
        )


def _flat_furniture(cv: Canvas, p: Patch, a: float, b: float) -> None:
    """Plant, hatches, rooflight strips and tilted solar rows on a flat roof."""
    rng, m = cv.rng, cv.m
    base = _on_roof(cv, p)
    for _ in range(rng.poisson(1 + (a * b) / m(12) ** 2)):
        s0, t0 = rng.uniform(-0.75, 0.75) * a, rng.uniform(-0.75, 0.75) * b
        ha, hb = m(rng.uniform(0.4, 1.6)), m(rng.uniform(0.4, 1.2))
        box = (np.abs(p.s - s0) < ha) & (np.abs(p.t - t0) < hb)
        if not box.any():
            continue
        metal = vary(rng, (0.62, 0.63, 0.64), 0.08)
        ribs = lines(p.s - s0, m(0.15), m(0.03)) * 0.25
        colour = shaded(metal, 1 - ribs)
        cv.paint(
            p.within(box),
            colour,
            BUILDING,
            height=base + rng.uniform(0.5, 2.0),
            feature="roof_plant",
        )
    if rng.uniform() < 0.35:
        # Rooflights: a row of light, slightly blue domes or a glazed strip.
        t0 = rng.uniform(-0.4, 0.4) * b
        strip = (np.abs(p.t - t0) < m(rng.uniform(0.5, 1.5))) & (
            np.abs(p.s) < a * rng.uniform(0.3, 0.8)
        )
        glass = vary(rng, (0.7, 0.74, 0.78), 0.05)
        frames = lines(p.s, m(rng.uniform(1.2, 3.0)), m(0.1))
        cv.paint(
            p.within(strip),
            mix(glass, (0.4, 0.42, 0.45), frames),
            BUILDING,
            height=base + 0.4,
            feature="skylight",
        )
    if rng.uniform() < 0.35:
        # Solar rows on racks, tilted towards one side: each row rises 0 -> 0.8 m.
        row = m(rng.uniform(1.8, 2.8))
        depth = row * rng.uniform(0.45, 0.65)
        phase = np.mod(p.t + row / 2, row)
        on = (phase < depth) & (np.abs(p.s) < a * rng.uniform(0.4, 0.85)) & (np.abs(p.t) < b * 0.85)
        if on.any():
            dark = vary(rng, (0.1, 0.12, 0.21), 0.06)
            colour = mix(dark, (0.6, 0.6, 0.62), lines(p.s, m(1.0), m(0.04)))
            tilt = base + 0.15 + 0.7 * (phase / max(depth, 1))
            cv.paint(p.within(on), colour, BUILDING, height=tilt, feature="solar_panels")
