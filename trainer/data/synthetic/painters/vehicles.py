"""Cars and vans of every common colour: body, cabin, glass, roof; their height casts the shadow."""

from __future__ import annotations

import numpy as np

from ..canvas import CAR, Canvas
from ..materials import grain, mix, shaded, texture, vary
from ..primitives import choose, rect_patch

CAR_COLOURS = {
    # name: (rgb, share of the fleet in %), roughly European registrations
    "white": ((0.86, 0.87, 0.88), 22),
    "black": ((0.07, 0.07, 0.08), 18),
    "silver": ((0.64, 0.65, 0.67), 15),
    "grey": ((0.40, 0.41, 0.43), 16),
    "blue": ((0.14, 0.22, 0.45), 8),
    "dark_blue": ((0.10, 0.12, 0.22), 4),
    "red": ((0.62, 0.10, 0.09), 8),
    "dark_red": ((0.38, 0.07, 0.09), 2),
    "green": ((0.18, 0.30, 0.22), 2),
    "beige": ((0.62, 0.57, 0.47), 2),
    "yellow": ((0.82, 0.66, 0.14), 12),
    "orange": ((0.78, 0.40, 0.12), 12),
    "brown": ((0.35, 0.24, 0.18), 12),
}
GLASS = (0.07, 0.08, 0.1)


def car(cv: Canvas, x: float, y: float, angle: float, van: bool | None = None) -> None:
    """A car (or van) centred at (x, y) px, its front towards ``angle``."""
    rng, m = cv.rng, cv.m
    van = rng.uniform() < 0.13 if van is None else van
    if van:
        length, width, roof_h = rng.uniform(4.8, 6.0), rng.uniform(1.9, 2.05), rng.uniform(1.9, 2.4)
    else:
        length, width, roof_h = rng.uniform(3.8, 4.9), rng.uniform(1.7, 1.9), rng.uniform(1.4, 1.6)
    a, b = m(length) / 2, m(width) / 2
    p = rect_patch(cv.size, x, y, a, b, angle, corner=m(0.35))
    if p is None:
        return
    name = choose(rng, {n: share for n, (_, share) in CAR_COLOURS.items()})
    body = vary(rng, CAR_COLOURS[name][0], 0.05)
    su = p.s / a  # -1 rear .. 1 front
    tu = np.abs(p.t) / b  # 0 centre line .. 1 side
    if van:
        screen, roof_front, roof_back = (0.68, 0.86), 0.68, -0.97
    else:
        front = rng.uniform(0.35, 0.5)
        screen, roof_front = (front - 0.25, front), front - 0.25
        roof_back = rng.uniform(-0.55, -0.4)
    rear_window = (roof_back - rng.uniform(0.15, 0.25), roof_back)
    # Height: body to the beltline, then the cabin, rounded at its sides.
    cabin = np.clip((su - rear_window[0]) / 0.2, 0, 1) * np.clip((screen[1] - su) / 0.25, 0, 1)
    side = np.clip((0.95 - tu) / 0.25, 0, 1)
    body_h = 0.7 + 0.15 * (1 - tu**4)
    height = body_h + (roof_h - body_h) * cabin * side
    # Paint: clear-coat sheen across the body, darker sills.
    colour = shaded(
        body, 1.02 - 0.2 * tu**6 + 0.03 * texture(cv, p.shape, 1, 2) + 0.02 * grain(cv, p.shape)
    )
    glass_mask = (
        ((su > screen[0]) & (su < screen[1])) | ((su > rear_window[0]) & (su < rear_window[1]))
    ) & (tu < 0.86)
    side_glass = (su > roof_back) & (su < roof_front) & (tu > 0.7) & (tu < 0.9)
    reflection = np.clip(0.5 + 0.5 * (su - screen[0]) / max(screen[1] - screen[0], 1e-3), 0, 1)
    glass = mix(vary(rng, GLASS, 0.1), (0.3, 0.33, 0.37), 0.35 * reflection * (su > screen[0]))
    colour = np.where((glass_mask | side_glass)[..., None], glass, colour)
    if not van and rng.uniform() < 0.15:  # a black or glass roof
        top = (su > roof_back) & (su < roof_front) & (tu < 0.65)
        colour = np.where(top[..., None], vary(rng, GLASS, 0.2), colour)
    if van and rng.uniform() < 0.4:  # roof bars
        bars = (np.abs(np.abs(su) - 0.5) < 0.02) & (tu < 0.8)
        colour = np.where(bars[..., None], np.float32(0.2), colour)
    # Rear and head lights, only visible at fine GSD.
    lamps = (np.abs(su) > 0.95) & (tu > 0.55) & (tu < 0.85)
    colour = np.where(
        (lamps & (su < 0))[..., None], np.asarray((0.55, 0.1, 0.08), np.float32), colour
    )
    colour = np.where(
        (lamps & (su > 0))[..., None], np.asarray((0.8, 0.8, 0.78), np.float32), colour
    )
    cv.paint(p, np.clip(colour, 0, 1), CAR, height=height, feature=f"car_{name}")
    if van:
        cv.note("van", cv.labels[p.ys, p.xs][p.mask])
