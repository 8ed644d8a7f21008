"""The model a fine-tuning run starts from: a bundled name, an exported ``.onnx`` or a checkpoint.

An ONNX file exported by this project names its architecture and arguments in its metadata,
so the torch module can be rebuilt; its weights are the graph's initializers. The exporter
folds every BatchNorm into the convolution before it, so the folded weights go into the
convolutions and the BatchNorms become identities carrying the folded bias. That model
computes exactly what the ONNX graph computes (checked on a random tile before training
starts); it is then fine-tuned with its BatchNorms frozen, which is what small batches from
one image want anyway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine.metadata import MetadataError, ModelMetadata, from_onnx_props, read_onnx_props
from engine.models import build_model

from .errors import FinetuneError

BUNDLED_MODELS_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")
# The rebuilt model must reproduce the ONNX graph; fp32 reordering stays far below this.
RECOVERY_TOLERANCE = 1e-3


@dataclass
class BaseModel:
    """A torch module ready to fine-tune, with the metadata of the file it came from."""

    module: nn.Module
    metadata: ModelMetadata
    path: Path
    name: str  # how the analyst named it: bundled name or file name


def resolve_base_path(spec: str | os.PathLike, bundled_dir: Path | None = None) -> Path:
    """A bundled model name (file stem) or a path to an ``.onnx`` file or checkpoint."""
    text = str(spec).strip()
    path = Path(text).expanduser()
    if path.is_file():
        return path
    folder = bundled_dir or BUNDLED_MODELS_DIR
    for suffix in (".onnx", *CHECKPOINT_SUFFIXES):
        candidate = folder / f"{text}{suffix}"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in folder.glob("*.onnx")) if folder.is_dir() else []
    raise FinetuneError(
        f"base model '{text}' not found: choose with {{option}} a bundled model "
        f"({', '.join(known) or 'none installed'}), an .onnx model or a training checkpoint",
        option="base_model",
    )


def load_base_model(spec: str | os.PathLike, bundled_dir: Path | None = None) -> BaseModel:
    path = resolve_base_path(spec, bundled_dir)
    if path.suffix.lower() in CHECKPOINT_SUFFIXES:
        module, meta = _from_checkpoint(path)
    else:
        module, meta = _from_onnx(path)
    name = (
        path.stem
        if path.parent.resolve() == (bundled_dir or BUNDLED_MODELS_DIR).resolve()
        else path.name
    )
    return BaseModel(module=module, metadata=meta, path=path, name=name)


def _from_checkpoint(path: Path) -> tuple[nn.Module, ModelMetadata]:
    from trainer.export import ExportError, load_checkpoint, model_from_checkpoint

    try:
        return model_from_checkpoint(load_checkpoint(path))
    except (ExportError, MetadataError) as error:
        raise FinetuneError(f"{path.name}: {error}") from None


def _from_onnx(path: Path) -> tuple[nn.Module, ModelMetadata]:
    try:
        meta = from_onnx_props(read_onnx_props(path))
    except MetadataError as error:
        raise FinetuneError(f"{path.name} is not a usable ONNX model: {error}") from None
    if not meta.architecture:
        raise FinetuneError(
            f"{path.name} does not name its architecture (not exported by this plugin's "
            "trainer): fine-tune from a bundled model, one of your fine-tuned models, or a "
            "training checkpoint"
        )
    try:
        module = build_model(meta.architecture, **meta.architecture_args)
    except (ValueError, TypeError) as error:
        raise FinetuneError(f"{path.name}: cannot rebuild its architecture: {error}") from None
    load_onnx_weights(module, path)
    return module.eval(), meta


# --- ONNX initializers into a torch module --------------------------------------------


@dataclass
class _ConvCall:
    conv: nn.Conv2d
    batchnorm: nn.BatchNorm2d | None  # the BatchNorm that reads this conv's output, if any


def _conv_calls(module: nn.Module, channels: int, divisor: int) -> list[_ConvCall]:
    """Convolutions in the order the forward pass runs them, each with its BatchNorm."""
    calls: list[_ConvCall] = []
    outputs: dict[int, _ConvCall] = {}
    hooks = []

    def on_conv(conv, _inputs, output):
        call = _ConvCall(conv, None)
        calls.append(call)
        outputs[id(output)] = call

    def on_batchnorm(batchnorm, inputs, _output):
        call = outputs.get(id(inputs[0]))
        if call is not None:
            call.batchnorm = batchnorm

    for child in module.modules():
        if isinstance(child, nn.Conv2d):
            hooks.append(child.register_forward_hook(on_conv))
        elif isinstance(child, nn.BatchNorm2d):
            hooks.append(child.register_forward_hook(on_batchnorm))
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(1, channels, 2 * divisor, 2 * divisor))
    finally:
        for hook in hooks:
            hook.remove()
    return calls


def load_onnx_weights(module: nn.Module, path: Path) -> list[nn.BatchNorm2d]:
    """Fill ``module`` with the weights of the ONNX graph it was exported as; returns the
    BatchNorms folded into their convolutions (identities now, carrying the folded bias)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    first = next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)
    if first is None:
        raise FinetuneError(f"{path.name}: the architecture has no convolutions")
    divisor = int(getattr(module, "size_divisor", 32))
    _load_named(module, initializers)
    calls = _conv_calls(module, first.in_channels, divisor)
    if len(calls) != len(convs):
        raise FinetuneError(
            f"{path.name}: the graph has {len(convs)} convolutions, the architecture "
            f"{len(calls)}: the file does not match the architecture its metadata names"
        )
    for node, call in zip(convs, calls):
        weight = initializers.get(node.input[1])
        bias = initializers.get(node.input[2]) if len(node.input) > 2 else None
        if weight is None or tuple(weight.shape) != tuple(call.conv.weight.shape):
            raise FinetuneError(
                f"{path.name}: convolution {node.name or node.output[0]} does not fit "
                f"{tuple(call.conv.weight.shape)}: the file does not match its architecture"
            )
        _assign(call, weight, bias)
    _check_against_onnx(module, path, first.in_channels, divisor)
    return [call.batchnorm for call in calls if call.batchnorm is not None]


