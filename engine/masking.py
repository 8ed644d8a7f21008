"""Polygon masks: segment only inside polygons, in one pass.

The polygons are burnt into the validity mask strip by strip as the raster is read, so a
tile whose own pixels all lie outside them is never run, pixels outside them come out as
no data, and the class areas count only what is inside. Nothing is rewritten afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from .errors import InputError
from .raster_io import window_geotransform

ogr.UseExceptions()

# Pixel-centre rule on the output grid; where inference runs on a resampled grid, every
# pixel the polygons touch there is kept, so no output pixel inside them loses its source.
POLYGON_TYPES = {ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbCurvePolygon, ogr.wkbMultiSurface}


@dataclass(frozen=True)
class PolygonMask:
    """Polygons as WKT, in the CRS ``crs_wkt`` (empty: the raster's own CRS)."""

    polygons_wkt: tuple[str, ...]
    crs_wkt: str = ""

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> PolygonMask:
        """Every polygon of a vector file OGR opens (``file.gpkg|layername=parcels`` picks a
        layer; otherwise the first)."""
        text = str(path)
        name, _, layer_part = text.partition("|layername=")
        if not Path(name).exists():
            raise InputError(f"mask file not found: {name}", option="mask")
        try:
            source = ogr.Open(name)
        except RuntimeError as error:
            raise InputError(f"OGR cannot open {name} as vector data: {error}",
                             option="mask") from None  # fmt: skip
        layer = source.GetLayerByName(layer_part) if layer_part else source.GetLayer(0)
        if layer is None:
            raise InputError(f"{name} has no layer '{layer_part}'", option="mask")
        polygons = []
        for feature in layer:
            geometry = feature.GetGeometryRef()
            if geometry is None or geometry.IsEmpty():
                continue
            if ogr.GT_Flatten(geometry.GetGeometryType()) not in POLYGON_TYPES:
                raise InputError(
                    f"{Path(name).name} holds {geometry.GetGeometryName().lower()} features: a "
                    "mask needs polygons; choose a polygon layer with {option}",
                    option="mask",
                )
            polygons.append(geometry.ExportToWkt())
        if not polygons:
            raise InputError(f"{Path(name).name} holds no polygon: choose another with {{option}}",
                             option="mask")  # fmt: skip
        srs = layer.GetSpatialRef()
        return cls(tuple(polygons), srs.ExportToWkt() if srs is not None else "")


def _srs(wkt: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def polygons_in(mask: PolygonMask, projection: str) -> list[ogr.Geometry]:
    """The mask's polygons in the raster CRS ``projection``."""
    transform = None
    if mask.crs_wkt and projection:
        source, target = _srs(mask.crs_wkt), _srs(projection)
        if not source.IsSame(target):
            transform = osr.CoordinateTransformation(source, target)
    geometries = []
    for wkt in mask.polygons_wkt:
        try:
            geometry = ogr.CreateGeometryFromWkt(wkt)
        except RuntimeError:
            raise InputError(f"a mask polygon is not valid WKT: {wkt[:60]}…",
                             option="mask") from None  # fmt: skip
        if transform is not None:
            geometry.Transform(transform)
        geometries.append(geometry)
    return geometries


def mask_bounds(geometries: Sequence[ogr.Geometry]) -> tuple[float, float, float, float]:
    """xmin, ymin, xmax, ymax of all polygons."""
    envelopes = [g.GetEnvelope() for g in geometries]  # (minx, maxx, miny, maxy)
    return (
        min(e[0] for e in envelopes),
        min(e[2] for e in envelopes),
        max(e[1] for e in envelopes),
        max(e[3] for e in envelopes),
    )


class MaskRasterizer:
    """Which pixels of a grid lie inside the polygons, burnt one strip at a time.

    ``all_touched``: every pixel the polygons touch (for a resampled working grid), else
    the pixels whose centre is inside (the output grid).
    """

    def __init__(
        self,
        geometries: Sequence[ogr.Geometry],
        geotransform: Sequence[float],
        projection: str,
        all_touched: bool = False,
    ):
        self.geotransform = tuple(geotransform)
        self.projection = projection
        self.options = ["ALL_TOUCHED=TRUE"] if all_touched else []
        self._source = ogr.GetDriverByName("Memory").CreateDataSource("mask")
        srs = _srs(projection) if projection else None
        self._layer = self._source.CreateLayer("polygons", srs=srs, geom_type=ogr.wkbUnknown)
        for geometry in geometries:
            feature = ogr.Feature(self._layer.GetLayerDefn())
            feature.SetGeometry(geometry)
            self._layer.CreateFeature(feature)

    def inside(self, x0: int, y0: int, width: int, height: int) -> np.ndarray:
        """``[height, width]`` booleans for the grid window at column ``x0``, row ``y0``."""
        strip = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Byte)
        strip.SetGeoTransform(window_geotransform(self.geotransform, x0, y0))
        if self.projection:
            strip.SetProjection(self.projection)
        gdal.RasterizeLayer(strip, [1], self._layer, burn_values=[1], options=self.options)
        return strip.GetRasterBand(1).ReadAsArray() > 0
