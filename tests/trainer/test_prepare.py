"""``prepare``: ISPRS file names and splits, colour -> class, unknown colours, statistics.

Splits: no scene, tile or pixel is in two of train / validation / test; validation is carved
from the training scenes, deterministically by seed (see also ``test_splits.py``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal

from trainer.cli import main
from trainer.data import ColourMap, IndexMap, TileDataset, read_manifest
from trainer.data.potsdam import BENCHMARK_TEST, LABELLED, PAPER_TEST, split_of
from trainer.data.tiles import tile_origins


def test_official_splits_have_the_published_sizes():
    paper = [split_of(t, "paper") for t in LABELLED]
    assert paper.count("train") == 18 and paper.count("test") == 5 and paper.count(None) == 1
    assert {t for t in LABELLED if split_of(t, "paper") == "test"} == set(PAPER_TEST)
    assert split_of("4_12", "paper") is None and split_of("2_13", "paper") is None
    bench = [split_of(t, "benchmark") for t in LABELLED + list(BENCHMARK_TEST)]
    assert bench.count("train") == 24 and bench.count("test") == 14


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


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Every pixel within ``radius`` (in x and in y) of a set pixel."""
    h, w = mask.shape
    padded = np.pad(mask, radius)
    out = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= padded[dy : dy + h, dx : dx + w]
    return out


def _tile_index(manifest: dict, scene: str, x: int, y: int) -> tuple[str, int]:
    """(split, index) of the tile of ``scene`` at (x, y), wherever it went."""
    for split, entry in manifest["splits"].items():
        origins = [tuple(t[:3]) for t in entry["tiles"]]
        if (scene, x, y) in origins:
            return split, origins.index((scene, x, y))
    raise KeyError((scene, x, y))


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
    assert manifest["command"].startswith("python -m trainer prepare potsdam --src")
    per_scene = (len(tile_origins(SIZE, TILE, TILE))) ** 2
    # Four training tiles, one carved off whole for validation (0.15 of 4 rounds to 1);
    # the paper's held-out 2_12 is the test set; 4_12 is dropped by the paper's split.
    splits = manifest["splits"]
    assert manifest["validation_carve"]["method"] == "scenes"
    assert (splits["train"]["count"], splits["validation"]["count"]) == (3 * per_scene, per_scene)
    assert splits["test"]["count"] == per_scene and splits["test"]["scenes"] == ["top_potsdam_2_12"]
    names = {f"top_potsdam_{t}" for t in kit.TRAIN_IDS}
    assert set(splits["train"]["scenes"]) | set(splits["validation"]["scenes"]) == names
    assert splits["validation"]["scenes"] == manifest["validation_carve"]["scenes"]
    assert manifest["unknown_label_values"]["by_scene"] == {
        "top_potsdam_2_11": [{"value": list(UNKNOWN_COLOUR), "pixels": UNKNOWN_PIXELS}]
    }
    assert [c["name"] for c in manifest["classes"]][-1] == "clutter"

    # Tiles hold the right pixels: the first tile of 2_11 (seed 1) is its top-left corner.
    split, index = _tile_index(manifest, "top_potsdam_2_11", 0, 0)
    image, label = TileDataset(out, split)[index]
    expected = class_map(1)[:TILE, :TILE].copy()
    expected[0, :UNKNOWN_PIXELS] = 255
    assert np.array_equal(label.numpy(), expected)
    source = gdal.Open(manifest["scenes"]["top_potsdam_2_11"]["image"]).ReadAsArray()
    assert np.array_equal(image.numpy(), source[:, :TILE, :TILE])

    # Mean/std of the training images only (not validation), stored for the model file.
    pixels = (
        np.concatenate(
            [
                gdal.Open(manifest["scenes"][s]["image"]).ReadAsArray().reshape(3, -1)
                for s in splits["train"]["scenes"]
            ],
            axis=1,
        )
        / 255.0
    )
    assert manifest["mean"] == pytest.approx(pixels.mean(1).tolist(), abs=1e-5)
    assert manifest["std"] == pytest.approx(pixels.std(1).tolist(), abs=1e-5)

    # Whole test and validation labels as class-index rasters, georeferenced like the source.
    for split in ("test", "validation"):
        (entry,) = splits[split]["label_rasters"]
        label_ds = gdal.Open(str(out / entry["label"]))
        seed = kit.SCENE_IDS.index(entry["scene"].removeprefix("top_potsdam_"))
        expected = class_map(seed)
        if entry["scene"] == "top_potsdam_2_11":
            expected[0, :UNKNOWN_PIXELS] = 255
        assert np.array_equal(label_ds.ReadAsArray(), expected)
        assert label_ds.GetGeoTransform() == gdal.Open(entry["image"]).GetGeoTransform()
        assert label_ds.GetRasterBand(1).GetNoDataValue() == 255
        assert entry["window"] == [0, 0, SIZE, SIZE]
    assert "label_rasters" not in splits["train"]


