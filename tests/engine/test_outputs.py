"""Outputs beside the class map: test-time augmentation, confidence, polygons, statistics,
Cloud-Optimized GeoTIFFs; each staged and renamed with the rest, or left out on a cancel."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from osgeo import gdal, ogr

from engine import metadata as metadata_module
from engine.cancel import CancelToken
from engine.errors import Cancelled, InputError
from engine.jobs import CLI, PANEL, PROCESSING, run_job
from engine.jobs.segment import SegmentJob, SegmentRequest
from engine.pipeline import ExtraOutputs, SegmentationOptions, segment
from tests.helpers import tiny_inputs

NODATA = 255


def _softmax(logits: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _d4_average(model_path, image: np.ndarray) -> np.ndarray:
    """The reference: softmax of the model on the 8 flips/rotations of one tile, each turned
    back, averaged (written without the engine's helpers)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    x = image.astype(np.float32)[np.newaxis]
    total = None
    for mirrored in (False, True):
        for turns in range(4):
            seen = x[..., ::-1] if mirrored else x
            seen = np.ascontiguousarray(np.rot90(seen, turns, axes=(2, 3)))
            probabilities = _softmax(session.run(None, {"input": seen})[0])
            back = np.rot90(probabilities, -turns, axes=(2, 3))
            back = back[..., ::-1] if mirrored else back
            total = back if total is None else total + back
    return total[0] / 8


def test_tta_of_a_flip_equivariant_model_equals_the_plain_output(tmp_path, kit):
    # A 1x1 convolution sees each pixel alone: every flip or rotation gives the same map.
    model = kit.build_onnx(tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 64})
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(90, 130))
    extra = ExtraOutputs(confidence=tmp_path / "plain_confidence.tif")
    plain = segment(raster, model, tmp_path / "plain.tif", outputs=extra)
    extra = ExtraOutputs(confidence=tmp_path / "tta_confidence.tif")
    tta = segment(raster, model, tmp_path / "tta.tif", SegmentationOptions(tta=True), outputs=extra)
    np.testing.assert_array_equal(kit.read(tmp_path / "tta.tif"), kit.read(tmp_path / "plain.tif"))
    difference = kit.read(tmp_path / "tta_confidence.tif").astype(int) - kit.read(
        tmp_path / "plain_confidence.tif"
    )
    assert np.abs(difference).max() <= 1  # the same probabilities, summed in another order
    assert tta.tiles_processed == plain.tiles_processed


def test_tta_averages_the_probabilities_of_the_eight_views(tmp_path, kit):
    # 3x3 kernels with random weights: not rotation-invariant, so the views disagree.
    model = kit.build_onnx(tmp_path / "m.onnx", kind="convnet", metadata={"tile_size": 64})
    image = kit.random_image(64, 64, seed=4)  # exactly one tile: no stitching involved
    raster = kit.write_raster(tmp_path / "in.tif", image)
    extra = ExtraOutputs(confidence=tmp_path / "confidence.tif")
    options = SegmentationOptions(tta=True, overlap_pct=0)
    segment(raster, model, tmp_path / "tta.tif", options, outputs=extra)
    average = _d4_average(model, image)
    ordered = np.sort(average, axis=0)
    decided = ordered[-1] - ordered[-2] > 1e-4  # no near-tie that float order could flip
    classes = kit.read(tmp_path / "tta.tif")
    np.testing.assert_array_equal(classes[decided], average.argmax(axis=0)[decided])
    confidence = kit.read(tmp_path / "confidence.tif").astype(int)
    assert np.abs(confidence - np.rint(100 * average.max(axis=0))).max() <= 1
    segment(raster, model, tmp_path / "plain.tif", SegmentationOptions(overlap_pct=0))
    assert (kit.read(tmp_path / "plain.tif") != classes).any()  # TTA changed something


