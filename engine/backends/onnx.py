"""onnxruntime backend: CPU, or CUDA when onnxruntime-gpu and a GPU are there."""

from __future__ import annotations

import os

import numpy as np

from ..errors import ModelError, first_line

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def _dim(value) -> int | str | None:
    return value if isinstance(value, int) and value > 0 else (value if value else None)


class OnnxBackend:
    """One ``InferenceSession``; ``device`` is what onnxruntime actually runs on."""

    name = "onnxruntime"

    def __init__(
        self, path: str | os.PathLike, device: str = "auto", num_threads: int | None = None
    ):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError(
                "onnxruntime is not installed in this Python: pip install onnxruntime"
            ) from None
        self.warnings: list[str] = []
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        if num_threads:
            options.intra_op_num_threads = int(num_threads)
            options.inter_op_num_threads = 1
        available = ort.get_available_providers()
        providers = [CPU]
        if device in ("auto", "cuda"):
            if CUDA in available:
                providers = [CUDA, CPU]
            elif device == "cuda":
                self.warnings.append(
                    "CUDA was requested but this onnxruntime has no CUDAExecutionProvider "
                    "(install onnxruntime-gpu and a CUDA driver); running on the CPU"
                )
        elif device != "cpu":
            raise ModelError(f"unknown device '{device}': use auto, cpu or cuda")
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as error:  # onnxruntime raises several private exception types
            first = first_line(error)
            raise ModelError(f"{_file_name(path)} is not a loadable ONNX model: {first}") from None
        active = self.session.get_providers()
        self.device = "cuda" if CUDA in active else "cpu"
        if CUDA in providers and self.device != "cuda":
            self.warnings.append(
                "onnxruntime could not start CUDA (driver or libraries missing); running on the CPU"
            )
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(
                f"{_file_name(path)} has {len(inputs)} inputs; a segmentation model takes one image"
            )
        self.input_name = inputs[0].name
        self.input_shape = [_dim(d) for d in inputs[0].shape]
        if len(self.input_shape) != 4:
            raise ModelError(
                f"{_file_name(path)} takes a rank-{len(self.input_shape)} input; "
                "an image batch [N, C, H, W] is needed"
            )
        if "float" not in inputs[0].type or "16" in inputs[0].type:
            raise ModelError(f"{_file_name(path)} takes {inputs[0].type}; float32 input is needed")
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.outputs_float32 = all(o.type == "tensor(float)" for o in self.session.get_outputs())
        self.output_shapes = [[_dim(d) for d in o.shape] for o in self.session.get_outputs()]

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: batch})

    def run_into(self, batch: np.ndarray, outputs: list[np.ndarray]) -> None:
        """Run with the outputs written into caller-owned float32 arrays (no allocation per
        batch: repeated tens-of-MB allocations fragment the C heap of a long run)."""
        binding = self.session.io_binding()
        binding.bind_cpu_input(self.input_name, batch)
        for name, declared, out in zip(self.output_names, self.output_shapes, outputs):
            shape = out.shape if len(declared) == 4 else (out.shape[0], *out.shape[2:])
            binding.bind_output(name, "cpu", 0, np.float32, list(shape), out.ctypes.data)
        self.session.run_with_iobinding(binding)


def _file_name(path) -> str:
    return os.path.basename(str(path))
