"""The street grid's frame: layout coordinates rotated onto the image."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .primitives import Patch, rect_patch


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
