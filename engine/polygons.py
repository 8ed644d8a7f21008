"""Class polygons: the class map sieved to a minimum mapping unit and polygonised by GDAL.

Both steps run in GDAL's C code (``GDALSieveFilter``, ``GDALPolygonize``), which read the
raster line by line: a 36 MP map of 70 000 patches takes seconds, where a Python loop over
pixels or patches takes minutes. The polygons go into a GeoPackage layer per model output
with the class index, its name and the area in m², styled with the model's colours (the
default style QGIS finds in the file's ``layer_styles`` table).

The minimum mapping unit sieves progressively (2, 4, 8 ... pixels up to the unit): GDAL
merges a patch below the threshold into its largest neighbour only when that neighbour is
at or above the threshold, so one pass at the unit would leave a speckled area untouched;
growing the threshold lets small patches merge into ever larger ones. Patches still below
the unit afterwards have no neighbour at all (islands in no data) and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from osgeo import gdal, ogr, osr

from .cancel import CancelToken
from .errors import InputError, OutputError
from .geotiff_writer import gdal_callback, limited_gdal_cache, raise_if_cancelled
from .metadata import ClassInfo
from .results import PolygonLayer
from .staging import Staging
from .styles import categorized_fill_qml, store_default_style

gdal.UseExceptions()
ogr.UseExceptions()

INDEX_FIELD = "class_index"
NAME_FIELD = "class_name"
AREA_FIELD = "area_m2"
CONNECTEDNESS = 4  # sieve and polygons agree: patches touching at a corner are two


def layer_name(band: int, bands: int) -> str:
    """``classes`` for a one-output model; ``classes_2`` ... for further outputs."""
    return "classes" if band == 1 or bands == 1 else f"classes_{band}"


def sieve_threshold(min_area_m2: float | None, pixel_area_m2: float | None) -> int:
    """The minimum mapping unit in pixels (0: no sieve)."""
    if not min_area_m2:
        return 0
    if not pixel_area_m2:
        raise InputError(
            "the raster has no usable CRS or pixel size, so an area in m² means nothing: "
            "leave {option} empty",
            option="min_area_m2",
        )
    return max(1, math.ceil(min_area_m2 / pixel_area_m2 - 1e-9))


def sieve(
    band: gdal.Band, target: Path, threshold: int, next_callback: Callable[[], object]
) -> gdal.Dataset:
    """``band`` sieved so that no patch is below ``threshold`` pixels, written to ``target``
    (an uncompressed scratch GeoTIFF: the sieve reads and writes it line by line).
    ``next_callback()`` gives the GDAL progress callback of the whole sieve."""
    source = band.GetDataset()
    scratch = gdal.GetDriverByName("GTiff").Create(
        str(target), source.RasterXSize, source.RasterYSize, 1, gdal.GDT_Byte,
        ["BIGTIFF=IF_SAFER", "SPARSE_OK=TRUE"],
    )  # fmt: skip
    scratch.SetGeoTransform(source.GetGeoTransform())
    scratch.SetProjection(source.GetProjection())
    out = scratch.GetRasterBand(1)
    nodata = band.GetNoDataValue()
    if nodata is not None:
        out.SetNoDataValue(nodata)
    sizes = []
    size = 2
    while size < threshold:
        sizes.append(size)
        size *= 2
    sizes.append(threshold)
    callback = next_callback()
    mask = band.GetMaskBand()
    for i, size in enumerate(sizes):

        def passes(fraction: float, message: str, data: object, i=i) -> int:
            return callback((i + fraction) / len(sizes), message, data)

        gdal.SieveFilter(band if i == 0 else out, mask, out, size, CONNECTEDNESS, callback=passes)
    return scratch


def polygonize_classes(
    class_map: Path,
    out_path: Path,
    heads: Sequence[Sequence[ClassInfo]],
    pixel_area_m2: float | None,
    staging: Staging,
    *,
    min_area_m2: float | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[PolygonLayer]:
    """Polygons of every band of ``class_map`` into the GeoPackage ``out_path`` (already a
    temporary path of ``staging``). ``progress`` gets fractions of the whole job."""
    with limited_gdal_cache():
        return _polygonize(
            class_map, out_path, heads, pixel_area_m2, staging, min_area_m2, cancel, progress
        )


@dataclass
class _Run:
    """What every band's layer needs: the GeoPackage, the unit, area scale and progress."""

    dataset: ogr.DataSource
    srs: osr.SpatialReference | None
    threshold: int  # the smallest polygon in pixels (0: no sieve)
    pixel_area_m2: float | None
    to_m2: float | None  # CRS area units -> m²
    staging: Staging
    scratch_near: Path
    cancel: CancelToken | None
    progress: Callable[[float], None]
    steps: int  # sieve and polygonize passes over all bands
    done: int = 0

    def step_callback(self):
        """A GDAL callback reporting one more step's progress (and stopping on a cancel)."""
        step = self.done
        self.done += 1
        return gdal_callback(self.cancel, lambda f: self.progress((step + f) / self.steps))