@pytest.mark.parametrize("pixel", [0.5, 0.25])  # the model's GSD, and a raster twice as fine
def test_confidence_is_a_percentage_with_nodata_exactly_where_the_input_has_none(
    tmp_path, kit, pixel
):
    # The stripes model: logits are the bands / 255, so confidences spread over 33-58 %.
    model = tiny_inputs.write_model(tmp_path / "stripes.onnx", metadata_module)
    image = tiny_inputs.stripes()
    alpha = np.full(image.shape[1:], 255, np.uint8)
    alpha[10:40, 20:70] = 0
    alpha[:, -7:] = 0
    alpha[63, 101] = 0  # a single pixel
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha, pixel=pixel)
    out, confidence = tmp_path / "classes.tif", tmp_path / "confidence.tif"
    result = segment(raster, model, out, outputs=ExtraOutputs(confidence=confidence))
    assert result.confidence_path == str(confidence)
    values = kit.read(confidence)
    invalid = alpha == 0
    np.testing.assert_array_equal(values == NODATA, invalid)
    np.testing.assert_array_equal(kit.read(out) == NODATA, invalid)
    assert values[~invalid].min() >= 0 and values[~invalid].max() <= 100
    dataset = gdal.Open(str(confidence))  # kept: the band needs it
    band = dataset.GetRasterBand(1)
    assert band.GetNoDataValue() == NODATA and band.DataType == gdal.GDT_Byte
    if pixel == 0.5:  # on the model's grid: the softmax of each pixel's own bands
        expected = np.rint(100 * _softmax(image.astype(np.float64) / 255, axis=0).max(axis=0))
        assert np.abs(values[~invalid] - expected[~invalid]).max() <= 1
    else:  # resampled for inference and back: still a spread of real probabilities
        assert 33 <= values[~invalid].min() < values[~invalid].max() <= 60
    style = (tmp_path / "confidence.qml").read_text()
    assert 'type="singlebandgray"' in style and "<maxValue>100</maxValue>" in style


def _polygons(path, layer="classes") -> list[tuple[int, str, float]]:
    dataset = ogr.Open(str(path))
    return [
        (f.GetField("class_index"), f.GetField("class_name"), f.GetField("area_m2"))
        for f in dataset.GetLayerByName(layer)
    ]


def test_polygon_areas_equal_the_rasters_per_class_area(tmp_path, kit):
    model = kit.build_onnx(
        tmp_path / "m.onnx", kind="convnet",
        metadata={"tile_size": 64, "class_names": ["road", "roof's", "grass"]},
    )  # fmt: skip
    image = kit.random_image(100, 120, seed=8)
    alpha = np.full(image.shape[1:], 255, np.uint8)
    alpha[:30, :30] = 0
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha, pixel=0.1)
    out, gpkg = tmp_path / "classes.tif", tmp_path / "classes.gpkg"
    result = segment(raster, model, out, outputs=ExtraOutputs(polygons=gpkg))
    polygons = _polygons(gpkg)
    (layer,) = result.polygon_layers
    assert layer.name == "classes" and layer.polygons == len(polygons) > 50  # fragmented
    classes = kit.read(out)
    pixel_area = 0.1 * 0.1
    for index, name in enumerate(["road", "roof's", "grass"]):
        mine = [area for i, n, area in polygons if i == index]
        assert all(n == name for i, n, _ in polygons if i == index)
        raster_area = (classes == index).sum() * pixel_area
        assert abs(sum(mine) - raster_area) <= len(mine) * pixel_area  # one pixel per polygon
        assert sum(mine) == pytest.approx(raster_area, abs=1e-6)  # in fact exact
    # Styled with the model's colours: the default style QGIS reads from the file.
    dataset = ogr.Open(str(gpkg))
    (style,) = list(dataset.GetLayerByName("layer_styles"))
    assert style.GetField("f_table_name") == "classes" and style.GetField("useAsDefault")
    assert 'attr="class_index"' in style.GetField("styleQML")


