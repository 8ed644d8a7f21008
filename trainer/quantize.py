"""An INT8 copy of an ONNX model: onnxruntime's static quantisation, calibrated on real tiles.

Weights become int8 per output channel, activations uint8 per tensor, in the QDQ format
(QuantizeLinear/DequantizeLinear pairs that onnxruntime fuses into integer kernels: VNNI
on recent x86 CPUs). Activation ranges are calibrated on tiles of the given rasters cut the
way the engine cuts them (bands, resampling to the model's GSD, normalisation), so the ranges
are those the model meets when it runs. The copy keeps every metadata key of the original
and adds ``aerial_seg.quantization``: how it was made, from which file and tiles, and how
often its classes agree with the original's. It is written under a temporary name, checked,
and renamed; its model card is written beside it.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.metadata import read_onnx_props
from engine.staging import temp_path

from .model_record import KEY_QUANTIZATION, dump

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2", ".img")
METHODS = ("minmax", "percentile", "entropy")


class QuantizeError(RuntimeError):
    """The model cannot be quantised as asked; the message says what to change."""


@dataclass(frozen=True)
class QuantizeResult:
    path: Path
    card: Path
    tiles: int
    agreement: float  # share of pixels whose class the copy and the original agree on
    fp32_bytes: int
    int8_bytes: int
    seconds: float


def calibration_rasters(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Rasters named, and the rasters directly inside folders named."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in RASTER_SUFFIXES)
            if not inside:
                raise QuantizeError(f"{path} holds no raster ({', '.join(RASTER_SUFFIXES)})")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise QuantizeError(f"calibration raster not found: {path}")
    return found


def class_agreement(reference: Sequence[np.ndarray], other: Sequence[np.ndarray]) -> float:
    """Share of pixels whose best class is the same in two models' outputs, over all heads."""
    same = total = 0
    for a, b in zip(reference, other):
        same += int((a.argmax(axis=1) == b.argmax(axis=1)).sum())
        total += a.shape[0] * a.shape[2] * a.shape[3]
    return same / total if total else float("nan")


def _reader(input_name: str, tiles: np.ndarray):
    from onnxruntime.quantization import CalibrationDataReader

    class TileReader(CalibrationDataReader):
        """One tile per calibration step (the graph's batch may be fixed to 1)."""

        def __init__(self) -> None:
            self.next = 0

        def get_next(self) -> dict[str, np.ndarray] | None:
            if self.next >= len(tiles):
                return None
            self.next += 1
            return {input_name: tiles[self.next - 1 : self.next]}

        def rewind(self) -> None:
            self.next = 0

    return TileReader()


def _method(name: str):
    from onnxruntime.quantization import CalibrationMethod

    return {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }[name]


def _prepared(model_path: Path, target: Path, log: Callable[[str], None]) -> Path:
    """ONNX shape inference and graph fusions before quantising, as onnxruntime recommends.
    (Its symbolic shape inference is skipped: it gives up on dynamic-size graphs and then
    leaves temporary files in the working folder.)"""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        quant_pre_process(str(model_path), str(target), skip_symbolic_shape=True)
    except Exception as error:  # onnxruntime raises bare Exceptions here
        log(f"pre-processing skipped ({type(error).__name__}: {str(error).strip()[:80]})")
        return model_path
    return target


def _outputs(model_path: Path, tiles: np.ndarray) -> list[np.ndarray]:
    from engine.model_file import load_model

    model = load_model(model_path, device="cpu")
    parts = [model.run_heads(tiles[i : i + 1]) for i in range(len(tiles))]
    return [np.concatenate([p[h] for p in parts]) for h in range(len(parts[0]))]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_paths(model_path: Path, out_path: Path, method: str, overwrite: bool) -> None:
    if method not in METHODS:
        raise QuantizeError(f"unknown calibration method {method!r}: one of {', '.join(METHODS)}")
    if model_path.suffix.lower() != ".onnx" or not model_path.is_file():
        raise QuantizeError(f"{model_path} is not an ONNX model file")
    if out_path.suffix.lower() != ".onnx":
        raise QuantizeError(
            f"the INT8 copy is an ONNX file: give --out a .onnx name, not {out_path.name}"
        )
    if out_path.resolve() == model_path.resolve():
        raise QuantizeError("--out is the model itself: give the copy another name")
    if out_path.exists() and not overwrite:
        raise QuantizeError(f"{out_path} already exists: choose another --out, or add --overwrite")
    if not out_path.parent.is_dir():
        raise QuantizeError(f"the folder {out_path.parent} does not exist")


def _record(
    model_path: Path, rasters: list[Path], batch: np.ndarray, method: str, agreement: float,
    command: str,
) -> dict:  # fmt: skip
    """What the copy's metadata says about how it was made (``aerial_seg.quantization``)."""
    import onnxruntime

    return {
        "format": "QDQ",
        "weights": "int8, per output channel",
        "activations": "uint8, per tensor",
        "calibration": {
            "method": method,
            "tiles": len(batch),
            "tile_size": int(batch.shape[-1]),
            "rasters": [p.name for p in rasters],
        },
        "source": {"file": model_path.name, "sha256": _sha256(model_path)},
        "agreement_with_source": {"pixels": agreement, "on": "the calibration tiles"},
        "onnxruntime": onnxruntime.__version__,
        "quantized": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
    }


def _stamp(path: Path, props: dict[str, str], record: dict) -> None:
    """The original's metadata, every key, and the quantisation record, into ``path``."""
    import onnx

    quantized = onnx.load(str(path))
    del quantized.metadata_props[:]
    for key, value in {**props, KEY_QUANTIZATION: dump(record)}.items():
        quantized.metadata_props.add(key=key, value=value)
    onnx.save(quantized, str(path))


def quantize_model(
    model_path: str | os.PathLike,
    calibration: Sequence[str | os.PathLike],
    out_path: str | os.PathLike,
    *,
    tiles: int = 32,
    method: str = "minmax",
    overwrite: bool = False,
    command: str = "",
    log: Callable[[str], None] = print,
) -> QuantizeResult:
    """Write the INT8 copy of ``model_path`` to ``out_path`` (and its card beside it)."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    from engine.model_file import load_model
    from engine.tile_input import sample_tiles

    from .model_card import write_card

    started = time.perf_counter()
    model_path, out_path = Path(model_path), Path(out_path)
    _check_paths(model_path, out_path, method, overwrite)
    rasters = calibration_rasters(calibration)
    model = load_model(model_path, device="cpu")
    batch = sample_tiles(rasters, model, tiles)
    if not len(batch):
        raise QuantizeError("the calibration rasters hold no valid pixel: give others")
    log(f"calibrating on {len(batch)} tiles of {batch.shape[-1]} px from {len(rasters)} raster(s)")
    partial = temp_path(out_path)
    try:
        with tempfile.TemporaryDirectory(prefix="quantize_") as work:
            prepared = _prepared(model_path, Path(work) / "prepared.onnx", log)
            quantize_static(
                str(prepared), str(partial), _reader(model.backend.input_name, batch),
                quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=_method(method),
            )  # fmt: skip
        agreement = class_agreement(_outputs(model_path, batch), _outputs(partial, batch))
        record = _record(model_path, rasters, batch, method, agreement, command)
        _stamp(partial, read_onnx_props(model_path), record)
        load_model(partial, device="cpu")  # reads back: metadata and graph as the engine sees them
        os.replace(partial, out_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    card = write_card(out_path)
    return QuantizeResult(
        out_path, card, len(batch), agreement, model_path.stat().st_size,
        out_path.stat().st_size, time.perf_counter() - started,
    )  # fmt: skip
