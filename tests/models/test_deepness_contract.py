"""Our exported models load and run in Deepness: its loading contract, checked on the graph.

What Deepness (PUTvision/qgis-plugin-deepness, its model wrapper and dock widget) does with a
model file, as read from its source and restated here:

- one input; the tile size is the input shape's last dimension, used as a number (the tile
  spin box, the overlap in pixels = tile × percent / 100): a symbolic height or width fails
  while loading; the channel count is ``shape[-3]``; a symbolic batch lets the user choose it;
- metadata values are JSON: ``model_type`` a string whose ``capitalize()`` is ``Segmentor``;
  ``class_names`` an object of consecutive integer keys (a list of them for several outputs);
  ``standardization_mean``/``_std`` lists of numbers, one per input channel; ``resolution``,
  ``seg_thresh`` numbers; ``tiles_overlap`` and ``tile_size`` taken with ``int()``;
- input: uint8 tiles / 255, minus mean, over std, NCHW float32;
- output: [N, C, H, W] scores per class (or [N, H, W] / one channel: a sigmoid); it zeroes
  every score below ``seg_thresh`` and takes the argmax per pixel.

The Deepness test models in tests/data/deepness pass the same checks, so the checker itself
is held to what Deepness really loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from engine.metadata import read_onnx_metadata, write_onnx_metadata
from engine.model_file import load_model
from trainer.export import export_onnx

from .test_export import TinySegmenter, potsdam_metadata

DEEPNESS_MODELS = Path(__file__).resolve().parents[1] / "data" / "deepness"
USER_BATCH = 3  # what a user might pick for a model with a symbolic batch


def _json(custom: dict[str, str], key: str):
    return json.loads(custom[key]) if key in custom else None


def deepness_loading_problems(path: Path) -> list[str]:
    """Everything in ``path`` that Deepness' loading or segmentation would trip over."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        return [f"{len(inputs)} inputs; Deepness feeds one"]
    shape = inputs[0].shape
    problems = []
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
        return [f"input shape {shape}: channels, height and width must be numbers"]
    _, channels, height, width = shape
    if height != width:
        problems.append(f"input {height}x{width}: Deepness takes one square tile size")
    overlap_px = int(width * 15.0 / 100 * 2) // 2  # what failed on a symbolic width
    assert 0 <= overlap_px < width
    custom = session.get_modelmeta().custom_metadata_map
    model_type = _json(custom, "model_type")
    if model_type is not None and str(model_type).capitalize() != "Segmentor":
        problems.append(f"model_type {model_type!r} is not a Segmentor")
    heads = _json(custom, "class_names")
    if isinstance(heads, dict):
        heads = [heads]
    for head in heads or []:
        if sorted(int(k) for k in head) != list(range(len(head))):
            problems.append(f"class_names keys are not 0..n-1: {sorted(head)}")
    mean, std = _json(custom, "standardization_mean"), _json(custom, "standardization_std")
    if (mean is None) != (std is None):
        problems.append("only one of standardization_mean and standardization_std")
    if mean is not None and not (len(mean) == len(std) == channels):
        problems.append(f"mean/std of {len(mean)}/{len(std)} values for {channels} channels")
    for key, kind in (("resolution", float), ("seg_thresh", float), ("tiles_overlap", int)):
        if key in custom:
            kind(_json(custom, key))
    for key in ("tile_size", "tiles_size"):
        if key in custom and int(_json(custom, key)) != width:
            problems.append(f"{key} {custom[key]} but the graph takes {width} px tiles")
    if heads is not None and len(heads) != len(outputs):
        problems.append(f"{len(heads)} class lists for {len(outputs)} outputs")
    for i, output in enumerate(outputs):
        dims = output.shape
        if len(dims) not in (3, 4) or not all(isinstance(d, int) for d in dims[1:]):
            problems.append(f"output {i} shape {dims}: [N, C, H, W] with numbers after N")
            continue
        classes = 1 if len(dims) == 3 else dims[1]
        if heads is not None and classes > 1 and classes != len(heads[i]):
            problems.append(f"output {i} has {classes} channels, class_names {len(heads[i])}")
    return problems + _run_like_deepness(session, custom, shape)


def _run_like_deepness(session: ort.InferenceSession, custom: dict, shape: list) -> list[str]:
    """Feed a batch the way Deepness prepares it; thresholding must not change the classes."""
    # A symbolic batch is the user's choice; one of Deepness' test models only states its
    # batch of 1 on the output (so it runs there at the default batch of 1).
    stated = [o.shape[0] for o in session.get_outputs() if isinstance(o.shape[0], int)]
    batch = shape[0] if isinstance(shape[0], int) else (stated or [USER_BATCH])[0]
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (batch, shape[2], shape[3], shape[1]), dtype=np.uint8)
    x = np.float32(tiles / 255.0)
    mean = _json(custom, "standardization_mean")
    if mean is not None:
        x = (x - np.float32(mean)) / np.float32(_json(custom, "standardization_std"))
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32)
    problems = []
    threshold = _json(custom, "seg_thresh")
    for i, result in enumerate(session.run(None, {session.get_inputs()[0].name: x})):
        if result.shape[0] != batch:
            problems.append(f"output {i}: {result.shape[0]} results for a batch of {batch}")
        if threshold is None or result.ndim != 4 or result.shape[1] == 1:
            continue
        kept = np.where(result < threshold, 0.0, result)
        changed = float(np.mean(kept.argmax(1) != result.argmax(1)))
        if changed:
            problems.append(f"seg_thresh {threshold} changes the class of {changed:.0%} of pixels")
    return problems


