"""Polygons from QGIS features as the engine's polygon mask, in the raster's CRS."""

from __future__ import annotations

from collections.abc import Iterable

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsFeature,
    QgsGeometry,
)

from ..engine.masking import PolygonMask


def polygon_mask(
    features: Iterable[QgsFeature],
    features_crs: QgsCoordinateReferenceSystem,
    raster_crs: QgsCoordinateReferenceSystem,
    transform_context: QgsCoordinateTransformContext,
) -> PolygonMask | None:
    """The features' polygons transformed to ``raster_crs`` (None when there are none)."""
    transform = None
    if features_crs.isValid() and raster_crs.isValid() and features_crs != raster_crs:
        transform = QgsCoordinateTransform(features_crs, raster_crs, transform_context)
    polygons = []
    for feature in features:
        geometry = QgsGeometry(feature.geometry())
        if geometry.isNull() or geometry.isEmpty():
            continue
        if transform is not None:
            geometry.transform(transform)
        polygons.append(geometry.asWkt())
    return PolygonMask(tuple(polygons)) if polygons else None
