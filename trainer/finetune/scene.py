"""The image and its labels on the grid the model will see: windows around the labels.

The working grid is the one the engine segments on: the raster resampled to the model's GSD
(the same GDAL view, so training pixels look like inference pixels), or the raster's own grid
when asked. Only windows around the labelled polygons are read (each polygon's box plus half a
tile of context, overlapping boxes merged), so memory follows the labels, not the raster.
Each window holds the image, the class of every training pixel and of every held-out pixel
(255 elsewhere): a pixel is in one of the two or in neither, never in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, ogr, osr

from engine.errors import InputError
from engine.raster_io import RasterSource, window_geotransform

from .classes import ClassScheme
from .errors import FinetuneError
from .labels import UNLABELLED, LabelSet
from .split import HoldoutSplit

GSD_TOLERANCE = 0.01  # the engine's: below this relative difference it does not resample


@dataclass
class SceneWindow:
    x0: int  # working-grid pixels
    y0: int
    image: np.ndarray  # (bands, h, w), the raster's dtype
    train: np.ndarray  # (h, w) uint8 class index, UNLABELLED elsewhere
    holdout: np.ndarray  # (h, w) uint8 class index, UNLABELLED elsewhere

    @property
    def shape(self) -> tuple[int, int]:
        return self.train.shape


@dataclass
class TrainingScene:
    windows: list[SceneWindow]
    gsd_cm: float | None  # of the working grid
    raster_gsd_cm: float | None
    resampled: bool
    pixel_area_m2: float | None

    def class_pixels(self, which: str, classes: int) -> np.ndarray:
        counts = np.zeros(classes, dtype=np.int64)
        for window in self.windows:
            values = getattr(window, which)
            counts += np.bincount(values[values != UNLABELLED], minlength=classes)[:classes]
        return counts


def working_source(
    source: RasterSource, model_gsd_cm: float | None, native: bool
) -> tuple[RasterSource, float | None, float | None]:
    """The raster as the model sees it, its GSD and the raster's own GSD (cm)."""
    gsd = source.gsd_m()
    raster_cm = gsd[0] * 100 if gsd else None
    if native or gsd is None or not model_gsd_cm:
        return source, raster_cm, raster_cm
    target = model_gsd_cm / 100.0
    fx, fy = gsd[0] / target, gsd[1] / target
    if abs(fx - 1) <= GSD_TOLERANCE and abs(fy - 1) <= GSD_TOLERANCE:
        return source, raster_cm, raster_cm
    width, height = max(1, round(source.width * fx)), max(1, round(source.height * fy))
    return source.resampled(width, height), model_gsd_cm, raster_cm


def build_scene(
    image_path: str,
    labels: LabelSet,
    scheme: ClassScheme,
    split: HoldoutSplit,
    *,
    bands: tuple[int, ...],
    model_gsd_cm: float | None,
    native_gsd: bool,
    context_px: int,
) -> TrainingScene:
    try:
        source = RasterSource.open(image_path)
    except InputError as error:
        raise FinetuneError(str(error)) from None
    bad = [b for b in bands if not 1 <= b <= source.band_count]
    if bad:
        raise FinetuneError(
            f"the image has {source.band_count} band(s); the model reads bands {list(bands)}"
        )
    work, gsd_cm, raster_cm = working_source(source, model_gsd_cm, native_gsd)
    layer_memory, layer = _polygon_layer(labels, source)
    boxes = _polygon_boxes(layer, work, context_px)
    if not boxes:
        raise FinetuneError(
            "no label polygon overlaps the image: check that the labels lie on this raster "
            "(and that their CRS is right)"
        )
    windows = []
    for x0, y0, x1, y1 in _merge_boxes(boxes):
        windows.append(_read_window(work, layer, bands, (x0, y0, x1 - x0, y1 - y0), scheme, split))
    del layer_memory
    area = (gsd_cm / 100) ** 2 if gsd_cm else None
    resampled = work is not source
    return TrainingScene(windows, gsd_cm, raster_cm, resampled, area)


