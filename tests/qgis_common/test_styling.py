"""Result layers: palette and legend from the metadata, readable colours, unique names, and
the newest result on top of its input's earlier results."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsLayerTreeModel,
    QgsPalettedRasterRenderer,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import Qt


def _class_raster(path, classes, bands=1):
    from osgeo import gdal

    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 8, 4, bands, gdal.GDT_Byte)
    dataset.SetGeoTransform((0, 1, 0, 4, 0, -1))
    for band in range(1, bands + 1):
        dataset.GetRasterBand(band).WriteArray(np.array([classes * 2] * 4, dtype=np.uint8))
    dataset = None
    return path


def test_paletted_renderer_and_legend_follow_the_metadata(plugin_package, tmp_path):
    from aerial_segmentation.engine.metadata import POTSDAM_CLASSES
    from aerial_segmentation.qgis_common.styling import display_color, style_class_layer

    layer = QgsRasterLayer(str(_class_raster(tmp_path / "c.tif", [0, 1, 2, 5], 2)), "c", "gdal")
    style_class_layer(layer, POTSDAM_CLASSES, band=2)

    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer)
    assert renderer.band() == 2  # a second model output is styled from its own band
    got = [(c.value, c.label, c.color.getRgb()[:3]) for c in renderer.classes()]
    assert got == [(c.index, c.name, display_color(c.color).getRgb()[:3]) for c in POTSDAM_CLASSES]
    legend = [label for label, _ in renderer.legendSymbologyItems()]
    assert legend == [c.name for c in POTSDAM_CLASSES]


def test_white_classes_are_drawn_visibly_and_others_as_the_model_says(plugin_package):
    from aerial_segmentation.qgis_common.styling import display_color

    white = display_color((255, 255, 255))
    assert white.getRgb()[:3] == (204, 204, 204)  # visible on a white canvas
    assert display_color((250, 250, 230)).lightness() < 230
    for colour in [(0, 0, 255), (0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 0, 0)]:
        assert display_color(colour).getRgb()[:3] == colour  # the Potsdam colours, kept


def test_newest_result_goes_above_its_input_and_earlier_results(
    plugin_package, clean_project, tmp_path
):
    from aerial_segmentation.qgis_common.styling import (
        add_result_layer,
        is_class_layer,
        result_layer_name,
        style_class_layer,
        unique_layer_name,
    )

    top = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    below = QgsVectorLayer("Point?crs=EPSG:4326", "ortho", "memory")
    clean_project.addMapLayers([top, below])
    group = clean_project.layerTreeRoot().addGroup("imagery")
    group.addLayer(QgsVectorLayer("Point?crs=EPSG:4326", "spacer", "memory"))
    node = clean_project.layerTreeRoot().findLayer(below.id())
    group.insertChildNode(1, node.clone())
    clean_project.layerTreeRoot().removeChildNode(node)

    names = []
    for run in range(2):
        result = QgsRasterLayer(str(_class_raster(tmp_path / f"r{run}.tif", [0, 1])), "", "gdal")
        style_class_layer(result, [])
        result.setName(unique_layer_name(result_layer_name("ortho", "cse_unet"), clean_project))
        add_result_layer(result, below, clean_project)
        names.append(result.name())
        assert is_class_layer(result)

    assert names == ["ortho – cse_unet", "ortho – cse_unet 2"]
    assert [child.name() for child in group.children()] == [
        "spacer",
        "ortho – cse_unet 2",  # the newest on top, not hidden under the first
        "ortho – cse_unet",
        "ortho",
    ]
    assert not is_class_layer(below)


def test_legend_lists_the_classes_without_a_band_header(plugin_package, clean_project, tmp_path):
    from aerial_segmentation.engine.metadata import POTSDAM_CLASSES
    from aerial_segmentation.qgis_common.styling import add_result_layer, style_class_layer

    layer = QgsRasterLayer(str(_class_raster(tmp_path / "c.tif", [0, 1])), "classes", "gdal")
    style_class_layer(layer, POTSDAM_CLASSES)
    model = QgsLayerTreeModel(clean_project.layerTreeRoot())  # a layer tree already on screen
    add_result_layer(layer, None, clean_project)
    node = clean_project.layerTreeRoot().findLayer(layer.id())
    shown = [n.data(Qt.ItemDataRole.DisplayRole) for n in model.layerLegendNodes(node)]
    assert shown == [c.name for c in POTSDAM_CLASSES]  # no "Band 1: … (Palette)" above them
