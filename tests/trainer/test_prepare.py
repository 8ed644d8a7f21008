"""``prepare``: ISPRS file names and splits, colour -> class, unknown colours, statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal

from trainer.cli import main
from trainer.data import ColourMap, IndexMap, TileDataset, read_manifest
from trainer.data.potsdam import BENCHMARK_TEST, LABELLED, PAPER_VAL, split_of
from trainer.data.tiles import tile_origins


def test_official_splits_have_the_published_sizes():
    paper = [split_of(t, "paper") for t in LABELLED]
    assert paper.count("train") == 18 and paper.count("val") == 5 and paper.count(None) == 1
    assert {t for t in LABELLED if split_of(t, "paper") == "val"} == set(PAPER_VAL)
    assert split_of("4_12", "paper") is None and split_of("2_13", "paper") is None
    bench = [split_of(t, "benchmark") for t in LABELLED + list(BENCHMARK_TEST)]
    assert bench.count("train") == 24 and bench.count("val") == 14


def test_tile_origins_cover_the_edges():
    assert tile_origins(80, 32, 32) == [0, 32, 48]
    assert tile_origins(64, 32, 32) == [0, 32]
    assert tile_origins(20, 32, 32) == [0]
    assert tile_origins(80, 32, 16) == [0, 16, 32, 48]


def test_unknown_colour_is_ignored_and_counted_never_class_zero():
    rgb = np.zeros((3, 2, 3), dtype=np.uint8)
    rgb[:, 0, 0] = (255, 255, 255)  # impervious -> 0
    rgb[:, 0, 1] = (0, 0, 255)  # building -> 1
    rgb[:, 0, 2] = (0, 0, 0)  # boundary: known, ignored, not "unknown"
    rgb[:, 1, :] = np.array([7, 8, 9], dtype=np.uint8)[:, None]
    classes, unknown = ColourMap(((255, 255, 255), (0, 0, 255))).encode(rgb)
    assert classes.tolist() == [[0, 1, 255], [255, 255, 255]]
    assert unknown.total == 3 and unknown.counts == {(7, 8, 9): 3}
    index_classes, index_unknown = IndexMap(3).encode(np.array([[0, 2, 3, 255, 9]]))
    assert index_classes.tolist() == [[0, 2, 255, 255, 255]]
    assert index_unknown.counts == {3: 1, 9: 1}


def test_prepare_potsdam_paper_split(potsdam_src, tmp_path, capsys, kit):
    SIZE, TILE, class_map = kit.SIZE, kit.TILE, kit.class_map
    UNKNOWN_COLOUR, UNKNOWN_PIXELS = kit.UNKNOWN_COLOUR, kit.UNKNOWN_PIXELS
    out = tmp_path / "data"
    rc = main(["prepare", "potsdam", "--src", str(potsdam_src), "--out", str(out),
               "--tile", str(TILE)])  # fmt: skip
    printed = capsys.readouterr().out
    assert rc == 0
    # The unknown colour is reported with its count.
    assert f"{UNKNOWN_PIXELS} label pixels have a colour that is no class" in printed
    assert f"rgb{UNKNOWN_COLOUR}: {UNKNOWN_PIXELS} px" in printed
    manifest = read_manifest(out)
    per_scene = (len(tile_origins(SIZE, TILE, TILE))) ** 2
    # 2_10, 2_11, 3_10 train; 2_12 validates; 4_12 is dropped by the paper's split.
    assert manifest["splits"]["train"]["count"] == 3 * per_scene
    assert manifest["splits"]["val"]["count"] == per_scene
    sources = {t[0] for t in manifest["splits"]["train"]["tiles"]}
    assert sources == {"top_potsdam_2_10", "top_potsdam_2_11", "top_potsdam_3_10"}
    assert manifest["unknown_label_values"]["by_scene"] == {
        "top_potsdam_2_11": [{"value": list(UNKNOWN_COLOUR), "pixels": UNKNOWN_PIXELS}]
    }
    assert [c["name"] for c in manifest["classes"]][-1] == "clutter"

    # Tiles hold the right pixels: the first tile of 2_11 (seed 1) is its top-left corner.
    train = TileDataset(out, "train")
    index = [tuple(t) for t in manifest["splits"]["train"]["tiles"]].index(
        ("top_potsdam_2_11", 0, 0)
    )
    image, label = train[index]
    expected = class_map(1)[:TILE, :TILE].copy()
    expected[0, :UNKNOWN_PIXELS] = 255
    assert np.array_equal(label.numpy(), expected)
    source = gdal.Open(manifest["scenes"]["top_potsdam_2_11"]["image"]).ReadAsArray()
    assert np.array_equal(image.numpy(), source[:, :TILE, :TILE])

    # Mean/std of the training images, stored with the data for training and the model file.
    pixels = (
        np.concatenate(
            [
                gdal.Open(manifest["scenes"][s]["image"]).ReadAsArray().reshape(3, -1)
                for s in sources
            ],
            axis=1,
        )
        / 255.0
    )
    assert manifest["mean"] == pytest.approx(pixels.mean(1).tolist(), abs=1e-5)
    assert manifest["std"] == pytest.approx(pixels.std(1).tolist(), abs=1e-5)

    # Whole held-out label as a class-index raster, georeferenced like the source.
    entry = manifest["held_out"]["val"][0]
    label_ds = gdal.Open(str(out / entry["label"]))
    assert np.array_equal(label_ds.ReadAsArray(), class_map(3))
    assert label_ds.GetGeoTransform() == gdal.Open(entry["image"]).GetGeoTransform()
    assert label_ds.GetRasterBand(1).GetNoDataValue() == 255


def test_prepare_eroded_labels_make_boundaries_ignore(potsdam_src, tmp_path, kit):
    TILE = kit.TILE
    from trainer.data.potsdam import prepare_potsdam

    def first_tile(manifest, root, split, scene):
        labels = np.load(root / f"{split}_labels.npy")
        tiles = [tuple(t) for t in manifest["splits"][split]["tiles"]]
        return labels[tiles.index((scene, 0, 0))]

    # Benchmark convention: train on full labels, score on eroded ones.
    manifest = prepare_potsdam(potsdam_src, tmp_path / "e", tile=TILE, labels="eroded")
    assert (manifest["labels"], manifest["train_labels"]) == ("eroded", "full")
    val = first_tile(manifest, tmp_path / "e", "val", "top_potsdam_2_12")
    assert (val[:, :2] == 255).all() and (val[:, 2:] != 255).all()
    train = first_tile(manifest, tmp_path / "e", "train", "top_potsdam_2_10")
    assert (train != 255).all()
    assert manifest["_unknown"].total == kit.UNKNOWN_PIXELS

    both = prepare_potsdam(
        potsdam_src, tmp_path / "b", tile=TILE, labels="eroded", train_labels="eroded"
    )
    train = first_tile(both, tmp_path / "b", "train", "top_potsdam_2_10")
    assert (train[:, :2] == 255).all()
    # The boundary strip is known (black = ignore); 2 of the unknown pixels fall inside it.
    assert both["_unknown"].total == kit.UNKNOWN_PIXELS - 2


def test_missing_files_give_a_clear_message(tmp_path, capsys):
    rc = main(["prepare", "potsdam", "--src", str(tmp_path), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "no top_potsdam_*_RGB.tif" in capsys.readouterr().out


def test_prepare_vaihingen_finds_labels_by_folder(tmp_path, kit):
    TILE, write_scene = kit.TILE, kit.write_scene
    from trainer.data.vaihingen import prepare_vaihingen

    src = tmp_path / "vaihingen"
    for area in (1, 3, 2):
        write_scene(tmp_path / "tmp", f"9_{area}", seed=area)
        tmp_image = tmp_path / "tmp" / "2_Ortho_RGB" / f"top_potsdam_9_{area}_RGB.tif"
        tmp_label = tmp_path / "tmp" / "5_Labels_all" / f"top_potsdam_9_{area}_label.tif"
        (src / "top").mkdir(parents=True, exist_ok=True)
        (src / "gts_for_participants").mkdir(parents=True, exist_ok=True)
        tmp_image.rename(src / "top" / f"top_mosaic_09cm_area{area}.tif")
        tmp_label.rename(src / "gts_for_participants" / f"top_mosaic_09cm_area{area}.tif")
    manifest = prepare_vaihingen(src, tmp_path / "out", tile=TILE, labels="full")
    assert manifest["splits"]["train"]["count"] == 2 * 9  # areas 1 and 3 train
    assert [e["name"] for e in manifest["held_out"]["val"]] == ["top_mosaic_09cm_area2"]
    assert manifest["resolution_cm"] == 9.0


def test_prepare_folder_with_index_masks(tmp_path, kit):
    class_map, _write = kit.class_map, kit.write_raster
    src = tmp_path / "mine"
    for i in range(5):
        classes = class_map(i, 40) % 3
        classes[0, 0] = 7  # not a class of the three
        image = np.stack([classes * 80] * 3).astype(np.uint8)
        _write(src / "images" / f"scene{i}.tif", image)
        _write(src / "masks" / f"scene{i}.tif", classes[None].astype(np.uint8))
    (src / "classes.json").write_text(json.dumps({"classes": [
        {"name": "road", "color": [128, 128, 128]},
        {"name": "roof", "color": [200, 0, 0]},
        {"name": "grass", "color": [0, 200, 0]},
    ], "resolution_cm": 10}))  # fmt: skip
    from trainer.data.folder import prepare_folder

    manifest = prepare_folder(src, tmp_path / "out", tile=32)
    assert manifest["splits"]["train"]["count"] == 4 * 4 and manifest["splits"]["val"]["count"] == 4
    assert manifest["_unknown"].counts == {7: 5}
    assert [c["name"] for c in manifest["classes"]] == ["road", "roof", "grass"]
