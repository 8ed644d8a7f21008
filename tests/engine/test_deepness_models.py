"""Every Deepness segmentation test model on the real UAV orthophoto (RGB + alpha, 2 cm)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from osgeo import gdal, ogr

from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment

# model file -> class names per output band, as Deepness reads them
EXPECTED = {
    "one_output_softmax_bsx2x512x512.onnx": [["class 0", "class 1"]],
    "one_output_sigmoid_bsx512x512.onnx": [["background", "Coffee"]],
    "one_output_sigmoid_bsx1x512x512.onnx": [["background", "Coffee"]],
    "two_outputs_softmax_bsx2x512x512.onnx": [["Coffee", "Tea"], ["Juice", "Beer"]],
    "two_outputs_sigmoid_bsx1x512x512.onnx": [["background", "Coffee"], ["background", "Juice"]],
    "different_output_size_512_to_484.onnx": [["class 0", "class 1"]],
    "dummy_model.onnx": [["class 0", "class 1", "class 2"]],
}
MASKED_COLUMNS = 480  # the first tile column owns x < 473: its tiles hold no valid pixel


@pytest.fixture(scope="module")
def masked_orthophoto(tmp_path_factory, kit):
    """The orthophoto with its alpha cleared over the left columns and a corner."""
    path = tmp_path_factory.mktemp("ortho") / "ortho.tif"
    shutil.copy(kit.orthophoto, path)
    ds = gdal.Open(str(path), gdal.GA_Update)
    alpha = ds.GetRasterBand(4).ReadAsArray()
    alpha[:, :MASKED_COLUMNS] = 0
    alpha[700:, 1100:] = 0
    ds.GetRasterBand(4).WriteArray(alpha)
    ds = None
    return path, alpha == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_deepness_model_segments_the_orthophoto(tmp_path, kit, masked_orthophoto, name):
    raster, invalid = masked_orthophoto
    out = tmp_path / "classes.tif"
    result = segment(raster, kit.deepness / name, out)
    expected = EXPECTED[name]
    ds = gdal.Open(str(out))
    assert ds.RasterCount == len(expected)
    assert (ds.RasterXSize, ds.RasterYSize) == (1243, 841)
    assert ds.GetGeoTransform() == gdal.Open(str(kit.orthophoto)).GetGeoTransform()
    labels = ds.ReadAsArray().reshape(len(expected), 841, 1243)
    for b, names in enumerate(expected):
        band = ds.GetRasterBand(b + 1)
        assert band.GetCategoryNames() == names
        assert band.GetNoDataValue() == 255
        assert ((labels[b] == 255) == invalid).all()  # the alpha area is nodata, nothing else
        assert set(np.unique(labels[b][~invalid])) <= set(range(len(names)))
    assert [(a.band, a.name) for a in result.class_areas] == [
        (b + 1, n) for b, names in enumerate(expected) for n in names
    ]
    assert result.tiles_skipped == 2 and result.tiles_processed == 4  # 2 rows x 3 columns
    assert result.pixel_area_m2 == pytest.approx(0.02 * 0.02, rel=0.01)


def _pixelwise_reference(model_path, image):
    """Deepness' reading of a 1x1-conv model: x / 255, conv, argmax or sigmoid > 0.5."""
    import onnx
    from onnx import numpy_helper

    weights = {
        i.name: numpy_helper.to_array(i) for i in onnx.load(str(model_path)).graph.initializer
    }
    w = weights["conv.weight"][:, :, 0, 0]
    x = image[:3].astype(np.float32) / 255
    scores = np.einsum("oc,chw->ohw", w, x) + weights["conv.bias"][:, None, None]
    return scores.argmax(axis=0) if len(w) > 1 else (scores[0] > 0).astype(np.uint8)


@pytest.mark.parametrize(
    "name", ["one_output_softmax_bsx2x512x512.onnx", "one_output_sigmoid_bsx1x512x512.onnx"]
)
def test_pixelwise_deepness_models_match_their_formula(tmp_path, kit, name):
    out = tmp_path / "c.tif"
    segment(kit.orthophoto, kit.deepness / name, out)
    image = gdal.Open(str(kit.orthophoto)).ReadAsArray()
    reference = _pixelwise_reference(kit.deepness / name, image)
    assert (kit.read(out) == reference).mean() > 0.999


