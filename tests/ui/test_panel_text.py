"""The panel's words, without a widget."""

from __future__ import annotations


def test_training_text_drops_command_lines_and_run_folders(plugin_package):
    from aerial_segmentation.ui.panel_text import plain_training_text, readable_version

    stored = (
        "synthetic Potsdam-format scenes (python -m trainer synth --out runs/bundled/scenes "
        "--scenes 30 --seed 2026 --resampled-copy 10:runs/bundled/scenes_10cm), 10 cm training "
        "copy; not real imagery"
    )
    assert plain_training_text(stored) == (
        "synthetic Potsdam-format scenes, 10 cm training copy; not real imagery"
    )
    assert plain_training_text("ISPRS Potsdam, checkpoints/best.pt; 24 tiles") == (
        "ISPRS Potsdam, 24 tiles"
    )
    assert readable_version("bundled_synthetic_phase_2") == ""  # a run name, not a version
    assert readable_version("1.2") == "v1.2" and readable_version("v3") == "v3"


def test_areas_devices_and_missing_keys_in_plain_words(plugin_package):
    from aerial_segmentation.engine.metadata import from_onnx_props
    from aerial_segmentation.ui.panel_text import describe_devices, format_area, model_card_html

    assert format_area(123.4) == "123 m²" and format_area(25_000) == "2.50 ha"
    assert format_area(float("nan")) == "–"
    assert describe_devices(
        {"onnxruntime": "1.2", "onnxruntime_providers": ["CPUExecutionProvider"]}
    ) == ("No CUDA GPU found: Auto runs on the CPU. ONNX Runtime 1.2 (CPU).")
    meta = from_onnx_props({"model_type": '"Segmentor"'})  # a Deepness file without keys
    from pathlib import Path

    card = model_card_html(meta, Path("m.onnx"))
    assert "no class names: classes are numbered" in card and "no pixel size (GSD)" in card
    assert "aerial_seg." not in card and "tiles_size" not in card
