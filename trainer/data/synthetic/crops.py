"""Fields in rows: maize, cereals, rapeseed, young crops, stubble, ploughed land, seedbeds.

Each crop returns albedo and relief (metres) for a field patch whose ``s`` runs along the
rows and ``t`` across them. The relief matters: maize plants two metres tall cast shadows
into the inter-rows and furrows are lit on one flank, as in real imagery. All of it is low
vegetation in the ISPRS convention, bare ploughed soil included.
"""

from __future__ import annotations

import numpy as np

from .canvas import Canvas
from .materials import SOILS, grain, lines, mix, pick, shaded, soil, texture, vary
from .primitives import Patch, cell_random, choose, fade

CROPS_BY_SEASON = {
    # crop: weight, per season
    # Ploughed in spring and summer: mostly potato ridges before the haulm closes over them.
    "spring": {"young": 3, "rapeseed": 2, "cereal": 2, "seedbed": 2, "ploughed": 2, "maize": 1},
    "summer": {"cereal": 4, "maize": 3, "stubble": 1.5, "rapeseed": 1, "ploughed": 1.5},
    "dry_summer": {"cereal": 3, "stubble": 3, "maize": 3, "ploughed": 1, "seedbed": 0.5},
    "autumn": {"stubble": 3, "ploughed": 3, "maize": 2, "young": 2, "seedbed": 1},
    "winter": {"ploughed": 3, "young": 3, "stubble": 2.5, "seedbed": 1, "maize": 0.3},
}


def choose_crop(rng: np.random.Generator, season: str) -> str:
    return choose(rng, CROPS_BY_SEASON[season])