def test_sieve_leaves_no_patch_below_the_unit(tmp_path, kit):
    model = kit.build_onnx(tmp_path / "m.onnx", kind="convnet", metadata={"tile_size": 64})
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(100, 120, seed=9), pixel=0.1)
    pixel_area = 0.01
    unit = 12 * pixel_area
    plain = tmp_path / "plain.gpkg"
    segment(raster, model, tmp_path / "a.tif", outputs=ExtraOutputs(polygons=plain))
    assert min(area for *_, area in _polygons(plain)) < unit  # there was something to sieve
    sieved = tmp_path / "sieved.gpkg"
    options = SegmentationOptions(min_area_m2=unit)
    result = segment(
        raster, model, tmp_path / "b.tif", options, outputs=ExtraOutputs(polygons=sieved)
    )
    areas = [area for *_, area in _polygons(sieved)]
    assert min(areas) >= unit - 1e-9
    assert len(areas) < len(_polygons(plain))
    # Small patches were merged into neighbours, not dropped: the area is all still there.
    assert sum(areas) == pytest.approx(100 * 120 * pixel_area)
    assert result.polygon_layers[0].dropped == 0
    # The class map itself is not sieved: it stays what the model said.
    np.testing.assert_array_equal(kit.read(tmp_path / "a.tif"), kit.read(tmp_path / "b.tif"))


def test_a_patch_alone_in_no_data_below_the_unit_is_left_out(tmp_path, kit):
    model = kit.build_onnx(tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 64})
    image = kit.random_image(60, 60, seed=2)
    alpha = np.zeros(image.shape[1:], np.uint8)
    alpha[5:50, 5:50] = 255  # the big valid area
    alpha[55:57, 55:57] = 255  # a 2x2 island in no data
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha, pixel=0.1)
    gpkg = tmp_path / "p.gpkg"
    options = SegmentationOptions(min_area_m2=0.1)  # 10 pixels
    result = segment(
        raster, model, tmp_path / "c.tif", options, outputs=ExtraOutputs(polygons=gpkg)
    )
    assert min(area for *_, area in _polygons(gpkg)) >= 0.1 - 1e-9
    assert result.polygon_layers[0].dropped >= 1
    assert any("left out" in note for note in result.notes)


def test_statistics_sum_to_100_percent_per_output(tmp_path, kit):
    model = kit.build_two_head_onnx(tmp_path / "two.onnx")
    image = kit.random_image(70, 90, seed=5)
    alpha = np.full(image.shape[1:], 255, np.uint8)
    alpha[:, :15] = 0
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha, pixel=0.2)
    stats = tmp_path / "stats.csv"
    result = segment(raster, model, tmp_path / "c.tif", outputs=ExtraOutputs(stats=stats))
    with stats.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["band"], r["class_name"]) for r in rows] == [
        ("1", "road"), ("1", "roof"), ("1", "grass"), ("2", "dry"), ("2", "wet"),
    ]  # fmt: skip
    classes = kit.read(tmp_path / "c.tif")
    for band in ("1", "2"):
        mine = [r for r in rows if r["band"] == band]
        assert sum(float(r["percent"]) for r in mine) == pytest.approx(100, abs=1e-4)
        assert sum(int(r["pixels"]) for r in mine) == result.valid_pixels == 70 * 75
        for r in mine:
            counted = (classes[int(band) - 1] == int(r["class_index"])).sum()
            assert int(r["pixels"]) == counted
            assert float(r["area_m2"]) == pytest.approx(counted * 0.04, abs=1e-3)


def test_polygons_of_a_two_output_model_one_layer_each(tmp_path, kit):
    model = kit.build_two_head_onnx(tmp_path / "two.onnx")
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(40, 50, seed=6))
    gpkg = tmp_path / "p.gpkg"
    result = segment(raster, model, tmp_path / "c.tif", outputs=ExtraOutputs(polygons=gpkg))
    assert [layer.name for layer in result.polygon_layers] == ["classes", "classes_2"]
    assert {name for _, name, _ in _polygons(gpkg, "classes_2")} <= {"dry", "wet"}


