"""segment() end to end on generated rasters and models: pixels, georeferencing, files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from osgeo import gdal

import engine.pipeline as pipeline
from engine.cancel import CancelToken
from engine.errors import Cancelled, InputError, ModelError, OutputError
from engine.model_file import load_model
from engine.pipeline import ExtraOutputs, SegmentationOptions, segment


def _count_runs(model):
    """Record the batch size of every inference, however the engine calls the backend."""
    calls = []
    run, run_into = model.backend.run, model.backend.run_into

    def counting(batch):
        calls.append(batch.shape[0])
        return run(batch)

    def counting_into(batch, out):
        calls.append(batch.shape[0])
        return run_into(batch, out)

    model.backend.run = counting
    model.backend.run_into = counting_into
    return calls


@pytest.mark.parametrize("kind", ["convnet", "conv1x1"])
def test_tiled_equals_single_pass_on_a_non_multiple_raster(tmp_path, kit, kind):
    # Receptive field 5 px (radius 2) < half the overlap (16 / 2 px): tiling must not show.
    image = kit.random_image(157, 203)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    model = kit.build_onnx(tmp_path / "m.onnx", kind=kind, metadata={"tile_size": 64})
    out = tmp_path / "out.tif"
    options = SegmentationOptions(overlap_pct=25, batch_size=3)
    result = segment(raster, model, out, options)
    assert result.tiles_processed == 3 * 4 and result.tiles_skipped == 0
    np.testing.assert_array_equal(kit.read(out), kit.single_pass(model, image))
    src, dst = gdal.Open(str(raster)), gdal.Open(str(out))
    assert dst.GetGeoTransform() == src.GetGeoTransform()
    assert dst.GetProjection() == src.GetProjection()
    assert (dst.RasterXSize, dst.RasterYSize) == (203, 157)


def test_raster_smaller_than_a_tile_is_padded_and_cropped_back(tmp_path, kit, convnet):
    image = kit.random_image(30, 45, seed=4)
    raster = kit.write_raster(tmp_path / "small.tif", image, block=None)
    out = tmp_path / "out.tif"
    result = segment(raster, convnet, out)
    assert result.tiles_processed == 1
    labels, reference = kit.read(out), kit.single_pass(convnet, image)
    # Away from the padded right and bottom edges (receptive-field radius 2) nothing differs;
    # at them the model sees the padding, as any padded model does.
    np.testing.assert_array_equal(labels[:-2, :-2], reference[:-2, :-2])
    assert (labels == reference).mean() > 0.97
    assert gdal.Open(str(out)).GetGeoTransform() == gdal.Open(str(raster)).GetGeoTransform()


def test_output_is_a_tiled_deflate_geotiff_with_classes_and_no_leftovers(tmp_path, kit):
    model = kit.build_onnx(
        tmp_path / "m.onnx",
        metadata={
            "tile_size": 64,
            "class_names": ["road", "roof", "grass"],
            "class_colors": [(10, 20, 30), (200, 0, 0), (0, 200, 0)],
        },
    )
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(100, 100))
    out = tmp_path / "out" / "classes.tif"
    out.parent.mkdir()
    result = segment(raster, model, out)
    ds = gdal.Open(str(out))
    band = ds.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Byte and band.GetNoDataValue() == 255
    assert band.GetBlockSize() == [256, 256]
    assert ds.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
    assert band.GetCategoryNames() == ["road", "roof", "grass"]
    assert band.GetColorTable().GetColorEntry(1)[:3] == (200, 0, 0)
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == ["classes.qml", "classes.tif", "classes.tif.aux.xml"]
    labels = kit.read(out)
    assert [a.name for a in result.class_areas] == ["road", "roof", "grass"]
    for area in result.class_areas:
        assert area.pixels == int((labels == area.index).sum())
        assert area.area_m2 == pytest.approx(area.pixels * 0.01)
    assert sum(a.percent for a in result.class_areas) == pytest.approx(100)
    assert result.device == "cpu" and result.backend == "onnxruntime"
    assert result.timings["infer"] > 0 and result.timings["total"] >= result.timings["infer"]


def test_nodata_comes_out_as_nodata_and_is_not_inferred(tmp_path, kit, convnet):
    image = kit.random_image(192, 192, seed=2)
    image[image == 0] = 1
    image[:, :, 96:] = 0  # right half nodata: 2 of 4 tile columns hold no valid pixel
    image[:, 10:20, 10:20] = 0  # a hole inside a valid tile
    raster = kit.write_raster(tmp_path / "in.tif", image, nodata=0)
    model = load_model(convnet)
    model.output_size(64)  # the output-size probe is one run; count only the tiles' runs
    calls = _count_runs(model)
    out = tmp_path / "out.tif"
    result = segment(raster, model, out, SegmentationOptions(overlap_pct=25, batch_size=1))
    labels = kit.read(out)
    invalid = (image == 0).all(axis=0)
    assert ((labels == 255) == invalid).all()
    # tiles at x 0, 48, 96, 128 (stride 48, last shifted): the owner of x >= 96 is never run
    assert result.tiles_skipped > 0
    assert sum(calls) == result.tiles_processed == 16 - result.tiles_skipped
    valid = ~invalid
    assert (labels[valid] == kit.single_pass(convnet, image)[valid]).mean() > 0.97


def test_alpha_band_masks_pixels(tmp_path, kit, convnet):
    image = kit.random_image(80, 80, seed=3)
    alpha = np.full((80, 80), 255, np.uint8)
    alpha[40:, :] = 0
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha)
    out = tmp_path / "out.tif"
    segment(raster, convnet, out)  # model bands 1,2,3: the alpha band is a mask, not input
    labels = kit.read(out)
    assert (labels[40:] == 255).all() and (labels[:40] != 255).all()


def test_uint16_input_is_scaled_as_the_metadata_says(tmp_path, kit):
    image = kit.random_image(90, 110, seed=5)
    m8 = kit.build_onnx(tmp_path / "m8.onnx", metadata={"tile_size": 64, "pixel_scale": 255.0})
    m16 = kit.build_onnx(tmp_path / "m16.onnx", metadata={"tile_size": 64, "pixel_scale": 65535.0})
    r8 = kit.write_raster(tmp_path / "u8.tif", image)
    r16 = kit.write_raster(tmp_path / "u16.tif", image.astype(np.uint16) * 257)
    segment(r8, m8, tmp_path / "o8.tif")
    segment(r16, m16, tmp_path / "o16.tif")
    a, b = kit.read(tmp_path / "o8.tif"), kit.read(tmp_path / "o16.tif")
    assert (a == b).mean() > 0.999  # float rounding may flip a near-tie
    assert gdal.Open(str(tmp_path / "o16.tif")).GetGeoTransform()[1] == pytest.approx(0.1)


def test_geographic_crs_keeps_georeferencing_and_reports_metric_areas(tmp_path, kit, convnet):
    image = kit.random_image(70, 90, seed=6)
    pixel = 1e-6  # degrees: ~0.11 m north-south, ~0.07 m east-west at 52 N
    raster = kit.write_raster(
        tmp_path / "geo.tif", image, origin=(17.0, 52.0), pixel=pixel, epsg=4326
    )
    out = tmp_path / "out.tif"
    result = segment(raster, convnet, out)
    ds = gdal.Open(str(out))
    assert ds.GetGeoTransform() == pytest.approx((17.0, pixel, 0, 52.0, 0, -pixel))
    assert "4326" in ds.GetProjection() or "WGS 84" in ds.GetProjection()
    lat = math.radians(52.0 - 35 * pixel)
    expected = (pixel * 111320 * math.cos(lat)) * (pixel * 111250)
    assert result.pixel_area_m2 == pytest.approx(expected, rel=0.01)
    np.testing.assert_array_equal(kit.read(out), kit.single_pass(convnet, image))


def test_gsd_mismatch_runs_at_model_gsd_and_writes_on_the_source_grid(tmp_path, kit):
    # 10 cm raster, 20 cm model: inference on a half-size grid, output back at 10 cm.
    blocks = np.random.default_rng(7).integers(0, 256, size=(3, 12, 16), dtype=np.uint8)
    image = blocks.repeat(16, axis=1).repeat(16, axis=2)  # 192 x 256, constant 16 px blocks
    raster = kit.write_raster(tmp_path / "in.tif", image, pixel=0.1)
    model = kit.build_onnx(
        tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 64, "resolution_cm": 20.0}
    )
    out = tmp_path / "out.tif"
    result = segment(raster, model, out, SegmentationOptions(overlap_pct=25))
    ds = gdal.Open(str(out))
    assert (ds.RasterXSize, ds.RasterYSize) == (256, 192)
    assert ds.GetGeoTransform() == gdal.Open(str(raster)).GetGeoTransform()
    assert any("resampled to 128x96" in n for n in result.notes)  # information, no warning
    assert not any("resampled" in w for w in result.warnings)
    assert result.tiles_processed == 2 * 3  # a 128 x 96 grid of 64 px tiles, stride 48
    reference = kit.single_pass(model, image)  # pixelwise model: same classes at any GSD
    interior = np.zeros_like(reference, dtype=bool)
    for y in range(12):
        for x in range(16):
            interior[y * 16 + 2 : y * 16 + 14, x * 16 + 2 : x * 16 + 14] = True
    assert (kit.read(out)[interior] == reference[interior]).all()
    no_resample = segment(raster, model, tmp_path / "o2.tif", SegmentationOptions(resample=False))
    assert no_resample.tiles_processed == 4 * 5


def test_gsd_mismatch_with_nodata_and_extent(tmp_path, kit):
    # 5 cm raster, 10 cm model (shrunk by averaging), nodata on the left, an extent inside.
    blocks = np.random.default_rng(12).integers(1, 256, size=(3, 10, 10), dtype=np.uint8)
    image = blocks.repeat(20, axis=1).repeat(20, axis=2)  # 200 x 200, 20 px blocks
    image[:, :, :50] = 0
    raster = kit.write_raster(tmp_path / "in.tif", image, origin=(0.0, 10.0), pixel=0.05, nodata=0)
    model = kit.build_onnx(
        tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 32, "resolution_cm": 10.0}
    )
    out = tmp_path / "out.tif"
    extent = (1.0, 2.0, 9.0, 9.0)  # columns 20..180, rows 20..160
    result = segment(raster, model, out, SegmentationOptions(extent=extent, overlap_pct=25))
    ds = gdal.Open(str(out))
    assert (ds.RasterXSize, ds.RasterYSize) == (160, 140)
    assert ds.GetGeoTransform() == pytest.approx((1.0, 0.05, 0, 9.0, 0, -0.05))
    labels = kit.read(out)
    source = image[:, 20:160, 20:180]
    assert ((labels == 255) == (source == 0).all(axis=0)).all()
    reference = kit.single_pass(model, image)[20:160, 20:180]
    interior = np.zeros_like(reference, dtype=bool)
    for y in range(0, 140, 20):
        for x in range(0, 160, 20):
            interior[y + 3 : y + 17, x + 3 : x + 17] = True
    interior &= labels != 255
    assert interior.sum() > 5000
    assert (labels[interior] == reference[interior]).all()
    assert any("resampled to 100x100" in n for n in result.notes)


def test_extent_limits_the_work_and_the_output(tmp_path, kit, convnet):
    image = kit.random_image(200, 300, seed=8)
    raster = kit.write_raster(tmp_path / "in.tif", image, origin=(1000.0, 2000.0), pixel=1.0)
    out = tmp_path / "out.tif"
    extent = (1100.0, 1850.0, 1180.5, 1900.0)  # columns 100..181, rows 100..150
    result = segment(raster, convnet, out, SegmentationOptions(extent=extent))
    ds = gdal.Open(str(out))
    assert (ds.RasterXSize, ds.RasterYSize) == (81, 50)
    assert ds.GetGeoTransform() == (1100.0, 1.0, 0.0, 1900.0, 0.0, -1.0)
    assert result.tiles_processed <= 4
    full = kit.single_pass(convnet, image)
    np.testing.assert_array_equal(kit.read(out), full[100:150, 100:181])
    with pytest.raises(InputError, match="does not overlap"):
        segment(raster, convnet, tmp_path / "x.tif", SegmentationOptions(extent=(0, 0, 10, 10)))


def test_cancel_leaves_no_file(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(300, 300))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    token = CancelToken()
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        if fraction > 0.1:
            token.cancel()

    with pytest.raises(Cancelled):
        segment(raster, convnet, out_dir / "o.tif", SegmentationOptions(batch_size=1),
                progress=progress, cancel=token)  # fmt: skip
    assert list(out_dir.iterdir()) == []
    assert 0 < max(seen) < 1


def test_progress_reaches_one_and_is_monotonic(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(150, 150))
    seen = []
    segment(raster, convnet, tmp_path / "o.tif", progress=lambda f, m: seen.append(f))
    assert seen[0] == 0 and seen[-1] == 1 and seen == sorted(seen)


def test_corrupt_and_wrong_channel_models_give_clear_errors(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(64, 64))
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07garbage" + bytes(range(256)) * 4)
    with pytest.raises(ModelError, match=r"corrupt\.onnx"):
        load_model(corrupt)
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(convnet.read_bytes()[:300])
    with pytest.raises(ModelError, match=r"truncated\.onnx"):
        segment(raster, truncated, tmp_path / "o.tif")
    four = kit.build_onnx(tmp_path / "four.onnx", in_channels=4, metadata={"tile_size": 64})
    with pytest.raises(InputError, match="band"):
        segment(raster, four, tmp_path / "o.tif")
    # the metadata lists 3 bands but the graph takes 1 channel: the file contradicts itself
    props_3 = kit.build_onnx(tmp_path / "ref.onnx", metadata={"tile_size": 64})
    from engine.metadata import read_onnx_props

    one = kit.build_onnx(tmp_path / "one.onnx", in_channels=1, raw_props=read_onnx_props(props_3))
    with pytest.raises(ModelError, match="1 input channels"):
        load_model(one)
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "missing.onnx")
    assert not list(tmp_path.glob("*.partial*")) and not (tmp_path / "o.tif").exists()


def test_bad_inputs_give_input_errors(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(64, 64))
    with pytest.raises(InputError, match="not found"):
        segment(tmp_path / "nope.tif", convnet, tmp_path / "o.tif")
    with pytest.raises(InputError, match=r"bands chosen \(1, 2, 5\) include band 5") as bad:
        segment(raster, convnet, tmp_path / "o.tif", SegmentationOptions(bands=(1, 2, 5)))
    assert bad.value.option == "bands"
    assert bad.value.worded(lambda option: "--bands").endswith("choose 3 of its bands with --bands")
    grey = kit.write_raster(tmp_path / "grey.tif", kit.random_image(64, 64, bands=1))
    with pytest.raises(InputError, match=r"1 band\(s\) but the model's default bands") as one:
        segment(grey, convnet, tmp_path / "o.tif")
    assert one.value.option == "bands" and "--" not in str(one.value)
    with pytest.raises(InputError, match="output folder"):
        segment(raster, convnet, tmp_path / "no" / "dir" / "o.tif")
    text = tmp_path / "text.tif"
    text.write_text("not a raster")
    with pytest.raises(InputError, match="cannot open"):
        segment(text, convnet, tmp_path / "o.tif")


def test_band_selection_reorders_input(tmp_path, kit, convnet):
    image = kit.random_image(64, 64, bands=4, seed=9)
    image[3] |= 1  # GDAL takes a 4th byte band for alpha: keep every pixel valid
    raster = kit.write_raster(tmp_path / "in.tif", image)
    out = tmp_path / "o.tif"
    segment(raster, convnet, out, SegmentationOptions(bands=(4, 2, 1)))
    np.testing.assert_array_equal(kit.read(out), kit.single_pass(convnet, image[[3, 1, 0]]))


def test_fixed_batch_and_fixed_tile_models(tmp_path, kit):
    image = kit.random_image(100, 130, seed=10)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    model = load_model(kit.build_onnx(tmp_path / "fixed.onnx", tile=64, batch=1, metadata={}))
    assert model.fixed_batch == 1 and model.metadata.tile_size == 64
    calls = _count_runs(model)
    out = tmp_path / "o.tif"
    result = segment(raster, model, out, SegmentationOptions(batch_size=4, tile_size=128))
    assert set(calls) == {1} and len(calls) == result.tiles_processed
    assert any("only takes 64" in w for w in result.warnings)
    dynamic = kit.build_onnx(tmp_path / "dyn.onnx", metadata={"tile_size": 64})
    np.testing.assert_array_equal(kit.read(out), kit.single_pass(dynamic, image))


def test_threads_and_devices(tmp_path, convnet):
    from engine.backends import available_devices

    model = load_model(convnet, device="cpu", num_threads=1)
    assert model.backend.session.get_session_options().intra_op_num_threads == 1
    devices = available_devices()
    assert "cpu" in devices["devices"] and devices["onnxruntime"]
    wanted = load_model(convnet, device="cuda")
    if not devices["onnxruntime_cuda"]:
        assert wanted.device == "cpu"
        assert any("CUDA" in w for w in wanted.warnings)
    with pytest.raises(ModelError, match="unknown device"):
        load_model(convnet, device="tpu")


def test_a_failure_mid_run_leaves_no_file(tmp_path, kit, convnet):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(200, 200))
    model = load_model(convnet)
    model.output_size(64)
    run, run_into = model.backend.run, model.backend.run_into
    calls = []

    def failing(batch, out=None):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("device lost")
        return run(batch) if out is None else run_into(batch, out)

    model.backend.run = failing
    model.backend.run_into = failing
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ModelError, match="device lost"):
        segment(raster, model, out_dir / "o.tif", SegmentationOptions(batch_size=1))
    assert list(out_dir.iterdir()) == []


def test_onnx_path_and_device_detection_never_import_torch(tmp_path, convnet, kit):
    import subprocess
    import sys
    from pathlib import Path

    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(40, 40))
    code = (
        "import sys; from engine.pipeline import segment; from engine.backends import "
        f"available_devices; available_devices(); segment({str(raster)!r}, {str(convnet)!r}, "
        f"{str(tmp_path / 'o.tif')!r}); print('torch' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_damaged_raster_gives_an_input_error_and_no_file(tmp_path, kit, convnet):
    import os

    mem = gdal.GetDriverByName("MEM").Create("", 256, 256, 3, gdal.GDT_Byte)
    mem.WriteRaster(0, 0, 256, 256, kit.random_image(256, 256).tobytes())
    damaged = tmp_path / "damaged.tif"
    options = ["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=DEFLATE"]
    gdal.GetDriverByName("GTiff").CreateCopy(str(damaged), mem, options=options)
    os.truncate(damaged, damaged.stat().st_size // 2)  # the header survives, blocks do not
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError, match=r"cannot read damaged\.tif"):
        segment(damaged, convnet, out_dir / "o.tif")
    assert list(out_dir.iterdir()) == []


def test_write_errors_name_the_users_file_not_the_hidden_one(tmp_path, kit, convnet, monkeypatch):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(300, 300))

    def full_disk(band, *args, **kwargs):
        name = band.GetDataset().GetDescription()
        raise RuntimeError(f"{name}: Free disk space available is 0 bytes")

    monkeypatch.setattr(gdal.Band, "WriteArray", full_disk)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(OutputError) as raised:
        segment(raster, convnet, out_dir / "classes.tif")
    assert "partial" not in str(raised.value)
    assert str(out_dir / "classes.tif") in str(raised.value)
    assert list(out_dir.iterdir()) == []


def test_a_confidence_that_cannot_be_opened_closes_the_class_map(
    tmp_path, kit, convnet, monkeypatch
):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(100, 100))
    real_class_map, opened = pipeline.class_map_writer, []

    def recording(*args, **kwargs):
        opened.append(real_class_map(*args, **kwargs))
        return opened[-1]

    def refused(path, *args, **kwargs):
        raise OutputError(f"cannot create {path}: permission denied")

    monkeypatch.setattr(pipeline, "class_map_writer", recording)
    monkeypatch.setattr(pipeline, "confidence_writer", refused)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    outputs = ExtraOutputs(confidence=out_dir / "confidence.tif")
    with pytest.raises(OutputError, match="permission denied"):
        segment(raster, convnet, out_dir / "classes.tif", outputs=outputs)
    assert len(opened) == 1 and opened[0].dataset is None  # GDAL's handle dropped
    assert list(out_dir.iterdir()) == []


def test_large_outputs_get_overviews(tmp_path, kit):
    model = kit.build_onnx(tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 64})
    raster = kit.write_raster(tmp_path / "wide.tif", kit.random_image(40, 2100))
    segment(raster, model, tmp_path / "wide_classes.tif")
    dataset = gdal.Open(str(tmp_path / "wide_classes.tif"))  # kept: the band needs it
    band = dataset.GetRasterBand(1)
    assert band.GetOverviewCount() == 3  # 1050, 525, 262 columns
    overview = band.GetOverview(0).ReadAsArray()
    np.testing.assert_array_equal(overview, kit.read(tmp_path / "wide_classes.tif")[::2, ::2])
    small = kit.write_raster(tmp_path / "small.tif", kit.random_image(40, 300))
    segment(small, model, tmp_path / "small_classes.tif")
    small_dataset = gdal.Open(str(tmp_path / "small_classes.tif"))
    assert small_dataset.GetRasterBand(1).GetOverviewCount() == 0


def test_geopackage_rasters_and_netcdf_subdatasets_are_inputs(tmp_path, kit, convnet):
    image = kit.random_image(80, 96, seed=11)
    tif = kit.write_raster(tmp_path / "in.tif", image)
    gpkg = tmp_path / "ortho.gpkg"
    gdal.Translate(str(gpkg), str(tif), format="GPKG", creationOptions=["RASTER_TABLE=ortho"])
    segment(f"GPKG:{gpkg}:ortho", convnet, tmp_path / "from_gpkg.tif")
    segment(tif, convnet, tmp_path / "from_tif.tif")
    np.testing.assert_array_equal(
        kit.read(tmp_path / "from_gpkg.tif"), kit.read(tmp_path / "from_tif.tif")
    )

    one_band = kit.build_onnx(tmp_path / "one.onnx", in_channels=1, metadata={"tile_size": 32})
    nc = tmp_path / "bands.nc"
    gdal.Translate(str(nc), str(tif), format="netCDF")
    subdatasets = gdal.Open(str(nc)).GetMetadata("SUBDATASETS")
    name = subdatasets["SUBDATASET_2_NAME"]  # NETCDF:"…/bands.nc":Band2
    segment(name, one_band, tmp_path / "from_nc.tif")
    segment(tif, one_band, tmp_path / "band2.tif", SegmentationOptions(bands=(2,)))
    np.testing.assert_array_equal(
        kit.read(tmp_path / "from_nc.tif"), kit.read(tmp_path / "band2.tif")
    )
    with pytest.raises(InputError, match="cannot open"):
        segment(f"GPKG:{gpkg}:no_such_table", convnet, tmp_path / "x.tif")


def test_sampled_tiles_are_the_inputs_the_engine_makes(tmp_path, kit):
    from engine.tile_input import sample_tiles

    model = kit.build_onnx(
        tmp_path / "m.onnx", kind="conv1x1", metadata={"tile_size": 64, "pixel_scale": 255.0}
    )
    image = kit.random_image(100, 140, seed=12)
    alpha = np.full(image.shape[1:], 255, np.uint8)
    alpha[:, :64] = 0  # the left tiles own no valid pixel: never sampled
    raster = kit.write_raster(tmp_path / "in.tif", image, alpha=alpha)
    loaded = load_model(model)
    tiles = sample_tiles([raster], loaded, 100)
    assert tiles.shape[1:] == (3, 64, 64) and 0 < len(tiles) < 2 * 3
    scaled = image / 255
    origins = [(y, x) for y in range(100 - 63) for x in range(140 - 63)]
    for tile in tiles:  # each is a window of the image / 255, as the engine normalises it
        (y, x), *_ = [
            (y, x) for y, x in origins if np.allclose(tile[0, 0, :4], scaled[0, y, x : x + 4])
        ]
        np.testing.assert_allclose(tile, scaled[:, y : y + 64, x : x + 64], rtol=1e-6)
        assert x > 0  # the tile at x = 0 owns no valid pixel: left out
