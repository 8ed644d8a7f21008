"""python -m engine: several inputs into a folder, one-line errors with a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from osgeo import gdal

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_segment_several_inputs_by_glob_into_a_folder(tmp_path, kit, convnet, capsys):
    for name in ("a", "b"):
        kit.write_raster(tmp_path / f"{name}.tif", kit.random_image(70, 80))
    out = tmp_path / "out"
    code = main(
        ["segment", str(tmp_path / "*.tif"), "--model", str(convnet), "--output", str(out),
         "--tile", "64", "--overlap", "20", "--batch-size", "2", "--bands", "1,2,3", "--quiet"]
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.glob("*.tif")) == ["a_classes.tif", "b_classes.tif"]
    assert gdal.Open(str(out / "a_classes.tif")).RasterXSize == 80


def test_extent_option_and_summary(tmp_path, kit, convnet, capsys):
    raster = kit.write_raster(
        tmp_path / "in.tif", kit.random_image(100, 100), origin=(0, 100), pixel=1
    )
    code = main(
        ["segment", str(raster), "-m", str(convnet), "-o", str(tmp_path / "o.tif"),
         "--extent", "10,10,50,60"]
    )  # fmt: skip
    assert code == 0
    assert gdal.Open(str(tmp_path / "o.tif")).RasterXSize == 40
    assert "tiles" in capsys.readouterr().out


def test_bad_input_exits_non_zero_with_one_line(tmp_path, convnet):
    result = subprocess.run(
        [sys.executable, "-m", "engine", "segment", str(tmp_path / "missing.tif"),
         "--model", str(convnet), "--output", str(tmp_path / "o.tif"), "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: input raster not found")
    assert not (tmp_path / "o.tif").exists()


def test_bad_model_and_bad_glob(tmp_path, kit, capsys):
    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(20, 20))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"nonsense")
    assert main(["segment", str(raster), "-m", str(broken), "-o", str(tmp_path / "o.tif")]) == 2
    assert "broken.onnx" in capsys.readouterr().err
    assert main(["segment", str(tmp_path / "*.jp2"), "-m", str(broken), "-o", "x.tif"]) == 2
    assert "no file matches" in capsys.readouterr().err


def test_mask_overwrite_and_bundled_model_names(tmp_path, kit, convnet, capsys, monkeypatch):
    from osgeo import ogr, osr

    from engine.jobs import model_catalog

    raster = kit.write_raster(tmp_path / "in.tif", kit.random_image(100, 100))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp_path / "fields.gpkg"))
    layer = source.CreateLayer("fields", srs=srs, geom_type=ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(
        "POLYGON((500001 5799995,500004 5799995,500004 5799998,500001 5799998,500001 5799995))"
    ))  # fmt: skip
    layer.CreateFeature(feature)
    source = None
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "demo_model.onnx").write_bytes(convnet.read_bytes())
    monkeypatch.setattr(model_catalog, "BUNDLED_MODELS_DIR", bundled)
    out = tmp_path / "o.tif"
    args = ["segment", str(raster), "-m", "demo_model", "-o", str(out), "-q"]
    assert main([*args, "--mask", str(tmp_path / "fields.gpkg")]) == 0
    labels = kit.read(out)
    assert labels.shape == (30, 30) and (labels != 255).all()  # 3 m x 3 m at 10 cm

    # The output exists now: the command line never replaces it unasked.
    capsys.readouterr()
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "already exists" in error and "--overwrite" in error
    assert main([*args, "--overwrite"]) == 0
    assert kit.read(out).shape == (100, 100)


def test_errors_name_the_command_line_flags(tmp_path, kit, convnet, capsys):
    grey = kit.write_raster(tmp_path / "grey.tif", kit.random_image(40, 40, bands=1))
    assert (
        main(["segment", str(grey), "-m", str(convnet), "-o", str(tmp_path / "o.tif"), "-q"]) == 2
    )
    error = capsys.readouterr().err.strip()
    assert "include bands 2, 3" in error
    assert error.startswith("error: grey.tif has 1 band(s)") and error.endswith("with --bands")
    lines = tmp_path / "nothing.gpkg"
    assert main(["segment", str(grey), "-m", str(convnet), "-o", str(tmp_path / "o.tif"),
                 "--mask", str(lines), "-q"]) == 2  # fmt: skip
    assert "mask file not found" in capsys.readouterr().err
    assert not (tmp_path / "o.tif").exists()
