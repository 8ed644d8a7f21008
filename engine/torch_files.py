"""Reading PyTorch files that came from anywhere: tensors, numbers and strings, never code.

``torch.load(weights_only=True)`` refuses a file that holds pickled Python objects, but its
own message invites the reader to turn the protection off; here such a file is refused in
words that say why, and a Python without torch is said plainly too. torch is imported only
when a file is read.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ModelError, first_line


def load_weights_only(path: str | os.PathLike, map_location: object = "cpu") -> object:
    """The file's content, loaded with ``weights_only=True``; ModelError if refused."""
    name = Path(path).name
    try:
        import torch
    except ImportError:
        raise ModelError(
            f"{name} is a PyTorch checkpoint and PyTorch is not installed in this Python: use "
            "the model's ONNX file, or install torch"
        ) from None
    try:
        return torch.load(str(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"model file not found: {path}") from None
    except Exception as error:  # zip, pickle and torch errors have many types
        if type(error).__name__ == "UnpicklingError":
            raise ModelError(
                f"{name} holds Python objects besides tensors and was refused: loading it could "
                "run code. Use a checkpoint written by this project's trainer, or an ONNX model"
            ) from None
        first = first_line(error)
        raise ModelError(f"{name} is not a loadable torch checkpoint: {first}") from None
