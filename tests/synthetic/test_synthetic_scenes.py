"""The scene generator's files: deterministic, Potsdam-shaped, georeferenced at each scene's
GSD, all six classes, look-alike colours."""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal, osr

from engine.metadata import POTSDAM_CLASSES
from trainer.cli import main as trainer_main
from trainer.data.potsdam import find_files, prepare_potsdam, split_of
from trainer.data.synthetic import (
    BUILDING,
    IMPERVIOUS,
    LOW_VEGETATION,
    ScenePlan,
    erode_boundaries,
    generate_scene,
    scene_rng,
    synthesize,
    tile_ids,
)

gdal.UseExceptions()
CLASS_COLOURS = {tuple(c.color) for c in POTSDAM_CLASSES}


def _colours(path) -> set[tuple[int, int, int]]:
    ds = gdal.Open(str(path))
    rgb = np.stack([ds.GetRasterBand(b).ReadAsArray() for b in (1, 2, 3)], -1).reshape(-1, 3)
    return {tuple(int(v) for v in c) for c in np.unique(rgb, axis=0)}


def test_same_seed_same_scene_other_seed_other_scene():
    a = generate_scene(256, scene_rng(7, "2_10"))
    b = generate_scene(256, scene_rng(7, "2_10"))
    c = generate_scene(256, scene_rng(8, "2_10"))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, c.image)
    assert a.image.shape == (256, 256, 3) and a.image.dtype == np.uint8
    assert a.labels.shape == (256, 256) and a.labels.max() < len(POTSDAM_CLASSES)


def test_files_carry_potsdam_names_georeferencing_and_only_class_colours(synthetic_potsdam):
    out, written = synthetic_potsdam
    images, full, eroded = find_files(out)
    ids = [w.tile_id for w in written]
    assert sorted(images) == sorted(full) == sorted(eroded) == sorted(ids)
    for w in written:
        assert w.image.name == f"top_potsdam_{w.tile_id}_RGB.tif"
        assert w.image.parent.name == "2_Ortho_RGB"
        assert w.label.name == f"top_potsdam_{w.tile_id}_label.tif"
        assert w.label.parent.name == "5_Labels_for_participants"
        assert w.label_no_boundary.name == f"top_potsdam_{w.tile_id}_label_noBoundary.tif"
        ds = gdal.Open(str(w.image))
        assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (320, 320, 3)
        x0, px, rot1, y0, rot2, py = ds.GetGeoTransform()
        # Each scene's own GSD, drawn from the default 3-30 cm.
        assert (px, py, rot1, rot2) == (w.gsd_m, -w.gsd_m, 0.0, 0.0)
        assert 0.03 <= px <= 0.30
        assert 300_000 < x0 < 500_000 and 5_700_000 < y0 < 5_900_000  # Potsdam, UTM 33N
        srs = osr.SpatialReference(wkt=ds.GetProjection())
        assert srs.GetAuthorityCode(None) == "25833"
        label = gdal.Open(str(w.label))
        assert label.GetGeoTransform() == ds.GetGeoTransform()
        assert _colours(w.label) <= CLASS_COLOURS
        assert _colours(w.label_no_boundary) <= CLASS_COLOURS | {(0, 0, 0)}
    # Scenes differ from one another and sit side by side, not on top of each other.
    origins = {gdal.Open(str(w.image)).GetGeoTransform()[:4:3] for w in written}
    assert len(origins) == len(written)
    assert len({w.gsd_m for w in written}) == len(written)
    index = json.loads((out / "synthetic_scenes.json").read_text())
    assert {t: index[t]["gsd_m"] for t in index} == {w.tile_id: w.gsd_m for w in written}


def test_same_seed_writes_identical_files_with_any_number_of_workers(tmp_path):
    one = list(synthesize(tmp_path / "one", scenes=3, size=128, seed=5, workers=1))
    two = list(synthesize(tmp_path / "two", scenes=3, size=128, seed=5, workers=2))
    other = list(synthesize(tmp_path / "other", scenes=3, size=128, seed=6, workers=1))
    for a, b, c in zip(one, two, other):
        for attr in ("image", "label", "label_no_boundary"):
            assert getattr(a, attr).read_bytes() == getattr(b, attr).read_bytes()
        assert a.image.read_bytes() != c.image.read_bytes()
    assert (tmp_path / "one" / "synthetic_scenes.json").read_text() == (
        tmp_path / "two" / "synthetic_scenes.json"
    ).read_text()


def test_built_up_scenes_mix_all_six_classes_in_plausible_shares():
    plans = (ScenePlan("suburb", "summer", 0.08), ScenePlan("town_centre", "autumn", 0.1))
    labels = np.concatenate(
        [generate_scene(700, scene_rng(0, "3_11"), plan=p).labels.ravel() for p in plans]
    )
    share = np.bincount(labels, minlength=6) / labels.size
    assert (share > 0).all(), share
    # Ground classes dominate, cars and clutter are small, as in Potsdam.
    assert share[[IMPERVIOUS, BUILDING, LOW_VEGETATION]].min() > 0.05, share
    assert share[4] < 0.1 and share[5] < 0.15, share