def test_cog_option_writes_cloud_optimized_geotiffs(tmp_path, kit):
    model = kit.build_onnx(
        tmp_path / "m.onnx", kind="conv1x1",
        metadata={"tile_size": 64, "class_names": ["a", "b", "c"]},
    )  # fmt: skip
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(700, 600, seed=3))
    out, confidence = tmp_path / "out" / "c.tif", tmp_path / "out" / "p.tif"
    out.parent.mkdir()
    options = SegmentationOptions(cog=True)
    segment(raster, model, out, options, outputs=ExtraOutputs(confidence=confidence))
    for path in (out, confidence):
        dataset = gdal.Open(str(path))
        assert dataset.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"
        assert dataset.GetRasterBand(1).GetOverviewCount() >= 1
    dataset = gdal.Open(str(out))
    band = dataset.GetRasterBand(1)
    assert band.GetNoDataValue() == NODATA  # (GDAL 3.6 reads the .aux.xml only after this)
    assert band.GetCategoryNames() == ["a", "b", "c"] and band.GetColorTable() is not None
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "c.qml", "c.tif", "c.tif.aux.xml", "p.qml", "p.tif",
    ]  # fmt: skip
    plain = tmp_path / "plain.tif"
    segment(raster, model, plain)
    np.testing.assert_array_equal(kit.read(out), kit.read(plain))


def test_cancel_while_polygonising_leaves_nothing(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(150, 150))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if message == "polygons":
            token.cancel()

    extra = ExtraOutputs(out_dir / "p.tif", out_dir / "p.gpkg", out_dir / "s.csv")
    options = SegmentationOptions(min_area_m2=0.05)
    with pytest.raises(Cancelled):
        segment(raster, convnet, out_dir / "c.tif", options, outputs=extra, progress=progress,
                cancel=token)  # fmt: skip
    assert list(out_dir.iterdir()) == []


def test_a_unit_on_a_raster_without_pixel_size_is_refused_before_the_run(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(40, 40), epsg=None)
    with pytest.raises(InputError) as raised:
        segment(raster, convnet, tmp_path / "c.tif", SegmentationOptions(min_area_m2=1.0),
                outputs=ExtraOutputs(polygons=tmp_path / "p.gpkg"))  # fmt: skip
    assert raised.value.option == "min_area_m2"
    assert not (tmp_path / "c.tif").exists()


def _job(tmp_path, raster, model, **files) -> SegmentJob:
    request = SegmentRequest(str(raster), str(model), str(tmp_path / "c.tif"), **files)
    return SegmentJob(request)


def test_existing_extra_outputs_are_replaced_only_when_allowed(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(40, 40))
    stats = tmp_path / "mine.csv"
    stats.write_text("my own table")
    outcome = run_job(_job(tmp_path, raster, convnet, stats=str(stats)), CLI)
    assert outcome.status == "failed"
    assert outcome.message == (
        f"{stats} already exists: choose another statistics file, or allow replacing it with "
        "--overwrite"
    )
    assert stats.read_text() == "my own table" and not (tmp_path / "c.tif").exists()
    job = _job(tmp_path, raster, convnet, stats=str(stats))
    job.request.overwrite = True
    assert run_job(job, CLI).ok and stats.read_text().startswith("band,class_index")


@pytest.mark.parametrize(
    ("place", "words"),
    [
        (CLI, "the file for --polygons must be a GeoPackage: give a .gpkg file name, not 'p.shp'"),
        (PROCESSING, "The file for the POLYGONS parameter must be a GeoPackage: give a .gpkg"),
        (PANEL, "The file for 'Polygons' must be a GeoPackage: give a .gpkg file name"),
    ],
)
def test_an_output_in_the_wrong_format_is_worded_for_each_place(
    tmp_path, kit, convnet, place, words
):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(20, 20))
    outcome = run_job(_job(tmp_path, raster, convnet, polygons=str(tmp_path / "p.shp")), place)
    assert outcome.status == "failed" and outcome.message.startswith(words)


def test_two_outputs_with_one_name_are_refused(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(20, 20))
    # c.tiff would write its style to c.qml, which is the class map's style.
    outcome = run_job(_job(tmp_path, raster, convnet, confidence=str(tmp_path / "c.tiff")), CLI)
    assert outcome.message == (
        "c.tiff is named for two outputs: choose another file with --confidence"
    )
