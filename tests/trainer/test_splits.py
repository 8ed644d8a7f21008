"""Carving validation out of the training scenes: deterministic, disjoint, apart."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.data.splits import ValidationCarve, carve_validation

TILE = 32


def scenes(count: int, test: int = 2) -> dict[str, str]:
    names = {f"scene_{i:02d}": "train" for i in range(count)}
    return names | {f"test_{i}": "test" for i in range(test)}


def chosen(carve: ValidationCarve, count: int = 20) -> list[str]:
    split_of = scenes(count)
    regions, _ = carve_validation(split_of, dict.fromkeys(split_of, (100, 100)), TILE, carve)
    return sorted(r.scene for r in regions if r.split == "validation")


def test_scene_carve_is_deterministic_by_seed_and_sized_by_fraction():
    assert chosen(ValidationCarve(seed=3)) == chosen(ValidationCarve(seed=3))
    assert chosen(ValidationCarve(seed=3)) != chosen(ValidationCarve(seed=4))
    assert len(chosen(ValidationCarve())) == 3  # 0.15 of 20
    assert len(chosen(ValidationCarve(fraction=0.3))) == 6
    # Only training scenes validate; test scenes keep their split, whole.
    split_of = scenes(20)
    sizes = dict.fromkeys(split_of, (100, 100))
    regions, summary = carve_validation(split_of, sizes, TILE, ValidationCarve())
    assert summary["method"] == "scenes" and summary["scenes"] == chosen(ValidationCarve())
    assert {r.scene for r in regions if r.split == "test"} == {"test_0", "test_1"}
    assert all((r.x, r.y, r.width, r.height) == (0, 0, 100, 100) for r in regions)
    assert len(regions) == len({r.scene for r in regions})  # no scene in two splits


def test_the_carve_ignores_everything_but_names_seed_and_fraction():
    """Copies of the same scenes at another resolution validate on the same scenes."""
    split_of = scenes(12)
    fine = carve_validation(split_of, dict.fromkeys(split_of, (2000, 2000)), 256, ValidationCarve())
    coarse = carve_validation(split_of, dict.fromkeys(split_of, (500, 500)), 256, ValidationCarve())
    assert fine[1]["scenes"] == coarse[1]["scenes"]


@pytest.mark.parametrize("seed", range(6))
def test_blocks_never_share_pixels_and_keep_the_gap(seed):
    rng = np.random.default_rng(seed)
    sizes = {f"s{i}": tuple(int(v) for v in rng.integers(60, 400, 2)) for i in range(2)}
    gap = int(rng.integers(0, 8))
    carve = ValidationCarve(fraction=0.3, seed=seed, by="blocks", block=TILE + 2 * gap + 9, gap=gap)
    regions, summary = carve_validation(dict.fromkeys(sizes, "train"), sizes, TILE, carve)
    assert summary["method"] == "blocks"
    for name, (width, height) in sizes.items():
        owner = np.zeros((height, width), np.int8)  # 1 train, 2 validation
        for r in (r for r in regions if r.scene == name):
            assert 0 <= r.x < r.x1 <= width and 0 <= r.y < r.y1 <= height
            assert (owner[r.y : r.y1, r.x : r.x1] == 0).all()  # regions never overlap
            owner[r.y : r.y1, r.x : r.x1] = 1 if r.split == "train" else 2
            assert min(r.width, r.height) >= min(TILE, width, height)  # a tile fits inside
        validation = np.argwhere(owner == 2)
        train = np.argwhere(owner == 1)
        if len(validation) and len(train):
            # Chebyshev distance between the nearest train and validation pixels > gap.
            nearest = min(
                np.abs(train - v).max(axis=1).min()
                for v in validation[:: max(1, len(validation) // 400)]
            )
            assert nearest > gap
    counted = sum(r.split == "validation" for r in regions)
    assert counted == max(1, round(0.3 * sum(
        max(1, w // carve.block) * max(1, h // carve.block) for w, h in sizes.values()
    )))  # fmt: skip


def test_auto_carves_blocks_when_scenes_are_too_few():
    split_of = {"only": "train", "held": "test"}
    sizes = {"only": (512, 512), "held": (512, 512)}
    regions, summary = carve_validation(split_of, sizes, 64, ValidationCarve())
    assert summary == {"method": "blocks", "fraction": 0.15, "seed": 0, "block": 256, "gap": 32}
    assert [r.split for r in regions if r.scene == "only"].count("validation") == 1


def test_bad_carves_say_what_to_change():
    split_of = scenes(4)
    sizes = dict.fromkeys(split_of, (100, 100))
    with pytest.raises(ValueError, match="between 0 and 1"):
        carve_validation(split_of, sizes, TILE, ValidationCarve(fraction=1.5))
    with pytest.raises(ValueError, match="at least 48 px"):
        carve_validation(split_of, sizes, TILE, ValidationCarve(by="blocks", block=40, gap=8))
    with pytest.raises(ValueError, match="one left to train on"):
        carve_validation(split_of, sizes, TILE, ValidationCarve(by="scenes", fraction=0.05))
    with pytest.raises(ValueError, match="smaller blocks"):
        carve_validation({"a": "train"}, {"a": (50, 50)}, TILE, ValidationCarve(by="blocks"))
    # A dataset that names its own validation scenes is taken as it is.
    given = {"a": "train", "b": "validation", "c": "test"}
    regions, summary = carve_validation(
        given, dict.fromkeys(given, (64, 64)), TILE, ValidationCarve()
    )
    assert summary == {"method": "given"} and {r.scene: r.split for r in regions} == given
