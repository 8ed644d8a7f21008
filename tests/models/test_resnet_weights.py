"""An ImageNet ResNet34 state dict in torchvision's layout loads into the UNet's encoder."""

from __future__ import annotations

import argparse

import pytest
import torch

from engine.models import build_model
from engine.models.resnet import (
    ResNetEncoder,
    load_torchvision_weights,
    load_torchvision_weights_file,
)

# torchvision.models.resnet34, written out independently of our encoder: stage widths and
# block counts, BasicBlocks, a 1×1 downsample where a stage changes width or stride.
STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))


def _batchnorm(prefix: str, width: int) -> dict[str, tuple[int, ...]]:
    return {
        f"{prefix}.weight": (width,),
        f"{prefix}.bias": (width,),
        f"{prefix}.running_mean": (width,),
        f"{prefix}.running_var": (width,),
        f"{prefix}.num_batches_tracked": (),
    }


def torchvision_resnet34_shapes(bands: int = 3) -> dict[str, tuple[int, ...]]:
    shapes = {"conv1.weight": (64, bands, 7, 7), **_batchnorm("bn1", 64)}
    previous = 64
    for stage, (width, blocks) in enumerate(STAGES, start=1):
        for block in range(blocks):
            prefix = f"layer{stage}.{block}"
            block_in = previous if block == 0 else width
            shapes[f"{prefix}.conv1.weight"] = (width, block_in, 3, 3)
            shapes.update(_batchnorm(f"{prefix}.bn1", width))
            shapes[f"{prefix}.conv2.weight"] = (width, width, 3, 3)
            shapes.update(_batchnorm(f"{prefix}.bn2", width))
            if block == 0 and stage > 1:
                shapes[f"{prefix}.downsample.0.weight"] = (width, previous, 1, 1)
                shapes.update(_batchnorm(f"{prefix}.downsample.1", width))
        previous = width
    shapes["fc.weight"] = (1000, 512)
    shapes["fc.bias"] = (1000,)
    return shapes


def torchvision_resnet34_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in torchvision_resnet34_shapes().items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(1000)
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[key] = torch.randn(shape, generator=generator) * 0.05
    return state


def test_generated_state_dict_is_resnet34_sized():
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    shapes = torchvision_resnet34_shapes()
    parameters = [s for k, s in shapes.items() if not k.endswith(buffers)]
    assert sum(torch.Size(s).numel() for s in parameters) == 21_797_672  # torchvision's figure


def test_encoder_names_and_shapes_are_torchvisions():
    with torch.device("meta"):
        encoder = build_model("resnet34_unet", classes=7).encoder
    ours = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    expected = {k: v for k, v in torchvision_resnet34_shapes().items() if not k.startswith("fc.")}
    assert ours == expected


def test_torchvision_state_dict_loads_with_no_missing_or_unexpected_keys():
    model = build_model("resnet34_unet", classes=6)
    state = torchvision_resnet34_state_dict()
    dropped = load_torchvision_weights(model.encoder, state)
    assert dropped == ["fc.bias", "fc.weight"]  # the ImageNet classifier, on purpose
    loaded = model.encoder.state_dict()
    for key, value in state.items():
        if not key.startswith("fc."):
            assert torch.equal(loaded[key], value), key
    # The strict load the loader relies on also agrees: nothing of the encoder is left out.
    without_fc = {k: v for k, v in state.items() if not k.startswith("fc.")}
    result = model.encoder.load_state_dict(without_fc, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_weights_file_is_read_without_unpickling_objects(tmp_path):
    path = tmp_path / "resnet34-imagenet.pth"
    state = torchvision_resnet34_state_dict(seed=1)
    torch.save(state, path)
    encoder = ResNetEncoder()
    load_torchvision_weights_file(encoder, path)
    assert torch.equal(encoder.layer3[5].bn2.running_var, state["layer3.5.bn2.running_var"])

    # Any object but tensors and plain containers is refused, before anything runs.
    torch.save({"conv1.weight": argparse.Namespace(x=1)}, tmp_path / "evil.pth")
    with pytest.raises(ValueError, match="holds Python objects besides tensors and was refused"):
        load_torchvision_weights_file(encoder, tmp_path / "evil.pth")


def test_a_state_dict_that_does_not_fit_is_refused_whole():
    encoder = ResNetEncoder()
    state = torchvision_resnet34_state_dict()
    del state["layer4.2.conv2.weight"]
    state["layer5.0.conv1.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"missing \['layer4.2.conv2.weight'\]"):
        load_torchvision_weights(encoder, state)


def test_rgb_weights_adapt_to_other_band_counts():
    encoder = ResNetEncoder(in_channels=4)
    state = torchvision_resnet34_state_dict()
    load_torchvision_weights(encoder, state)
    rgb = state["conv1.weight"]
    stem = encoder.conv1.weight.detach()
    assert stem.shape == (64, 4, 7, 7)
    # Band 4 reuses the red filters; all are scaled by 3/4 to keep the stem's total weight.
    assert torch.allclose(stem[:, 3], rgb[:, 0] * 0.75)
    assert torch.allclose(stem.sum(dim=1), rgb.sum(dim=1) * 0.75 + rgb[:, 0] * 0.75)
