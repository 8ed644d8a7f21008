"""Headless ``qgis_process run aerial_segmentation:segment``, as a shell script would call it."""

from __future__ import annotations

import json

from devtools.qgis_process import run_qgis_process


def test_qgis_process_segments_a_raster(tiny, tiny_model, tiny_raster, tmp_path):
    out = tmp_path / "classes.tif"
    result = run_qgis_process(
        [
            "--json",
            "run",
            "aerial_segmentation:segment",
            "--",
            f"INPUT={tiny_raster}",
            f"MODEL={tiny_model}",
            "DEVICE=1",
            "BATCH_SIZE=2",
            f"OUTPUT={out}",
        ],
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    outputs = json.loads(result.stdout)["results"]
    assert outputs["OUTPUT"] == str(out)
    assert outputs["DEVICE_USED"] == "cpu"
    assert (tiny.read_band(out) == tiny.expected_classes()).all()


def test_qgis_process_bad_model_fails_with_a_readable_message(tiny_raster, tmp_path):
    missing = tmp_path / "no_such_model.onnx"
    result = run_qgis_process(
        [
            "run",
            "aerial_segmentation:segment",
            "--",
            f"INPUT={tiny_raster}",
            f"MODEL={missing}",
            f"OUTPUT={tmp_path / 'x.tif'}",
        ],
        timeout=300,
    )
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert f"Model file '{missing}' does not exist." in text
    assert "Traceback" not in text
    assert not (tmp_path / "x.tif").exists()