def test_look_alike_colours_across_classes():
    """Colour alone must not decide: some classes share colours with others in a scene."""
    scene = generate_scene(700, scene_rng(0, "2_10"), plan=ScenePlan("suburb", "winter", 0.08))
    rgb = scene.image.reshape(-1, 3).astype(np.int64) >> 3  # 32 levels per channel
    keys = (rgb[:, 0] << 10) | (rgb[:, 1] << 5) | rgb[:, 2]
    pairs = np.unique(keys * 8 + scene.labels.ravel())
    classes_per_colour = np.bincount(pairs // 8)
    shared = classes_per_colour[keys] > 1
    assert shared.mean() > 0.3  # most pixels have colours another class also shows


def test_eroded_labels_blank_a_band_along_class_boundaries():
    labels = np.zeros((20, 20), np.uint8)
    labels[:, 10:] = 1
    eroded = erode_boundaries(labels, radius=3)
    assert (eroded[:, 7:13] == 255).all()
    assert (eroded[:, :7] == 0).all() and (eroded[:, 13:] == 1).all()


def test_tile_ids_follow_the_benchmark_split():
    ids = tile_ids(8)
    assert [s for _, s in ids].count("test") == 2
    for tile_id, split in ids:
        assert split_of(tile_id, "benchmark") == split
    # Beyond the benchmark's 24 training ids, rows no Potsdam tile has (benchmark: unused).
    many = tile_ids(100, test_fraction=0.06)
    train = [t for t, s in many if s == "train"]
    assert len(train) == 94 and len(set(train)) == 94
    assert [split_of(t, "benchmark") for t in train[24:]] == [None] * 70
    assert [s for _, s in many].count("test") == 6
    with pytest.raises(ValueError, match="at most 14 test scenes"):
        tile_ids(100)


def test_prepare_potsdam_reads_the_scenes_without_unknown_colours(synthetic_potsdam, tmp_path):
    src, _ = synthetic_potsdam
    manifest = prepare_potsdam(src, tmp_path / "prepared", tile=160, split="benchmark")
    splits = manifest["splits"]
    assert splits["train"]["count"] + splits["validation"]["count"] == 3 * 4
    assert splits["test"]["count"] == 4
    assert manifest["unknown_label_values"]["total"] == 0
    assert manifest["labels"]["test"] == "eroded"


def test_synth_command_writes_the_requested_scenes(tmp_path, capsys):
    coarse = tmp_path / "coarse"
    args = ["synth", "--out", str(tmp_path), "--scenes", "2", "--size", "96", "--gsd-cm", "5"]
    assert trainer_main([*args, "--resampled-copy", f"20:{coarse}"]) == 0
    assert len(list((tmp_path / "2_Ortho_RGB").glob("top_potsdam_*_RGB.tif"))) == 2
    assert "prepare potsdam" in capsys.readouterr().out
    # The coarse copy: the trainer's folder format at 20 cm, one split per benchmark role.
    classes = json.loads((coarse / "classes.json").read_text())
    assert classes["resolution_cm"] == 20.0
    assert [c["name"] for c in classes["classes"]] == [c.name for c in POTSDAM_CLASSES]
    train = gdal.Open(str(coarse / "images" / "train" / "top_potsdam_2_10.tif"))
    assert (train.RasterXSize, train.GetGeoTransform()[1]) == (24, 0.2)
    assert (coarse / "masks" / "test" / "top_potsdam_2_13.tif").is_file()
    assert _colours(coarse / "masks" / "train" / "top_potsdam_2_10.tif") <= CLASS_COLOURS | {
        (0, 0, 0)
    }
    with pytest.raises(SystemExit, match="CM:DIR"):
        trainer_main([*args, "--resampled-copy", "coarse"])
    with pytest.raises(SystemExit, match="at most"):
        trainer_main(["synth", "--out", str(tmp_path), "--scenes", "60", "--size", "96"])
    with pytest.raises(SystemExit, match="MIN:MAX"):
        trainer_main([*args[:-2], "--gsd-cm", "fine"])
    with pytest.raises(SystemExit, match="within 1-100 cm"):
        trainer_main([*args[:-2], "--gsd-cm", "30:3"])
    with pytest.raises(SystemExit, match="kinds"):
        trainer_main([*args, "--kinds", "harbour"])


def test_gsd_range_and_kinds_reach_the_files(tmp_path):
    out = tmp_path / "rural"
    args = ["synth", "--out", str(out), "--scenes", "3", "--size", "64", "--workers", "1"]
    assert (
        trainer_main([*args, "--gsd-cm", "20:25", "--kinds", "rural", "--seasons", "winter"]) == 0
    )
    index = json.loads((out / "synthetic_scenes.json").read_text())
    assert {v["kind"] for v in index.values()} == {"rural"}
    assert {v["season"] for v in index.values()} == {"winter"}
    for tile_id, entry in index.items():
        ds = gdal.Open(str(out / "2_Ortho_RGB" / f"top_potsdam_{tile_id}_RGB.tif"))
        assert 0.2 <= entry["gsd_m"] <= 0.25
        assert ds.GetGeoTransform()[1] == entry["gsd_m"]
