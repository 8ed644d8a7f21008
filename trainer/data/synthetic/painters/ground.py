"""Open ground: lawns and meadows, crop fields, bare soil, snow patches, water."""

from __future__ import annotations

import numpy as np

from ..canvas import BUILDING, CLUTTER, IMPERVIOUS, LOW_VEGETATION, Canvas
from ..crops import crop
from ..materials import grain, grass, mix, shaded, soil, texture, vary
from ..primitives import Patch, blob_patch, full_patch, rect_patch


def lawn(cv: Canvas, p: Patch, meadow: bool = False, dryness: float | None = None) -> None:
    """Grass: a lawn (mown, stripes, worn spots) or a meadow; straw-brown when dry."""
    dry = cv.env.lawn_dryness if dryness is None else dryness
    dry = float(np.clip(dry + cv.rng.normal(0, 0.12), 0, 1))
    name = "meadow" if meadow else ("dry_lawn" if dry > 0.5 else "lawn")
    cv.paint(p, grass(cv, p, dry, meadow), LOW_VEGETATION, height=0.0, feature=name)


def field(cv: Canvas, p: Patch, kind: str) -> None:
    """A crop field (rows along the patch's ``s``); its plants' heights cast shadows."""
    colour, relief = crop(cv, p, kind)
    cv.paint(p, colour, LOW_VEGETATION, height=relief, feature=f"crop_{kind}")


def bare_soil(cv: Canvas, p: Patch) -> None:
    """Garden beds, field margins: bare soil, low vegetation in the ISPRS convention."""
    cv.paint(p, soil(cv, p), LOW_VEGETATION, height=0.0, feature="bare_soil")


def snow(cv: Canvas) -> None:
    """Lying snow in patches over open ground and roofs (labels stay what is beneath)."""
    if cv.env.snow <= 0:
        return
    rng, n = cv.rng, cv.size
    full = full_patch(n)
    lumps = texture(cv, (n, n), rng.uniform(4, 20), 5)
    threshold = np.quantile(lumps[:: max(1, n // 200), :: max(1, n // 200)], 1 - cv.env.snow)
    # Soft rims where grass tips and clods poke through, denser in hollows (furrows).
    hollows = np.clip(1 - cv.height * 4, 0, 1)
    cover = np.clip(
        (lumps - threshold) * rng.uniform(2, 5) + 0.25 * grain(cv, (n, n)) * hollows, 0, 1
    )
    # Snow lies on grass, fields and roofs; roads and paths are cleared or trodden grey.
    open_ground = np.isin(cv.labels, (LOW_VEGETATION, BUILDING)).astype(np.float32)
    cover *= open_ground + 0.25 * (cv.labels == IMPERVIOUS)
    white = shaded(vary(rng, (0.9, 0.92, 0.95), 0.02), 1 + 0.03 * grain(cv, (n, n)))
    # Thin snow lets the grass show through at its rim.
    cv.paint(full, white, None, opacity=np.clip(cover * 1.3, 0, 0.97))
    cv.note("snow", cv.labels[cover > 0.5])


def pond(cv: Canvas, x: float, y: float, radius_m: float) -> None:
    """A pond: dark, slightly green water with a muddy rim (clutter in Potsdam's labels)."""
    rng = cv.rng
    p = blob_patch(rng, cv.size, x, y, cv.m(radius_m), lumpiness=0.3)
    if p is None:
        return
    rho = np.sqrt(p.s * p.s + p.t * p.t)
    water = vary(rng, (0.16, 0.22, 0.2), 0.1)
    colour = shaded(water, 1 + 0.06 * texture(cv, p.shape, radius_m, 3))
    colour = mix(colour, (0.36, 0.33, 0.26), np.clip((rho - 0.85) * 5, 0, 1))
    cv.paint(p, colour, CLUTTER, height=0.0, feature="pond")


def pool(cv: Canvas, x: float, y: float, angle: float) -> None:
    """A garden swimming pool: turquoise water inside a light stone surround (clutter)."""
    rng = cv.rng
    a, b = cv.m(rng.uniform(2, 5)), cv.m(rng.uniform(1.5, 2.5))
    rim = cv.m(0.35)
    outer = rect_patch(cv.size, x, y, a + rim, b + rim, angle)
    inner = rect_patch(cv.size, x, y, a, b, angle, corner=cv.m(0.3) * rng.uniform(0, 3))
    if outer is None or inner is None:
        return
    cv.paint(outer, vary(rng, (0.75, 0.74, 0.7), 0.04), CLUTTER, height=0.0)
    depth = np.clip(1 - np.abs(inner.s) / max(a, 1), 0, 1)
    water = vary(rng, (0.35, 0.68, 0.74), 0.07)
    ripple = 0.04 * texture(cv, inner.shape, 0.8, 2)
    cv.paint(inner, shaded(water, 0.9 + 0.12 * depth + ripple), CLUTTER, feature="pool")
