"""Surface colours and textures: grass, soil, asphalt, slabs, cobbles, gravel, concrete, roofs.

Each material returns the albedo of a patch (bbox x 3) for the scene's GSD: multi-octave
variation from metres down to the pixel, colour varying inside one surface, and repeating
structure (joints, courses, seams) sized in metres and faded out, not aliased, where it is
finer than the pixels can hold.
"""

from __future__ import annotations

import numpy as np

from .canvas import Canvas
from .primitives import Patch, cell_random, choose, fade, fbm, value_noise

Palette = dict[str, tuple[tuple[float, float, float], float]]

LAWN_GREEN = {
    "spring": (0.30, 0.47, 0.17),
    "summer": (0.31, 0.43, 0.19),
    "dry_summer": (0.36, 0.42, 0.22),
    "autumn": (0.33, 0.41, 0.21),
    "winter": (0.37, 0.40, 0.26),
}
DRY_GRASS = ((0.63, 0.56, 0.37), (0.55, 0.47, 0.33), (0.6, 0.58, 0.45))
SOILS: Palette = {
    "brown": ((0.45, 0.36, 0.27), 3.0),
    "dark": ((0.30, 0.24, 0.19), 2.0),
    "loess": ((0.62, 0.53, 0.41), 2.0),
    "sandy": ((0.68, 0.62, 0.50), 1.0),
    "grey": ((0.47, 0.44, 0.40), 1.0),
    # Dry silt and loam topsoil in sun: pale, nearly colourless, as light as concrete; under
    # a camera's automatic white balance dry fields often come out a neutral grey, the very
    # colour of paving, so colour alone cannot tell them apart.
    "dry_silt": ((0.66, 0.61, 0.57), 1.5),
    "pale_grey": ((0.60, 0.58, 0.56), 1.5),
    "ash": ((0.65, 0.64, 0.62), 1.5),
}
PAVING: Palette = {
    "grey": ((0.56, 0.55, 0.53), 4.0),
    "light": ((0.68, 0.67, 0.63), 2.0),
    "beige": ((0.66, 0.60, 0.50), 2.0),
    "red": ((0.58, 0.40, 0.34), 1.5),
    "anthracite": ((0.33, 0.33, 0.35), 1.5),
}
COBBLES: Palette = {
    "granite": ((0.52, 0.50, 0.48), 3.0),
    "basalt": ((0.30, 0.30, 0.31), 2.0),
    "mixed": ((0.56, 0.48, 0.43), 1.5),
    "sandstone": ((0.62, 0.56, 0.45), 1.0),
}
GRAVEL: Palette = {
    "beige": ((0.64, 0.58, 0.48), 3.0),
    "grey": ((0.56, 0.55, 0.53), 2.0),
    "red": ((0.55, 0.38, 0.30), 0.7),
    "white": ((0.78, 0.76, 0.72), 0.7),
}


def pick(rng: np.random.Generator, palette: Palette) -> tuple[str, np.ndarray]:
    name = choose(rng, {n: weight for n, (_, weight) in palette.items()})
    return name, np.asarray(palette[name][0], np.float32)


def vary(rng: np.random.Generator, colour, amount: float = 0.06) -> np.ndarray:
    """The same colour, a little lighter or darker and a little off in hue."""
    c = np.asarray(colour, np.float32)
    c = c * np.exp(rng.normal(0, amount, 3)).astype(np.float32)
    return np.clip(c * np.float32(np.exp(rng.normal(0, amount))), 0, 1)


def shaded(colour, shade: np.ndarray) -> np.ndarray:
    return np.asarray(shade, np.float32)[..., None] * np.asarray(colour, np.float32)


