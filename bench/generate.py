"""Benchmark inputs made on the spot: ONNX models and large synthetic orthophotos.

Rasters are written strip by strip (a 20 000² RGB raster never sits in memory) as tiled
DEFLATE GeoTIFFs, like a real orthophoto delivery.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Outside the checkout: a 20 000² raster is ~0.5 GB. BENCH_CACHE overrides.
CACHE = Path(os.environ.get("BENCH_CACHE", Path(tempfile.gettempdir()) / "aerial_seg_bench"))


def cse_unet_onnx(base_width: int = 12, classes: int = 6, tile: int = 512) -> Path:
    """CSE-UNet from engine.models at ``base_width`` exported with a dynamic batch."""
    path = CACHE / f"cse_unet_w{base_width}_c{classes}_t{tile}.onnx"
    if path.exists():
        return path
    import torch

    from engine.metadata import make_metadata, write_onnx_metadata
    from engine.models.registry import build_model

    CACHE.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = build_model("cse_unet", base_width=base_width, classes=classes).eval()
    batch = torch.export.Dim("batch", min=1, max=64)
    partial = path.with_suffix(".part.onnx")
    torch.onnx.export(
        model, (torch.zeros(1, 3, tile, tile),), str(partial), dynamo=True,
        input_names=["input"], output_names=["output"], dynamic_shapes=({0: batch},),
        opset_version=18, optimize=True, external_data=False,
    )  # fmt: skip
    meta = make_metadata(
        [f"class {i}" for i in range(classes)], tile_size=tile, tile_overlap_pct=15.0,
        architecture="cse_unet", architecture_args={"base_width": base_width, "classes": classes},
        output_kind="logits", resolution_cm=None,
    )  # fmt: skip
    write_onnx_metadata(partial, meta)
    partial.replace(path)
    return path


def cse_unet_gflops(base_width: int = 12, classes: int = 6, tile: int = 512) -> float:
    from engine.models.flops import architecture_cost

    return architecture_cost("cse_unet", tile, base_width=base_width, classes=classes).gflops


def tiny_onnx(classes: int = 6, tile: int = 512) -> Path:
    """3x3 conv (8 channels), ReLU, 1x1 conv: cheap, so I/O and stitching dominate."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from engine.metadata import make_metadata, to_onnx_props

    path = CACHE / f"tiny_c{classes}_t{tile}.onnx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(8, np.float32), "b1"),
        numpy_helper.from_array(rng.normal(size=(classes, 8, 1, 1)).astype(np.float32), "w2"),
        numpy_helper.from_array(np.zeros(classes, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["h"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Conv", ["r", "w2", "b2"], ["output"], kernel_shape=[1, 1]),
    ]
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", classes, "H", "W"])
    model = helper.make_model(
        helper.make_graph(nodes, "tiny", [x], [y], initializer=inits),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 9
    meta = make_metadata([f"class {i}" for i in range(classes)], tile_size=tile)
    for key, value in to_onnx_props(meta).items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path


def orthophoto(size: int, pixel_m: float = 0.05) -> Path:
    """A ``size``² RGB uint8 GeoTIFF (UTM 33N) of smooth fields with texture noise."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    path = CACHE / (f"ortho_{size}.tif" if pixel_m == 0.05 else f"ortho_{size}_{pixel_m:g}m.tif")
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.tif")
    options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE",
               "ZLEVEL=1", "PREDICTOR=2", "BIGTIFF=IF_SAFER", "INTERLEAVE=PIXEL"]  # fmt: skip
    ds = gdal.GetDriverByName("GTiff").Create(str(partial), size, size, 3, gdal.GDT_Byte, options)
    ds.SetGeoTransform((600000.0, pixel_m, 0.0, 5800000.0, 0.0, -pixel_m))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    rng = np.random.default_rng(0)
    xs = np.arange(size, dtype=np.float32)
    strip = 256
    for y0 in range(0, size, strip):
        ys = np.arange(y0, min(size, y0 + strip), dtype=np.float32)[:, None]
        field = np.sin(xs / 97.0) * np.cos(ys / 131.0) + np.sin((xs + ys) / 53.0)
        noise = rng.integers(0, 24, size=(3, len(ys), size), dtype=np.uint8)
        for b in range(3):
            value = (96 + 60 * np.sin(field * (b + 1))).astype(np.uint8) + noise[b]
            ds.GetRasterBand(b + 1).WriteArray(value, 0, y0)
        ds.FlushCache()
    ds = None
    partial.replace(path)
    return path


def fragmented_class_map(size: int, block: int = 19, classes: int = 6, seed: int = 0) -> Path:
    """A ``size``² class map (uint8, 5 cm, tiled DEFLATE GeoTIFF, nodata 255) of ``block``-px
    patches of random classes with wavy borders: many small irregular polygons, like a
    speckled segmentation of a busy town."""
    from osgeo import gdal, osr

    gdal.UseExceptions()
    path = CACHE / f"classes_{size}_b{block}_c{classes}_s{seed}.tif"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.tif")
    options = ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER"]
    ds = gdal.GetDriverByName("GTiff").Create(str(partial), size, size, 1, gdal.GDT_Byte, options)
    ds.SetGeoTransform((600000.0, 0.05, 0.0, 5800000.0, 0.0, -0.05))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(255)
    cells = size // block + 2
    patches = np.random.default_rng(seed).integers(0, classes, (cells, cells), dtype=np.uint8)
    xs = np.arange(size, dtype=np.float32)[None, :]
    for y0 in range(0, size, 512):
        ys = np.arange(y0, min(size, y0 + 512), dtype=np.float32)[:, None]
        wave_x = 4 * np.sin(ys / 7 + xs / 13) + 3 * np.sin(xs / 5.3 - ys / 9.1)
        wave_y = 4 * np.cos(xs / 8 - ys / 11) + 3 * np.sin(ys / 4.7 + xs / 10.3)
        col = np.clip(((xs + wave_x) / block).astype(np.int64) + 1, 0, cells - 1)
        row = np.clip(((ys + wave_y) / block).astype(np.int64) + 1, 0, cells - 1)
        band.WriteArray(patches[row, col], 0, y0)
        ds.FlushCache()
    ds = None
    partial.replace(path)
    return path
