"""The scene plan: what goes where, by scene kind, in metres on a frame turned any way."""

from __future__ import annotations

import math

from ..canvas import Canvas
from .country import forest_edge, rural
from .frame import Frame, Later
from .town import suburb, town_centre

LAYOUTS = {
    "town_centre": town_centre,
    "suburb": suburb,
    "rural": rural,
    "forest_edge": forest_edge,
}


def lay_out(cv: Canvas, kind: str) -> None:
    """Paint a whole scene of ``kind``: ground, roads, buildings and clutter first, then
    snow, cars and crowns."""
    rng = cv.rng
    theta = (
        rng.uniform(0, math.pi / 2)
        if rng.uniform() < 0.7
        else float(rng.choice([0.0, math.pi / 2]))
    )
    later = Later()
    LAYOUTS[kind](cv, Frame(cv, float(theta)), later)
    later.paint(cv)
