"""Fixtures for the model tests: small, deterministic models with realistic BatchNorm stats."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.models import build_model

# Test-sized widths: the same code as the published models at 1/64 to 1/256 the cost. The
# ResNet stays at 4: 34 layers and a decoder without BatchNorm amplify fp32 rounding, and
# its wider versions' torch-vs-onnxruntime gap nears 1e-4 (both stay as close to fp64).
SMALL_WIDTH = {"cse_unet": 8, "cse_unet_study": 8, "resnet34_unet": 4}


def calibrate_batchnorm(model: nn.Module, bands: int = 3, size: int = 64) -> nn.Module:
    """Give BatchNorm running statistics from data, as training would, then switch to eval.

    Fresh running stats (mean 0, var 1) leave activations unnormalised and logits in the
    tens; a trained model's BatchNorm keeps them near unit scale.
    """
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the calibration batch
    model.train()
    with torch.no_grad():
        model(torch.randn(4, bands, size, size))
    return model.eval()


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Test models are tiny: one thread is as fast, and immune to a busy shared runner
    (two spinning OpenMP threads on an oversubscribed 2-core machine run many times slower)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def small_model():
    """``small_model(name, **kwargs)``: a seeded, calibrated, eval-mode small model."""

    def make(name: str, **kwargs) -> nn.Module:
        torch.manual_seed(0)
        kwargs.setdefault("base_width", SMALL_WIDTH[name])
        model = build_model(name, **kwargs)
        return calibrate_batchnorm(model, kwargs.get("in_channels", 3))

    return make


@pytest.fixture
def small_width() -> dict[str, int]:
    return dict(SMALL_WIDTH)