def crop(cv: Canvas, p: Patch, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Albedo (bbox x 3) and relief (bbox, metres) of a field of ``kind``."""
    return {
        "maize": maize,
        "cereal": cereal,
        "rapeseed": rapeseed,
        "young": young_crop,
        "stubble": stubble,
        "ploughed": ploughed,
        "seedbed": seedbed,
    }[kind](cv, p)


def _soil_between(cv: Canvas, p: Patch) -> np.ndarray:
    return soil(cv, p, pick(cv.rng, SOILS)[1])


def maize(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Maize in rows 70-80 cm apart: star-shaped plants of six to ten leaves over soil."""
    rng = cv.rng
    stage = rng.uniform(0.15, 1.0) if cv.env.season != "spring" else rng.uniform(0.05, 0.3)
    row = cv.m(rng.uniform(0.7, 0.8))
    step = cv.m(rng.uniform(0.14, 0.2))
    radius = cv.m(0.12 + 0.5 * stage)
    tall = 0.2 + 2.4 * stage
    ground = _soil_between(cv, p)
    turned = stage > 0.85 and cv.env.season in ("autumn", "dry_summer")
    leaf = vary(rng, (0.50, 0.52, 0.26) if turned else (0.40, 0.55, 0.22), 0.06)
    detail = fade(row, 5.0)
    cover = np.zeros(p.shape, np.float32)
    bright = np.zeros(p.shape, np.float32)
    if detail > 0:
        r = np.round(p.t / row)
        dt = p.t - r * row
        salt = rng.uniform(0, 100)
        offset = cell_random(r, r * 0, salt) * step
        k0 = np.round((p.s - offset) / step)
        for dk in (-1, 0, 1):
            k = k0 + dk
            jit_s = (cell_random(r, k, salt + 1) - 0.5) * 0.5 * step
            jit_t = (cell_random(k, r, salt + 2) - 0.5) * 0.15 * row
            ds = p.s - offset - k * step - jit_s
            dtt = dt - jit_t
            size = radius * (0.7 + 0.6 * cell_random(r, k, salt + 3))
            rho = np.sqrt(ds * ds + dtt * dtt) / size
            phase = cell_random(k, r, salt + 4) * np.pi
            ang = np.arctan2(dtt, ds)
            star = np.abs(np.cos(4 * ang + phase)) ** 2.5
            # Long thin leaves: coverage where the radius is under the leaf's reach.
            leafy = np.clip((star * 1.15 + 0.25 - rho) * size / 1.5, 0, 1) * (rho < 1)
            core = np.clip((0.25 - rho) * size, 0, 1)
            this = np.maximum(leafy, core)
            bright = np.maximum(bright, this * (1 - rho))
            cover = np.maximum(cover, this)
    mean_cover = np.float32(min(1.0, 0.15 + 0.9 * stage))
    cover = detail * cover + (1 - detail) * mean_cover * (1 + 0.2 * texture(cv, p.shape, 4, 2))
    green = shaded(leaf, 0.8 + 0.45 * bright + 0.06 * grain(cv, p.shape))
    green *= (1 + 0.08 * texture(cv, p.shape, rng.uniform(3, 10), 3))[..., None]
    colour = mix(ground, green, np.clip(cover, 0, 1))
    relief = tall * np.clip(cover, 0, 1) * (0.6 + 0.4 * bright)
    return np.clip(colour, 0, 1), relief.astype(np.float32)


CEREAL_STAGES = (
    (0.33, 0.47, 0.2),  # green
    (0.45, 0.5, 0.25),  # yellowing
    (0.7, 0.62, 0.38),  # ripe gold
    (0.62, 0.58, 0.42),  # ripe, pale barley
)


def _tramlines(cv: Canvas, p: Patch) -> np.ndarray:
    """Tractor tramlines: pairs of wheel tracks every 15-36 m across the rows."""
    rng = cv.rng
    spacing = cv.m(rng.choice([15, 18, 20, 24, 28, 36]))
    gauge = cv.m(rng.uniform(1.5, 2.0))
    offset = rng.uniform(0, spacing)
    width = cv.m(rng.uniform(0.3, 0.5))
    return np.maximum(
        lines(p.t - offset - gauge / 2, spacing, width),
        lines(p.t - offset + gauge / 2, spacing, width),
    )


def cereal(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Wheat or barley: a fine drill pattern, slow colour waves, tramlines, lodged patches."""
    rng = cv.rng
    weights = (4, 1, 1, 0.5) if cv.env.season in ("spring", "summer") else (1, 1, 3, 2)
    base = vary(rng, CEREAL_STAGES[choose(rng, dict(enumerate(weights)))], 0.05)
    waves = texture(cv, p.shape, rng.uniform(5, 25), 4)
    drill = lines(p.t, cv.m(rng.uniform(0.12, 0.17)), cv.m(0.04))
    shade = 1 + 0.07 * waves - 0.12 * drill + 0.05 * grain(cv, p.shape)
    colour = shaded(base, shade)
    colour[..., 1] *= 1 + 0.04 * texture(cv, p.shape, rng.uniform(8, 30), 3)
    lodged = np.clip((texture(cv, p.shape, rng.uniform(3, 8), 3) - 0.7) * 4, 0, 1)
    colour = mix(colour, np.clip(base * 1.1, 0, 1), lodged * (rng.uniform() < 0.25))
    tracks = _tramlines(cv, p) * rng.uniform(0.3, 1.0)
    colour = mix(colour, np.clip(base * 0.8, 0, 1), tracks)
    relief = (0.8 - 0.6 * tracks - 0.4 * lodged + 0.03 * waves).astype(np.float32)
    return np.clip(colour, 0, 1), relief


def rapeseed(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Oilseed rape: bright yellow in flower (spring), otherwise broad blue-green leaves."""
    rng = cv.rng
    flowering = cv.env.season == "spring" and rng.uniform() < 0.7
    leaves = vary(rng, (0.30, 0.44, 0.24), 0.05)
    bloom = vary(rng, (0.85, 0.78, 0.22), 0.05)
    clumps = texture(cv, p.shape, 0.25, 2)
    cover = np.clip(0.75 + 0.3 * texture(cv, p.shape, rng.uniform(4, 12), 3), 0, 1)
    colour = mix(leaves, bloom, cover if flowering else cover * 0)
    colour = shaded(colour, 1 + 0.1 * clumps + 0.05 * grain(cv, p.shape))
    colour = mix(colour, np.clip(leaves * 0.7, 0, 1), _tramlines(cv, p))
    return np.clip(colour, 0, 1), (1.2 * cover + 0.08 * clumps).astype(np.float32)


def young_crop(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Emerging cereal or grass: thin green drill rows over brown soil."""
    rng = cv.rng
    ground = _soil_between(cv, p)
    green = vary(rng, (0.28, 0.45, 0.18), 0.06)
    rows = lines(p.t, cv.m(rng.uniform(0.12, 0.2)), cv.m(rng.uniform(0.03, 0.07)))
    density = np.clip(
        rng.uniform(0.35, 0.8) + 0.3 * texture(cv, p.shape, rng.uniform(4, 15), 3), 0, 1
    )
    # Below the rows' resolution the field is a green-brown average.
    amount = density * (rows + (1 - fade(cv.m(0.15))) * 0.45)
    colour = mix(ground, green, np.clip(amount + 0.05 * grain(cv, p.shape), 0, 1))
    colour = mix(colour, ground, _tramlines(cv, p) * 0.8)
    return np.clip(colour, 0, 1), (0.1 * amount).astype(np.float32)


def stubble(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Harvested field: pale straw lying in ridges along the rows, dark stubble and soil
    between, fibrous at a fine GSD, with swaths of chopped straw and tramlines."""
    rng = cv.rng
    straws = (
        (0.68, 0.64, 0.53), (0.76, 0.74, 0.69), (0.72, 0.62, 0.42), (0.66, 0.65, 0.62),
        (0.80, 0.79, 0.76),
    )  # fmt: skip
    straw = vary(rng, straws[rng.integers(len(straws))], 0.05)
    ground = soil(cv, p, np.clip(straw * rng.uniform(0.5, 0.8), 0, 1))
    period = cv.m(rng.choice([0.15, 0.17, 0.5, 0.6, 0.75]))
    phase = (p.t + texture(cv, p.shape, rng.uniform(2, 6), 2) * cv.m(0.05)) / period
    ridges = (0.5 + 0.5 * np.cos(2 * np.pi * phase)) ** rng.uniform(0.5, 2.0)
    ridges = fade(period) * ridges + (1 - fade(period)) * 0.6
    # Fibres: strong speckle at a few centimetres, stalks a little coarser.
    fibres = 0.16 * grain(cv, p.shape) + 0.12 * texture(cv, p.shape, 0.06, 2)
    cover = np.clip(
        rng.uniform(0.45, 0.85) + 0.2 * texture(cv, p.shape, rng.uniform(2, 8), 3), 0, 1
    )
    amount = np.clip(cover * (0.35 + 0.65 * ridges) + 0.5 * fibres, 0, 1)
    colour = shaded(mix(ground, straw, amount), 1 + fibres)
    if rng.uniform() < 0.5:  # swaths of chopped straw
        swath = lines(
            p.t - rng.uniform(0, 100), cv.m(rng.uniform(3, 9)), cv.m(rng.uniform(0.6, 1.5))
        )
        colour = mix(colour, np.clip(straw * 1.1, 0, 1), swath * 0.6)
    colour = mix(colour, ground, _tramlines(cv, p) * 0.5)
    return np.clip(colour, 0, 1), (0.08 * ridges * cover).astype(np.float32)


def ploughed(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Ploughed land: furrows 30-50 cm apart, or ridges and beds 70-160 cm apart (potato
    ridges 75-90 cm, ridge-tilled rows, bed-formed vegetables and strawberries up to 1.6 m),
    lit on one flank, clods, wetter in the troughs. Real ploughed soil is strongly textured,
    and its ridges stay visible at 20 cm (a 1 m ridge is 5 pixels there; a 60 cm one nearly
    averages away): that, not its colour (dry soil can be as pale as concrete), is what tells
    a field from a gravel track."""
    rng = cv.rng
    ridged = rng.uniform() < (0.7 if cv.env.season in ("spring", "summer") else 0.3)
    period = cv.m(rng.uniform(0.7, 1.6) if ridged else rng.uniform(0.3, 0.5))
    depth = rng.uniform(0.1, 0.25) if ridged else rng.uniform(0.06, 0.14)
    wobble = texture(cv, p.shape, rng.uniform(3, 10), 2) * cv.m(0.15)
    phase = (p.t + wobble) / period * 2 * np.pi
    profile = np.sin(phase) + 0.3 * np.sin(2 * phase)
    clods = texture(cv, p.shape, 0.15, 2) + 0.6 * texture(cv, p.shape, 0.5, 2)
    contrast = rng.uniform(0.08, 0.22)
    base = soil(cv, p)
    colour = shaded(base, 1 + contrast * profile * fade(period) + rng.uniform(0.05, 0.12) * clods)
    relief = (depth * profile * fade(period) + 0.03 * clods + depth).astype(np.float32)
    return np.clip(colour, 0, 1), relief


def seedbed(cv: Canvas, p: Patch) -> tuple[np.ndarray, np.ndarray]:
    """Harrowed, drilled bare soil: fine and even, faint drill lines, wheel marks."""
    rng = cv.rng
    base = soil(cv, p)
    drill = lines(p.t, cv.m(rng.uniform(0.12, 0.25)), cv.m(0.03))
    colour = shaded(base, 1 - 0.08 * drill)
    colour = mix(colour, np.clip(base * 0.85, 0, 1), _tramlines(cv, p))
    return np.clip(colour, 0, 1), (0.02 * texture(cv, p.shape, 0.2, 2)).astype(np.float32)
