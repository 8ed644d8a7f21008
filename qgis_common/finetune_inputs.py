"""What fine-tuning needs from QGIS: the label polygons as a file, their colours, the trainer.

The trainer reads labels with OGR, so the polygons a layer shows (a memory layer, unsaved
edits, a filter, only the selected features) are written to a temporary GeoPackage with the
class field alone. The colours of a categorized style on that field become the new classes'
colours. The trainer is imported only here and only when asked, the way it imports itself on
the command line (top-level ``trainer`` and ``engine``), so a plugin without torch loads.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from osgeo import ogr, osr
from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsFeature,
    QgsFields,
    QgsVectorLayer,
)

PLUGIN_DIR = Path(__file__).resolve().parent.parent
LABEL_LAYER = "labels"
# The class values' field in the temporary file: never a name GeoPackage reserves ("fid").
LABEL_FIELD = "class_value"
_POLYGON_TYPES = (ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbCurvePolygon, ogr.wkbMultiSurface)


class LabelLayerError(ValueError):
    """The label layer cannot be used; the message says what to do, in QGIS' words."""


def write_label_file(
    features: Iterable[QgsFeature],
    fields: QgsFields,
    class_field: str,
    crs_wkt: str,
    path: Path,
    layer_name: str,
) -> int:
    """Polygons and their class values into a GeoPackage layer ``labels`` (field
    ``LABEL_FIELD``); the count."""
    index = fields.indexFromName(class_field)
    if index < 0:
        names = ", ".join(f.name() for f in fields) or "none"
        raise LabelLayerError(
            f"The layer '{layer_name}' has no field '{class_field}' (its fields: {names}): "
            "choose the field that holds the class names."
        )
    # "Integer", "Integer64", "int4", "int8"…: the type's name, the same on Qt5 and Qt6.
    integer = fields.at(index).typeName().lower().startswith("int")
    ogr.UseExceptions()
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = None
    if crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(crs_wkt)
    layer = dataset.CreateLayer(LABEL_LAYER, srs=srs, geom_type=ogr.wkbMultiPolygon)
    layer.CreateField(ogr.FieldDefn(LABEL_FIELD, ogr.OFTInteger64 if integer else ogr.OFTString))
    count = 0
    for feature in features:
        geometry = feature.geometry()
        if geometry is None or geometry.isNull() or geometry.isEmpty():
            continue
        shape = ogr.CreateGeometryFromWkb(bytes(geometry.asWkb()))
        if ogr.GT_Flatten(shape.GetGeometryType()) not in _POLYGON_TYPES:
            raise LabelLayerError(
                f"The layer '{layer_name}' holds points or lines: draw the labels as polygons."
            )
        out = ogr.Feature(layer.GetLayerDefn())
        value = feature.attribute(index)
        if value is not None and str(value).strip() not in ("", "NULL"):
            out.SetField(LABEL_FIELD, int(value) if integer else str(value))
        out.SetGeometry(ogr.ForceToMultiPolygon(shape))
        layer.CreateFeature(out)
        count += 1
    dataset = None
    if not count:
        raise LabelLayerError(
            f"The layer '{layer_name}' has no polygons to learn from"
            + (" among the selected features." if layer_name.endswith("(selected)") else ".")
        )
    return count


def categorized_colors(layer: QgsVectorLayer, class_field: str) -> dict[str, tuple[int, int, int]]:
    """Category colours of a categorized style on ``class_field`` (else none)."""
    renderer = layer.renderer()
    if not isinstance(renderer, QgsCategorizedSymbolRenderer):
        return {}
    if renderer.classAttribute().strip('"').lower() != class_field.lower():
        return {}
    colors = {}
    for category in renderer.categories():
        value, symbol = category.value(), category.symbol()
        if symbol is None or value is None or str(value) in ("", "NULL"):
            continue
        color = symbol.color()
        colors[str(value).strip().lower()] = (color.red(), color.green(), color.blue())
    return colors


def import_trainer(module: str) -> ModuleType:
    """``trainer.<module>`` imported the way the command line imports it.

    The trainer imports ``engine`` as a top-level package; the plugin folder goes at the end
    of ``sys.path`` for that (never in front of anything). Another top-level ``engine`` or
    ``trainer`` already imported from elsewhere would be the wrong one: said plainly.
    """
    for name in ("engine", "trainer"):
        loaded = sys.modules.get(name)
        origin = getattr(loaded, "__file__", None) if loaded else None
        if origin and not Path(origin).resolve().is_relative_to(PLUGIN_DIR):
            raise ImportError(
                f"another Python package named '{name}' ({origin}) is loaded in QGIS; "
                "fine-tuning cannot run beside it"
            )
    if str(PLUGIN_DIR) not in sys.path:
        sys.path.append(str(PLUGIN_DIR))
    return importlib.import_module(f"trainer.{module}")
