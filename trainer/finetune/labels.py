"""The analyst's labels: polygons with a class field, or a class-index raster.

Both become one list of :class:`LabelPolygon` (a label raster is polygonised), so holding
out whole polygons, rasterising onto the training grid and reporting problems work the same
for both. Problems are reported with what to do: points or lines instead of polygons, a
missing field, empty class values, class indices the base model does not have.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from engine.raster_io import is_vector_file

from .errors import FinetuneError

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

UNLABELLED = 255
_POLYGON_TYPES = (ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbCurvePolygon, ogr.wkbMultiSurface)


@dataclass(frozen=True)
class LabelPolygon:
    """One labelled area: its geometry (WKB, in ``LabelSet.crs_wkt``) and its class value."""

    wkb: bytes
    value: str | int
    fid: int


@dataclass
class LabelSet:
    polygons: list[LabelPolygon]
    crs_wkt: str  # empty when the source has no CRS: then it is taken to be the image's
    source: str  # for the model's metadata and card: file and layer, or raster
    style_colors: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    skipped_empty: int = 0  # features without a geometry

    @property
    def values(self) -> list[str | int]:
        return [p.value for p in self.polygons]


def split_layer_spec(spec: str) -> tuple[str, str | None]:
    """``path|layername=x`` (QGIS' way of naming a layer in a file) -> (path, layer)."""
    path, _, options = str(spec).partition("|")
    layer = None
    for part in options.split("|"):
        key, _, value = part.partition("=")
        if key.strip().lower() in ("layername", "layerid") and value:
            layer = value.strip()
    return path, layer


def read_labels(spec: str | os.PathLike, class_field: str = "class") -> LabelSet:
    """Open ``spec`` as vector labels, else as a label raster."""
    path, _ = split_layer_spec(str(spec))
    if not Path(path).exists() and not path.startswith("/vsi"):
        raise FinetuneError(f"label file not found: {path}; check {{option}}", option="labels")
    if is_vector_file(path):
        return read_vector_labels(str(spec), class_field)
    return read_raster_labels(path)


def read_vector_labels(spec: str, class_field: str = "class") -> LabelSet:
    path, layer_name = split_layer_spec(spec)
    try:
        dataset = ogr.Open(path)
    except RuntimeError as error:
        raise FinetuneError(f"cannot open the labels {path}: {error}") from None
    layer = _pick_layer(dataset, path, layer_name)
    definition = layer.GetLayerDefn()
    names = [definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())]
    field_name = next((n for n in names if n.lower() == class_field.lower()), None)
    if field_name is None:
        raise FinetuneError(
            f"the label layer '{layer.GetName()}' has no field '{class_field}'; its fields: "
            f"{', '.join(names) or 'none'}. Choose the field that holds the class names with "
            "{option}",
            option="class_field",
        )
    field_type = definition.GetFieldDefn(definition.GetFieldIndex(field_name)).GetType()
    integer_field = field_type in (ogr.OFTInteger, ogr.OFTInteger64)
    polygons, empty, wrong_kind, no_value = [], 0, [], []
    for feature in layer:
        geometry = feature.GetGeometryRef()
        if geometry is None or geometry.IsEmpty():
            empty += 1
            continue
        if ogr.GT_Flatten(geometry.GetGeometryType()) not in _POLYGON_TYPES:
            wrong_kind.append(geometry.GetGeometryName().lower())
            continue
        raw = feature.GetField(field_name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            no_value.append(feature.GetFID())
            continue
        value: str | int = int(raw) if integer_field else str(raw).strip()
        polygons.append(LabelPolygon(geometry.ExportToWkb(), value, feature.GetFID()))
    if wrong_kind:
        kinds = ", ".join(sorted(set(wrong_kind)))
        raise FinetuneError(
            f"the label layer '{layer.GetName()}' holds {kinds} geometries: labels must be "
            "polygons drawn over each class (a road, a roof, a lawn …)"
        )
    if no_value:
        raise FinetuneError(
            f"{len(no_value)} label polygon(s) have no value in '{field_name}' (feature ids "
            f"{_few(no_value)}): give every polygon a class"
        )
    if not polygons:
        raise FinetuneError(f"the label layer '{layer.GetName()}' has no polygons")
    srs = layer.GetSpatialRef()
    return LabelSet(
        polygons=polygons,
        crs_wkt=srs.ExportToWkt() if srs is not None else "",
        source=f"{Path(path).name} layer '{layer.GetName()}', field '{field_name}'",
        style_colors=read_style_colors(path, layer.GetName(), field_name),
        skipped_empty=empty,
    )


def _pick_layer(dataset: ogr.DataSource, path: str, name: str | None) -> ogr.Layer:
    if name is None:
        if dataset.GetLayerCount() > 1:
            names = [dataset.GetLayer(i).GetName() for i in range(dataset.GetLayerCount())]
            raise FinetuneError(
                f"{Path(path).name} holds several layers ({', '.join(names)}): name one as "
                f"{Path(path).name}|layername=NAME"
            )
        return dataset.GetLayer(0)
    layer = dataset.GetLayerByName(name)
    if layer is None and name.isdigit():
        layer = dataset.GetLayer(int(name))
    if layer is None:
        raise FinetuneError(f"{Path(path).name} has no layer '{name}'")
    return layer


def read_raster_labels(path: str) -> LabelSet:
    """A class-index raster (255 = unlabelled), polygonised into one polygon per patch."""
    try:
        dataset = gdal.Open(path)
    except RuntimeError as error:
        raise FinetuneError(f"cannot open the labels {path}: {error}") from None
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray()
    if not np.issubdtype(values.dtype, np.integer):
        raise FinetuneError(
            f"{Path(path).name} holds {values.dtype} values: a label raster holds integer "
            f"class indices, {UNLABELLED} where unlabelled"
        )
    nodata = band.GetNoDataValue()
    labelled = values != UNLABELLED
    if nodata is not None:
        labelled &= values != nodata
    if not labelled.any():
        raise FinetuneError(f"{Path(path).name} has no labelled pixels (all {UNLABELLED})")
    mask = gdal.GetDriverByName("MEM").Create("", dataset.RasterXSize, dataset.RasterYSize, 1)
    mask.GetRasterBand(1).WriteArray(labelled.astype(np.uint8))
    memory = ogr.GetDriverByName("Memory").CreateDataSource("labels")
    srs = dataset.GetSpatialRef()
    layer = memory.CreateLayer("labels", srs=srs, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("value", ogr.OFTInteger))
    gdal.Polygonize(band, mask.GetRasterBand(1), layer, 0)
    polygons = [
        LabelPolygon(f.GetGeometryRef().ExportToWkb(), int(f.GetField("value")), f.GetFID())
        for f in layer
    ]
    return LabelSet(
        polygons=polygons,
        crs_wkt=srs.ExportToWkt() if srs is not None else "",
        source=f"{Path(path).name} (label raster)",
    )


def _few(items: list, limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- a categorized style's colours ------------------------------------------------------


def read_style_colors(path: str, layer: str, field_name: str) -> dict[str, tuple[int, int, int]]:
    """Class colours of a categorized style stored with the labels, if any.

    QGIS saves a layer's style in a GeoPackage's ``layer_styles`` table or as a ``.qml``
    file beside a Shapefile/GeoJSON; a style that categorises by another field is ignored.
    """
    qml = _stored_qml(path, layer)
    return parse_categorized_colors(qml, field_name) if qml else {}


def _stored_qml(path: str, layer: str) -> str | None:
    sidecar = Path(path).with_suffix(".qml")
    if sidecar.is_file():
        return sidecar.read_text(encoding="utf-8", errors="replace")
    try:
        dataset = ogr.Open(path)
        styles = dataset.GetLayerByName("layer_styles") if dataset else None
    except RuntimeError:
        return None
    if styles is None:
        return None
    rows = [
        (bool(f.GetField("useAsDefault")), f.GetField("styleQML"))
        for f in styles
        if f.GetField("f_table_name") == layer and f.GetField("styleQML")
    ]
    rows.sort(key=lambda row: not row[0])  # the default style first
    return rows[0][1] if rows else None


def parse_categorized_colors(qml: str, field_name: str) -> dict[str, tuple[int, int, int]]:
    """Category colours of a QML style. A style comes with the analyst's labels, so it is
    treated as untrusted: one that declares entities (which QGIS never writes; they serve
    "billion laughs" expansion) is ignored; expat never fetches external ones."""
    import xml.etree.ElementTree as ElementTree  # nosec B405 # entity declarations are refused below

    if "<!ENTITY" in qml.upper():
        return {}
    try:
        root = ElementTree.fromstring(qml)  # nosec B314 # no entity declarations (checked above)
    except ElementTree.ParseError:
        return {}
    renderer = root.find(".//renderer-v2")
    if renderer is None or renderer.get("type") != "categorizedSymbol":
        return {}
    if (renderer.get("attr") or "").strip('"').lower() != field_name.lower():
        return {}
    symbols = {s.get("name"): s for s in renderer.iter("symbol")}
    colors: dict[str, tuple[int, int, int]] = {}
    for category in renderer.iter("category"):
        symbol = symbols.get(category.get("symbol"))
        color = _symbol_color(symbol) if symbol is not None else None
        if color is not None and category.get("value") not in (None, ""):
            colors[str(category.get("value")).strip().lower()] = color
    return colors


def _symbol_color(symbol) -> tuple[int, int, int] | None:
    for element in symbol.iter():
        key = element.get("name") if element.tag == "Option" else element.get("k")
        value = element.get("value") if element.tag == "Option" else element.get("v")
        if key == "color" and value:
            numbers = re.findall(r"\d+", value.split(",rgb:")[0])
            if len(numbers) >= 3:
                return tuple(int(n) for n in numbers[:3])  # type: ignore[return-value]
    return None