@pytest.fixture
def model(small_model):
    return small_model("cse_unet_study", classes=6)


def test_our_default_export_meets_the_contract(model, tmp_path):
    meta = potsdam_metadata("cse_unet_study", "probabilities", base_width=8)
    path = export_onnx(model, meta, tmp_path / "ours.onnx", tile_size=64).path
    assert deepness_loading_problems(path) == []
    # Deepness' preprocessing gives the same scores as our engine's.
    tiles = np.random.default_rng(1).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    deepness_input = (np.float32(tiles / 255.0) - np.float32(meta.mean)) / np.float32(meta.std)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (deepness,) = session.run(None, {"input": deepness_input.transpose(0, 3, 1, 2).copy()})
    loaded = load_model(path, device="cpu")
    a, b = loaded.normaliser(3)
    ours = loaded.run(
        tiles.transpose(0, 3, 1, 2).astype(np.float32) * a[:, None, None] + b[:, None, None]
    )
    assert np.abs(deepness - ours).max() < 1e-4


def test_the_checker_catches_what_breaks_deepness(model, tmp_path):
    meta = potsdam_metadata("cse_unet_study", "probabilities", base_width=8)
    dynamic = export_onnx(model, meta, tmp_path / "dynamic.onnx", dynamic_size=True).path
    assert "channels, height and width must be numbers" in deepness_loading_problems(dynamic)[0]
    # A threshold of 0.5 on six softmax classes would make unsure pixels class 0.
    thresholded = export_onnx(model, meta, tmp_path / "thresholded.onnx", tile_size=64).path
    write_onnx_metadata(thresholded, read_onnx_metadata(thresholded).with_changes(seg_thresh=0.5))
    assert any("changes the class" in p for p in deepness_loading_problems(thresholded))


@pytest.mark.parametrize(
    "name",
    ["one_output_softmax_bsx2x512x512", "two_outputs_softmax_bsx2x512x512",
     "one_output_sigmoid_bsx512x512", "different_output_size_512_to_484", "dummy_model"],
)  # fmt: skip
def test_the_checker_passes_deepness_own_test_models(name):
    assert deepness_loading_problems(DEEPNESS_MODELS / f"{name}.onnx") == []


def test_the_engine_runs_static_and_dynamic_exports_alike(model, tmp_path):
    """Both exporter paths, static or dynamic size: the engine tiles at the graph's size and
    gives the same classes either way, on rasters larger and smaller than a tile. (The dynamo
    path exports the tiny segmenter: torch.export takes seconds per CSE-UNet.)"""
    from osgeo import gdal

    from engine.pipeline import SegmentationOptions, segment

    meta = potsdam_metadata("cse_unet_study", "probabilities", base_width=8).with_changes(
        tile_size=64, tile_overlap_pct=25.0
    )
    tiny = TinySegmenter().eval()
    rng = np.random.default_rng(2)
    rasters = []
    for width, height in ((150, 110), (40, 50)):
        raster = tmp_path / f"r{width}.tif"
        ds = gdal.GetDriverByName("GTiff").Create(str(raster), width, height, 3, gdal.GDT_Byte)
        ds.SetGeoTransform((500000.0, 0.05, 0.0, 5800000.0, 0.0, -0.05))
        for band in range(3):
            ds.GetRasterBand(band + 1).WriteArray(rng.integers(0, 256, (height, width)))
        ds = None
        rasters.append((raster, (height, width)))
    for dynamo, exported in ((False, model), (True, tiny)):
        classes = {}
        for dynamic in (False, True):
            path = export_onnx(
                exported, meta, tmp_path / f"m_{dynamo}_{dynamic}.onnx", dynamo=dynamo,
                dynamic_size=dynamic,
            ).path  # fmt: skip
            assert load_model(path, device="cpu").fixed_tile == (None if dynamic else 64)
            for raster, shape in rasters:
                out = tmp_path / f"out_{raster.stem}_{dynamo}_{dynamic}.tif"
                segment(str(raster), str(path), str(out), SegmentationOptions(device="cpu"))
                classes[raster, dynamic] = gdal.Open(str(out)).ReadAsArray()
                assert classes[raster, dynamic].shape == shape
        for raster, _ in rasters:
            assert len(np.unique(classes[raster, False])) > 1
            assert np.array_equal(classes[raster, False], classes[raster, True]), (dynamo, raster)