def mix(a, b, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend from colour(s) ``a`` to ``b`` by ``t`` (bbox-shaped)."""
    t = np.asarray(t, np.float32)[..., None]
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def texture(cv: Canvas, shape: tuple[int, int], size_m: float, octaves: int = 3) -> np.ndarray:
    """Multi-octave noise with its largest features ``size_m`` metres across; features
    smaller than a few pixels average out inside each pixel, so they are weaker."""
    cell = cv.m(size_m)
    return fbm(cv.rng, shape[0], shape[1], cell, octaves) * min(1.0, (cell / 4) ** 0.5)


def grain(cv: Canvas, shape: tuple[int, int]) -> np.ndarray:
    """Per-pixel texture, stronger at fine GSD (single blades and stones) than coarse."""
    strength = float(np.clip((0.06 / cv.gsd) ** 0.5, 0.4, 1.4))
    return strength * cv.rng.standard_normal(shape, dtype=np.float32)


def stripe(offset: np.ndarray, width: float) -> np.ndarray:
    """Anti-aliased coverage of one line ``width`` px wide where ``offset`` (px) is zero."""
    return np.clip(width / 2 + 0.5 - np.abs(offset), 0, min(width, 1.0)).astype(np.float32)


def lines(coord: np.ndarray, period: float, width: float) -> np.ndarray:
    """Anti-aliased coverage of lines ``width`` px wide every ``period`` px along ``coord``."""
    d = np.abs(np.mod(coord / period + 0.5, 1.0) - 0.5) * period
    return np.clip(width / 2 + 0.5 - d, 0, min(width, 1.0)) * fade(period)


# --- vegetation ground --------------------------------------------------------------------


def grass(cv: Canvas, p: Patch, dryness: float, meadow: bool = False) -> np.ndarray:
    """Lawn or meadow: green to straw by a patchy local dryness, clumps, blades, stripes."""
    rng, shape = cv.rng, p.shape
    green = vary(rng, LAWN_GREEN[cv.env.season], 0.06)
    dry = vary(rng, DRY_GRASS[rng.integers(len(DRY_GRASS))], 0.05)
    patches = texture(cv, shape, rng.uniform(4, 12), 4)
    spread = rng.uniform(0.15, 0.45)  # how patchy: even lawns to scorched spots
    local = np.clip(dryness + spread * patches + 0.1 * texture(cv, shape, 1.2, 2), 0, 1)
    colour = mix(green, dry, local**1.3)
    clumps = texture(cv, shape, 0.6 if meadow else 0.3, 2)
    shade = 1 + (0.12 if meadow else 0.08) * clumps + 0.07 * grain(cv, shape)
    if meadow:
        # Taller grass: darker tufts and a hue that wanders more.
        colour *= (1 + 0.08 * texture(cv, shape, 3, 2))[..., None]
        colour[..., 0] *= 1 + 0.06 * texture(cv, shape, 2, 2)
    elif rng.uniform() < 0.4:
        angle = rng.uniform(0, np.pi)
        coord = np.cos(angle) * p.s + np.sin(angle) * p.t
        width = cv.m(rng.uniform(0.5, 1.0))
        shade *= 1 + 0.05 * fade(width) * np.sign(np.sin(coord * np.pi / width))
    if rng.uniform() < 0.5:  # worn ground: bare soil shows through in patches
        worn = np.clip((texture(cv, shape, rng.uniform(1, 4), 3) - 0.55) * 4, 0, 1)
        colour = mix(colour, SOILS["brown"][0], worn * 0.7)
    return np.clip(shaded(colour, shade), 0, 1)


def soil(cv: Canvas, p: Patch, base=None) -> np.ndarray:
    """Bare soil: clods and grain, darker where wetter, lighter where it dried out."""
    rng, shape = cv.rng, p.shape
    base = vary(rng, pick(rng, SOILS)[1] if base is None else base, 0.05)
    wet = texture(cv, shape, rng.uniform(5, 20), 3)
    shade = 1 + 0.12 * wet + 0.08 * texture(cv, shape, 0.4, 2) + 0.09 * grain(cv, shape)
    colour = shaded(base, shade)
    colour[..., 2] *= 1 - 0.04 * wet
    return np.clip(colour, 0, 1)


# --- impervious surfaces ------------------------------------------------------------------


def asphalt(cv: Canvas, p: Patch, tone: float) -> np.ndarray:
    """Asphalt ``tone`` (0.2 new .. 0.5 old and bleached): aggregate, blotches, sealed cracks."""
    rng, shape = cv.rng, p.shape
    base = np.array((tone, tone, tone * rng.uniform(1.0, 1.05)), np.float32)
    shade = 1 + 0.06 * texture(cv, shape, rng.uniform(3, 8), 3) + 0.06 * grain(cv, shape)
    # Sealed cracks: thin contour lines of a noise, broken into separate runs by another.
    cracks = np.abs(value_noise(rng, shape[0], shape[1], cv.m(rng.uniform(1.5, 4))))
    runs = value_noise(rng, shape[0], shape[1], cv.m(rng.uniform(2, 5))) > rng.uniform(0.2, 0.8)
    crack_width = 0.012 * fade(cv.m(1.5))
    shade = np.where((cracks < crack_width) & runs, shade * 0.72, shade)
    return np.clip(shaded(base, shade), 0, 1)


def slabs(
    cv: Canvas, p: Patch, colour, size_m: float, oblong: float = 1.0, joint_m: float = 0.012
) -> np.ndarray:
    """Paving slabs or blocks ``size_m`` (x ``oblong``) in running bond, one tone each."""
    rng, shape = cv.rng, p.shape
    a, b = cv.m(size_m * oblong), cv.m(size_m)
    row = np.floor(p.t / b)
    shift = np.mod(row, 2) * 0.5 * a
    col = np.floor((p.s + shift) / a)
    tone = cell_random(row, col, rng.uniform(0, 100)) - 0.5
    joint = np.maximum(lines(p.t, b, cv.m(joint_m)), lines(p.s + shift, a, cv.m(joint_m)))
    stain = texture(cv, shape, rng.uniform(2, 6), 3)
    shade = (1 + 0.09 * tone * fade(min(a, b))) * (1 - 0.35 * joint)
    shade = shade * (1 + 0.05 * stain) + 0.04 * grain(cv, shape)
    return np.clip(shaded(vary(rng, colour, 0.04), shade), 0, 1)


def cobbles(cv: Canvas, p: Patch, colour, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Setts in rows: a rounded stone per cell with dark joints; returns colour and relief."""
    rng, shape = cv.rng, p.shape
    c = cv.m(size_m)
    row = np.floor(p.t / c)
    shift = cell_random(row, row * 0 + 1, 3.3) * c
    col = np.floor((p.s + shift) / c)
    fs = np.mod(p.s + shift, c) / c - 0.5
    ft = np.mod(p.t, c) / c - 0.5
    r = np.maximum(np.abs(fs), np.abs(ft)) * 0.7 + np.sqrt(fs * fs + ft * ft) * 0.3
    stone = np.clip((0.47 - r) * c, 0, 1) * fade(c) + (1 - fade(c)) * 0.8
    salt = rng.uniform(0, 100)
    tone = cell_random(row, col, salt) - 0.5
    hue = cell_random(col, row, salt + 1) - 0.5
    base = vary(rng, colour, 0.04)
    colour_px = shaded(base, 1 + 0.3 * tone * fade(c))
    colour_px[..., 0] *= 1 + 0.08 * hue * fade(c)
    joint_colour = np.asarray((0.36, 0.33, 0.29), np.float32)
    colour_px = mix(joint_colour, colour_px, stone)
    colour_px *= (1 + 0.05 * texture(cv, shape, 3, 2) + 0.04 * grain(cv, shape))[..., None]
    relief = 0.015 * stone * (1 - 2 * r) * fade(c)
    return np.clip(colour_px, 0, 1), relief.astype(np.float32)


def gravel(cv: Canvas, p: Patch, colour) -> np.ndarray:
    """Loose gravel: strong speckle, ruts and puddle-dark blotches."""
    rng, shape = cv.rng, p.shape
    speck = grain(cv, shape)
    shade = 1 + 0.13 * speck + 0.07 * texture(cv, shape, rng.uniform(1, 4), 3)
    shade = np.where(speck > 1.6, shade * 1.15, np.where(speck < -1.6, shade * 0.8, shade))
    return np.clip(shaded(vary(rng, colour, 0.05), shade), 0, 1)


def concrete(cv: Canvas, p: Patch, colour) -> np.ndarray:
    """Cast concrete in bays of a few metres, sawn joints, stains."""
    rng, shape = cv.rng, p.shape
    bay = cv.m(rng.uniform(3, 6))
    joint = np.maximum(lines(p.s, bay, cv.m(0.015)), lines(p.t, bay, cv.m(0.015)))
    bay_tone = cell_random(np.floor(p.s / bay), np.floor(p.t / bay), rng.uniform(0, 50)) - 0.5
    shade = (1 + 0.05 * bay_tone + 0.08 * texture(cv, shape, rng.uniform(2, 6), 4)) * (
        1 - 0.3 * joint
    ) + 0.035 * grain(cv, shape)
    return np.clip(shaded(vary(rng, colour, 0.04), shade), 0, 1)
