"""Styles a class raster from the model's metadata, the one source of class names/colours."""

from __future__ import annotations

from collections.abc import Iterable

from qgis.core import (
    QgsLayerTreeGroup,
    QgsMapLayer,
    QgsPalettedRasterRenderer,
    QgsProject,
    QgsRasterLayer,
)
from qgis.PyQt.QtGui import QColor

CLASS_BAND = 1


def result_layer_name(input_name: str, model_name: str) -> str:
    return f"{input_name} – {model_name}"


def class_renderer(layer: QgsRasterLayer, classes: Iterable) -> QgsPalettedRasterRenderer:
    """A paletted renderer: one legend entry per class, labelled and coloured as the model says.

    ``classes`` are ``ClassInfo``-like objects (``index``, ``name``, ``color`` as RGB).
    """
    entries = [
        QgsPalettedRasterRenderer.Class(int(c.index), QColor(*map(int, c.color[:3])), str(c.name))
        for c in sorted(classes, key=lambda c: c.index)
    ]
    return QgsPalettedRasterRenderer(layer.dataProvider(), CLASS_BAND, entries)


def style_class_layer(layer: QgsRasterLayer, metadata) -> None:
    """Apply the class palette of a ``ModelMetadata`` to ``layer``."""
    layer.setRenderer(class_renderer(layer, metadata.classes))
    layer.triggerRepaint()


def add_layer_above(
    layer: QgsMapLayer, reference: QgsMapLayer | None, project: QgsProject | None = None
) -> None:
    """Add ``layer`` to the project right above ``reference`` (or on top if it is gone)."""
    project = project or QgsProject.instance()
    project.addMapLayer(layer, False)
    root = project.layerTreeRoot()
    node = root.findLayer(reference.id()) if reference is not None else None
    if node is None or not isinstance(node.parent(), QgsLayerTreeGroup):
        root.insertLayer(0, layer)
        return
    parent = node.parent()
    position = next(
        i
        for i, child in enumerate(parent.children())
        if getattr(child, "layerId", lambda: None)() == reference.id()
    )
    parent.insertLayer(position, layer)
