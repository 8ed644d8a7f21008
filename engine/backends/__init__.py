"""Inference backends behind one interface: ``run(batch) -> list of outputs``.

onnxruntime runs ``.onnx`` files; torch (imported only when needed) runs training
checkpoints. :func:`available_devices` says what this Python can use, for diagnostics.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from typing import Any


def available_devices(probe_torch: bool = False) -> dict[str, Any]:
    """What was detected: onnxruntime providers, torch and CUDA, without loading a model.

    torch is not imported for this (seconds and hundreds of MB inside QGIS) unless
    ``probe_torch`` or it is already loaded; ``torch_cuda`` is then None (not asked).
    """
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
            info["torch"] = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            info["torch"] = "unknown version"
        info["torch_cuda"] = None
        if probe_torch or "torch" in sys.modules:
            try:
                import torch

                info["torch"] = torch.__version__
                info["torch_cuda"] = bool(torch.cuda.is_available())
            except Exception:  # a broken torch install must not break diagnostics
                info["torch"] = None
    info["cuda"] = bool(info["onnxruntime_cuda"] or info["torch_cuda"])
    if info["cuda"]:
        info["devices"].append("cuda")
    return info
