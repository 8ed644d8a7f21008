"""Mixed precision only where the hardware runs it natively."""

from __future__ import annotations

import pytest
import torch

from trainer import precision


@pytest.mark.parametrize(("avx512_bf16", "amx", "expected"), [
    (True, False, torch.bfloat16), (False, True, torch.bfloat16), (False, False, None),
])  # fmt: skip
def test_cpu_autocasts_to_bf16_only_with_native_support(monkeypatch, avx512_bf16, amx, expected):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    cpu = torch.device("cpu")
    assert precision.autocast_dtype(cpu, enabled=True) is expected
    assert precision.autocast_dtype(cpu, enabled=False) is None


def test_autocast_runs_convolutions_in_the_chosen_dtype():
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(1, 3, 8, 8)
    with precision.autocast(torch.device("cpu"), torch.bfloat16):
        assert conv(x).dtype == torch.bfloat16
    with precision.autocast(torch.device("cpu"), None):
        assert conv(x).dtype == torch.float32


def test_the_run_header_says_which_precision_trains_on_the_cpu():
    from types import SimpleNamespace

    from trainer.run_header import _device_line

    cpu = torch.device("cpu")
    assert _device_line(SimpleNamespace(device=cpu, amp_dtype=torch.bfloat16)).endswith("bf16 AMP")
    assert _device_line(SimpleNamespace(device=cpu, amp_dtype=None)).endswith(", fp32")
