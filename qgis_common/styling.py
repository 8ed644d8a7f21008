"""Result layers: styled from the model's metadata (the one source of class names and colours),
named so that runs are told apart, and placed where the analyst sees the newest on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qgis.core import (
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapLayer,
    QgsMapLayerLegendUtils,
    QgsPalettedRasterRenderer,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtGui import QColor

# Custom properties that mark a layer as one of our results, and say which layer it classifies.
RESULT_PROPERTY = "aerial_segmentation/result"
SOURCE_PROPERTY = "aerial_segmentation/source_layer"
# A colour whose every channel is at least this (white, off-white) would vanish on a white
# canvas and in a legend swatch without border: it is drawn a step darker (light grey);
# the model file keeps its own colour.
PALEST = 230


def display_color(rgb: Sequence[int]) -> QColor:
    """The colour a class is drawn in: the model's, unless it is (nearly) white."""
    color = QColor(*map(int, rgb[:3]))
    return color.darker(125) if min(rgb[:3]) >= PALEST else color


def result_layer_name(input_name: str, model_name: str, output_name: str = "") -> str:
    """``<input> – <model>``, with the output's name for models with several outputs."""
    name = f"{input_name} – {model_name}"
    return f"{name} ({output_name})" if output_name else name


def unique_layer_name(name: str, project: QgsProject, layer: QgsMapLayer | None = None) -> str:
    """``name``, or ``name 2``, ``name 3``… if other layers of the project already carry it
    (``layer``: the one being named, when it is in the project already)."""
    taken = {other.name() for other in project.mapLayers().values() if other is not layer}
    if name not in taken:
        return name
    number = 2
    while f"{name} {number}" in taken:
        number += 1
    return f"{name} {number}"


def class_renderer(
    layer: QgsRasterLayer, classes: Iterable, band: int = 1
) -> QgsPalettedRasterRenderer:
    """A paletted renderer on ``band``: one legend entry per class, labelled as the model says.

    ``classes`` are ``ClassInfo``-like objects (``index``, ``name``, ``color`` as RGB).
    """
    entries = [
        QgsPalettedRasterRenderer.Class(int(c.index), display_color(c.color), str(c.name))
        for c in sorted(classes, key=lambda c: c.index)
    ]
    return QgsPalettedRasterRenderer(layer.dataProvider(), band, entries)


def style_class_layer(layer: QgsRasterLayer, classes: Iterable, band: int = 1) -> None:
    """Apply the class palette of one model output (``band``) to ``layer``."""
    layer.setRenderer(class_renderer(layer, classes, band))
    layer.setCustomProperty(RESULT_PROPERTY, True)
    layer.triggerRepaint()


def hide_band_header(layer: QgsMapLayer, project: QgsProject) -> None:
    """Drop the "Band 1: … (Palette)" line QGIS puts above the classes in the layer tree.

    Stored in the layer tree node (so it survives saving the project); a no-op for a layer
    that is not in the tree yet.
    """
    node = project.layerTreeRoot().findLayer(layer.id())
    renderer = layer.renderer() if isinstance(layer, QgsRasterLayer) else None
    if node is None or not isinstance(renderer, QgsPalettedRasterRenderer):
        return
    QgsMapLayerLegendUtils.setLegendNodeOrder(node, list(range(1, len(renderer.classes()) + 1)))
    layer.legendChanged.emit()  # a layer tree already on screen rebuilds the legend


def is_class_layer(layer: QgsMapLayer) -> bool:
    """A classified result (ours, or any paletted raster): not something to segment."""
    if layer.customProperty(RESULT_PROPERTY, False):
        return True
    renderer = layer.renderer() if isinstance(layer, QgsRasterLayer) else None
    return isinstance(renderer, QgsPalettedRasterRenderer)


def add_result_layer(
    layer: QgsMapLayer, source: QgsMapLayer | None, project: QgsProject | None = None
) -> None:
    """Add ``layer`` above ``source`` and above every earlier result made from it, so the
    newest result is the one on view (on top of the tree if ``source`` is gone)."""
    project = project or QgsProject.instance()
    if source is not None:
        layer.setCustomProperty(SOURCE_PROPERTY, source.id())
    project.addMapLayer(layer, False)
    root = project.layerTreeRoot()
    node = root.findLayer(source.id()) if source is not None else None
    if node is None or not isinstance(node.parent(), QgsLayerTreeGroup):
        root.insertLayer(0, layer)
    else:
        parent = node.parent()
        position = min(
            i
            for i, child in enumerate(parent.children())
            if isinstance(child, QgsLayerTreeLayer)
            and child.layer() is not None
            and (
                child.layerId() == source.id()
                or child.layer().customProperty(SOURCE_PROPERTY, "") == source.id()
            )
        )
        parent.insertLayer(position, layer)
    hide_band_header(layer, project)
