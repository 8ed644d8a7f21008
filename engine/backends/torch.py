"""torch backend for training checkpoints; torch is imported only when one is loaded.

Checkpoints are read with ``torch.load(weights_only=True)``: an untrusted file can hold
tensors, numbers and strings, never code.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError, first_line
from ..torch_files import load_weights_only


class TorchBackend:
    name = "torch"

    def __init__(
        self, path: str | os.PathLike, device: str = "auto", num_threads: int | None = None
    ):
        try:
            import torch
        except ImportError:
            raise ModelError(
                f"{os.path.basename(str(path))} is a PyTorch checkpoint and PyTorch is not "
                "installed in this Python: use the model's ONNX file, or install torch"
            ) from None
        self.torch = torch
        self.warnings: list[str] = []
        name = os.path.basename(str(path))
        checkpoint = load_weights_only(path)
        if not isinstance(checkpoint, dict) or "model" not in checkpoint:
            raise ModelError(f"{name} is not a training checkpoint (no 'model' state dict)")
        self.checkpoint = checkpoint
        self.props = {str(k): str(v) for k, v in (checkpoint.get("metadata") or {}).items()}
        architecture = checkpoint.get("architecture")
        if not architecture:
            raise ModelError(f"{name} does not name its architecture; cannot rebuild the model")
        from ..models.registry import build_model

        try:
            module = build_model(
                str(architecture), **dict(checkpoint.get("architecture_args") or {})
            )
            module.load_state_dict(checkpoint["model"])
        except Exception as error:
            raise ModelError(
                f"{name}: cannot rebuild '{architecture}': {first_line(error)}"
            ) from None
        if num_threads:
            torch.set_num_threads(int(num_threads))
        if device == "cuda" and not torch.cuda.is_available():
            self.warnings.append(
                "CUDA was requested but torch sees no CUDA device; running on the CPU"
            )
        elif device not in ("auto", "cpu", "cuda"):
            raise ModelError(f"unknown device '{device}': use auto, cpu or cuda")
        use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
        self.device = "cuda" if use_cuda else "cpu"
        self.module = module.to(self.device).eval()
        first_conv = next((p for p in module.parameters() if p.ndim == 4), None)
        channels = int(first_conv.shape[1]) if first_conv is not None else None
        self.input_shape = [None, channels, None, None]
        self.output_names = ["output"]
        self.output_shapes: list[list] = [[None, None, None, None]]

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        torch = self.torch
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(batch)).to(self.device))
        outs = out if isinstance(out, list | tuple) else [out]
        return [o.float().cpu().numpy() for o in outs]
