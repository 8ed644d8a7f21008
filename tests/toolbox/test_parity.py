"""Panel, Processing and command line run one job: byte-identical rasters for the same input,
model, options and polygon mask, and the same tiles skipped for lying outside the mask."""

from __future__ import annotations

from qgis.core import (
    QgsFeatureRequest,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsRasterLayer,
    QgsVectorLayer,
)

from tests.helpers.panel import run

# Pixel columns/rows of the parcels; the third is in the layer but not selected.
SELECTED = [(10, 10, 30, 40), (100, 60, 120, 90)]
UNSELECTED = (60, 20, 80, 50)


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.infos: list[str] = []

    def pushInfo(self, info):
        self.infos.append(info)
        super().pushInfo(info)


def _panel_run(plugin_iface, raster, model, polygons, output):
    from aerial_segmentation.ui.dock import SegmentationDock

    dock = SegmentationDock(plugin_iface)
    try:
        dock.layer_combo.setLayer(raster)
        dock.set_model_path(model)
        dock.option_form.set_values({"device": "cpu", "overlap_pct": 20.0, "batch_size": 3})
        dock.band_picker.set_chosen((3, 2, 1))
        dock.area_combo.setCurrentIndex(dock.area_combo.findData("selection"))
        dock.polygon_combo.setLayer(polygons)
        dock.file_radio.setChecked(True)
        dock.output_widget.setFilePath(str(output))
        outcome = run(dock)
        assert outcome is not None and outcome.status == "ok", outcome and outcome.message
        return outcome.result.engine
    finally:
        dock.shutdown()
        dock.deleteLater()


def test_panel_processing_and_command_line_write_the_same_bytes(
    provider, plugin_iface, clean_project, isolated_settings, tiny, tiny_model, tmp_path, capsys
):
    import processing

    from aerial_segmentation.engine.cli import main

    raster_path = tiny.write_raster(tmp_path / "stripes.tif")
    layer_file = tiny.write_polygons(
        tmp_path / "parcels.gpkg", [tiny.pixel_rect(*r) for r in [*SELECTED, UNSELECTED]]
    )
    cli_mask = tiny.write_polygons(
        tmp_path / "selected.gpkg", [tiny.pixel_rect(*r) for r in SELECTED]
    )
    raster = QgsRasterLayer(str(raster_path), "stripes", "gdal")
    polygons = QgsVectorLayer(f"{layer_file}|layername=parcels", "parcels", "ogr")
    assert raster.isValid() and polygons.isValid()
    clean_project.addMapLayers([raster, polygons])
    polygons.selectByIds([f.id() for f in polygons.getFeatures(QgsFeatureRequest()) if f.id() != 3])
    assert polygons.selectedFeatureCount() == 2

    outputs = {name: tmp_path / name / "classes.tif" for name in ("panel", "toolbox", "cli")}
    for path in outputs.values():
        path.parent.mkdir()

    panel = _panel_run(plugin_iface, raster, tiny_model, polygons, outputs["panel"])

    feedback = RecordingFeedback()
    processing.run(
        "aerial_segmentation:segment",
        {
            "INPUT": raster.id(),
            "MODEL": str(tiny_model),
            "DEVICE": 1,
            "OVERLAP": 20,
            "BATCH_SIZE": 3,
            "BANDS": [3, 2, 1],
            "MASK": QgsProcessingFeatureSourceDefinition(polygons.id(), selectedFeaturesOnly=True),
            "OUTPUT": str(outputs["toolbox"]),
        },
        feedback=feedback,
    )

    capsys.readouterr()
    code = main(
        ["segment", str(raster_path), "--model", str(tiny_model), "--output",
         str(outputs["cli"]), "--device", "cpu", "--overlap", "20", "--batch-size", "3",
         "--bands", "3,2,1", "--mask", str(cli_mask)]
    )  # fmt: skip
    assert code == 0
    summary = capsys.readouterr().out

    reference = outputs["panel"].read_bytes()
    assert outputs["toolbox"].read_bytes() == reference
    assert outputs["cli"].read_bytes() == reference
    aux = outputs["panel"].with_name(outputs["panel"].name + ".aux.xml").read_bytes()
    for name in ("toolbox", "cli"):
        assert outputs[name].with_name(outputs[name].name + ".aux.xml").read_bytes() == aux

    # The mask worked: only the two selected parcels hold classes (bands reversed: blue
    # stripe is class 0), and tiles outside them were skipped, counted the same everywhere.
    labels = tiny.read_band(outputs["panel"])
    assert labels.shape == (80, 110)  # the selected parcels' bounding box
    assert (labels != 255).sum() == 20 * 30 * 2
    assert panel.tiles_skipped > 0
    skipped = f"{panel.tiles_processed} run / {panel.tiles_skipped} skipped"
    assert skipped in summary
    assert f"Tiles: {panel.tiles_processed} run, {panel.tiles_skipped} skipped" in " ".join(
        feedback.infos
    )
