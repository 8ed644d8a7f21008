"""Shadows, illumination, optics and sensor noise, applied after the labels are fixed."""

from __future__ import annotations

import numpy as np

from .canvas import BUILDING, TREE, Canvas, Scene
from .primitives import box_blur


def finish(cv: Canvas) -> Scene:
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