def test_output_smaller_than_input_covers_the_tile_centre(kit):
    model = load_model(kit.deepness / "different_output_size_512_to_484.onnx")
    assert model.output_size(512) == 484 and model.fixed_batch == 1
    assert any("names no classes" in w for w in model.warnings)


def test_area_polygon_extent_limits_the_work(tmp_path, kit):
    # A copy: SQLite may rewrite a GeoPackage's header even when it is only read.
    area = tmp_path / "area.gpkg"
    shutil.copy(kit.deepness / "uav_orthophoto_area.gpkg", area)
    source = ogr.Open(str(area))  # kept in a variable: it owns the layer
    xmin, xmax, ymin, ymax = source.GetLayer(0).GetExtent()
    out = tmp_path / "area.tif"
    options = SegmentationOptions(extent=(xmin, ymin, xmax, ymax))
    result = segment(kit.orthophoto, kit.deepness / "dummy_model.onnx", out, options)
    ds = gdal.Open(str(out))
    gt = ds.GetGeoTransform()
    assert gt[0] <= xmin < gt[0] + gt[1] and gt[3] >= ymax > gt[3] + gt[5]
    assert gt[0] + ds.RasterXSize * gt[1] >= xmax > gt[0] + (ds.RasterXSize - 1) * gt[1]
    assert ds.RasterXSize < 1243 and ds.RasterYSize < 841
    full = tmp_path / "full.tif"
    segment(kit.orthophoto, kit.deepness / "dummy_model.onnx", full)
    full_gt = gdal.Open(str(full)).GetGeoTransform()
    x0 = round((gt[0] - full_gt[0]) / gt[1])
    y0 = round((gt[3] - full_gt[3]) / gt[5])
    window = kit.read(full)[y0 : y0 + ds.RasterYSize, x0 : x0 + ds.RasterXSize]
    assert (kit.read(out) == window).mean() > 0.999  # dummy_model is pixelwise
    assert result.valid_pixels == ds.RasterXSize * ds.RasterYSize


def test_fixed_batch_rank3_output_with_reused_output_buffers(tmp_path, kit):
    # Batch size 1 = the model's fixed batch: outputs [1, H, W] go into reused buffers.
    name = kit.deepness / "one_output_sigmoid_bsx512x512.onnx"
    segment(kit.orthophoto, name, tmp_path / "b1.tif", SegmentationOptions(batch_size=1))
    segment(kit.orthophoto, name, tmp_path / "b4.tif", SegmentationOptions(batch_size=4))
    np.testing.assert_array_equal(kit.read(tmp_path / "b1.tif"), kit.read(tmp_path / "b4.tif"))
    assert 0 < (kit.read(tmp_path / "b1.tif") == 1).mean() < 1


def test_seg_thresh_of_a_multi_class_deepness_model_sends_weak_pixels_to_class_0(tmp_path, kit):
    """As Deepness does: scores below seg_thresh are zeroed before the argmax."""
    image = kit.random_image(48, 48, seed=12)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    props = {"model_type": '"Segmentor"', "seg_thresh": "38", "class_names": '{"0": "a", '
             '"1": "b", "2": "c"}', "tiles_size": "48"}  # fmt: skip
    model = kit.build_onnx(tmp_path / "m.onnx", kind="conv1x1", raw_props=props)
    assert load_model(model).metadata.threshold_all_classes
    segment(raster, model, tmp_path / "o.tif")

    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    scores = session.run(None, {"input": (image.astype(np.float32) / 255)[np.newaxis]})[0][0]
    expected = scores.argmax(axis=0)
    weak = scores.max(axis=0) < 38
    expected[weak] = 0
    assert 0.05 < weak.mean() < 0.95  # the threshold matters on this image
    np.testing.assert_array_equal(kit.read(tmp_path / "o.tif"), expected)
