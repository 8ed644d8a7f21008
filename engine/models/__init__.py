"""PyTorch architectures (CSE-UNet, its AGH-study variant, ResNet34-UNet) and their registry.

Only the registry is imported here, and it imports no torch: the architectures load when a
model is built, so code that merely lists them runs without torch.
"""

from .registry import ArchitectureSpec, available_architectures, build_model, resolve_arguments

__all__ = ["ArchitectureSpec", "available_architectures", "build_model", "resolve_arguments"]
