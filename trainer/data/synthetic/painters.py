"""One painter per object kind: streets, parking, cars, buildings and roofs, trees, clutter."""

from __future__ import annotations

import math

import numpy as np

from .canvas import BUILDING, CAR, CLUTTER, IMPERVIOUS, TREE, Canvas, rgb
from .materials import CAR_COLOURS, ROOF_COLOURS, TREE_COLOURS, asphalt, markings, pavers
from .primitives import (
    Patch,
    blob_patch,
    cell_random,
    convex_hull,
    polygon_mask,
    rect_patch,
    value_noise,
)


def street(cv: Canvas, horizontal: bool, pos: float, width: float, walk: float) -> None:
    lay, big = cv.layout, cv.size * 0.75
    half = width / 2

    def band(lo: float, hi: float) -> Patch | None:
        if horizontal:
            return lay.rect(-big, big, pos + lo, pos + hi)
        return lay.rect(pos + lo, pos + hi, -big, big)

    for lo, hi in ((-half - walk, -half), (half, half + walk)):
        p = band(lo, hi)
        if p is not None:
            pavers(cv, p)
    road = band(-half, half)
    if road is None:
        return
    asphalt(cv, road)
    markings(cv, road, along_s=horizontal, dash=3, gap=6)
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
                car_layout(cv, u, v, 0.0 if horizontal else np.pi / 2)
            x += cv.m(cv.rng.uniform(5.5, 9)) if cv.rng.uniform() < 0.7 else cv.m(20)
    for _ in range(cv.rng.poisson(length / cv.m(60))):
        x = cv.rng.uniform(-big, big)
        off = cv.rng.choice([-1, 1]) * width / 4.2
        u, v = (x, pos + off) if horizontal else (pos + off, x)
        car_layout(cv, u, v, 0.0 if horizontal else np.pi / 2)


def parking(cv: Canvas, u0: float, u1: float, v0: float, v1: float) -> None:
    lay = cv.layout
    p = lay.rect(u0, u1, v0, v1)
    if p is None:
        return
    if cv.rng.uniform() < 0.6:
        asphalt(cv, p, tone=cv.rng.uniform(0.95, 1.1))
    else:
        pavers(cv, p, size_m=0.25)
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
                car_layout(cv, u + bay / 2, vr + depth / 2, np.pi / 2 + jitter)
            u += bay
            k += 1


# --- cars ---------------------------------------------------------------------------------------


def car_layout(cv: Canvas, u: float, v: float, phi: float) -> None:
    x, y = cv.layout.to_pixel(u, v)
    car(cv, x, y, cv.layout.theta + phi + (np.pi if cv.rng.uniform() < 0.5 else 0))


def car(cv: Canvas, x: float, y: float, angle: float) -> None:
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
    col = rgb(colour, shade)
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


def building(cv: Canvas, u0: float, u1: float, v0: float, v1: float, kind: str) -> None:
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
        cast_prism_shadow(cv, px, py, a, b, angle, height)
        if flat:
            flat_roof(cv, p, colour, name == "green")
        else:
            gable_roof(cv, p, colour, ridge_along_s=a >= b, angle=angle)


def cast_prism_shadow(
    cv: Canvas, x: float, y: float, a: float, b: float, angle: float, height_m: float
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


def gable_roof(cv: Canvas, p: Patch, colour: np.ndarray, ridge_along_s: bool, angle: float) -> None:
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
    col = rgb(colour, shade)
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


def flat_roof(cv: Canvas, p: Patch, colour: np.ndarray, green: bool) -> None:
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
    col = rgb(colour, shade)
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


def tree(cv: Canvas, x: float, y: float, radius_m: float) -> None:
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
    cv.paint(p, np.clip(rgb(colour, shade), 0, 1), TREE)
    # The crown's shadow on the ground, detached from it by the crown's height.
    height = rng.uniform(5, 12)
    off = cv.m(height * cv.style.shadow_per_m) * 0.8
    sh = blob_patch(rng, cv.size, x + dx * off, y + dy * off, r * 0.95, lumpiness=0.2)
    if sh is not None:
        cv.tree_shadow[sh.ys, sh.xs] |= sh.mask


def tree_layout(cv: Canvas, u: float, v: float, radius_m: float) -> None:
    """Queue a tree: crowns are drawn last, over roofs, roads and cars alike."""
    x, y = cv.layout.to_pixel(u, v)
    cv.trees.append((x, y, radius_m))


# --- clutter ------------------------------------------------------------------------------------


def clutter(cv: Canvas, x: float, y: float, size_m: float) -> None:
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


def clutter_layout(cv: Canvas, u: float, v: float, size_m: float) -> None:
    x, y = cv.layout.to_pixel(u, v)
    clutter(cv, x, y, size_m)
