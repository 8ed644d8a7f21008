"""Inference backends behind one interface: ``run(batch) -> list of outputs``.

onnxruntime runs ``.onnx`` files; torch (imported only when needed) runs training
checkpoints. :func:`available_devices` says what this Python can use, for diagnostics.
"""

from __future__ import annotations

import importlib.util
from typing import Any


def available_devices() -> dict[str, Any]:
    """What was detected: onnxruntime providers, torch and CUDA, without loading a model."""
    info: dict[str, Any] = {
        "onnxruntime": None,
        "onnxruntime_providers": [],
        "onnxruntime_cuda": False,
        "torch": None,
        "torch_cuda": False,
        "cuda": False,
        "devices": ["cpu"],
    }
    try:
        import onnxruntime

        info["onnxruntime"] = onnxruntime.__version__
        info["onnxruntime_providers"] = list(onnxruntime.get_available_providers())
        info["onnxruntime_cuda"] = "CUDAExecutionProvider" in info["onnxruntime_providers"]
    except ImportError:
        pass
    if importlib.util.find_spec("torch") is not None:
        try:
            import torch

            info["torch"] = torch.__version__
            info["torch_cuda"] = bool(torch.cuda.is_available())
        except Exception:  # a broken torch install must not break diagnostics
            info["torch"] = None
    info["cuda"] = info["onnxruntime_cuda"] or info["torch_cuda"]
    if info["cuda"]:
        info["devices"].append("cuda")
    return info
