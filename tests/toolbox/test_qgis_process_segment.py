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


def test_qgis_process_bad_input_fails_once_in_its_own_words(tiny, tiny_raster, tmp_path):
    """Mistakes in the parameters are found before running, so qgis_process prints each one
    once (it repeats errors raised while running three times), naming its parameters."""
    missing = tmp_path / "no_such_model.onnx"
    grey = tiny.write_grey_raster(tmp_path / "grey.tif")
    for inputs, expected in [
        ([f"INPUT={tiny_raster}", f"MODEL={missing}"], f"Model file '{missing}' does not exist."),
        ([f"INPUT={grey}", "MODEL=cse_unet_synthetic"], "choose 3 of its bands with the BANDS"),
    ]:
        result = run_qgis_process(
            ["run", "aerial_segmentation:segment", "--", *inputs, f"OUTPUT={tmp_path / 'x.tif'}"],
            timeout=300,
        )
        assert result.returncode != 0
        text = result.stdout + result.stderr
        assert text.count(expected) == 1, text
        assert "Traceback" not in text and "--bands" not in text
        assert not (tmp_path / "x.tif").exists()
