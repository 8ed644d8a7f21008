"""One synthetic scene from a seeded generator: plan, paint, light, camera."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .canvas import SCENE_KINDS, SEASONS, Canvas, Environment, Scene
from .layout import lay_out
from .light import illuminate
from .primitives import choose
from .sensor import Camera, expose

KIND_WEIGHTS = {"town_centre": 0.25, "suburb": 0.3, "rural": 0.3, "forest_edge": 0.15}
DEFAULT_GSD_CM = (3.0, 30.0)


@dataclass(frozen=True)
class SceneOptions:
    """What a run of scenes may draw from: GSD range (cm), scene kinds and seasons."""

    gsd_cm: tuple[float, float] = DEFAULT_GSD_CM
    kinds: tuple[str, ...] = SCENE_KINDS
    seasons: tuple[str, ...] = SEASONS

    def __post_init__(self) -> None:
        lo, hi = self.gsd_cm
        if not 1.0 <= lo <= hi <= 100.0:
            raise ValueError(f"GSD range must lie within 1-100 cm, low to high; got {lo:g}:{hi:g}")
        unknown = set(self.kinds) - set(SCENE_KINDS) or set(self.seasons) - set(SEASONS)
        if unknown or not self.kinds or not self.seasons:
            raise ValueError(
                f"unknown or no scene kinds/seasons {sorted(unknown)}; kinds: "
                f"{', '.join(SCENE_KINDS)}; seasons: {', '.join(SEASONS)}"
            )


@dataclass(frozen=True)
class ScenePlan:
    """What one scene is: its kind, season and ground sampling distance."""

    kind: str
    season: str
    gsd_m: float

    @classmethod
    def draw(cls, rng: np.random.Generator, options: SceneOptions) -> ScenePlan:
        kind = choose(rng, {k: KIND_WEIGHTS[k] for k in options.kinds})
        season = options.seasons[rng.integers(len(options.seasons))]
        lo, hi = options.gsd_cm
        # Log-uniform: as many scenes from 3-6 cm as from 15-30 cm.
        gsd = math.exp(rng.uniform(math.log(lo), math.log(hi))) / 100
        return cls(str(kind), str(season), round(gsd, 4))


def generate_scene(
    size: int,
    rng: np.random.Generator,
    plan: ScenePlan | None = None,
    options: SceneOptions | None = None,
) -> Scene:
    """Render one ``size`` x ``size`` scene: RGB uint8, class indices, and what it shows."""
    plan = plan or ScenePlan.draw(rng, options or SceneOptions())
    env = Environment.draw(rng, plan.season)
    cv = Canvas(rng, size, plan.gsd_m, env)
    lay_out(cv, plan.kind)
    radiance = illuminate(cv.albedo, cv.height, cv.gsd, env)
    camera = Camera.draw(rng, cv.gsd)
    image = expose(radiance, camera, rng)
    for effect in camera.effects():
        cv.note(f"sensor_{effect}")
    cv.note(f"kind_{plan.kind}")
    cv.note(f"season_{plan.season}")
    if env.sun_elevation < math.radians(25):
        cv.note("low_sun")
    return Scene(image, cv.labels, plan.gsd_m, plan.kind, plan.season, cv.features)
