"""Deepness models on a real UAV orthophoto in the panel: a model file that carries no class
names, limited to the polygon shipped with it; a model with two outputs."""

from __future__ import annotations

import shutil
from html import unescape as html
from pathlib import Path

import numpy as np
from qgis.core import Qgis, QgsPalettedRasterRenderer, QgsRasterLayer, QgsVectorLayer

from tests.helpers.panel import run

DATA = Path(__file__).resolve().parents[1] / "data" / "deepness"


def test_deepness_model_without_metadata_inside_the_area_polygon(
    plugin_package, plugin_iface, clean_project, tmp_path
):
    from osgeo import gdal

    from aerial_segmentation.engine.model_file import load_model
    from aerial_segmentation.ui.dock import SegmentationDock

    model = DATA / "one_output_softmax_bsx2x512x512.onnx"
    ortho = QgsRasterLayer(str(DATA / "uav_orthophoto_2cm_rgba.tif"), "uav", "gdal")
    # A copy: opening a GeoPackage lets SQLite rewrite the committed file's header.
    area_copy = shutil.copy(DATA / "uav_orthophoto_area.gpkg", tmp_path / "area.gpkg")
    area = QgsVectorLayer(str(area_copy), "area", "ogr")
    assert ortho.isValid() and area.isValid()
    clean_project.addMapLayers([ortho, area])
    area.selectAll()

    dock = SegmentationDock(plugin_iface)
    try:
        dock.layer_combo.setLayer(ortho)
        dock.set_model_path(model)
        card = dock.model_card.text()
        assert "no class names: classes are numbered from the model's outputs" in html(card)
        assert "aerial_seg." not in card and "tiles_size" not in card  # no internal key names
        dock.area_combo.setCurrentIndex(dock.area_combo.findData("selection"))
        dock.polygon_combo.setLayer(area)
        dock.file_radio.setChecked(True)
        dock.output_widget.setFilePath(str(tmp_path / "uav_classes.tif"))
        plugin_iface.messageBar().clear_messages()
        outcome = run(dock)
        assert outcome is not None and outcome.status == "ok", outcome and outcome.message
        # The orthophoto makes GDAL remark "RowsPerStrip not defined": the log's business.
        assert any("RowsPerStrip" in d for d in outcome.result.engine.details)
        warnings = plugin_iface.messageBar().get_messages(Qgis.Warning)
        assert warnings and not [w for w in warnings if "GDAL" in w or "RowsPerStrip" in w]
    finally:
        dock.shutdown()
        dock.deleteLater()

    (layer_id,) = dock.result_layer_ids
    layer = clean_project.mapLayer(layer_id)
    classes = load_model(str(model)).metadata.classes  # numbered from the model's outputs
    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer)
    assert [(c.value, c.label) for c in renderer.classes()] == [(c.index, c.name) for c in classes]

    # Only the polygon's bounding box was segmented, and only pixels inside it keep a class.
    dataset = gdal.Open(str(tmp_path / "uav_classes.tif"))  # kept: the band needs it
    band = dataset.GetRasterBand(1).ReadAsArray()
    bbox = area.extent()
    pixel = ortho.rasterUnitsPerPixelX()
    assert abs(band.shape[1] - bbox.width() / pixel) <= 2
    assert abs(band.shape[0] - bbox.height() / pixel) <= 2
    inside = band != 255
    assert 0.3 < inside.mean() < 1.0  # the polygon is not a rectangle
    assert set(np.unique(band[inside])) <= {c.index for c in classes}


def test_two_output_model_gives_one_styled_layer_and_one_area_table_per_output(
    plugin_package, plugin_iface, clean_project, isolated_settings, tmp_path
):
    from aerial_segmentation.ui.dock import SegmentationDock

    model = DATA / "two_outputs_softmax_bsx2x512x512.onnx"
    ortho = QgsRasterLayer(str(DATA / "uav_orthophoto_2cm_rgba.tif"), "uav", "gdal")
    clean_project.addMapLayer(ortho)
    dock = SegmentationDock(plugin_iface)
    try:
        dock.layer_combo.setLayer(ortho)
        dock.set_model_path(model)
        card = html(dock.model_card.text())
        assert "Output 1:" in card and "Output 2:" in card and "Juice" in card
        outcome = run(dock, timeout=120)
        assert outcome is not None and outcome.status == "ok", outcome and outcome.message

        layers = [clean_project.mapLayer(i) for i in dock.result_layer_ids]
        assert [layer.name() for layer in layers] == [
            "uav – two_outputs_softmax_bsx2x512x512 (Coffee, Tea)",
            "uav – two_outputs_softmax_bsx2x512x512 (Juice, Beer)",
        ]
        for band, (layer, names) in enumerate(
            zip(layers, [["Coffee", "Tea"], ["Juice", "Beer"]]), 1
        ):
            renderer = layer.renderer()
            assert isinstance(renderer, QgsPalettedRasterRenderer) and renderer.band() == band
            assert [c.label for c in renderer.classes()] == names
        assert len(dock.area_tables) == 2
        for table, names in zip(dock.area_tables, [["Coffee", "Tea"], ["Juice", "Beer"]]):
            assert [table.item(r, 0).text() for r in range(table.rowCount())] == names
            shares = [float(table.item(r, 2).text().rstrip(" %")) for r in range(table.rowCount())]
            assert abs(sum(shares) - 100) < 0.2  # each output's shares sum to 100 %, not 200 %
    finally:
        dock.shutdown()
        dock.deleteLater()
