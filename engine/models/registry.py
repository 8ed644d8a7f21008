"""Build any architecture by name: the trainer, the export and the engine's torch backend.

Importing this module does not import torch; the architecture's module is imported when a
model is built, so the plugin can list architectures on a machine without torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ArchitectureSpec:
    """Where an architecture lives and the keyword arguments it is built with."""

    name: str
    module: str  # relative to this package
    class_name: str
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)
    # Arguments that define the architecture; a caller may not override them.
    fixed: dict[str, Any] = field(default_factory=dict)


_SPECS: tuple[ArchitectureSpec, ...] = (
    ArchitectureSpec(
        name="cse_unet",
        module=".cse_unet",
        class_name="CSEUNet",
        description="CSE-UNet as in Wang & Xie (2020)",
        defaults={"in_channels": 3, "classes": 6, "base_width": 64, "dropout": 0.0},
        fixed={"variant": "paper"},
    ),
    ArchitectureSpec(
        name="cse_unet_study",
        module=".cse_unet",
        class_name="CSEUNet",
        description="CSE-UNet as reproduced by the AGH study (parallel RFB, Dropout2d 0.2)",
        defaults={"in_channels": 3, "classes": 6, "base_width": 64, "dropout": 0.2},
        fixed={"variant": "study"},
    ),
    ArchitectureSpec(
        name="resnet34_unet",
        module=".resnet_unet",
        class_name="ResNet34UNet",
        description="UNet on a ResNet34 encoder (the study's fastai baseline)",
        defaults={"in_channels": 3, "classes": 6, "base_width": 64},
    ),
)
_BY_NAME = {spec.name: spec for spec in _SPECS}


def available_architectures() -> list[str]:
    return [spec.name for spec in _SPECS]


def architecture_spec(name: str) -> ArchitectureSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown architecture {name!r}; available: {', '.join(available_architectures())}"
        ) from None


def resolve_arguments(name: str, **kwargs: Any) -> dict[str, Any]:
    """The full keyword arguments ``build_model(name, **kwargs)`` uses (to store with a model)."""
    spec = architecture_spec(name)
    unknown = sorted(set(kwargs) - set(spec.defaults))
    if unknown:
        raise ValueError(
            f"architecture {name!r} takes no argument(s) {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(spec.defaults))}"
        )
    return {**spec.defaults, **kwargs}


def build_model(name: str, **kwargs: Any):  # -> torch.nn.Module (torch imported lazily)
    """Build architecture ``name``; unspecified arguments take the spec's defaults."""
    spec = architecture_spec(name)
    arguments = resolve_arguments(name, **kwargs)
    module = importlib.import_module(spec.module, __package__)
    return getattr(module, spec.class_name)(**arguments, **spec.fixed)
