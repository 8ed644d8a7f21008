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
