"""What a new user tripped over in the panel, each kept from coming back."""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis
from qgis.PyQt.QtCore import QPoint, Qt
from qgis.PyQt.QtWidgets import QApplication

from tests.helpers.panel import add_raster as _add
from tests.helpers.panel import run

ROOT = Path(__file__).resolve().parents[2]


def test_an_existing_output_is_replaced_only_when_the_user_says_so(
    make_dock, clean_project, tiny_model, tiny_raster, tmp_path, monkeypatch
):
    source = _add(clean_project, tiny_raster)
    output = tmp_path / "classes.tif"
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(tiny_model)
    dock.file_radio.setChecked(True)
    dock.output_widget.setFilePath(str(output))
    assert run(dock).status == "ok"
    (first_layer,) = dock.result_layer_ids
    first_bytes, first_mtime = output.read_bytes(), output.stat().st_mtime_ns

    asked = []
    monkeypatch.setattr(dock, "confirm_replace", lambda path, names: asked.append(names) or False)
    assert dock.run_segmentation() is None  # "No": nothing runs, nothing is touched
    assert asked == [["stripes – stripes_model"]]  # the question names the layer showing it
    assert output.read_bytes() == first_bytes and output.stat().st_mtime_ns == first_mtime
    assert clean_project.mapLayer(first_layer) is not None
    assert "choose another output" in dock.status_label.text()

    monkeypatch.setattr(dock, "confirm_replace", lambda path, names: True)
    assert run(dock).status == "ok"
    assert output.stat().st_mtime_ns != first_mtime
    assert clean_project.mapLayer(first_layer) is None  # the stale layer went with its file
    (second_layer,) = dock.result_layer_ids
    assert clean_project.mapLayer(second_layer).isValid()


def test_the_panel_fits_its_dock_and_run_stays_in_view(make_dock, plugin_iface):
    dock = make_dock()
    window = plugin_iface.mainWindow()
    window.resize(1600, 1000)
    dock.setFloating(True)
    dock.resize(298, 900)  # QGIS' width for a new dock; a 1000 px screen minus bars
    dock.show()
    QApplication.processEvents()
    # Everything fits the width: no text cut, no horizontal scrolling.
    body = dock.scroll_area.widget()
    assert body.minimumSizeHint().width() <= dock.scroll_area.viewport().width()
    assert dock.scroll_area.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    # Run, Cancel and the progress bar are pinned below the scrolling options: in view.
    for widget in (dock.run_button, dock.cancel_button, dock.progress_bar):
        assert not dock.scroll_area.isAncestorOf(widget)
    bottom = dock.run_button.mapTo(dock, QPoint(0, dock.run_button.height())).y()
    assert dock.run_button.isVisible() and bottom <= dock.height()


def test_a_one_band_raster_says_what_to_choose_and_runs_once_bands_are_chosen(
    make_dock, clean_project, tiny, tiny_model, tmp_path, plugin_iface
):
    grey = _add(clean_project, tiny.write_grey_raster(tmp_path / "grey.tif"), "grey")
    dock = make_dock()
    dock.layer_combo.setLayer(grey)
    dock.set_model_path(tiny_model)
    assert not dock.run_button.isEnabled()
    reason = dock.status_label.text()
    assert reason.startswith("The raster has 1 band and the model reads 3")
    assert "'Bands'" in reason and "--" not in reason
    dock.band_picker.set_chosen((1, 1, 1))  # the grey band into every model input
    assert dock.run_button.isEnabled()
    outcome = run(dock)
    assert outcome.status == "ok", outcome.message
    # All three inputs see the same values: the first class (red) wins every tie.
    assert (tiny.read_band(outcome.result.output_path) == 0).all()

    # Its result is a classified layer: never offered as something to segment.
    offered = [dock.layer_combo.layer(i) for i in range(dock.layer_combo.count())]
    assert [layer.name() for layer in offered] == ["grey"]


def test_a_normal_run_warns_about_nothing(make_dock, clean_project, tiny, tmp_path, plugin_iface):
    from aerial_segmentation.engine import metadata

    # A model at 25 cm on the 50 cm raster: resampled, which is a note, not a warning.
    model = tiny.write_model(tmp_path / "m25.onnx", metadata)
    props = metadata.read_onnx_metadata(model).with_changes(resolution_cm=25.0)
    metadata.write_onnx_metadata(model, props)
    source = _add(clean_project, tiny.write_raster(tmp_path / "stripes.tif"))
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(model)
    plugin_iface.messageBar().clear_messages()
    assert run(dock).status == "ok"
    assert plugin_iface.messageBar().get_messages(Qgis.Warning) == []
    assert "resampled" in dock.summary_label.text() and "⚠" not in dock.summary_label.text()


def test_result_goes_when_the_layer_changes_and_browse_starts_outside_the_plugin(
    make_dock, clean_project, tiny, tiny_model, tiny_raster, tmp_path
):
    first = _add(clean_project, tiny_raster)
    second = _add(clean_project, tiny.write_raster(tmp_path / "other.tif"), "other")
    dock = make_dock()
    dock.layer_combo.setLayer(first)
    dock.set_model_path(tiny_model)
    assert run(dock).status == "ok"
    assert dock.result_box.isVisibleTo(dock)
    dock.layer_combo.setLayer(second)
    assert not dock.result_box.isVisibleTo(dock)  # no stale table under another layer

    assert not Path(dock.browse_folder()).resolve().is_relative_to(ROOT.resolve())
    dock.settings.setValue("aerial_segmentation/last_model_folder", str(tmp_path))
    assert dock.browse_folder() == str(tmp_path)


def test_a_geopackage_raster_layer_is_segmented(
    make_dock, clean_project, tiny, tiny_model, tmp_path
):
    from osgeo import gdal

    gpkg = tmp_path / "ortho.gpkg"
    gdal.Translate(str(gpkg), str(tiny.write_raster(tmp_path / "s.tif")), format="GPKG",
                   creationOptions=["RASTER_TABLE=ortho"])  # fmt: skip
    layer = _add(clean_project, f"GPKG:{gpkg}:ortho", "ortho")
    dock = make_dock()
    dock.layer_combo.setLayer(layer)
    dock.set_model_path(tiny_model)
    outcome = run(dock)
    assert outcome.status == "ok", outcome.message
    assert (tiny.read_band(outcome.result.output_path) == tiny.expected_classes()).all()
