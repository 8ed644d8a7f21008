"""Tiny models and rasters for the engine tests, generated rather than committed.

Models use small integer weights and an identity normalisation (pixel_scale 1, mean 0,
std 1), so every sum is exact in float32 and tiled and single-pass results can be compared
pixel for pixel without rounding ties.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from engine.metadata import make_metadata, to_onnx_props

gdal.UseExceptions()
DEEPNESS = Path(__file__).resolve().parents[1] / "data" / "deepness"
ORTHOPHOTO = DEEPNESS / "uav_orthophoto_2cm_rgba.tif"


def _conv(name: str, x: str, out: str, weight: np.ndarray, bias: np.ndarray, pad: int):
    from onnx import helper, numpy_helper

    inits = [
        numpy_helper.from_array(weight.astype(np.float32), f"{name}_w"),
        numpy_helper.from_array(bias.astype(np.float32), f"{name}_b"),
    ]
    node = helper.make_node(
        "Conv", [x, f"{name}_w", f"{name}_b"], [out], kernel_shape=list(weight.shape[2:]),
        pads=[pad] * 4,
    )  # fmt: skip
    return node, inits


def build_onnx(
    path: Path,
    *,
    in_channels: int = 3,
    classes: int = 3,
    kind: str = "convnet",
    seed: int = 0,
    tile: int | None = None,
    batch: int | None = None,
    metadata: dict | None = None,
    raw_props: dict[str, str] | None = None,
) -> Path:
    """``convnet``: 3x3 conv, ReLU, 3x3 conv (receptive field 5 px); ``conv1x1``: pixelwise."""
    import onnx
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    if kind == "conv1x1":
        w = rng.integers(-2, 3, size=(classes, in_channels, 1, 1))
        n, i = _conv("c1", "input", "output", w, rng.integers(-50, 50, size=classes), 0)
        nodes.append(n)
        inits += i
    else:
        hidden = 4
        w1 = rng.integers(-1, 2, size=(hidden, in_channels, 3, 3))
        n, i = _conv("c1", "input", "h1", w1, rng.integers(-20, 20, size=hidden), 1)
        nodes += [n, helper.make_node("Relu", ["h1"], ["r1"])]
        inits += i
        w2 = rng.integers(-1, 2, size=(classes, hidden, 3, 3))
        n, i = _conv("c2", "r1", "output", w2, rng.integers(-20, 20, size=classes), 1)
        nodes.append(n)
        inits += i
    side = tile if tile else "H"
    x = helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, [batch or "N", in_channels, side, tile or "W"]
    )
    y = helper.make_tensor_value_info(
        "output", TensorProto.FLOAT, [batch or "N", classes, side, tile or "W"]
    )
    graph = helper.make_graph(nodes, "tiny", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    props = dict(raw_props or {})
    if metadata is not None:
        fields = {"pixel_scale": 1.0, "mean": (0.0,), "std": (1.0,), "output_kind": "logits"}
        fields["input_bands"] = tuple(range(1, in_channels + 1))
        fields.update(metadata)
        names = fields.pop("class_names", [f"c{k}" for k in range(classes)])
        props.update(to_onnx_props(make_metadata(names, **fields)))
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path


def single_pass(model_path: Path, image: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The reference: the whole image in one run, argmax, no tiling."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    x = (image.astype(np.float32) / scale)[np.newaxis]
    return session.run(None, {"input": x})[0][0].argmax(axis=0).astype(np.uint8)


def write_raster(
    path: Path,
    data: np.ndarray,
    *,
    origin: tuple[float, float] = (500000.0, 5800000.0),
    pixel: float = 0.1,
    epsg: int | None = 32633,
    nodata: float | None = None,
    alpha: np.ndarray | None = None,
    block: int | None = 64,
) -> Path:
    """A north-up GeoTIFF from ``[bands, h, w]`` (dtype kept), optionally with alpha."""
    from osgeo import gdal_array

    bands, h, w = data.shape
    options = ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}"] if block else []
    dtype = gdal_array.NumericTypeCodeToGDALTypeCode(data.dtype)
    count = bands + (1 if alpha is not None else 0)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, count, dtype, options)
    ds.SetGeoTransform((origin[0], pixel, 0.0, origin[1], 0.0, -pixel))
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    for b in range(bands):
        band = ds.GetRasterBand(b + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(data[b])
    if alpha is not None:
        band = ds.GetRasterBand(count)
        band.SetColorInterpretation(gdal.GCI_AlphaBand)
        band.WriteArray(alpha.astype(data.dtype))
    ds = None
    return path


def random_image(h: int, w: int, bands: int = 3, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(bands, h, w), dtype=np.uint8)


def read(path: Path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()
