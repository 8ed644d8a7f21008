"""A training checkpoint rebuilt from an exported ONNX model, so that training can go on.

The exporter folds every BatchNorm into the convolution before it. In eval mode nothing
depends on how the scale was split between the two, but a BatchNorm in training mode
normalises by its batch's own statistics: left as the identity that fine-tuning uses (with
its BatchNorms frozen), it would rescale every channel to unit variance and undo the model.
So each folded convolution's output is measured on training tiles, and its BatchNorm is set
to normalise by exactly those statistics and scale back: the module computes the ONNX graph
in eval mode, and nearly that in training mode, where batch statistics stand in for the
measured ones. A phase can then warm-start from a shipped model whose checkpoint is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.metadata import from_onnx_props, read_onnx_props, to_onnx_props

from .checkpoint import save_checkpoint
from .data.tiles import TileDataset, read_manifest
from .finetune.base_model import load_onnx_weights
from .model_record import KEY_EXPORT, KEY_TRAINING_RUN
from .transforms import normalise


@dataclass
class RebuiltCheckpoint:
    path: Path
    architecture: str
    batchnorms: int  # BatchNorms whose statistics were re-estimated
    tiles: int  # training tiles they were measured on


class _ChannelMoments:
    """Per-channel mean and variance of everything a module is fed, accumulated in float64."""

    def __init__(self) -> None:
        self.count = 0
        self.total: torch.Tensor | None = None
        self.squares: torch.Tensor | None = None

    def __call__(self, _module: nn.Module, inputs: tuple[torch.Tensor, ...], _output) -> None:
        x = inputs[0].detach().double()
        dims = [0, 2, 3]
        total, squares = x.sum(dims), (x * x).sum(dims)
        self.total = total if self.total is None else self.total + total
        self.squares = squares if self.squares is None else self.squares + squares
        self.count += x.numel() // x.shape[1]

    def mean_var(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.total is None or self.squares is None:
            raise ValueError("no tiles reached this BatchNorm")
        mean = self.total / self.count
        var = (self.squares / self.count - mean * mean).clamp_min(0.0)
        return mean.float(), var.float()


def unfold_batchnorms(
    module: nn.Module, batchnorms: list[nn.BatchNorm2d], batches: Iterable[torch.Tensor]
) -> None:
    """Give identity BatchNorms (carrying a folded bias) the statistics of their input on
    ``batches`` (standardised images) and the scale and shift that undo them."""
    moments = [_ChannelMoments() for _ in batchnorms]
    hooks = [bn.register_forward_hook(m) for bn, m in zip(batchnorms, moments)]
    try:
        module.eval()
        with torch.no_grad():
            for batch in batches:
                module(batch)
    finally:
        for hook in hooks:
            hook.remove()
    with torch.no_grad():
        for bn, m in zip(batchnorms, moments):
            mean, var = m.mean_var()
            folded_bias = bn.bias.clone()
            # eval: sqrt(var+eps) * (x - mean) / sqrt(var+eps) + mean + bias = x + bias
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.copy_(folded_bias + mean)


def training_batches(
    data: Path, tiles: int, batch_size: int, mean: Sequence[float], std: Sequence[float]
) -> Iterable[torch.Tensor]:
    """The first ``tiles`` training tiles of a prepared dataset, standardised as the model
    expects its input (its metadata's mean and std, which need not be this dataset's own: a
    model trained on other scenes, or one that kept its parent's statistics)."""
    channels = read_manifest(data)["channels"]
    if len(mean) != channels:
        raise ValueError(f"the model standardises {len(mean)} bands, {data} has {channels}")
    dataset = TileDataset(data, "train")
    count = min(tiles, len(dataset))
    if count == 0:
        raise ValueError(f"{data} holds no training tiles to measure the BatchNorms on")
    mean_t = torch.tensor(mean, dtype=torch.float32)
    std_t = torch.tensor(std, dtype=torch.float32)
    for start in range(0, count, batch_size):
        images = torch.stack([dataset[i][0] for i in range(start, min(count, start + batch_size))])
        yield normalise(images, mean_t, std_t)


def rebuild_checkpoint(
    model_path: Path, data: Path, out: Path, tiles: int = 256, batch_size: int = 16
) -> RebuiltCheckpoint:
    """Write a checkpoint a phase can warm-start from (``--init``) or ``evaluate`` can score."""
    from engine.models import build_model

    props = read_onnx_props(model_path)
    meta = from_onnx_props(props)
    if not meta.architecture:
        raise ValueError(
            f"{model_path.name} does not name its architecture: only models exported by this "
            "trainer can be rebuilt"
        )
    module = build_model(meta.architecture, **meta.architecture_args)
    batchnorms = load_onnx_weights(module, model_path)
    batches = training_batches(data, tiles, batch_size, meta.mean, meta.std)
    unfold_batchnorms(module, batchnorms, batches)
    measured = min(tiles, len(TileDataset(data, "train")))
    validation = {k: v for k, v in meta.metrics.items() if k.startswith("validation_")}
    checkpoint_meta = meta.with_changes(output_kind="logits", metrics=validation)
    export = json.loads(props[KEY_EXPORT]) if KEY_EXPORT in props else {}
    run_record = json.loads(props[KEY_TRAINING_RUN]) if KEY_TRAINING_RUN in props else None
    content = dict(
        model=module.state_dict(),
        architecture=meta.architecture,
        architecture_args=dict(meta.architecture_args),
        metadata=to_onnx_props(checkpoint_meta),
        epoch=export.get("epoch"),
        rebuilt_from=str(model_path),
    )
    if run_record is not None:
        content["run_record"] = run_record
    save_checkpoint(out, **content)
    return RebuiltCheckpoint(out, meta.architecture, len(batchnorms), measured)
