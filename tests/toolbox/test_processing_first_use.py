"""What a new user tripped over in Processing, each kept from coming back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qgis.core import (
    QgsApplication,
    QgsPalettedRasterRenderer,
    QgsProcessingException,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtWidgets import QApplication

ALG_ID = "aerial_segmentation:segment"
DEEPNESS = Path(__file__).resolve().parents[1] / "data" / "deepness"


def _run(parameters, **kwargs):
    import processing

    return processing.run(ALG_ID, parameters, **kwargs)


def test_tile_size_and_bands_parameters(provider, tiny, tiny_model, tiny_raster, tmp_path):
    out = tmp_path / "small_tiles.tif"
    _run({"INPUT": str(tiny_raster), "MODEL": str(tiny_model), "TILE_SIZE": 32,
          "BANDS": [3, 2, 1], "OUTPUT": str(out)})  # fmt: skip
    expected = np.argmax(tiny.stripes()[::-1], axis=0).astype(np.uint8)  # bands reversed
    assert (tiny.read_band(out) == expected).all()


def test_a_one_band_raster_is_explained_in_processing_words(provider, tiny, tiny_model, tmp_path):
    grey = tiny.write_grey_raster(tmp_path / "grey.tif")
    with pytest.raises(QgsProcessingException) as raised:
        _run({"INPUT": str(grey), "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "o.tif")})
    message = str(raised.value)
    assert "The layer 'grey' has 1 band(s)" in message and "with the BANDS parameter" in message
    assert "--bands" not in message
    out = tmp_path / "ok.tif"
    _run({"INPUT": str(grey), "MODEL": str(tiny_model), "BANDS": [1, 1, 1], "OUTPUT": str(out)})
    assert out.exists()


def test_an_output_open_as_a_layer_is_not_replaced(
    provider, clean_project, tiny_model, tiny_raster, tmp_path
):
    import processing

    out = tmp_path / "classes.tif"
    processing.runAndLoadResults(
        ALG_ID, {"INPUT": str(tiny_raster), "MODEL": str(tiny_model), "OUTPUT": str(out)}
    )
    QApplication.processEvents()
    before = out.read_bytes()
    with pytest.raises(QgsProcessingException, match="is open as the layer 'stripes – stripes"):
        _run(
            {"INPUT": str(tiny_raster), "MODEL": str(tiny_model), "OUTPUT": str(out)},
            context=_context_with(QgsProject.instance()),
        )
    assert out.read_bytes() == before


def _context_with(project):
    from qgis.core import QgsProcessingContext

    context = QgsProcessingContext()
    context.setProject(project)
    return context


def test_two_output_model_loads_one_styled_layer_per_output(provider, clean_project, tmp_path):
    import processing

    ortho = QgsRasterLayer(str(DEEPNESS / "uav_orthophoto_2cm_rgba.tif"), "uav", "gdal")
    clean_project.addMapLayer(ortho)
    processing.runAndLoadResults(
        ALG_ID,
        {
            "INPUT": ortho.id(),
            "MODEL": str(DEEPNESS / "two_outputs_softmax_bsx2x512x512.onnx"),
            "OUTPUT": str(tmp_path / "two.tif"),
        },
    )
    QApplication.processEvents()
    loaded = [layer for layer in clean_project.mapLayers().values() if layer.id() != ortho.id()]
    by_band = {layer.renderer().band(): layer for layer in loaded}
    assert sorted(by_band) == [1, 2]
    for band, names in [(1, ["Coffee", "Tea"]), (2, ["Juice", "Beer"])]:
        renderer = by_band[band].renderer()
        assert isinstance(renderer, QgsPalettedRasterRenderer)
        assert [c.label for c in renderer.classes()] == names
        assert by_band[band].name().endswith(f"({', '.join(names)})")


def test_model_list_in_the_dialog_with_a_browse_button(provider, tiny_model, tmp_path, monkeypatch):
    from qgis.core import QgsSettings

    from aerial_segmentation.toolbox.model_widget import ModelWidgetWrapper

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my_roofs.onnx").write_bytes(tiny_model.read_bytes())
    QgsSettings().setValue("aerial_segmentation/user_models_dir", str(mine))
    try:
        alg = QgsApplication.processingRegistry().algorithmById(ALG_ID)
        parameter = alg.parameterDefinition("MODEL")
        assert parameter.metadata()["widget_wrapper"]["class"].endswith("ModelWidgetWrapper")

        class Dialog:  # a stand-in for the algorithm dialog (a standard one, not batch)
            pass

        wrapper = ModelWidgetWrapper(parameter, Dialog())
        listed = [wrapper.combo.itemText(i) for i in range(wrapper.combo.count())]
        assert listed == ["cse_unet_synthetic", "my_roofs (my models)"]
        assert wrapper.value() == "cse_unet_synthetic"  # the default: the first bundled one
        wrapper.combo.setCurrentIndex(1)
        assert wrapper.value() == "my_roofs"
        wrapper.setValue("/somewhere/else.onnx")
        assert wrapper.value() == "/somewhere/else.onnx"
    finally:
        QgsSettings().remove("aerial_segmentation")
