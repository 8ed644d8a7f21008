"""Sunlight and skylight on the painted heights: shading, cast shadows, ambient occlusion.

One sun per scene (elevation and azimuth from the environment) lights every surface through
the height layer, so roof faces, crowns, furrows and plants are shaded, and buildings, trees,
cars, chimneys and maize plants cast shadows of the right length and direction onto whatever
is beneath them. Shadows keep the skylight (bluish), as in real imagery.
"""

from __future__ import annotations

import math

import numpy as np

from .canvas import Environment
from .primitives import box_blur, gaussian_blur

SUN_COLOUR = np.array((1.02, 1.0, 0.95), np.float32)
CLEAR_SKY = np.array((0.8, 0.93, 1.25), np.float32)  # shadows under a blue sky are blue
OVERCAST_SKY = np.array((0.98, 1.0, 1.03), np.float32)
WALL_SLOPE = math.tan(math.radians(75))  # steeper than this is a wall: lit as flat ground


def _shift(a: np.ndarray, dx: int, dy: int, fill: float) -> np.ndarray:
    """``out[y, x] = a[y + dy, x + dx]`` (what lies ``(dx, dy)`` away), ``fill`` outside."""
    h, w = a.shape
    out = np.full_like(a, fill)
    if abs(dx) >= w or abs(dy) >= h:
        return out
    ys_dst = slice(max(-dy, 0), h - max(dy, 0))
    xs_dst = slice(max(-dx, 0), w - max(dx, 0))
    ys_src = slice(max(dy, 0), h - max(-dy, 0))
    xs_src = slice(max(dx, 0), w - max(-dx, 0))
    out[ys_dst, xs_dst] = a[ys_src, xs_src]
    return out


def cast_shadow(height: np.ndarray, gsd: float, env: Environment) -> np.ndarray:
    """Share of the sun hidden at each pixel (0 lit .. 1 in shadow).

    A pixel is in shadow when some pixel towards the sun, ``d`` pixels away, rises above the
    sun ray: ``h(p + d u) - h(p) > d * gsd * tan(elevation)``. The running maximum over
    ``d`` is built by doubling (``d`` < 1, 2, 4, ...), so a shadow of any length costs a
    dozen whole-image maxima.
    """
    ux, uy, uz = env.to_sun()
    horizontal = math.hypot(ux, uy)
    peak = float(height.max())
    if peak <= 0 or horizontal < 1e-6:
        return np.zeros(height.shape, np.float32)
    dx, dy = ux / horizontal, uy / horizontal
    rise = gsd * uz / horizontal  # metres the ray climbs per pixel
    longest = min(peak / rise, 2.0 * max(height.shape))
    reach = height.astype(np.float32)
    step = 1
    while step <= longest:
        ahead = _shift(reach, round(dx * step), round(dy * step), -1e9) - step * rise
        np.maximum(reach, ahead, out=reach)
        step *= 2
    # Heights within a few centimetres of the ray are lit (no shadow acne on slopes).
    return np.clip((reach - height - 0.02) / 0.1, 0.0, 1.0)


def direct_factor(height: np.ndarray, gsd: float, env: Environment) -> np.ndarray:
    """Lambert factor of each surface relative to flat ground (1 on flat ground)."""
    gy, gx = np.gradient(height)
    gx /= gsd
    gy /= gsd
    wall = gx * gx + gy * gy > WALL_SLOPE * WALL_SLOPE
    gx[wall] = 0
    gy[wall] = 0
    ux, uy, uz = env.to_sun()
    lambert = (-gx * ux - gy * uy + uz) / np.sqrt(gx * gx + gy * gy + 1)
    return np.clip(lambert / uz, 0.0, 3.0)


def ambient_occlusion(height: np.ndarray, gsd: float) -> np.ndarray:
    """Less skylight where the surroundings stand above a pixel (wall feet, gaps in crowns)."""
    r = max(1, round(1.5 / gsd))
    if height.max() <= 0:
        return np.ones(height.shape, np.float32)
    around = box_blur(box_blur(height, r), r)
    return np.clip(1.0 - 0.12 * np.maximum(around - height, 0.0), 0.55, 1.0)


def illuminate(albedo: np.ndarray, height: np.ndarray, gsd: float, env: Environment) -> np.ndarray:
    """Radiance (about 1 for white flat ground in the sun): albedo x (sun + sky)."""
    shadow = cast_shadow(height, gsd, env)
    # The penumbra: a few centimetres wide for the sun's half-degree disc, then the optics.
    shadow = gaussian_blur(shadow, max(0.6, 0.08 / gsd))
    sun = direct_factor(height, gsd, env) * (1.0 - shadow) * env.direct
    sky = ambient_occlusion(height, gsd) * (1.0 - env.direct)
    clear = float(np.clip((env.direct - 0.15) / 0.6, 0, 1))
    sky_colour = OVERCAST_SKY + (CLEAR_SKY - OVERCAST_SKY) * clear
    light = sun[..., None] * SUN_COLOUR + sky[..., None] * sky_colour
    return albedo * light