@pytest.mark.parametrize("scheme", ["paper", "benchmark"])
def test_no_scene_or_tile_is_in_two_splits(potsdam_src, tmp_path, kit, scheme):
    from trainer.data.potsdam import prepare_potsdam

    manifest = prepare_potsdam(potsdam_src, tmp_path / scheme, tile=kit.TILE, split=scheme)
    splits = manifest["splits"]
    assert set(splits) == {"train", "validation", "test"}
    scenes = {name: set(entry["scenes"]) for name, entry in splits.items()}
    tiles = {name: {tuple(t[:3]) for t in entry["tiles"]} for name, entry in splits.items()}
    for a, b in (("train", "validation"), ("train", "test"), ("validation", "test")):
        assert not scenes[a] & scenes[b] and not tiles[a] & tiles[b], (a, b)
    # The test set is the scheme's own held-out tiles; validation comes from training tiles.
    official = {f"top_potsdam_{t}": split_of(t, scheme) for t in kit.SCENE_IDS}
    assert scenes["test"] == {n for n, s in official.items() if s == "test"}
    assert scenes["train"] | scenes["validation"] == {
        n for n, s in official.items() if s == "train"
    }
    assert len(scenes["validation"]) == round(0.15 * len(scenes["train"] | scenes["validation"]))


def test_blocks_carved_from_few_scenes_share_no_pixel(potsdam_src, tmp_path, kit):
    """One training scene: validation is blocks of it, kept `gap` pixels from training tiles."""
    from trainer.data.splits import ValidationCarve
    from trainer.data.vaihingen import prepare_vaihingen

    src = tmp_path / "vaihingen"
    for area in (1, 2):  # area 1 trains, area 2 tests
        image = potsdam_src / "2_Ortho_RGB" / f"top_potsdam_{kit.SCENE_IDS[area]}_RGB.tif"
        label = potsdam_src / "5_Labels_all" / f"top_potsdam_{kit.SCENE_IDS[area]}_label.tif"
        for path, folder in ((image, "top"), (label, "gts_for_participants")):
            (src / folder).mkdir(parents=True, exist_ok=True)
            (src / folder / f"top_mosaic_09cm_area{area}.tif").write_bytes(path.read_bytes())
    tile, gap = 8, 3
    carve = ValidationCarve(fraction=0.2, seed=5, block=tile + 2 * gap + 2, gap=gap)
    manifest = prepare_vaihingen(src, tmp_path / "out", tile=tile, stride=4, test_labels="full",
                                 carve=carve)  # fmt: skip
    assert manifest["validation_carve"] | {"scenes": None} == {
        "method": "blocks", "fraction": 0.2, "seed": 5, "block": 16, "gap": gap, "scenes": None
    }  # fmt: skip
    scene = "top_mosaic_09cm_area1"
    masks = {}
    for split in ("train", "validation"):
        covered = np.zeros((kit.SIZE, kit.SIZE), np.int32)
        for name, x, y, w, h in manifest["splits"][split]["tiles"]:
            assert name == scene and 0 < w <= tile and 0 < h <= tile
            covered[y : y + h, x : x + w] += 1
        masks[split] = covered > 0
    assert masks["validation"].sum() == 0.2 * 25 * 16**2  # 5 of the 5 x 5 blocks of 16 px
    # No pixel in both; no training pixel within `gap` pixels of a validation pixel...
    assert not (masks["train"] & dilate(masks["validation"], gap)).any()
    # ...and the gap is no wider than asked: one pixel further, they meet.
    assert (masks["train"] & dilate(masks["validation"], gap + 1)).any()
    # Tiles carry their region's labels; each validation block has its label raster.
    labels = np.load(tmp_path / "out" / "validation_labels.npy")
    expected = kit.class_map(1)
    expected[0, : kit.UNKNOWN_PIXELS] = 255  # area 1 is a copy of 2_11
    for (_, x, y, w, h), label in zip(manifest["splits"]["validation"]["tiles"], labels):
        assert np.array_equal(label[:h, :w], expected[y : y + h, x : x + w])
    rasters = manifest["splits"]["validation"]["label_rasters"]
    assert len(rasters) == 5
    for entry in rasters:
        x, y, w, h = entry["window"]
        window = gdal.Open(str(tmp_path / "out" / entry["label"])).ReadAsArray()
        assert np.array_equal(window, expected[y : y + h, x : x + w])


