"""QGIS styles written by the engine, so that a file opened later in QGIS is already styled.

QGIS loads ``name.qml`` beside ``name.tif`` when it opens the raster, and the default style
of a GeoPackage layer from the file's ``layer_styles`` table. The engine imports no QGIS,
so the styles are written as QML text here: a paletted renderer for class maps (the model's
colours and names), a grey ramp for confidence, a categorised fill for class polygons.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree  # nosec B405 # builds QML text, never parses
from collections.abc import Sequence
from pathlib import Path

from osgeo import ogr

# A colour whose every channel is at least this (white, off-white) would vanish on a white
# canvas and in a legend swatch without a border: it is drawn a step darker (light grey);
# the model file keeps its own colour.
PALEST = 230
DARKER = 0.8  # what QColor.darker(125) does to each channel

Classes = Sequence[tuple[int, str, tuple[int, int, int]]]  # (index, name, rgb)


def display_rgb(rgb: Sequence[int]) -> tuple[int, int, int]:
    """The colour a class is drawn in: the model's, unless it is (nearly) white."""
    r, g, b = (int(c) for c in rgb[:3])
    if min(r, g, b) >= PALEST:
        return round(r * DARKER), round(g * DARKER), round(b * DARKER)
    return r, g, b


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*display_rgb(rgb))


def _document(root: ElementTree.Element) -> str:
    body = ElementTree.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"


def _raster_style(renderer: ElementTree.Element, resampling: str) -> str:
    root = ElementTree.Element("qgis", styleCategories="Symbology")
    pipe = ElementTree.SubElement(root, "pipe")
    provider = ElementTree.SubElement(pipe, "provider")
    ElementTree.SubElement(
        provider, "resampling", enabled="false", zoomedInResamplingMethod=resampling,
        zoomedOutResamplingMethod=resampling, maxOversampling="2",
    )  # fmt: skip
    pipe.append(renderer)
    return _document(root)


def class_map_qml(classes: Classes, band: int = 1) -> str:
    """A paletted renderer on ``band``: one legend entry per class, as the model names it."""
    renderer = ElementTree.Element(
        "rasterrenderer", type="paletted", band=str(band), opacity="1", alphaBand="-1"
    )
    palette = ElementTree.SubElement(renderer, "colorPalette")
    for index, name, rgb in sorted(classes):
        ElementTree.SubElement(
            palette, "paletteEntry", value=str(index), color=_hex(rgb), alpha="255", label=name
        )
    return _raster_style(renderer, "nearestNeighbour")


def grey_ramp_qml(minimum: float, maximum: float, band: int = 1) -> str:
    """Black at ``minimum`` to white at ``maximum`` (confidence: 0 to 100 %)."""
    renderer = ElementTree.Element(
        "rasterrenderer", type="singlebandgray", grayBand=str(band), gradient="BlackToWhite",
        opacity="1", alphaBand="-1",
    )  # fmt: skip
    contrast = ElementTree.SubElement(renderer, "contrastEnhancement")
    ElementTree.SubElement(contrast, "minValue").text = f"{minimum:g}"
    ElementTree.SubElement(contrast, "maxValue").text = f"{maximum:g}"
    ElementTree.SubElement(contrast, "algorithm").text = "StretchToMinimumMaximum"
    return _raster_style(renderer, "bilinear")


def categorized_fill_qml(field: str, classes: Classes) -> str:
    """Polygons filled in their class's colour (no outline), categorised by ``field``."""
    root = ElementTree.Element("qgis", styleCategories="Symbology")
    renderer = ElementTree.SubElement(
        root, "renderer-v2", type="categorizedSymbol", attr=field, symbollevels="0",
        forceraster="0", enableorderby="0",
    )  # fmt: skip
    categories = ElementTree.SubElement(renderer, "categories")
    symbols = ElementTree.SubElement(renderer, "symbols")
    for number, (index, name, rgb) in enumerate(sorted(classes)):
        ElementTree.SubElement(
            categories, "category", value=str(index), symbol=str(number), label=name,
            render="true",
        )  # fmt: skip
        symbol = ElementTree.SubElement(
            symbols, "symbol", type="fill", name=str(number), alpha="1", clip_to_extent="1"
        )
        layer = ElementTree.SubElement(
            symbol, "layer", attrib={"class": "SimpleFill", "locked": "0", "enabled": "1"}
        )
        layer.set("pass", "0")  # QGIS' render pass, not a secret
        properties = ElementTree.SubElement(layer, "Option", type="Map")
        fill = "{},{},{},255".format(*display_rgb(rgb))
        for key, value in (("color", fill), ("style", "solid"), ("outline_style", "no")):
            ElementTree.SubElement(properties, "Option", name=key, type="QString", value=value)
    return _document(root)


def sidecar_path(raster: str | os.PathLike) -> Path:
    """Where QGIS looks for a raster's default style: ``name.qml`` beside ``name.tif``."""
    return Path(raster).with_suffix(".qml")


def store_default_style(dataset: ogr.DataSource, layer: str, qml: str, name: str) -> None:
    """Store ``qml`` as ``layer``'s default style in a GeoPackage (QGIS' ``layer_styles``
    table, which QGIS reads when it opens the layer)."""
    styles = dataset.GetLayerByName("layer_styles")
    if styles is None:
        styles = dataset.CreateLayer("layer_styles", geom_type=ogr.wkbNone)
        for field, kind in (
            ("f_table_catalog", ogr.OFTString), ("f_table_schema", ogr.OFTString),
            ("f_table_name", ogr.OFTString), ("f_geometry_column", ogr.OFTString),
            ("styleName", ogr.OFTString), ("styleQML", ogr.OFTString),
            ("styleSLD", ogr.OFTString), ("useAsDefault", ogr.OFTInteger),
            ("description", ogr.OFTString), ("owner", ogr.OFTString), ("ui", ogr.OFTString),
            ("update_time", ogr.OFTDateTime),
        ):  # fmt: skip
            definition = ogr.FieldDefn(field, kind)
            if field == "useAsDefault":
                definition.SetSubType(ogr.OFSTBoolean)
            styles.CreateField(definition)
    geometry_column = dataset.GetLayerByName(layer).GetGeometryColumn() or "geom"
    feature = ogr.Feature(styles.GetLayerDefn())
    for field, value in (
        ("f_table_catalog", ""), ("f_table_schema", ""), ("f_table_name", layer),
        ("f_geometry_column", geometry_column), ("styleName", name), ("styleQML", qml),
        ("styleSLD", ""), ("useAsDefault", 1), ("description", "written by the engine"),
        ("owner", ""),
    ):  # fmt: skip
        feature.SetField(field, value)
    styles.CreateFeature(feature)