def _polygon_layer(labels: LabelSet, source: RasterSource) -> tuple[ogr.DataSource, ogr.Layer]:
    """The polygons in the raster's CRS, in an in-memory layer with their list position."""
    target = source.srs()
    transform = None
    if labels.crs_wkt and target is not None:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(labels.crs_wkt)
        for s in (srs, target):
            s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        if not srs.IsSame(target):
            transform = osr.CoordinateTransformation(srs, target)
    memory = ogr.GetDriverByName("Memory").CreateDataSource("labels")
    layer = memory.CreateLayer("labels", srs=target, geom_type=ogr.wkbMultiPolygon)
    layer.CreateField(ogr.FieldDefn("position", ogr.OFTInteger))
    for position, polygon in enumerate(labels.polygons):
        geometry = ogr.CreateGeometryFromWkb(polygon.wkb)
        if transform is not None:
            geometry.Transform(transform)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("position", position)
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    return memory, layer


def _polygon_boxes(
    layer: ogr.Layer, work: RasterSource, context: int
) -> list[tuple[int, int, int, int]]:
    gt = work.geotransform
    inverse = gdal.InvGeoTransform(gt)
    boxes = []
    for feature in layer:
        xmin, xmax, ymin, ymax = feature.GetGeometryRef().GetEnvelope()
        corners = [
            gdal.ApplyGeoTransform(inverse, x, y) for x in (xmin, xmax) for y in (ymin, ymax)
        ]
        cols = [c[0] for c in corners]
        rows = [c[1] for c in corners]
        x0 = max(0, math.floor(min(cols)) - context)
        y0 = max(0, math.floor(min(rows)) - context)
        x1 = min(work.width, math.ceil(max(cols)) + context)
        y1 = min(work.height, math.ceil(max(rows)) + context)
        if x1 > x0 and y1 > y0:
            boxes.append((x0, y0, x1, y1))
    layer.ResetReading()
    return boxes


def _merge_boxes(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Union overlapping boxes until none overlap (a window per cluster of labels)."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        result: list[tuple[int, int, int, int]] = []
        for box in merged:
            for i, other in enumerate(result):
                if (
                    box[0] < other[2]
                    and other[0] < box[2]
                    and box[1] < other[3]
                    and other[1] < box[3]
                ):
                    result[i] = (
                        min(box[0], other[0]), min(box[1], other[1]),
                        max(box[2], other[2]), max(box[3], other[3]),
                    )  # fmt: skip
                    changed = True
                    break
            else:
                result.append(box)
        merged = result
    return sorted(merged, key=lambda b: (b[1], b[0]))


def _read_window(
    work: RasterSource,
    layer: ogr.Layer,
    bands: tuple[int, ...],
    window: tuple[int, int, int, int],
    scheme: ClassScheme,
    split: HoldoutSplit,
) -> SceneWindow:
    x0, y0, w, h = window
    image = np.empty((len(bands), h, w), dtype=work.dtype)
    valid = np.empty((h, w), dtype=bool) if work.has_mask(bands) else None
    try:
        work.read_into(x0, y0, bands, image, valid)
    except InputError as error:
        raise FinetuneError(str(error)) from None
    positions = _rasterise_positions(layer, work, window)
    train = np.full((h, w), UNLABELLED, dtype=np.uint8)
    holdout = np.full((h, w), UNLABELLED, dtype=np.uint8)
    inside = positions >= 0
    if valid is not None:
        inside &= valid
    index = positions[inside]
    train_values = np.asarray(split.train_class, dtype=np.uint8)[index]
    holdout_values = np.asarray(split.holdout_class, dtype=np.uint8)[index]
    train[inside] = train_values
    holdout[inside] = holdout_values
    return SceneWindow(x0, y0, image, train, holdout)


def _rasterise_positions(
    layer: ogr.Layer, work: RasterSource, window: tuple[int, int, int, int]
) -> np.ndarray:
    """Each pixel's polygon (list position; -1 for none), pixel centres inside polygons."""
    x0, y0, w, h = window
    target = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Int32)
    target.SetGeoTransform(window_geotransform(work.geotransform, x0, y0))
    if work.projection:
        target.SetProjection(work.projection)
    band = target.GetRasterBand(1)
    band.Fill(-1)
    gdal.RasterizeLayer(target, [1], layer, options=["ATTRIBUTE=position"])
    return band.ReadAsArray()