def test_prepare_eroded_labels_make_boundaries_ignore(potsdam_src, tmp_path, kit):
    TILE = kit.TILE
    from trainer.data.potsdam import prepare_potsdam

    def first_tile(manifest, root, split, scene):
        labels = np.load(root / f"{split}_labels.npy")
        tiles = [tuple(t[:3]) for t in manifest["splits"][split]["tiles"]]
        return labels[tiles.index((scene, 0, 0))]

    # Benchmark convention: train (and validate) on full labels, score tests on eroded ones.
    manifest = prepare_potsdam(potsdam_src, tmp_path / "e", tile=TILE, test_labels="eroded")
    assert manifest["labels"] == {"train": "full", "validation": "full", "test": "eroded"}
    test = first_tile(manifest, tmp_path / "e", "test", "top_potsdam_2_12")
    assert (test[:, :2] == 255).all() and (test[:, 2:] != 255).all()
    train_scene = manifest["splits"]["train"]["scenes"][0]
    train = first_tile(manifest, tmp_path / "e", "train", train_scene)
    assert (train != 255).all()
    assert manifest["_unknown"].total == kit.UNKNOWN_PIXELS

    both = prepare_potsdam(
        potsdam_src, tmp_path / "b", tile=TILE, test_labels="eroded", train_labels="eroded"
    )
    train = first_tile(both, tmp_path / "b", "train", train_scene)
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
    manifest = prepare_vaihingen(src, tmp_path / "out", tile=TILE, test_labels="full")
    # Areas 1 and 3 train: too few to give one away whole, so blocks are carved, and with
    # 80 px areas and 128 px blocks a block is a whole area.
    splits = manifest["splits"]
    assert manifest["validation_carve"]["method"] == "blocks"
    assert {*splits["train"]["scenes"], *splits["validation"]["scenes"]} == {
        "top_mosaic_09cm_area1", "top_mosaic_09cm_area3",
    }  # fmt: skip
    assert len(splits["train"]["scenes"]) == len(splits["validation"]["scenes"]) == 1
    assert [e["name"] for e in splits["test"]["label_rasters"]] == ["top_mosaic_09cm_area2"]
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
    # Every fifth image tests; of the other four, 0.15 rounds to one validation image.
    splits = manifest["splits"]
    assert splits["test"]["scenes"] == ["scene4"] and len(splits["validation"]["scenes"]) == 1
    assert splits["train"]["count"] == 3 * 4 and splits["validation"]["count"] == 4
    assert manifest["_unknown"].counts == {7: 5}
    assert [c["name"] for c in manifest["classes"]] == ["road", "roof", "grass"]


def test_folder_splits_from_sub_folders_and_no_ambiguous_val(tmp_path, kit):
    from trainer.data.folder import prepare_folder

    src = tmp_path / "mine"
    for split, count in (("train", 2), ("validation", 1), ("test", 1)):
        for i in range(count):
            classes = kit.class_map(i, 40) % 2
            kit.write_raster(src / "images" / split / f"{split}{i}.tif",
                             np.stack([classes * 90] * 3).astype(np.uint8))  # fmt: skip
            kit.write_raster(src / "masks" / split / f"{split}{i}.tif", classes[None])
    (src / "classes.json").write_text(json.dumps({"classes": [
        {"name": "a", "color": [0, 0, 0]}, {"name": "b", "color": [9, 9, 9]}]}))  # fmt: skip
    manifest = prepare_folder(src, tmp_path / "out", tile=32)
    assert manifest["validation_carve"] == {"method": "given"}
    assert {k: v["scenes"] for k, v in manifest["splits"].items()} == {
        "train": ["train0", "train1"], "validation": ["validation0"], "test": ["test0"],
    }  # fmt: skip
    (src / "images" / "validation").rename(src / "images" / "val")
    with pytest.raises(ValueError, match=r"rename it to 'validation'.*or 'test'"):
        prepare_folder(src, tmp_path / "out2", tile=32)
