"""The "Fine-tune model on labelled polygons" Processing algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsFeature,
    QgsFillSymbol,
    QgsGeometry,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsRendererCategory,
    QgsVectorLayer,
)

from engine.metadata import read_onnx_metadata

ALG_ID = "aerial_segmentation:finetune"


def _run(parameters, feedback=None, context=None):
    import processing

    return processing.run(ALG_ID, parameters, feedback=feedback, context=context)


def _labels_layer(scene, name="my labels") -> QgsVectorLayer:
    layer = QgsVectorLayer(f"{scene.labels}|layername=labels", name, "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_algorithm_has_the_documented_parameters(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
    assert alg is not None and alg.displayName() == "Fine-tune model on labelled polygons"
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names == [
        "INPUT", "LABELS", "CLASS_FIELD", "MODEL", "MINUTES", "DEVICE", "IMAGE_RESOLUTION",
        "OUTPUT",
    ]  # fmt: skip
    assert alg.parameterDefinition("CLASS_FIELD").parentLayerParameterName() == "LABELS"
    assert alg.parameterDefinition("DEVICE").options() == ["auto", "cpu", "cuda"]
    outputs = [o.name() for o in alg.outputDefinitions()]
    assert {"OUTPUT", "HOLDOUT_MIOU", "BASE_HOLDOUT_MIOU", "CLASSES"} <= set(outputs)


def test_selected_polygons_teach_a_model_the_engine_runs(
    provider, clean_project, labelled_scene, finetune_base, tmp_path
):
    layer = _labels_layer(labelled_scene)
    water = QgsFillSymbol.createSimple({"color": "10,20,200,255"})
    renderer = QgsCategorizedSymbolRenderer("class", [QgsRendererCategory("building", water, "b")])
    layer.setRenderer(renderer)
    layer.selectByIds([f.id() for f in layer.getFeatures()][: layer.featureCount() // 2])
    out = tmp_path / "mine.onnx"
    results = _run(
        {
            "INPUT": str(labelled_scene.image),
            "LABELS": QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True),
            "CLASS_FIELD": "class",
            "MODEL": str(finetune_base),
            "MINUTES": 0.25,
            "DEVICE": 1,
            "OUTPUT": str(out),
        }
    )
    assert results["OUTPUT"] == str(out) and out.is_file() and out.with_suffix(".md").is_file()
    assert results["HOLDOUT_MIOU"] >= results["BASE_HOLDOUT_MIOU"]
    meta = read_onnx_metadata(out)
    assert results["CLASSES"] == ", ".join(meta.class_names)
    # Only the selection trained or was held out; the layer's name, not a temporary file's.
    polygons = meta.metrics["train_polygons"] + meta.metrics["holdout_polygons"]
    assert polygons == layer.featureCount() // 2
    assert "layer 'my labels', field 'class'" in meta.training_data
    # A base class keeps the base model's colour: the style colours only new classes.
    assert {c.name: c.color for c in meta.classes}["building"] == (0, 0, 255)
    from engine.pipeline import SegmentationOptions, segment

    classes = tmp_path / "classes.tif"
    segment(str(labelled_scene.image), str(out), str(classes), SegmentationOptions(device="cpu"))
    band = gdal.Open(str(classes)).ReadAsArray()
    assert band.shape == labelled_scene.classes.shape and np.isin(band, [0, 1, 2]).all()


def test_a_new_class_takes_its_colour_from_the_categorized_style(
    provider, clean_project, labelled_scene_factory, finetune_base, tmp_path
):
    scene = labelled_scene_factory(names=["water", "forest", "field"])
    layer = _labels_layer(scene)
    categories = [
        QgsRendererCategory(name, QgsFillSymbol.createSimple({"color": color}), name)
        for name, color in (("water", "10,20,200,255"), ("forest", "0,90,0,255"))
    ]
    layer.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    out = tmp_path / "new.onnx"
    _run(
        {
            "INPUT": str(scene.image), "LABELS": layer.id(), "CLASS_FIELD": "class",
            "MODEL": str(finetune_base), "MINUTES": 0.2, "DEVICE": 1, "OUTPUT": str(out),
        }
    )  # fmt: skip
    colors = {c.name: c.color for c in read_onnx_metadata(out).classes}
    assert colors["water"] == (10, 20, 200) and colors["forest"] == (0, 90, 0)
    assert colors["field"] not in (colors["water"], colors["forest"])


def test_a_bad_class_value_is_one_readable_processing_error(
    provider, clean_project, labelled_scene, finetune_base, tmp_path
):
    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:25833&field=code:integer", "codes", "memory")
    x0, y0 = 368004.0, 5807996.0
    for i, code in enumerate((0, 7)):
        feature = QgsFeature(layer.fields())
        feature.setAttribute("code", code)
        square = f"POLYGON(({x0 + 5 * i} {y0},{x0 + 5 * i + 3} {y0},{x0 + 5 * i + 3} {y0 - 3},"
        feature.setGeometry(
            QgsGeometry.fromWkt(square + f"{x0 + 5 * i} {y0 - 3},{x0 + 5 * i} {y0}))")
        )
        layer.dataProvider().addFeature(feature)
    QgsProject.instance().addMapLayer(layer)
    with pytest.raises(QgsProcessingException) as raised:
        _run(
            {
                "INPUT": str(labelled_scene.image), "LABELS": layer.id(), "CLASS_FIELD": "code",
                "MODEL": str(finetune_base), "MINUTES": 0.2, "OUTPUT": str(tmp_path / "m.onnx"),
            }
        )  # fmt: skip
    message = str(raised.value)
    assert "Class index 7 is not a class of the base model" in message
    assert "Traceback" not in message
    assert not (tmp_path / "m.onnx").exists()


def test_cancel_from_feedback_writes_no_model(
    provider, clean_project, labelled_scene, finetune_base, tmp_path
):
    class CancelOnceTraining(QgsProcessingFeedback):
        def setProgressText(self, text):
            super().setProgressText(text)
            if "step" in text:
                self.cancel()

    layer = _labels_layer(labelled_scene)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(QgsProcessingException, match="cancelled"):
        _run(
            {
                "INPUT": str(labelled_scene.image), "LABELS": layer.id(), "CLASS_FIELD": "class",
                "MODEL": str(finetune_base), "MINUTES": 5, "OUTPUT": str(out_dir / "m.onnx"),
            },
            feedback=CancelOnceTraining(),
        )  # fmt: skip
    assert list(out_dir.iterdir()) == []
