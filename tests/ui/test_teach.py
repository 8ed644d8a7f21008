"""The panel's Teach tab: polygons in, a new model out, selected in the Segment tab."""

from __future__ import annotations

import time

from qgis.core import QgsProject, QgsRasterLayer, QgsSettings, QgsVectorLayer
from qgis.PyQt.QtCore import QPoint
from qgis.PyQt.QtWidgets import QApplication

from engine.metadata import read_onnx_metadata
from tests.helpers.panel import wait_for


def _teach_ready(make_dock, scene, base_model, tmp_path, minutes=0.1):
    """A panel whose Teach tab has the scene, its labels, the base model and a short budget."""
    QgsSettings().setValue("aerial_segmentation/user_models_dir", str(tmp_path / "models"))
    (tmp_path / "models").mkdir(exist_ok=True)
    raster = QgsRasterLayer(str(scene.image), "town", "gdal")
    labels = QgsVectorLayer(f"{scene.labels}|layername=labels", "my labels", "ogr")
    QgsProject.instance().addMapLayers([raster, labels])
    dock = make_dock()
    dock.set_model_path(base_model)
    teach = dock.teach
    teach.set_base_model(base_model)
    teach.raster_combo.setLayer(raster)
    teach.labels_combo.setLayer(labels)
    teach.minutes_spin.setMinimum(0.01)
    teach.minutes_spin.setDecimals(2)
    teach.minutes_spin.setValue(minutes)
    return dock, teach, labels


def test_teach_tab_offers_polygon_layers_and_picks_the_class_field(
    make_dock, clean_project, labelled_scene, finetune_base, tmp_path
):
    points = QgsVectorLayer("Point?crs=EPSG:25833&field=class:string", "points", "memory")
    clean_project.addMapLayer(points)
    dock, teach, labels = _teach_ready(make_dock, labelled_scene, finetune_base, tmp_path)
    assert dock.tabs.tabText(1) == "Teach"
    offered = [teach.labels_combo.layer(i) for i in range(teach.labels_combo.count())]
    assert labels in offered and points not in offered
    assert teach.field_combo.currentField() == "class"
    assert teach.name_edit.text() == "town_tiny_base"
    assert teach.run_button.isEnabled(), teach.status_label.text()
    assert str(tmp_path / "models") in teach.folder_label.text()


def test_teach_writes_a_model_that_segment_selects(
    make_dock, clean_project, labelled_scene, finetune_base, tmp_path, plugin_iface
):
    dock, teach, _ = _teach_ready(make_dock, labelled_scene, finetune_base, tmp_path)
    dock.tabs.setCurrentIndex(1)
    teach.run_button.click()
    assert teach.task is not None and teach.cancel_button.isEnabled()
    outcome = wait_for(teach, timeout=180)
    assert outcome.status == "ok", outcome.message
    new_model = tmp_path / "models" / "town_tiny_base.onnx"
    assert new_model.is_file() and new_model.with_suffix(".md").is_file()
    meta = read_onnx_metadata(new_model)
    assert "layer 'my labels', field 'class'" in meta.training_data
    assert "town" in meta.training_data
    # The Segment tab lists and selects the new model, in front.
    assert dock.current_model_path() == new_model
    assert dock.tabs.currentIndex() == 0
    assert "Held-out mIoU" in teach.result_label.text() and teach.result_label.isVisibleTo(teach)
    assert not (teach._scratch and teach._scratch.exists())  # the temporary labels are gone
    # And it segments.
    dock.layer_combo.setLayer(teach.raster_combo.currentLayer())
    dock.run_button.click()
    assert wait_for(dock).status == "ok"


def test_an_existing_model_is_replaced_only_when_the_analyst_agrees(
    make_dock, clean_project, labelled_scene, finetune_base, tmp_path
):
    _, teach, _ = _teach_ready(make_dock, labelled_scene, finetune_base, tmp_path)
    existing = tmp_path / "models" / "town_tiny_base.onnx"
    existing.write_bytes(b"an earlier model")
    asked = []
    teach.confirm_replace = lambda path: asked.append(path) or False
    assert teach.run_finetuning() is None
    assert asked == [existing] and existing.read_bytes() == b"an earlier model"
    assert "another name" in teach.status_label.text()


def test_cancel_leaves_no_model(make_dock, clean_project, labelled_scene, finetune_base, tmp_path):
    _, teach, _ = _teach_ready(make_dock, labelled_scene, finetune_base, tmp_path, minutes=5)
    teach.run_button.click()
    deadline = time.monotonic() + 60
    while "step" not in teach.status_label.text() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert teach.task is not None, teach.status_label.text()
    teach.cancel_button.click()
    outcome = wait_for(teach)
    assert outcome.status == "cancelled"
    assert "no model was written" in teach.status_label.text()
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_torch_disables_teach_and_gives_the_install_command(
    make_dock, clean_project, monkeypatch, labelled_scene, finetune_base, tmp_path
):
    from aerial_segmentation.engine.jobs import dependencies
    from aerial_segmentation.ui import teach_panel

    def without_torch():
        return dependencies.check_training_dependencies(
            finder=lambda name: None if name == "torch" else object(), system="Linux"
        )

    monkeypatch.setattr(teach_panel, "check_training_dependencies", without_torch)
    _, teach, _ = _teach_ready(make_dock, labelled_scene, finetune_base, tmp_path)
    assert not teach.run_button.isEnabled()
    assert teach.dependency_box.isVisibleTo(teach)
    assert "torch" in teach.dependency_label.text()
    teach.copy_install_command()
    command = QApplication.clipboard().text()
    assert "-m pip install" in command and "torch" in command
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in command
    assert "onnx" not in command.split("install", 1)[1].replace("onnxruntime", "")


def test_the_teach_tab_fits_the_dock_and_teach_stays_in_view(make_dock, plugin_iface):
    dock = make_dock()
    plugin_iface.mainWindow().resize(1600, 1000)
    dock.setFloating(True)
    dock.resize(298, 900)
    dock.show()
    dock.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    scroll = dock.teach.scroll_area
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    button = dock.teach.run_button
    assert not scroll.isAncestorOf(button)
    assert button.isVisible() and button.mapTo(dock, QPoint(0, button.height())).y() <= 900
