"""Checkpoints the engine can read and a killed run can resume from.

Everything stored is a tensor, number, string, list or dict, so it loads with
``torch.load(weights_only=True)``: numpy's and Python's RNG states are turned into lists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import ModelError
from engine.torch_files import load_weights_only


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under DDP and torch.compile wrappers."""
    model = getattr(model, "_orig_mod", model)
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def rng_state() -> dict:
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]),
                  float(np_state[4])],
        "python": [py_state[0], list(py_state[1]), py_state[2]],
    }  # fmt: skip
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    # A checkpoint loaded with map_location="cuda" carries the states there; RNG wants CPU.
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n[0], np.asarray(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    p = state["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def save_checkpoint(path: Path, **content: Any) -> None:
    """Written to a temp name and renamed: a kill mid-write leaves the previous file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    torch.save(content, partial)
    partial.replace(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    try:
        checkpoint = load_weights_only(path, map_location=map_location)
    except ModelError as error:  # a file of objects, not tensors: refused, said why
        raise ValueError(str(error)) from None
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise ValueError(f"{path} is not a trainer checkpoint (no 'model' entry)")
    return checkpoint


@dataclass
class WarmStart:
    notes: list[str]  # what was skipped or missing
    run_record: dict | None  # the previous phases' record, continued by this run


def warm_start(model: nn.Module, path: str | Path, architecture: str | None = None) -> WarmStart:
    """Load a previous phase's weights; tensors whose shape changed (e.g. another class
    count) are skipped and named in the notes."""
    checkpoint = load_checkpoint(path)
    stored = checkpoint.get("architecture")
    if architecture and stored and stored != architecture:
        raise ValueError(
            f"{path} holds a '{stored}' model; this run trains '{architecture}': "
            "warm-start from a checkpoint of the same architecture"
        )
    state = checkpoint["model"]
    own = model.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not usable:
        raise ValueError(
            f"{path}: none of its tensors fits this model; was it trained with another "
            "architecture or width?"
        )
    notes = [f"skipped {k}: shape {tuple(v.shape)}" for k, v in state.items() if k not in usable]
    missing = [k for k in own if k not in usable]
    if missing:
        notes.append(f"{len(missing)} tensors of the model not in {Path(path).name}")
    model.load_state_dict(usable, strict=False)
    return WarmStart(notes, checkpoint.get("run_record"))
