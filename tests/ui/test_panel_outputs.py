"""The panel's new outputs: test-time augmentation, confidence, polygons, statistics, the
smallest polygon, COG, the INT8 copy of a model, and replacing them only when asked."""

from __future__ import annotations

import shutil

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsPalettedRasterRenderer,
    QgsRasterLayer,
    QgsSingleBandGrayRenderer,
    QgsVectorLayer,
)

from tests.helpers.panel import add_raster, run


def _ready(make_dock, project, raster, model, output):
    """A panel with the raster and model chosen, saving to ``output``."""
    source = add_raster(project, raster)
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(model)
    dock.file_radio.setChecked(True)
    dock.output_widget.setFilePath(str(output))
    return dock


def test_tta_checkbox_says_what_it_costs(make_dock):
    dock = make_dock()
    box = dock.option_form.widget("tta")
    assert not box.isChecked()
    labels = [w.text() for w in box.parent().findChildren(type(dock.status_label))]
    assert any("8×" in text for text in labels)


def test_outputs_beside_the_class_map_are_written_and_added_styled(
    make_dock, clean_project, tiny, tiny_model, tiny_raster, tmp_path
):
    from aerial_segmentation.qgis_common.styling import RESULT_PROPERTY

    out = tmp_path / "out"
    out.mkdir()
    dock = _ready(make_dock, clean_project, tiny_raster, tiny_model, out / "stripes.tif")
    dock.option_form.set_values({"tta": True})
    boxes = dock.output_box.extra_checks
    assert not dock.output_box.option_form.widget("min_area_m2").isEnabled()  # no polygons yet
    for name in ("confidence", "polygons", "stats"):
        boxes[name].setChecked(True)
    assert dock.output_box.option_form.widget("min_area_m2").isEnabled()
    dock.output_box.option_form.set_values({"min_area_m2": 1.0, "cog": True})

    request = dock.build_request()
    assert request.options.tta and request.options.cog and request.options.min_area_m2 == 1.0
    outcome = run(dock)
    assert outcome.status == "ok", outcome.message
    for name in ("stripes.tif", "stripes_confidence.tif", "stripes_polygons.gpkg",
                 "stripes_stats.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    assert (tiny.read_band(out / "stripes.tif") == tiny.expected_classes()).all()
    assert "Also written beside it: a confidence raster, 3 polygons, statistics (CSV)." in (
        dock.summary_label.text()
    )
    layers = [clean_project.mapLayer(i) for i in dock.result_layer_ids]
    assert [layer.name() for layer in layers] == [
        "stripes – stripes_model", "stripes – stripes_model confidence",
        "stripes – stripes_model polygons",
    ]  # fmt: skip
    classes, sure, polygons = layers
    assert isinstance(classes.renderer(), QgsPalettedRasterRenderer)
    assert isinstance(sure, QgsRasterLayer) and isinstance(
        sure.renderer(), QgsSingleBandGrayRenderer
    )
    assert sure.customProperty(RESULT_PROPERTY, False)  # not offered as a raster to segment
    assert sure not in [dock.layer_combo.layer(i) for i in range(dock.layer_combo.count())]
    assert isinstance(polygons, QgsVectorLayer) and polygons.featureCount() == 3
    assert isinstance(polygons.renderer(), QgsCategorizedSymbolRenderer)


def test_a_second_run_asks_before_replacing_every_output(
    make_dock, clean_project, tiny_model, tiny_raster, tmp_path, monkeypatch
):
    dock = _ready(make_dock, clean_project, tiny_raster, tiny_model, tmp_path / "out.tif")
    dock.output_box.extra_checks["stats"].setChecked(True)
    dock.output_box.option_form.set_values({"min_area_m2": 5.0})  # without polygons: unused
    assert dock.build_request().options.min_area_m2 is None
    (tmp_path / "out_stats.csv").write_text("an analyst's own table")
    asked = []
    monkeypatch.setattr(
        dock, "confirm_replace",
        lambda path, names, others: asked.append((path.name, [p.name for p in others])) or False,
    )  # fmt: skip
    assert dock.run_segmentation() is None
    assert asked == [("out_stats.csv", [])]
    assert (tmp_path / "out_stats.csv").read_text() == "an analyst's own table"
    assert not (tmp_path / "out.tif").exists()


def test_fast_int8_is_offered_only_where_an_int8_copy_sits_beside_the_model(
    make_dock, clean_project, tiny, tiny_model, tiny_raster, tmp_path
):
    folder = tmp_path / "bundled"
    folder.mkdir()
    shutil.copy(tiny_model, folder / "stripes.onnx")
    shutil.copy(tiny_model, folder / "stripes_int8.onnx")  # stands in for a quantised copy
    shutil.copy(tiny_model, folder / "plain.onnx")
    source = add_raster(clean_project, tiny_raster)
    dock = make_dock(bundled_models_dir=folder)
    listed = [dock.model_combo.itemText(i) for i in range(dock.model_combo.count())]
    assert listed == ["plain", "stripes"]  # the copy is a choice of its model, not a model
    dock.set_model_path(folder / "plain.onnx")
    assert dock.int8_check.isHidden()
    dock.set_model_path(folder / "stripes.onnx")
    assert not dock.int8_check.isHidden()
    dock.layer_combo.setLayer(source)
    assert dock.build_request().model == str(folder / "stripes.onnx")
    dock.int8_check.setChecked(True)
    assert dock.build_request().model == str(folder / "stripes_int8.onnx")
    outcome = run(dock)
    assert outcome.status == "ok", outcome.message
    assert outcome.result.model_name == "stripes_int8"
    assert (tiny.read_band(outcome.result.output_path) == tiny.expected_classes()).all()
