"""An analyst's sparse labels, simulated from a fully labelled scene, for tests and benchmarks.

An analyst draws a few rectangles well inside objects of each class (a stretch of road, part
of a roof, a lawn, a car), covering a small share of the image. This draws such rectangles on
a class raster, each wholly inside one class, until a target share of the pixels is covered;
the pixels outside every rectangle are the "rest of the image" a fine-tuned model is scored
on. Also a style shift (channels rotated, gamma, colour cast) that stands for imagery unlike
the base model's training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

UNLABELLED = 255


@dataclass(frozen=True)
class Rectangle:
    x0: int
    y0: int
    x1: int
    y1: int
    class_index: int


def simulate_rectangles(
    classes: np.ndarray,
    coverage: float,
    rng: np.random.Generator,
    size_px: tuple[int, int] = (20, 120),
    min_per_class: int = 3,
    max_tries: int = 20000,
) -> list[Rectangle]:
    """Rectangles of pure class, each class drawn evenly, until ``coverage`` of the pixels."""
    h, w = classes.shape
    present = [c for c in np.unique(classes) if c != UNLABELLED]
    taken = np.zeros((h, w), dtype=bool)
    rectangles: list[Rectangle] = []
    per_class = dict.fromkeys(present, 0)
    pixels = {c: np.argwhere(classes == c) for c in present}
    for _ in range(max_tries):
        if taken.mean() >= coverage and min(per_class.values()) >= min_per_class:
            break
        # The class with the fewest rectangles so far (ties at random).
        fewest = min(per_class.values())
        cls = rng.choice([c for c in present if per_class[c] == fewest])
        y, x = pixels[cls][rng.integers(len(pixels[cls]))]
        rh, rw = rng.integers(size_px[0], size_px[1] + 1, 2)
        for _shrink in range(4):
            y0, x0 = max(0, y - rh // 2), max(0, x - rw // 2)
            y1, x1 = min(h, y0 + rh), min(w, x0 + rw)
            window = classes[y0:y1, x0:x1]
            if (window == cls).all() and not taken[y0:y1, x0:x1].any():
                rectangles.append(Rectangle(int(x0), int(y0), int(x1), int(y1), int(cls)))
                taken[y0:y1, x0:x1] = True
                per_class[cls] += 1
                break
            rh, rw = max(4, rh // 2), max(4, rw // 2)
    return rectangles


def rectangles_mask(rectangles: list[Rectangle], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for r in rectangles:
        mask[r.y0 : r.y1, r.x0 : r.x1] = True
    return mask


def write_polygons(
    rectangles: list[Rectangle],
    names: list[str],
    geotransform: tuple[float, ...],
    projection: str,
    path: Path,
    field: str = "class",
) -> Path:
    """The rectangles as a GeoPackage of polygons with the class name in ``field``."""
    path.unlink(missing_ok=True)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(projection)
    layer = dataset.CreateLayer("labels", srs=srs, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn(field, ogr.OFTString))
    gt = geotransform
    for r in rectangles:
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for px, py in ((r.x0, r.y0), (r.x1, r.y0), (r.x1, r.y1), (r.x0, r.y1), (r.x0, r.y0)):
            ring.AddPoint_2D(gt[0] + px * gt[1] + py * gt[2], gt[3] + px * gt[4] + py * gt[5])
        polygon = ogr.Geometry(ogr.wkbPolygon)
        polygon.AddGeometry(ring)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField(field, names[r.class_index])
        feature.SetGeometry(polygon)
        layer.CreateFeature(feature)
    dataset = None
    return path


def shift_style(image: np.ndarray) -> np.ndarray:
    """(3, H, W) uint8 RGB -> the same scene as a different sensor might see it: channels
    rotated (green-red-blue), a gamma and a warm cast. Classes keep their texture and shape,
    colours no longer mean what they meant."""
    unit = image.astype(np.float32) / 255.0
    rotated = unit[[1, 0, 2]]
    cast = np.array([1.08, 0.97, 0.85], dtype=np.float32)[:, None, None]
    shifted = np.clip(rotated**0.75 * cast, 0, 1)
    return np.round(shifted * 255).astype(np.uint8)
