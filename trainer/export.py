"""Export a trained model to ONNX with its metadata: the one format the plugin deploys.

The graph takes a dynamic batch of fixed-size tiles (Deepness reads the tile size from the
input shape; ``dynamic_size`` frees height and width for the engine's own use), opset 17,
and ends in what ``meta.output_kind`` says: logits, a softmax over the classes
("probabilities", what Deepness expects) or a sigmoid. The file is written under a
temporary name, checked (metadata read back, onnxruntime against torch on a random tile)
and only then renamed, so a failed export never leaves a file that looks finished.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import ModelError
from engine.metadata import (
    ModelMetadata,
    from_onnx_props,
    read_onnx_props,
    to_onnx_props,
    write_onnx_metadata,
)
from engine.models import build_model
from engine.torch_files import load_weights_only

DEFAULT_OPSET = 17
DYNAMO_MIN_OPSET = 18
DEFAULT_TILE_SIZE = 512
INPUT_NAME = "input"
OUTPUT_NAME = "output"
# onnxruntime and torch accumulate in different orders; relative to the output's scale
# they agree to ~1e-6 in fp32. A larger gap means the graph computes something else.
VERIFY_RELATIVE_TOLERANCE = 1e-4

# Prefixes that DistributedDataParallel and torch.compile put before every parameter name.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


class ExportError(RuntimeError):
    """The model could not be exported or the exported file does not match the model."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    opset: int
    tile_size: int
    dynamic_size: bool  # height and width dynamic, else fixed at tile_size
    max_abs_diff: float  # onnxruntime vs torch on the verification tile
    size_bytes: int


class _WithActivation(nn.Module):
    """Appends the activation that turns logits into what the metadata promises."""

    def __init__(self, model: nn.Module, output_kind: str) -> None:
        super().__init__()
        self.model = model
        self.output_kind = output_kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.model(x)
        if self.output_kind == "probabilities":
            return torch.softmax(logits, dim=1)
        if self.output_kind == "sigmoid":
            return torch.sigmoid(logits)
        return logits


def _input_channels(model: nn.Module) -> int | None:
    first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return None if first_conv is None else first_conv.in_channels


def _temporary_path(out_path: Path) -> Path:
    return out_path.with_name(f".{out_path.name}.{os.getpid()}.part")


def export_onnx(
    model: nn.Module,
    meta: ModelMetadata,
    out_path: str | os.PathLike,
    tile_size: int | None = None,
    *,
    opset: int = DEFAULT_OPSET,
    verify: bool = True,
    dynamo: bool = False,
    dynamic_size: bool = False,
    extra_props: Mapping[str, str] | None = None,
) -> ExportResult:
    """Write ``model`` as ONNX with ``meta`` (and ``extra_props``) embedded.

    The graph takes a dynamic batch of ``tile_size`` × ``tile_size`` tiles (default:
    ``meta.tile_size`` or 512): Deepness reads the tile size from the input shape.
    ``dynamic_size=True`` leaves height and width dynamic too (any multiple of the model's
    ``size_divisor``), which the engine can use. ``dynamo=True`` uses torch.export instead of
    the TorchScript tracer (slower; the way forward once torch drops the tracer).
    """
    out_path = Path(out_path)
    if opset < 17:
        raise ExportError(f"opset {opset} is too old: use 17 or newer")
    tile = tile_size or meta.tile_size or DEFAULT_TILE_SIZE
    divisor = int(getattr(model, "size_divisor", 32))
    if tile % divisor:
        raise ExportError(f"tile size {tile} is not a multiple of the model's {divisor}")
    # A threshold on softmax probabilities would make Deepness call every unsure pixel the
    # first class; only a sigmoid output has a meaningful one. 0 turns Deepness' off.
    threshold = meta.seg_thresh if meta.output_kind == "sigmoid" else 0.0
    meta = meta.with_changes(tile_size=tile, seg_thresh=threshold)
    bands = len(meta.input_bands)
    channels = _input_channels(model)
    if channels is not None and channels != bands:
        raise ExportError(
            f"the model reads {channels} bands but the metadata lists {bands} input bands "
            f"{list(meta.input_bands)}"
        )
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    if device.type == "meta":
        raise ExportError("the model has no weights (built on the meta device)")

    if dynamic_size:
        # Trace on a small non-square tile (2 × 3 divisor) and verify on another shape.
        trace_input = torch.randn(1, bands, 2 * divisor, 3 * divisor, device=device)
        check_input = torch.randn(2, bands, 4 * divisor, 2 * divisor, device=device)
    else:
        trace_input = torch.randn(1, bands, tile, tile, device=device)
        check_input = torch.randn(2, bands, tile, tile, device=device)
    wrapped = _WithActivation(model, meta.output_kind)
    was_training = model.training
    model.eval()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = _temporary_path(out_path)
    try:
        with torch.no_grad():
            classes = wrapped(trace_input).shape[1]
            expected = wrapped(check_input).cpu().numpy()
        if meta.classes and classes != len(meta.classes):
            raise ExportError(
                f"the model has {classes} outputs but the metadata names "
                f"{len(meta.classes)} classes"
            )
        if dynamo:
            # torch.export's translator starts at opset 18; asking for less converts down.
            opset = max(opset, DYNAMO_MIN_OPSET)
            _export_dynamo(wrapped, trace_input, partial, opset, divisor, dynamic_size)
        else:
            _export_torchscript(wrapped, trace_input, partial, opset, dynamic_size)
        write_onnx_metadata(partial, meta, extra_props)
        _check_metadata(partial, meta)
        diff = _check_outputs(partial, check_input.cpu().numpy(), expected) if verify else 0.0
        partial.replace(out_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        model.train(was_training)
    return ExportResult(out_path, opset, tile, dynamic_size, diff, out_path.stat().st_size)


def _export_torchscript(
    model: nn.Module, example: torch.Tensor, path: Path, opset: int, dynamic_size: bool
) -> None:
    dynamic = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    with warnings.catch_warnings():
        # torch warns that this exporter is deprecated in favour of dynamo; it stays the
        # default because it exports these models in well under a second.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: dynamic, OUTPUT_NAME: dynamic},
            do_constant_folding=True,
        )


