"""What machine a run or an evaluation ran on, probed at run time for the model card."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (AttributeError, ValueError, OSError):
        return None


def _version(*distributions: str) -> str | None:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _gpus() -> list[str]:
    try:
        import torch
    except ImportError:
        return []
    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def describe_machine() -> dict:
    """CPU model and cores, memory, GPUs, OS and the versions that compute the numbers."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": usable,
        "memory_gib": _memory_gib(),
        "gpus": _gpus(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "onnxruntime": _version("onnxruntime", "onnxruntime-gpu"),
    }


def machine_line(machine: dict) -> str:
    """One line for a card: 'AMD EPYC 9654 (2 of 192 cores), 24 GiB, no GPU; torch 2.5.1'."""
    cores = machine.get("cpu_cores")
    usable = machine.get("cpu_cores_usable")
    core_text = f"{usable} of {cores} cores" if usable and usable != cores else f"{cores} cores"
    gpus = machine.get("gpus") or []
    gpu_text = ", ".join(gpus) if gpus else "no GPU"
    memory = f", {machine['memory_gib']:g} GiB" if machine.get("memory_gib") else ""
    versions = ", ".join(
        f"{name} {machine[name]}" for name in ("torch", "onnxruntime") if machine.get(name)
    )
    return f"{machine.get('cpu', 'unknown CPU')} ({core_text}){memory}, {gpu_text}; {versions}"