def _polygonize(
    class_map: Path,
    out_path: Path,
    heads: Sequence[Sequence[ClassInfo]],
    pixel_area_m2: float | None,
    staging: Staging,
    min_area_m2: float | None,
    cancel: CancelToken | None,
    progress: Callable[[float], None] | None,
) -> list[PolygonLayer]:
    threshold = sieve_threshold(min_area_m2, pixel_area_m2)
    raster = gdal.Open(str(class_map))
    gt = raster.GetGeoTransform()
    crs_area = abs(gt[1] * gt[5] - gt[2] * gt[4])  # one pixel, in CRS units squared
    srs = None
    if raster.GetProjection():
        srs = osr.SpatialReference()
        srs.ImportFromWkt(raster.GetProjection())
    try:
        dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(out_path))
    except RuntimeError as error:
        raise OutputError(f"cannot create {out_path.name}: {error}") from None
    bands = raster.RasterCount
    run = _Run(
        dataset, srs, threshold, pixel_area_m2,
        (pixel_area_m2 / crs_area) if pixel_area_m2 and crs_area else None, staging, out_path,
        cancel, progress or (lambda fraction: None), bands * (2 if threshold else 1),
    )  # fmt: skip
    try:
        layers = []
        for b in range(1, bands + 1):
            classes = heads[b - 1] if b - 1 < len(heads) else ()
            name = layer_name(b, bands)
            layers.append(_band_layer(run, raster.GetRasterBand(b), name, b, classes))
        return layers
    except RuntimeError as error:
        raise_if_cancelled(cancel)
        raise OutputError(f"cannot write the polygons: {error}") from None
    finally:
        run.dataset = dataset = None
        raster = None


def _band_layer(
    run: _Run, band: gdal.Band, name: str, number: int, classes: Sequence[ClassInfo]
) -> PolygonLayer:
    """One band sieved (if asked), polygonised into layer ``name``, named, measured, styled."""
    sieved = None
    if run.threshold:
        scratch = run.staging.scratch(run.scratch_near, ".tif")
        sieved = sieve(band, scratch, run.threshold, run.step_callback)
        band = sieved.GetRasterBand(1)
    layer = run.dataset.CreateLayer(name, srs=run.srs, geom_type=ogr.wkbPolygon)
    for field, kind in ((INDEX_FIELD, ogr.OFTInteger), (NAME_FIELD, ogr.OFTString),
                        (AREA_FIELD, ogr.OFTReal)):  # fmt: skip
        layer.CreateField(ogr.FieldDefn(field, kind))
    run.dataset.StartTransaction()
    gdal.Polygonize(band, band.GetMaskBand(), layer, 0, callback=run.step_callback())
    run.dataset.CommitTransaction()
    band = sieved = None  # closes the scratch raster before the staging removes it
    smallest = (run.threshold - 0.5) * run.pixel_area_m2 if run.threshold else None
    dropped = _fill_names_and_areas(run.dataset, name, classes, run.to_m2, smallest)
    qml = categorized_fill_qml(INDEX_FIELD, [(c.index, c.name, c.color) for c in classes])
    store_default_style(run.dataset, name, qml, f"{name} (model colours)")
    return PolygonLayer(name, number, layer.GetFeatureCount(), dropped)


def _fill_names_and_areas(
    dataset: ogr.DataSource,
    layer: str,
    classes: Sequence[ClassInfo],
    to_m2: float | None,
    smallest_m2: float | None,
) -> int:
    """Class names and areas in SQL (one statement each, run by SQLite); patches smaller
    than ``smallest_m2`` that the sieve could not merge are deleted. Returns how many were."""
    names = " ".join(f"WHEN {c.index} THEN {_sql_text(c.name)}" for c in classes)
    name_sql = f"CASE {INDEX_FIELD} {names} END" if classes else "NULL"
    geometry = dataset.GetLayerByName(layer).GetGeometryColumn() or "geom"
    # SQL text from our own layer and field names, numbers, and class names quoted by
    # _sql_text: nothing of a user's reaches it unquoted (hence the nosec marks).
    dataset.StartTransaction()
    dataset.ExecuteSQL(f'UPDATE "{layer}" SET {NAME_FIELD} = {name_sql}')  # nosec B608
    if to_m2:
        try:
            dataset.ExecuteSQL(
                f'UPDATE "{layer}" SET {AREA_FIELD} = ST_Area("{geometry}") * {to_m2!r}'  # nosec B608
            )
        except RuntimeError:  # a GDAL built without ST_Area for GeoPackages
            _areas_one_by_one(dataset.GetLayerByName(layer), to_m2)
    dropped = 0
    if smallest_m2 and to_m2:
        before = dataset.GetLayerByName(layer).GetFeatureCount()
        dataset.ExecuteSQL(f'DELETE FROM "{layer}" WHERE {AREA_FIELD} < {smallest_m2!r}')  # nosec B608
        dropped = before - dataset.GetLayerByName(layer).GetFeatureCount()
    dataset.CommitTransaction()
    return dropped


def _areas_one_by_one(layer: ogr.Layer, to_m2: float) -> None:
    layer.ResetReading()
    for feature in layer:
        feature.SetField(AREA_FIELD, feature.GetGeometryRef().GetArea() * to_m2)
        layer.SetFeature(feature)


def _sql_text(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"
