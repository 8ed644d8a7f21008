"""Polygon masks in the engine: one pass, tiles outside never run, areas only inside."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import ogr, osr

from engine.errors import InputError
from engine.masking import PolygonMask
from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment
from tests.helpers.tiny_inputs import write_polygons

ORIGIN = (500000.0, 5800000.0)
PIXEL = 0.1


def _rect(col0, row0, col1, row1) -> str:
    """A rectangle over pixel columns [col0, col1) and rows [row0, row1) as WKT."""
    x0, x1 = ORIGIN[0] + col0 * PIXEL, ORIGIN[0] + col1 * PIXEL
    y0, y1 = ORIGIN[1] - row1 * PIXEL, ORIGIN[1] - row0 * PIXEL
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def _count_runs(model):
    calls = []
    run_into = model.backend.run_into

    def counting(batch, out):
        calls.append(batch.shape[0])
        return run_into(batch, out)

    model.backend.run_into = counting
    return calls


def test_mask_keeps_classes_inside_the_polygons_in_one_pass(tmp_path, kit):
    image = kit.random_image(256, 256, seed=5)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    model_path = kit.build_onnx(tmp_path / "m.onnx", metadata={"tile_size": 64})
    options = SegmentationOptions(overlap_pct=25, batch_size=1)
    full = tmp_path / "full.tif"
    segment(raster, model_path, full, options)

    # Two parcels far apart: the bounding box spans tiles that touch neither.
    wkts = (_rect(10, 20, 50, 60), _rect(200, 190, 240, 250))
    masked = tmp_path / "masked.tif"
    model = load_model(model_path)
    model.output_size(64)  # the probe is one run; count only the tiles' runs
    calls = _count_runs(model)
    options.mask = PolygonMask(wkts)
    result = segment(raster, model, masked, options)

    labels = kit.read(masked)
    assert labels.shape == (230, 230)  # rows 20..250, columns 10..240
    expected = np.full((230, 230), 255, np.uint8)
    reference = kit.read(full)
    expected[0:40, 0:40] = reference[20:60, 10:50]
    expected[170:230, 190:230] = reference[190:250, 200:240]
    np.testing.assert_array_equal(labels, expected)
    assert result.tiles_skipped > 0 and sum(calls) == result.tiles_processed
    assert result.tiles_processed + result.tiles_skipped == 5 * 5
    assert result.valid_pixels == 40 * 40 + 60 * 40
    assert sum(a.pixels for a in result.class_areas) == result.valid_pixels
    assert sum(a.percent for a in result.class_areas) == pytest.approx(100)
    assert sorted(p.name for p in tmp_path.iterdir() if "masked" in p.name) == [
        "masked.tif",
        "masked.tif.aux.xml",
    ]


def test_mask_from_a_vector_file_in_another_crs(tmp_path, kit):
    image = kit.random_image(128, 128, seed=6)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    model = kit.build_onnx(tmp_path / "m.onnx", metadata={"tile_size": 64})
    wkts = (_rect(16, 16, 48, 80), _rect(60, 90, 120, 120))
    same = PolygonMask.from_file(write_polygons(tmp_path / "utm.gpkg", wkts))
    assert same.polygons_wkt and "32633" in same.crs_wkt
    exact = segment(raster, model, tmp_path / "a.tif", SegmentationOptions(mask=PolygonMask(wkts)))
    segment(raster, model, tmp_path / "b.tif", SegmentationOptions(mask=same))
    np.testing.assert_array_equal(kit.read(tmp_path / "a.tif"), kit.read(tmp_path / "b.tif"))

    # The same parcels stored in WGS84 (densified so that the reprojected edges stay put).
    to_wgs84 = osr.CoordinateTransformation(_srs(32633), _srs(4326))
    moved = []
    for wkt in wkts:
        geometry = ogr.CreateGeometryFromWkt(wkt)
        geometry.Segmentize(0.05)
        geometry.Transform(to_wgs84)
        moved.append(geometry.ExportToWkt())
    wgs84 = PolygonMask.from_file(write_polygons(tmp_path / "wgs84.gpkg", moved, epsg=4326))
    moved_result = segment(raster, model, tmp_path / "c.tif", SegmentationOptions(mask=wgs84))
    assert exact.valid_pixels == 32 * 64 + 60 * 30
    assert abs(moved_result.valid_pixels - exact.valid_pixels) < 0.02 * exact.valid_pixels


def _srs(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def test_mask_on_the_raster_grid_when_inference_is_resampled(tmp_path, kit):
    image = kit.random_image(160, 160, seed=7)
    raster = kit.write_raster(tmp_path / "in.tif", image)  # 10 cm pixels
    model = kit.build_onnx(tmp_path / "m.onnx", metadata={"tile_size": 32, "resolution_cm": 23})
    triangle = (
        f"POLYGON(({ORIGIN[0] + 1.04} {ORIGIN[1] - 1.04},{ORIGIN[0] + 14.93} {ORIGIN[1] - 1.04},"
        f"{ORIGIN[0] + 1.04} {ORIGIN[1] - 14.93},{ORIGIN[0] + 1.04} {ORIGIN[1] - 1.04}))"
    )
    result = segment(
        raster, model, tmp_path / "o.tif", SegmentationOptions(mask=PolygonMask((triangle,)))
    )
    assert result.notes and "resampled" in result.notes[0]
    labels = kit.read(tmp_path / "o.tif")
    assert labels.shape == (140, 140)  # pixels 10..149 of the raster
    rows, cols = np.mgrid[0:140, 0:140]
    centre_inside = cols + rows <= 138  # pixel centres below the hypotenuse (x + y = 159.7 px)
    np.testing.assert_array_equal(labels != 255, centre_inside)


def test_mask_errors_name_the_mask_option(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(64, 64))
    far = PolygonMask(("POLYGON((0 0,1 0,1 1,0 1,0 0))",))
    with pytest.raises(InputError, match="do not overlap") as raised:
        segment(raster, convnet, tmp_path / "o.tif", SegmentationOptions(mask=far))
    assert raised.value.option == "mask"
    lines = tmp_path / "lines.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(lines))
    layer = source.CreateLayer("roads", srs=_srs(32633), geom_type=ogr.wkbLineString)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt("LINESTRING(500000 5800000,500001 5799999)"))
    layer.CreateFeature(feature)
    source = None
    with pytest.raises(InputError, match="linestring features: a mask needs polygons"):
        PolygonMask.from_file(lines)
    assert not (tmp_path / "o.tif").exists()
