"""The result layer's palette, legend and place come from the model's metadata."""

from __future__ import annotations

import numpy as np
from qgis.core import QgsPalettedRasterRenderer, QgsRasterLayer, QgsVectorLayer


def _class_raster(path, classes):
    from osgeo import gdal

    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 8, 4, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((0, 1, 0, 4, 0, -1))
    dataset.GetRasterBand(1).WriteArray(np.array([classes * 2] * 4, dtype=np.uint8))
    dataset = None
    return path


def test_paletted_renderer_and_legend_follow_the_metadata(plugin_package, tmp_path):
    from aerial_segmentation.engine.metadata import POTSDAM_CLASSES, ModelMetadata
    from aerial_segmentation.ui.styling import style_class_layer

    meta = ModelMetadata(heads=(POTSDAM_CLASSES,))
    layer = QgsRasterLayer(str(_class_raster(tmp_path / "c.tif", [0, 1, 2, 5])), "c", "gdal")
    style_class_layer(layer, meta)

    renderer = layer.renderer()
    assert isinstance(renderer, QgsPalettedRasterRenderer)
    assert renderer.band() == 1
    got = [(c.value, c.label, c.color.getRgb()[:3]) for c in renderer.classes()]
    assert got == [(c.index, c.name, c.color) for c in POTSDAM_CLASSES]
    legend = [(label, color.getRgb()[:3]) for label, color in renderer.legendSymbologyItems()]
    assert legend == [(c.name, c.color) for c in POTSDAM_CLASSES]


def test_result_goes_right_above_its_input(plugin_package, clean_project, tmp_path):
    from aerial_segmentation.ui.styling import add_layer_above, result_layer_name

    top = QgsVectorLayer("Point?crs=EPSG:4326", "points", "memory")
    below = QgsVectorLayer("Point?crs=EPSG:4326", "ortho", "memory")
    clean_project.addMapLayers([top, below])
    group = clean_project.layerTreeRoot().addGroup("imagery")
    group.addLayer(QgsVectorLayer("Point?crs=EPSG:4326", "spacer", "memory"))
    node = clean_project.layerTreeRoot().findLayer(below.id())
    group.insertChildNode(1, node.clone())
    clean_project.layerTreeRoot().removeChildNode(node)

    result = QgsRasterLayer(str(_class_raster(tmp_path / "r.tif", [0, 1])), "x", "gdal")
    result.setName(result_layer_name("ortho", "cse_unet"))
    add_layer_above(result, below, clean_project)

    names = [child.name() for child in group.children()]
    assert names == ["spacer", "ortho – cse_unet", "ortho"]
    assert clean_project.mapLayer(result.id()) is result
