"""The panel: what it offers, what it remembers, and a run from Run to the styled layer."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsPalettedRasterRenderer, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtWidgets import QApplication

from tests.helpers.panel import add_raster as _add_raster
from tests.helpers.panel import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_layer_picker_lists_only_file_rasters(make_dock, clean_project, tiny, tmp_path):
    rasters = [
        QgsRasterLayer(str(tiny.write_raster(tmp_path / f"r{i}.tif")), f"r{i}", "gdal")
        for i in range(2)
    ]
    points = QgsVectorLayer("Point?crs=EPSG:32633", "points", "memory")
    polygons = QgsVectorLayer("Polygon?crs=EPSG:32633", "areas", "memory")
    clean_project.addMapLayers([*rasters, points, polygons])
    dock = make_dock()

    listed = [dock.layer_combo.layer(i) for i in range(dock.layer_combo.count())]
    assert sorted(layer.name() for layer in listed) == ["r0", "r1"]
    assert [dock.polygon_combo.layer(i).name() for i in range(dock.polygon_combo.count())] == [
        "areas"
    ]


def test_model_picker_lists_the_bundled_models(make_dock, tiny_model, tmp_path):
    default = make_dock()
    models = (ROOT / "resources" / "models").glob("*.onnx")
    bundled = sorted(p.stem for p in models if not p.stem.endswith("_int8"))  # copies: variants
    assert [default.model_combo.itemText(i) for i in range(default.model_combo.count())] == bundled

    folder = tmp_path / "bundled"
    folder.mkdir()
    for name in ("b_model.onnx", "a_model.onnx"):
        shutil.copy(tiny_model, folder / name)
    (folder / "a_model.md").write_text("model card")
    dock = make_dock(bundled_models_dir=folder)
    assert [dock.model_combo.itemText(i) for i in range(dock.model_combo.count())] == [
        "a_model",
        "b_model",
    ]


def test_model_card_shows_classes_gsd_tile_size_and_training_data(
    make_dock, tiny_model, tiny, tiny_model_metadata
):
    dock = make_dock()
    dock.set_model_path(tiny_model)
    card = dock.model_card.text()
    for name, color in zip(tiny.CLASS_NAMES, tiny.CLASS_COLORS):
        assert name in card
        assert "#{:02x}{:02x}{:02x}".format(*color) in card
    assert "GSD 50 cm/px" in card and "tiles 64 px" in card and "bands 1, 2, 3" in card
    assert tiny_model_metadata.training_data in card
    assert dock.option_form.widget("overlap_pct").specialValueText() == "Model's (10 %)"


def test_bundled_model_card_has_no_command_lines_run_names_or_key_names(make_dock):
    dock = make_dock()
    assert dock.current_model_path() is not None  # the bundled model is selected first
    card = dock.model_card.text()
    assert "python -m" not in card and "runs/" not in card
    assert "bundled_synthetic" not in card  # an internal run name, not a version
    assert "aerial_seg." not in card
    meta = dock.model_metadata(dock.current_model_path())
    # What the run wrote, as written: the training data and the test score
    assert "Trained on: " in card and f"at {meta.resolution_cm:g} cm" in card
    assert f"test mIoU {100 * meta.metrics['test_miou6']:.1f} %" in card
    assert "synthetic scenes only" in card  # the description says what it is not


def test_unreadable_model_is_explained_and_cannot_run(
    make_dock, clean_project, tiny_raster, tmp_path
):
    _add_raster(clean_project, tiny_raster)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    dock = make_dock()
    dock.set_model_path(broken)
    assert "Cannot read this model" in dock.model_card.text()
    assert not dock.run_button.isEnabled()
    assert "broken.onnx cannot be read" in dock.status_label.text()


def test_settings_are_remembered(make_dock, tiny_model, tmp_path):
    first = make_dock()
    first.set_model_path(tiny_model)
    first.option_form.set_values({"device": "cpu", "overlap_pct": 20.0, "batch_size": 7})
    first.area_combo.setCurrentIndex(first.area_combo.findData("canvas"))
    first.file_radio.setChecked(True)
    first.output_widget.setFilePath(str(tmp_path / "out.tif"))
    first.save_settings()

    second = make_dock()
    expected = {"device": "cpu", "overlap_pct": 20.0, "batch_size": 7, "tta": False}
    assert second.option_form.values() == expected
    assert second.area_combo.currentData() == "canvas"
    assert second.file_radio.isChecked()
    assert second.output_widget.filePath() == str(tmp_path / "out.tif")
    assert second.current_model_path() == tiny_model


def test_device_detection_is_shown_in_words(make_dock):
    dock = make_dock()
    devices = dock.detect_devices()
    text = dock.device_label.text()
    assert "onnxruntime_providers" in devices
    assert ("No CUDA GPU found" in text) == (not devices["onnxruntime_cuda"])
    assert "ONNX Runtime" in text and "CPU" in text


def test_run_adds_one_paletted_layer_with_the_model_classes(
    make_dock, clean_project, tiny, tiny_model, tiny_raster, tiny_model_metadata, plugin_iface
):
    other = QgsVectorLayer("Point?crs=EPSG:32633", "points", "memory")
    clean_project.addMapLayer(other)
    source = _add_raster(clean_project, tiny_raster)
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(tiny_model)
    before = set(clean_project.mapLayers())
    plugin_iface.messageBar().clear_messages()

    dock.run_button.click()
    assert dock.task is not None and not dock.run_button.isEnabled()
    assert dock.cancel_button.isEnabled()
    outcome = wait_for(dock)

    assert outcome.status == "ok", outcome.message
    added = [clean_project.mapLayer(i) for i in set(clean_project.mapLayers()) - before]
    assert len(added) == 1
    layer = added[0]
    assert [layer.id()] == dock.result_layer_ids
    assert layer.name() == "stripes – stripes_model"
    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer)
    assert [(c.value, c.label, c.color.getRgb()[:3]) for c in renderer.classes()] == [
        (c.index, c.name, c.color) for c in tiny_model_metadata.classes
    ]
    assert [c.name for c in tiny_model_metadata.classes] == tiny.CLASS_NAMES
    assert (tiny.read_band(layer.source()) == tiny.expected_classes()).all()

    # Right above its input in the layer tree.
    order = [node.layerId() for node in clean_project.layerTreeRoot().findLayers()]
    assert order.index(layer.id()) + 1 == order.index(source.id())

    # Summary: device, time, one row per class; a success message, no error.
    assert "CPU" in dock.summary_label.text()
    (table,) = dock.area_tables
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == tiny.CLASS_NAMES
    assert [table.item(r, 2).text() for r in range(3)] == ["33.3 %"] * 3
    assert dock.progress_bar.value() == 100
    assert dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()
    bar = plugin_iface.messageBar()
    assert bar.get_messages(Qgis.Critical) == []
    assert len(bar.get_messages(Qgis.Success)) == 1


def test_cancel_adds_no_layer_and_leaves_no_file(
    make_dock, clean_project, tiny_model, tiny_raster, tmp_path, monkeypatch
):
    from qgis.core import QgsTask

    from aerial_segmentation.qgis_common.job_task import JobTask

    # Slow the worker down so that Cancel lands while the engine is running.
    original = JobTask._progress

    def slow_progress(self, fraction, message=""):
        original(self, fraction, message)
        time.sleep(0.3)

    monkeypatch.setattr(JobTask, "_progress", slow_progress)
    source = _add_raster(clean_project, tiny_raster)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(tiny_model)
    dock.file_radio.setChecked(True)
    dock.output_widget.setFilePath(str(out_dir / "classes.tif"))
    before = set(clean_project.mapLayers())

    dock.run_button.click()
    deadline = time.monotonic() + 10
    while dock.status_label.text().startswith("Segmenting") and time.monotonic() < deadline:
        QApplication.processEvents()  # wait for the engine's first progress report
        time.sleep(0.01)
    assert dock.task is not None, "the run ended before it could be cancelled"
    assert not dock.status_label.text().startswith("Segmenting")  # the engine reported
    task = dock.task
    dock.cancel_button.click()
    outcome = wait_for(dock)

    assert outcome.status == "cancelled", outcome.message
    # QGIS must not report "Task failed" next to a panel that says "cancelled".
    assert task.status() == QgsTask.TaskStatus.Complete
    assert set(clean_project.mapLayers()) == before
    assert list(out_dir.iterdir()) == []
    assert dock.progress_bar.value() == 0


def test_bad_input_is_a_message_not_an_exception(
    make_dock, clean_project, tiny_model, plugin_iface
):
    dock = make_dock()
    dock.set_model_path(tiny_model)
    plugin_iface.messageBar().clear_messages()
    assert not dock.run_button.isEnabled()  # no raster layer in the project
    assert dock.status_label.text() == (
        "Add a raster layer (an orthophoto) to the project to segment it."
    )
    assert dock.run_segmentation() is None
    assert plugin_iface.messageBar().get_messages(Qgis.Warning) == [
        f"Aerial Segmentation:{dock.status_label.text()}"
    ]


def test_cuda_without_a_gpu_runs_on_the_cpu_and_says_why(
    make_dock, clean_project, tiny_model, tiny_raster, plugin_iface
):
    source = _add_raster(clean_project, tiny_raster)
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(tiny_model)
    dock.option_form.set_values({"device": "cuda"})
    plugin_iface.messageBar().clear_messages()
    dock.run_button.click()
    outcome = wait_for(dock)
    if dock.detect_devices().get("onnxruntime_cuda"):
        pytest.skip("this machine has a working CUDA onnxruntime")
    assert outcome.status == "ok", outcome.message
    assert outcome.result.engine.device == "cpu"
    assert "Device: CPU" in dock.summary_label.text()
    warnings = plugin_iface.messageBar().get_messages(Qgis.Warning)
    assert any("CUDA" in w for w in warnings), warnings
    assert "CUDA" in dock.summary_label.text()


def test_area_from_the_map_view_and_from_selected_polygons(
    make_dock, clean_project, tiny, tiny_raster, plugin_iface
):
    from osgeo import ogr
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsRectangle,
    )

    source = _add_raster(clean_project, tiny_raster)
    x0, y0 = tiny.ORIGIN
    dock = make_dock()
    dock.layer_combo.setLayer(source)

    # Map view: a window inside the raster, the canvas in the raster's CRS.
    canvas = plugin_iface.mapCanvas()
    canvas.setDestinationCrs(source.crs())
    view = QgsRectangle(x0 + 10, y0 - 40, x0 + 30, y0 - 10)
    canvas.setExtent(view)
    dock.area_combo.setCurrentIndex(dock.area_combo.findData("canvas"))
    extent, mask = dock._area(source)
    shown = canvas.extent().intersect(source.extent())  # the canvas keeps its aspect ratio
    assert QgsRectangle(*extent) == shown and mask is None

    # Selected polygons, in another CRS: a mask of those polygons, in the raster's CRS.
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    to_wgs84 = QgsCoordinateTransform(source.crs(), wgs84, clean_project)
    polygons = QgsVectorLayer("Polygon?crs=EPSG:4326", "fields", "memory")
    features = []
    for rect in [
        QgsRectangle(x0 + 5, y0 - 20, x0 + 15, y0 - 5),
        QgsRectangle(x0 + 50, y0 - 45, x0 + 60, y0 - 30),
    ]:
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromRect(to_wgs84.transformBoundingBox(rect)))
        features.append(feature)
    polygons.dataProvider().addFeatures(features)
    clean_project.addMapLayer(polygons)
    dock.area_combo.setCurrentIndex(dock.area_combo.findData("selection"))
    dock.polygon_combo.setLayer(polygons)
    assert dock.polygon_combo.isEnabled()
    with pytest.raises(ValueError, match="Select at least one polygon in 'fields'"):
        dock._area(source)
    polygons.selectAll()
    extent, mask = dock._area(source)
    assert extent is None and len(mask.polygons_wkt) == 2
    envelopes = sorted(ogr.CreateGeometryFromWkt(w).GetEnvelope() for w in mask.polygons_wkt)
    expected = [(x0 + 5, x0 + 15, y0 - 20, y0 - 5), (x0 + 50, x0 + 60, y0 - 45, y0 - 30)]
    for got, want in zip(envelopes, expected):
        assert got == pytest.approx(want, abs=0.01)  # in the raster's CRS again

    # Outside the raster: a message, no run.
    canvas.setExtent(QgsRectangle(x0 + 1000, y0 + 1000, x0 + 1100, y0 + 1100))
    dock.area_combo.setCurrentIndex(dock.area_combo.findData("canvas"))
    with pytest.raises(ValueError, match="does not overlap 'stripes'"):
        dock._area(source)


def test_engine_error_goes_to_the_message_bar_and_log_once(
    make_dock, clean_project, tiny_raster, tmp_path, plugin_iface, kit
):
    from qgis.core import QgsApplication as App

    from aerial_segmentation.engine.metadata import read_onnx_props

    logged = []

    def log(message, tag, level):
        logged.append((tag, message))

    App.messageLog().messageReceived.connect(log)
    # Its metadata reads fine (so Run is offered); its graph contradicts it (1 input channel).
    three = kit.build_onnx(tmp_path / "three.onnx", metadata={"tile_size": 64})
    broken = kit.build_onnx(tmp_path / "broken.onnx", in_channels=1,
                            raw_props=read_onnx_props(three))  # fmt: skip
    source = _add_raster(clean_project, tiny_raster)
    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(broken)
    before = set(clean_project.mapLayers())
    plugin_iface.messageBar().clear_messages()

    dock.run_button.click()
    try:
        outcome = wait_for(dock)
    finally:
        App.messageLog().messageReceived.disconnect(log)

    assert outcome.status == "failed"
    assert "Traceback" not in outcome.message and "\n" not in outcome.message
    assert outcome.message.startswith("broken.onnx: the graph takes 1 input channels")
    critical = plugin_iface.messageBar().get_messages(Qgis.Critical)
    assert critical == [f"Aerial Segmentation:{outcome.message}"]
    assert logged.count(("Aerial Segmentation", outcome.message)) == 1  # logged once
    assert set(clean_project.mapLayers()) == before
    assert dock.run_button.isEnabled()


def test_user_models_folder_is_listed_after_the_bundled_ones(
    make_dock, tiny_model, tmp_path, monkeypatch
):
    from qgis.core import QgsSettings

    bundled, mine = tmp_path / "bundled", tmp_path / "mine"
    bundled.mkdir()
    mine.mkdir()
    shutil.copy(tiny_model, bundled / "shipped.onnx")
    shutil.copy(tiny_model, mine / "my_model.onnx")
    QgsSettings().setValue("aerial_segmentation/user_models_dir", str(mine))
    dock = make_dock(bundled_models_dir=bundled)
    items = [dock.model_combo.itemText(i) for i in range(dock.model_combo.count())]
    assert items == ["shipped", "my_model (my models)"]
    dock.model_combo.setCurrentIndex(1)
    assert dock.current_model_path() == mine / "my_model.onnx"
    assert "my_model" in dock.model_card.text()


def test_selected_polygons_keep_classes_only_inside_them(
    make_dock, clean_project, tiny, tiny_model, tiny_raster, tmp_path
):
    import numpy as np
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle

    source = _add_raster(clean_project, tiny_raster)
    x0, y0 = tiny.ORIGIN
    polygons = QgsVectorLayer("Polygon?crs=EPSG:32633", "parcels", "memory")
    features = []
    # Pixel-aligned: columns 10-30 / rows 10-40 (red stripe), columns 100-120 / rows 60-90 (blue).
    for rect in [
        QgsRectangle(x0 + 5, y0 - 20, x0 + 15, y0 - 5),
        QgsRectangle(x0 + 50, y0 - 45, x0 + 60, y0 - 30),
    ]:
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromRect(rect))
        features.append(feature)
    polygons.dataProvider().addFeatures(features)
    clean_project.addMapLayer(polygons)
    polygons.selectAll()

    dock = make_dock()
    dock.layer_combo.setLayer(source)
    dock.set_model_path(tiny_model)
    dock.area_combo.setCurrentIndex(dock.area_combo.findData("selection"))
    dock.polygon_combo.setLayer(polygons)
    dock.file_radio.setChecked(True)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dock.output_widget.setFilePath(str(out_dir / "parcels.tif"))
    dock.run_button.click()
    outcome = wait_for(dock)
    assert outcome.status == "ok", outcome.message

    band = tiny.read_band(out_dir / "parcels.tif")
    full = tiny.expected_classes()
    expected = np.full((80, 110), 255, dtype=np.uint8)
    expected[0:30, 0:20] = full[10:40, 10:30]
    expected[50:80, 90:110] = full[60:90, 100:120]
    assert band.shape == expected.shape
    assert (band == expected).all()
    left = {p.name for p in out_dir.iterdir()}  # one pass: no intermediate file
    assert "parcels.tif" in left and left <= {"parcels.tif", "parcels.tif.aux.xml", "parcels.qml"}
    (table,) = dock.area_tables
    assert [table.item(r, 2).text() for r in range(3)] == ["50.0 %", "0.0 %", "50.0 %"]
    assert [round(a.area_m2) for a in outcome.result.engine.class_areas] == [150, 0, 150]
    # Tiles whose pixels all lie outside the polygons were never run.
    assert outcome.result.engine.tiles_skipped > 0
