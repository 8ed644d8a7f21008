"""Keep classes only inside the selected polygons: the engine segments their bounding box,
this sets every pixel outside them to no data and recounts the class areas.

Works strip by strip (memory bounded like the engine) on a finished but not yet renamed
output, so the file under the final name is always complete.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

NODATA = 255
STRIP_ROWS = 512


class MaskCancelled(Exception):  # noqa: N818 - a cancel, not an error
    """The run was cancelled while masking."""


def mask_outside_polygons(
    path: str,
    polygons_wkt: list[str],
    is_cancelled: Callable[[], bool] = lambda: False,
) -> list[np.ndarray]:
    """Set pixels of every band outside ``polygons_wkt`` (raster CRS) to no data, in place.

    Returns, per band, the pixel count of each value 0..255 after masking.
    """
    from osgeo import gdal, ogr, osr

    dataset = gdal.Open(path, gdal.GA_Update)
    if dataset is None:
        raise OSError(f"cannot open {path} for masking")
    width, height = dataset.RasterXSize, dataset.RasterYSize
    x0, dx, rx, y0, ry, dy = dataset.GetGeoTransform()

    source = ogr.GetDriverByName("Memory").CreateDataSource("mask")
    srs = osr.SpatialReference()
    if dataset.GetProjection():
        srs.ImportFromWkt(dataset.GetProjection())
    layer = source.CreateLayer("polygons", srs=srs, geom_type=ogr.wkbMultiPolygon)
    for wkt in polygons_wkt:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)

    counts = [np.zeros(256, dtype=np.int64) for _ in range(dataset.RasterCount)]
    memory = gdal.GetDriverByName("MEM")
    for top in range(0, height, STRIP_ROWS):
        if is_cancelled():
            raise MaskCancelled()
        rows = min(STRIP_ROWS, height - top)
        strip = memory.Create("", width, rows, 1, gdal.GDT_Byte)
        strip.SetGeoTransform((x0 + top * rx, dx, rx, y0 + top * dy, ry, dy))
        strip.SetProjection(dataset.GetProjection())
        gdal.RasterizeLayer(strip, [1], layer, burn_values=[1])
        outside = strip.GetRasterBand(1).ReadAsArray() == 0
        for index in range(dataset.RasterCount):
            band = dataset.GetRasterBand(index + 1)
            data = band.ReadAsArray(0, top, width, rows)
            data[outside] = NODATA
            band.WriteArray(data, 0, top)
            counts[index] += np.bincount(data.ravel(), minlength=256)[:256]
    dataset.FlushCache()
    dataset = None
    return counts


def move_into_place(partial: Path, final: Path) -> None:
    """Rename a finished raster (and its ``.aux.xml``, which holds the class names)."""
    aux, final_aux = Path(f"{partial}.aux.xml"), Path(f"{final}.aux.xml")
    if aux.exists():
        os.replace(aux, final_aux)
    elif final_aux.exists():
        final_aux.unlink()
    os.replace(partial, final)


def discard(partial: Path) -> None:
    for path in (partial, Path(f"{partial}.aux.xml")):
        path.unlink(missing_ok=True)


def recount_result(result, counts: list[np.ndarray]) -> None:
    """Class areas of the engine's result, recomputed from the masked pixel counts."""
    areas = []
    for area in result.class_areas:
        count = counts[area.band - 1] if area.band - 1 < len(counts) else counts[0]
        valid = int(count[:NODATA].sum())
        pixels = int(count[area.index])
        pixel_area = getattr(result, "pixel_area_m2", None)
        areas.append(
            dataclasses.replace(
                area,
                pixels=pixels,
                area_m2=pixels * pixel_area if pixel_area else float("nan"),
                percent=100.0 * pixels / valid if valid else 0.0,
            )
        )
    result.class_areas = areas
    if counts:
        result.valid_pixels = int(counts[0][:NODATA].sum())
