"""The "Segment raster" Processing algorithm: toolbox, batch mode, model builder."""

from __future__ import annotations

import pytest
from qgis.core import (
    QgsApplication,
    QgsPalettedRasterRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtWidgets import QApplication

ALG_ID = "aerial_segmentation:segment"


def _run(parameters, feedback=None, context=None):
    import processing

    return processing.run(ALG_ID, parameters, feedback=feedback, context=context)


def test_algorithm_has_the_documented_parameters(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    assert alg is not None and alg.displayName() == "Segment raster"
    assert provider.name() == "Aerial Segmentation"
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names == [
        "INPUT", "MODEL", "DEVICE", "TILE_SIZE", "OVERLAP", "BATCH_SIZE", "BANDS", "EXTENT",
        "MASK", "TTA", "MIN_AREA", "COG", "OUTPUT", "CONFIDENCE", "POLYGONS", "STATS",
    ]  # fmt: skip
    optional = {p.name() for p in alg.parameterDefinitions() if p.flags() & p.FlagOptional}
    assert optional == {
        "TILE_SIZE", "OVERLAP", "BANDS", "EXTENT", "MASK", "MIN_AREA", "CONFIDENCE", "POLYGONS",
        "STATS",
    }  # fmt: skip
    # The extra outputs are written only when asked for.
    for name in ("CONFIDENCE", "POLYGONS", "STATS"):
        assert not alg.parameterDefinition(name).createByDefault()
    assert alg.parameterDefinition("DEVICE").options() == ["auto", "cpu", "cuda"]
    assert alg.parameterDefinition("BANDS").parentLayerParameterName() == "INPUT"
    assert alg.parameterDefinition("BANDS").allowMultiple()
    # Not the generic cog: the plugin's own icon.
    assert alg.svgIconPath().endswith("resources/icons/icon.svg") and not alg.icon().isNull()


def test_processing_run_writes_the_expected_classes(
    provider, tiny, tiny_model, tiny_raster, tmp_path
):
    out = tmp_path / "classes.tif"
    results = _run(
        {"INPUT": str(tiny_raster), "MODEL": str(tiny_model), "DEVICE": 1, "OUTPUT": str(out)}
    )
    assert results["OUTPUT"] == str(out)
    assert results["DEVICE_USED"] == "cpu"
    assert (tiny.read_band(out) == tiny.expected_classes()).all()


def test_extent_limits_the_area(provider, tiny, tiny_model, tiny_raster, tmp_path):
    x0, y0 = tiny.ORIGIN
    # The left 20 m of the raster (40 pixels), all of its height.
    extent = f"{x0},{x0 + 20},{y0 - tiny.HEIGHT * tiny.PIXEL},{y0} [EPSG:32633]"
    out = tmp_path / "part.tif"
    _run(
        {"INPUT": str(tiny_raster), "MODEL": str(tiny_model), "EXTENT": extent, "OUTPUT": str(out)}
    )
    band = tiny.read_band(out)
    assert band.shape == (tiny.HEIGHT, 40)
    assert (band == tiny.expected_classes()[:, :40]).all()


def test_bad_model_path_is_a_readable_processing_error(provider, tiny_raster, tmp_path):
    with pytest.raises(QgsProcessingException) as raised:
        _run(
            {
                "INPUT": str(tiny_raster),
                "MODEL": str(tmp_path / "missing.onnx"),
                "OUTPUT": str(tmp_path / "x.tif"),
            }
        )
    assert "does not exist" in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert not (tmp_path / "x.tif").exists()


def test_cancel_from_feedback_writes_nothing(provider, tiny_model, tiny_raster, tmp_path):
    class CancelOnFirstProgress(QgsProcessingFeedback):
        def setProgress(self, value):
            super().setProgress(value)
            self.cancel()

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(QgsProcessingException, match="cancelled"):
        _run(
            {
                "INPUT": str(tiny_raster),
                "MODEL": str(tiny_model),
                "OUTPUT": str(out_dir / "classes.tif"),
            },
            feedback=CancelOnFirstProgress(),
        )
    assert list(out_dir.iterdir()) == []


def test_batch_mode_reuses_one_algorithm_instance(provider, tiny, tiny_model, tmp_path):
    # The batch dialog runs the same algorithm object once per row.
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG_ID)
    context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
    outputs = []
    for row in range(2):
        raster = tiny.write_raster(tmp_path / f"in{row}.tif")
        out = tmp_path / f"out{row}.tif"
        results, ok = alg.run(
            {"INPUT": str(raster), "MODEL": str(tiny_model), "OUTPUT": str(out)}, context, feedback
        )
        assert ok, results
        outputs.append(out)
    for out in outputs:
        assert (tiny.read_band(out) == tiny.expected_classes()).all()


def test_runs_inside_a_model_builder_model(provider, tiny, tiny_model, tiny_raster, tmp_path):
    model = QgsProcessingModelAlgorithm("segment in a model", "tests")
    model.addModelParameter(
        QgsProcessingParameterRasterLayer("ortho", "Orthophoto"),
        QgsProcessingModelParameter("ortho"),
    )
    child = QgsProcessingModelChildAlgorithm(ALG_ID)
    child.setChildId("segment")
    child.addParameterSources(
        "INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("ortho")]
    )
    child.addParameterSources(
        "MODEL", [QgsProcessingModelChildParameterSource.fromStaticValue(str(tiny_model))]
    )
    child.addParameterSources("DEVICE", [QgsProcessingModelChildParameterSource.fromStaticValue(0)])
    child.addParameterSources(
        "BATCH_SIZE", [QgsProcessingModelChildParameterSource.fromStaticValue(2)]
    )
    output = QgsProcessingModelOutput("classes", "Classes")
    output.setChildOutputName("OUTPUT")
    output.setChildId("segment")
    child.setModelOutputs({"classes": output})
    model.addChildAlgorithm(child)
    model.updateDestinationParameters()
    # QGIS 3.22 names the model's destination "segment:classes", 3.40+ "classes".
    (destination,) = [
        p for p in model.parameterDefinitions() if p.name() in ("segment:classes", "classes")
    ]
    assert isinstance(destination, QgsProcessingParameterRasterDestination)

    import processing

    out = tmp_path / "model_out.tif"
    results = processing.run(model, {"ortho": str(tiny_raster), destination.name(): str(out)})
    assert results[destination.name()] == str(out)
    assert (tiny.read_band(out) == tiny.expected_classes()).all()


def test_output_is_styled_and_named_when_loaded(
    provider, clean_project, tiny_model, tiny_model_metadata, tiny_raster
):
    import processing

    from aerial_segmentation.qgis_common.styling import display_color

    source = QgsRasterLayer(str(tiny_raster), "stripes", "gdal")
    clean_project.addMapLayer(source)
    results = processing.runAndLoadResults(
        ALG_ID, {"INPUT": source.id(), "MODEL": str(tiny_model), "OUTPUT": "TEMPORARY_OUTPUT"}
    )
    QApplication.processEvents()
    loaded = [
        layer for layer in QgsProject.instance().mapLayers().values() if layer.id() != source.id()
    ]
    assert len(loaded) == 1
    layer = loaded[0]
    assert layer.source() == results["OUTPUT"]
    assert layer.name() == "stripes – stripes_model"
    assert isinstance(layer.renderer(), QgsPalettedRasterRenderer)
    assert [(c.value, c.label, c.color.getRgb()[:3]) for c in layer.renderer().classes()] == [
        (c.index, c.name, display_color(c.color).getRgb()[:3]) for c in tiny_model_metadata.classes
    ]


def test_model_given_by_bundled_name(
    provider, plugin_package, tiny, tiny_model, tiny_raster, tmp_path, monkeypatch
):
    import shutil

    from aerial_segmentation.engine.jobs import model_catalog

    bundled = tmp_path / "bundled"
    bundled.mkdir()
    shutil.copy(tiny_model, bundled / "demo_model.onnx")
    monkeypatch.setattr(model_catalog, "BUNDLED_MODELS_DIR", bundled)
    out = tmp_path / "named.tif"
    _run({"INPUT": str(tiny_raster), "MODEL": "demo_model", "OUTPUT": str(out)})
    assert (tiny.read_band(out) == tiny.expected_classes()).all()
    message = r"No model named 'demo'.*\(demo_model\).*with the MODEL parameter"
    with pytest.raises(QgsProcessingException, match=message):
        _run({"INPUT": str(tiny_raster), "MODEL": "demo", "OUTPUT": str(tmp_path / "x.tif")})


def test_model_parameter_takes_names_and_model_files(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    model = alg.parameterDefinition("MODEL")
    assert model.type() == "file"  # a browse button in the toolbox and the model builder
    assert "*.onnx" in model.fileFilter()
    for value in ["demo_model", "/data/models/cse_unet.onnx", r"C:\models\checkpoint.pt"]:
        assert model.checkValueIsAcceptable(value), value


def test_optional_outputs_tta_and_smallest_polygon(
    provider, clean_project, tiny, tiny_model, tiny_raster, tmp_path
):
    import csv

    import processing
    from qgis.core import QgsCategorizedSymbolRenderer, QgsSingleBandGrayRenderer

    source = QgsRasterLayer(str(tiny_raster), "stripes", "gdal")
    clean_project.addMapLayer(source)
    results = processing.runAndLoadResults(
        ALG_ID,
        {"INPUT": source.id(), "MODEL": str(tiny_model), "TTA": True, "MIN_AREA": 2.0,
         "OUTPUT": "TEMPORARY_OUTPUT", "CONFIDENCE": "TEMPORARY_OUTPUT",
         "POLYGONS": str(tmp_path / "p.gpkg"), "STATS": str(tmp_path / "s.csv")},
    )  # fmt: skip
    QApplication.processEvents()
    assert (tiny.read_band(results["OUTPUT"]) == tiny.expected_classes()).all()
    assert results["POLYGONS"] == str(tmp_path / "p.gpkg")
    with open(results["STATS"], newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert sum(float(r["percent"]) for r in rows) == pytest.approx(100, abs=1e-4)
    loaded = {
        layer.name(): layer
        for layer in QgsProject.instance().mapLayers().values()
        if layer.id() != source.id()
    }
    assert sorted(loaded) == [
        "stripes – stripes_model", "stripes – stripes_model confidence",
        "stripes – stripes_model polygons",
    ]  # fmt: skip
    sure = loaded["stripes – stripes_model confidence"]
    assert sure.source() == results["CONFIDENCE"]
    assert isinstance(sure.renderer(), QgsSingleBandGrayRenderer)  # its .qml
    stretch = sure.renderer().contrastEnhancement()
    assert (stretch.minimumValue(), stretch.maximumValue()) == (0, 100)
    polygons = loaded["stripes – stripes_model polygons"]
    assert isinstance(polygons.renderer(), QgsCategorizedSymbolRenderer)  # the file's style
    # Three stripes, one polygon each: nothing there is below 2 m² (8 pixels of 0.25 m²).
    assert polygons.featureCount() == 3


def test_a_polygon_file_that_is_no_geopackage_is_refused_in_processing_words(
    provider, tiny_model, tiny_raster, tmp_path
):
    with pytest.raises(QgsProcessingException) as raised:
        _run({"INPUT": str(tiny_raster), "MODEL": str(tiny_model),
              "OUTPUT": str(tmp_path / "c.tif"), "POLYGONS": str(tmp_path / "p.shp")})  # fmt: skip
    message, raised = str(raised.value), None  # no traceback kept past QGIS' exit
    assert "The file for the POLYGONS parameter must be a GeoPackage: give a .gpkg" in message
    assert not (tmp_path / "c.tif").exists()
