"""Synthetic scenes v2: every feature is drawn in some small scene, labelled by ISPRS Potsdam's
conventions, deterministic by seed; shadows follow the sun; the camera never touches labels."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trainer.data.synthetic import (
    CAR,
    LOW_VEGETATION,
    SCENE_KINDS,
    SEASONS,
    TREE,
    ScenePlan,
    generate_scene,
)
from trainer.data.synthetic import generate as generate_module
from trainer.data.synthetic.canvas import Environment
from trainer.data.synthetic.features import FEATURE_CLASSES
from trainer.data.synthetic.light import cast_shadow
from trainer.data.synthetic.sensor import Camera

# Small scenes, each kind in each season, round after round (in a fixed order, so the test
# is deterministic) until every feature has turned up; a feature that needs more than five
# rounds is too rare to be worth a class of its own.
GSD = {"town_centre": 0.12, "suburb": 0.1, "rural": 0.3, "forest_edge": 0.15}
ROUNDS = 5
SUITE = [
    (rep, k, ScenePlan(kind, season, GSD[kind]))
    for rep in range(ROUNDS)
    for k, (kind, season) in enumerate(itertools.product(SCENE_KINDS, SEASONS))
]


def _scene(rep: int, k: int, plan: ScenePlan):
    return generate_scene(320, np.random.default_rng([7, rep, k]), plan=plan)


@pytest.fixture(scope="module")
def suite_features() -> dict[str, np.ndarray]:
    """Feature -> pixels per class it was painted over, summed over the scenes drawn."""
    seen: dict[str, np.ndarray] = {}
    for rep, k, plan in SUITE:
        scene = _scene(rep, k, plan)
        for name, counts in scene.features.items():
            seen[name] = seen.get(name, 0) + counts
        if k == len(SCENE_KINDS) * len(SEASONS) - 1 and set(FEATURE_CLASSES) <= set(seen):
            break  # a whole round done and everything seen
    return seen


def test_every_feature_appears_in_some_test_scene(suite_features):
    missing = sorted(set(FEATURE_CLASSES) - set(suite_features))
    assert not missing, f"never drawn in the test scenes: {missing}"
    unknown = sorted(set(suite_features) - set(FEATURE_CLASSES))
    assert not unknown, f"drawn but not catalogued in features.py: {unknown}"


def test_features_carry_isprs_labels(suite_features):
    """Bare crowns are tree, ploughed land and snow-covered lawn low vegetation, and so on."""
    for name, classes in FEATURE_CLASSES.items():
        counts = suite_features[name]
        if classes is None:
            continue
        assert counts.sum() > 0, name
        share = counts[sorted(classes)].sum() / counts.sum()
        assert share > 0.95, (name, counts.tolist())
    assert suite_features["leaf_off_tree"][TREE] > 1000
    assert suite_features["crop_ploughed"][LOW_VEGETATION] > 1000
    assert suite_features["snow"][LOW_VEGETATION] > 1000
    assert suite_features["car_red"][CAR] > 0


@pytest.mark.parametrize("index", [3, 9, 17, 24])
def test_same_seed_same_scene_for_each_kind(index):
    rep, k, plan = SUITE[index]
    a, b = _scene(rep, k, plan), _scene(rep, k, plan)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert {n: c.tolist() for n, c in a.features.items()} == {
        n: c.tolist() for n, c in b.features.items()
    }
    c = generate_scene(320, np.random.default_rng([8, rep, k]), plan=plan)
    assert not np.array_equal(a.image, c.image)


def test_objects_are_sized_in_metres_whatever_the_gsd():
    """The same plan at twice the GSD covers four times the ground: cars stay car-sized, so
    their share of the image stays about the same while their pixel count drops."""
    shares = []
    for gsd in (0.06, 0.12):
        plan = ScenePlan("town_centre", "summer", gsd)
        labels = np.concatenate(
            [generate_scene(400, np.random.default_rng([1, s]), plan=plan).labels for s in range(3)]
        )
        shares.append(np.mean(labels == CAR))
    assert 0.4 < shares[0] / shares[1] < 2.5, shares


def test_sensor_effects_come_after_the_labels(monkeypatch):
    """A plain camera gives another image but the very same labels: no blur or noise of the
    camera ever reaches them."""
    plan = ScenePlan("suburb", "summer", 0.1)
    normal = generate_scene(256, np.random.default_rng(3), plan=plan)
    real_draw = Camera.draw

    def plain(rng, gsd):
        camera = real_draw(rng, gsd)
        camera.blur_sigma, camera.jpeg_quality, camera.haze = 0.0, 0, 0.0
        return camera

    monkeypatch.setattr(generate_module.Camera, "draw", staticmethod(plain))
    other = generate_scene(256, np.random.default_rng(3), plan=plan)
    assert np.array_equal(normal.labels, other.labels)
    assert not np.array_equal(normal.image, other.image)
    assert set(np.unique(normal.labels)) <= set(range(6))


@pytest.mark.parametrize(("azimuth", "direction"), [(180, (0, -1)), (90, (-1, 0)), (0, (0, 1))])
@pytest.mark.parametrize("elevation", [20, 45])
def test_shadows_fall_away_from_the_sun_as_long_as_height_over_tan_elevation(
    azimuth, direction, elevation
):
    """A 4 m box on flat ground at 10 cm: its shadow points away from the sun (azimuth from
    north, clockwise) and is 4 / tan(elevation) metres long."""
    env = Environment.draw(np.random.default_rng(0), "summer")
    env.sun_azimuth, env.sun_elevation = math.radians(azimuth), math.radians(elevation)
    height = np.zeros((401, 401), np.float32)
    height[195:206, 195:206] = 4.0
    shadow = cast_shadow(height, 0.1, env) > 0.5
    dx, dy = direction
    length_px = 4.0 / math.tan(math.radians(elevation)) / 0.1
    steps = np.arange(6, 400)
    ys, xs = 200 + dy * steps, 200 + dx * steps
    inside = (ys >= 0) & (ys < 401) & (xs >= 0) & (xs < 401)
    run = shadow[ys[inside], xs[inside]]
    measured = 6 + (np.argmin(run) if not run.all() else run.size)
    assert abs(measured - (5 + length_px)) <= max(3, 0.03 * length_px), (measured, length_px)
    # Nothing on the sunny side.
    assert not shadow[200 - dy * 20, 200 - dx * 20]


@pytest.mark.parametrize("seed", range(4))
def test_strip_farmland_tiles_the_plan_into_plots_5_to_25_m_wide(seed):
    """Strip fields cover the whole plan square without overlap, every plot at most 25 m
    across its rows (the last on each side of the road may be cut narrower), and the first
    cut, the road, runs across the strips' ends."""
    from trainer.data.synthetic.layout.country import _strip_cells
    from trainer.data.synthetic.layout.frame import area

    rng = np.random.default_rng(seed)
    reach, direction = 120.0, rng.uniform(0, math.pi)
    cells, cuts = _strip_cells(rng, reach, direction)
    assert sum(area(c) for c in cells) == pytest.approx((2 * reach) ** 2, rel=1e-6)
    across = (-math.sin(direction), math.cos(direction))
    widths = [
        max(x * across[0] + y * across[1] for x, y in c)
        - min(x * across[0] + y * across[1] for x, y in c)
        for c in cells
    ]
    assert max(widths) <= 25 + 1e-6 and len(cells) >= 2 * (2 * reach / 25)
    (x0, y0), (x1, y1) = cuts[0]
    road = math.atan2(y1 - y0, x1 - x0)
    assert abs(math.sin(road - direction)) == pytest.approx(1.0, abs=1e-6)
