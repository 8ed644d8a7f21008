"""A tiny ONNX model and GeoTIFF, generated so that the expected class map is known exactly.

The model is a 1x1 convolution with identity weights: the class of a pixel is its brightest
band (0 = red, 1 = green, 2 = blue). The raster has three vertical stripes, one per band.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLASS_NAMES = ["red roofs", "green fields", "blue water"]
CLASS_COLORS = [(230, 25, 75), (60, 180, 75), (0, 130, 200)]
WIDTH, HEIGHT = 150, 100
ORIGIN = (500000.0, 5800000.0)  # UTM 33N, 0.5 m pixels
PIXEL = 0.5


def write_model(path: Path, metadata_module) -> Path:
    """The 1x1-conv model with our metadata, via the lead's metadata writer."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["input", "w"], ["output"], kernel_shape=[1, 1])],
        "argmax_of_bands",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        initializer=[numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    meta = metadata_module.make_metadata(
        CLASS_NAMES,
        CLASS_COLORS,
        resolution_cm=50.0,
        tile_size=64,
        tile_overlap_pct=10.0,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        pixel_scale=255.0,
        output_kind="logits",
        training_data="generated in the tests (identity 1x1 convolution)",
        version="1",
        description="brightest band wins",
    )
    metadata_module.write_onnx_metadata(path, meta)
    return path


def stripes() -> np.ndarray:
    """(3, H, W) uint8: left third red, middle green, right blue, with texture."""
    rng = np.random.default_rng(7)
    data = rng.integers(10, 90, size=(3, HEIGHT, WIDTH), dtype=np.uint8)
    third = WIDTH // 3
    for band in range(3):
        data[band, :, band * third : (band + 1) * third] += 150
    return data


def expected_classes() -> np.ndarray:
    return np.argmax(stripes(), axis=0).astype(np.uint8)


def write_raster(path: Path) -> Path:
    from osgeo import gdal, osr

    data = stripes()
    driver = gdal.GetDriverByName("GTiff")
    dataset = driver.Create(str(path), WIDTH, HEIGHT, 3, gdal.GDT_Byte)
    dataset.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset.SetProjection(srs.ExportToWkt())
    for band in range(3):
        dataset.GetRasterBand(band + 1).WriteArray(data[band])
    dataset.FlushCache()
    dataset = None
    return path


def read_band(path: Path | str) -> np.ndarray:
    from osgeo import gdal

    dataset = gdal.Open(str(path))
    return dataset.GetRasterBand(1).ReadAsArray()


def pixel_rect(col0: int, row0: int, col1: int, row1: int) -> str:
    """WKT of the rectangle over pixel columns [col0, col1) and rows [row0, row1)."""
    x0, x1 = ORIGIN[0] + col0 * PIXEL, ORIGIN[0] + col1 * PIXEL
    y0, y1 = ORIGIN[1] - row1 * PIXEL, ORIGIN[1] - row0 * PIXEL
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def write_polygons(path: Path, wkts: list[str], epsg: int = 32633, layer: str = "parcels") -> Path:
    """A GeoPackage polygon layer (a mask for the panel, Processing and the command line)."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    target = source.CreateLayer(layer, srs=srs, geom_type=ogr.wkbPolygon)
    for wkt in wkts:
        feature = ogr.Feature(target.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        target.CreateFeature(feature)
    source = None
    return path


def write_grey_raster(path: Path) -> Path:
    """A 1-band version of the stripes raster (its first band)."""
    from osgeo import gdal, osr

    dataset = gdal.GetDriverByName("GTiff").Create(str(path), WIDTH, HEIGHT, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.GetRasterBand(1).WriteArray(stripes()[0])
    dataset = None
    return path