def _load_named(module: nn.Module, initializers: dict[str, np.ndarray]) -> None:
    """Tensors the exporter kept under their own names (BatchNorms that follow no
    convolution, convolutions with a bias); the export wrapper adds ``model.``."""
    state = module.state_dict()
    named = {}
    for name, array in initializers.items():
        key = name.removeprefix("model.")
        if key in state and tuple(state[key].shape) == tuple(array.shape):
            named[key] = torch.from_numpy(np.array(array, dtype=np.float32))
    module.load_state_dict(named, strict=False)


def _assign(call: _ConvCall, weight: np.ndarray, bias: np.ndarray | None) -> None:
    with torch.no_grad():
        call.conv.weight.copy_(torch.from_numpy(np.array(weight, dtype=np.float32)))
        bias_tensor = (
            torch.from_numpy(np.array(bias, dtype=np.float32)) if bias is not None else None
        )
        bn = call.batchnorm
        if bn is not None:
            # Folded: the conv already scales; the BatchNorm adds the folded bias only.
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(bias_tensor if bias_tensor is not None else torch.zeros_like(bn.bias))
            if call.conv.bias is not None:
                call.conv.bias.zero_()
        elif call.conv.bias is not None:
            call.conv.bias.copy_(
                bias_tensor if bias_tensor is not None else torch.zeros_like(call.conv.bias)
            )
        elif bias_tensor is not None and bool(bias_tensor.abs().max() > 0):
            raise FinetuneError("a convolution without bias has a bias in the ONNX graph")


def _check_against_onnx(module: nn.Module, path: Path, channels: int, divisor: int) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    size = shape[2] if isinstance(shape[2], int) else 4 * divisor
    batch = np.random.default_rng(0).standard_normal((1, channels, size, size)).astype(np.float32)
    (expected,) = session.run(None, {session.get_inputs()[0].name: batch})
    with torch.no_grad():
        logits = module.eval()(torch.from_numpy(batch))
    meta = from_onnx_props(read_onnx_props(path))
    actual = _activate(logits, meta.output_kind).numpy()
    if actual.shape != expected.shape or not np.allclose(
        actual, expected, atol=RECOVERY_TOLERANCE, rtol=RECOVERY_TOLERANCE
    ):
        raise FinetuneError(
            f"{path.name}: the weights read from the file do not reproduce its output; "
            "fine-tune from the training checkpoint instead"
        )


def _activate(logits: torch.Tensor, output_kind: str) -> torch.Tensor:
    if output_kind == "probabilities":
        return torch.softmax(logits, dim=1)
    if output_kind == "sigmoid":
        return torch.sigmoid(logits)
    return logits
