"""Shards of one raster (bands of its tile rows) stack up to the whole run's output, pixel
for pixel, whatever the raster needs: resampling either way, no data, a mask, an extent.
Outputs carry a stamp (model hash, settings, class pixels) that a rerun recognises."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from osgeo import gdal

from engine.cluster.shards import Shard, split_into_shards
from engine.masking import PolygonMask
from engine.model_file import file_sha256, load_model
from engine.options import SegmentationOptions
from engine.output_stamp import read_stamp, settings_fingerprint
from engine.pipeline import segment
from engine.planning import make_plan
from engine.raster_io import RasterSource


def _shards(raster, model, options, max_tiles) -> list[Shard]:
    source = RasterSource.open(raster)
    try:
        return split_into_shards(make_plan(source, model, options), max_tiles)
    finally:
        source.close()


def _segment_in_shards(tmp_path, raster, model_path, options, max_tiles):
    """Every shard into its own file; the shards and their files' pixels and geotransforms."""
    model = load_model(model_path, device="cpu")
    shards = _shards(raster, model, options, max_tiles)
    pixels, transforms = [], []
    for k, shard in enumerate(shards):
        part = tmp_path / f"part{k}.tif"
        segment(raster, model, part, options, tile_rows=shard.tile_rows)
        dataset = gdal.Open(str(part))
        pixels.append(dataset.ReadAsArray())
        transforms.append(dataset.GetGeoTransform())
    return shards, pixels, transforms


CASES = {
    "own grid": dict(pixel=0.1, resolution=10.0, size=(157, 203), options={}),
    "shrunk 10 cm to 23 cm": dict(pixel=0.1, resolution=23.0, size=(301, 190), options={}),
    "enlarged 10 cm to 4 cm": dict(pixel=0.1, resolution=4.0, size=(61, 47), options={}),
    "enlarged 1 m to 3 cm: bands without a raster row": dict(
        pixel=1.0, resolution=3.0, size=(9, 5), options={}
    ),
    "nodata, mask and extent": dict(
        pixel=0.1, resolution=10.0, size=(180, 150), nodata=True,
        options={
            "extent": (500002.0, 5799983.0, 500014.0, 5799998.5),
            "mask": PolygonMask(("POLYGON((500003 5799984,500013 5799990,500004 5799998,"
                                 "500003 5799984))",)),
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_shards_stack_up_to_the_whole_runs_output(tmp_path, kit, case):
    spec = CASES[case]
    h, w = spec["size"]
    image = kit.random_image(h, w, seed=len(case))
    if spec.get("nodata"):
        image[:, 40:70, :] = 0
    raster = kit.write_raster(
        tmp_path / "in.tif", image, pixel=spec["pixel"], nodata=0 if spec.get("nodata") else None
    )
    model = kit.build_onnx(
        tmp_path / "m.onnx", metadata={"tile_size": 32, "resolution_cm": spec["resolution"]}
    )
    # 2 px of overlap for a model that sees 2 px around a pixel: tile borders show in the
    # output, so only the very same tiles give the same pixels.
    options = SegmentationOptions(overlap_pct=6.25, batch_size=3, **spec["options"])
    whole = segment(raster, model, tmp_path / "whole.tif", options)
    expected = kit.read(tmp_path / "whole.tif")
    if case == "own grid":
        assert (expected != kit.single_pass(model, image)).any()
    gt = gdal.Open(str(tmp_path / "whole.tif")).GetGeoTransform()
    for per_shard in (1, 5):  # bands of one tile row, and of a few
        shards, pixels, transforms = _segment_in_shards(tmp_path, raster, model, options, per_shard)
        assert len(shards) > 2 and all(p.shape[0] > 0 for p in pixels)
        if "without a raster row" in case and per_shard == 1:
            assert any(s.stop_row - s.first_row > 1 for s in shards)  # empty bands joined
        np.testing.assert_array_equal(np.concatenate(pixels), expected)
        y = 0
        for part, transform in zip(pixels, transforms):
            assert transform == pytest.approx((gt[0], gt[1], 0, gt[3] + y * gt[5], 0, gt[5]))
            y += part.shape[0]
    assert whole.tiles_processed > 0


def test_split_covers_every_tile_row_and_raster_row_once(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(700, 150))
    model = load_model(convnet, device="cpu")
    options = SegmentationOptions(overlap_pct=25)
    grid_rows, columns = 15, 3  # 64 px tiles, stride 48
    assert _shards(raster, model, options, 10_000) == [Shard(0, grid_rows, (0, 700))]
    shards = _shards(raster, model, options, 7)  # two tile rows of 3 tiles per shard
    assert [s.stop_row - s.first_row for s in shards] == [2] * 7 + [1]
    assert all(a.stop_row == b.first_row for a, b in itertools.pairwise(shards))
    assert all(a.source_rows[1] == b.source_rows[0] for a, b in itertools.pairwise(shards))
    assert shards[0].source_rows[0] == 0 and shards[-1].source_rows[1] == 700
    assert _shards(raster, model, options, 2)[0].tile_rows == (0, 1)  # a row never splits
    assert columns * grid_rows == 45


def test_outputs_are_stamped_with_model_settings_and_class_pixels(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(90, 110), nodata=None)
    options = SegmentationOptions(overlap_pct=20)
    result = segment(raster, convnet, tmp_path / "out.tif", options)
    stamp = read_stamp(tmp_path / "out.tif")
    assert stamp.model_sha256 == file_sha256(convnet) and stamp.model_name == "convnet.onnx"
    assert stamp.matches(file_sha256(convnet), settings_fingerprint(options))
    assert not stamp.matches(file_sha256(convnet), settings_fingerprint(SegmentationOptions()))
    labels = kit.read(tmp_path / "out.tif")
    assert stamp.class_pixels == (tuple(int((labels == c).sum()) for c in range(3)),)
    assert [a.pixels for a in result.class_areas] == list(stamp.class_pixels[0])
    assert stamp.pixel_area_m2 == pytest.approx(0.01)
    # Device, batch size and threads do not change pixels, so they do not change the stamp.
    same = SegmentationOptions(overlap_pct=20, batch_size=1, num_threads=1, device="cpu")
    assert settings_fingerprint(same) == stamp.settings
    assert read_stamp(tmp_path / "missing.tif") is None
    assert read_stamp(raster) is None  # a raster we did not write


def test_the_same_polygons_from_a_layer_or_a_file_are_the_same_mask_in_the_stamp(
    tmp_path, kit, convnet
):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(90, 110))
    square = "POLYGON((500001 5799992,500009 5799992,500009 5799999,500001 5799999,500001 5799992))"
    crs = gdal.Open(str(raster)).GetProjection()
    stamps = []
    for k, mask in enumerate([PolygonMask((square,)), PolygonMask((square,), crs_wkt=crs)]):
        segment(raster, convnet, tmp_path / f"out{k}.tif", SegmentationOptions(mask=mask))
        stamps.append(read_stamp(tmp_path / f"out{k}.tif"))
    assert stamps[0] == stamps[1]
    other = PolygonMask((square.replace("500009", "500008"),))
    segment(raster, convnet, tmp_path / "other.tif", SegmentationOptions(mask=other))
    assert read_stamp(tmp_path / "other.tif").settings != stamps[0].settings