def _export_dynamo(
    model: nn.Module,
    example: torch.Tensor,
    path: Path,
    opset: int,
    divisor: int,
    dynamic_size: bool,
) -> None:
    from torch.export import Dim

    # Height and width, when dynamic, are declared as multiples of the divisor, which the
    # model needs; the example's batch of 2 keeps torch.export from specialising it to 1.
    axes = {0: Dim("batch", min=1, max=4096)}
    if dynamic_size:
        axes[2] = Dim("height_blocks", min=1, max=4096) * divisor
        axes[3] = Dim("width_blocks", min=1, max=4096) * divisor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example.expand(2, -1, -1, -1).contiguous(),),
            str(path),
            dynamo=True,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            # Positional (a tuple), not keyed by argument name: torch 2.6 wants the keys
            # to be the input_names when both are given, newer torch the argument names.
            dynamic_shapes=(axes,),
            external_data=False,
            verbose=False,
        )


def _check_metadata(path: Path, meta: ModelMetadata) -> None:
    read_back = from_onnx_props(read_onnx_props(path), strict=True)
    if to_onnx_props(read_back) != to_onnx_props(meta):
        raise ExportError(f"the metadata read back from {path.name} differs from what was written")


def _check_outputs(path: Path, batch: np.ndarray, expected: np.ndarray) -> float:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a check on a small batch: no thread pool needed
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (actual,) = session.run([OUTPUT_NAME], {INPUT_NAME: batch})
    if actual.shape != expected.shape:
        raise ExportError(f"ONNX output shape {actual.shape}, torch gives {expected.shape}")
    diff = float(np.max(np.abs(actual - expected)))
    scale = max(1.0, float(np.max(np.abs(expected))))
    if not diff <= VERIFY_RELATIVE_TOLERANCE * scale:
        raise ExportError(f"ONNX and torch outputs differ by up to {diff:.3g}")
    return diff


def strip_wrapper_prefixes(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter names without DataParallel/compile prefixes, so any of our checkpoints load."""
    cleaned = {}
    for key, value in state_dict.items():
        for prefix in _WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        cleaned[key] = value
    return cleaned


def model_from_checkpoint(checkpoint: Mapping[str, Any]) -> tuple[nn.Module, ModelMetadata]:
    """Rebuild the model a training checkpoint holds, with its metadata."""
    for key in ("model", "architecture", "architecture_args", "metadata"):
        if key not in checkpoint:
            raise ExportError(f"the checkpoint lacks '{key}': is it one of the trainer's?")
    architecture = checkpoint["architecture"]
    arguments = dict(checkpoint["architecture_args"])
    try:
        model = build_model(architecture, **arguments)
    except ValueError as error:
        raise ExportError(f"the checkpoint's architecture: {error}") from None
    result = model.load_state_dict(strip_wrapper_prefixes(checkpoint["model"]), strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ExportError(
            f"the checkpoint's weights do not fit {architecture} {arguments}: "
            f"missing {result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}"
        )
    meta = from_onnx_props(checkpoint["metadata"])
    meta = meta.with_changes(architecture=architecture, architecture_args=arguments)
    return model.eval(), meta


def load_checkpoint(path: str | os.PathLike) -> Mapping[str, Any]:
    """Read a training checkpoint without unpickling arbitrary objects."""
    if not Path(path).is_file():
        raise ExportError(f"no checkpoint at {path}")
    try:
        checkpoint = load_weights_only(path)
    except ModelError as error:  # objects instead of tensors, or not a checkpoint at all
        raise ExportError(str(error)) from None
    if not isinstance(checkpoint, Mapping):
        raise ExportError(f"{path} holds no checkpoint dict")
    return checkpoint
