"""Open a model file and complete its metadata from what the graph states.

Deepness and other foreign models often lack keys: the tile size comes from a fixed input
shape, the class count from the output channels, names become "class N"; each such
fallback is reported in ``warnings``. Only what cannot be derived is refused.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import ModelError, first_line
from .metadata import (
    KEY_CLASS_NAMES,
    KEY_INPUT_BANDS,
    KEY_RESOLUTION,
    ClassInfo,
    MetadataError,
    ModelMetadata,
    fallback_color,
    from_onnx_props,
    is_our_format,
    read_onnx_props,
)

TORCH_SUFFIXES = (".pt", ".pth", ".ckpt")
DEFAULT_TILE = 512


def _is_torch(path: Path) -> bool:
    return path.suffix.lower() in TORCH_SUFFIXES


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")


def _parse(props: dict[str, str], name: str) -> ModelMetadata:
    try:
        return from_onnx_props(props, strict=is_our_format(props))
    except MetadataError as error:
        raise ModelError(f"{name}: {error}") from None


def read_model_metadata(path: str | os.PathLike) -> ModelMetadata:
    """The metadata as stored (no graph inspection, no session): cheap, for a model card."""
    path = Path(path)
    _check_exists(path)
    if _is_torch(path):
        from .torch_files import load_weights_only  # a checkpoint's metadata needs torch

        checkpoint = load_weights_only(path)
        if not isinstance(checkpoint, dict):
            raise ModelError(f"{path.name} is not a training checkpoint (no metadata)")
        props = {str(k): str(v) for k, v in (checkpoint.get("metadata") or {}).items()}
        return _parse(props, path.name)
    return _parse(_read_props(path), path.name)


def _read_props(path: Path) -> dict[str, str]:
    """The ONNX file's metadata props; a file that is no ONNX model is a ModelError."""
    try:
        return read_onnx_props(path)
    except MetadataError as error:
        text = str(error) if path.name in str(error) else f"{path.name}: {error}"
        raise ModelError(f"{text}: choose another model with {{option}}", option="model") from None


@dataclass
class LoadedModel:
    """A model ready to run. ``run`` takes a normalised float32 batch ``[N, C, H, W]``."""

    path: Path
    metadata: ModelMetadata
    device: str
    backend_name: str
    backend: object
    input_channels: int
    fixed_batch: int | None
    fixed_tile: int | None
    warnings: list[str] = field(default_factory=list)
    _output_shapes: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def heads(self) -> int:
        return len(self.metadata.heads)

    @cached_property
    def sha256(self) -> str:
        """The model file's SHA-256: which model made an output, whatever its file name."""
        return file_sha256(self.path)

    def run_heads(self, batch: np.ndarray, out: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """Every output as ``[N, C, H, W]`` float32, split into fixed-size batches if needed.

        ``out``: C-contiguous ``[N, C, H, W]`` float32 arrays to write the outputs into, where
        the backend can (onnxruntime); they are returned either way.
        """
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if (
            out is not None
            and getattr(self.backend, "outputs_float32", False)
            and hasattr(self.backend, "run_into")
            and (not self.fixed_batch or batch.shape[0] == self.fixed_batch)
        ):
            try:
                self.backend.run_into(batch, out)
            except Exception as error:
                raise ModelError(
                    f"{self.path.name} failed on a batch of shape {list(batch.shape)}: "
                    f"{first_line(error)}"
                ) from None
            return out
        if self.fixed_batch and batch.shape[0] != self.fixed_batch:
            parts = [
                self._run(batch[i : i + self.fixed_batch])
                for i in range(0, batch.shape[0], self.fixed_batch)
            ]
            return [np.concatenate([p[h] for p in parts]) for h in range(len(parts[0]))]
        return self._run(batch)

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores ``[N, C, H, W]`` of the first (usually only) head."""
        return self.run_heads(batch)[0]

    def _run(self, batch: np.ndarray) -> list[np.ndarray]:
        try:
            outputs = self.backend.run(batch)
        except Exception as error:
            first = first_line(error)
            raise ModelError(
                f"{self.path.name} failed on a batch of shape {list(batch.shape)}: {first}"
            ) from None
        return [_as_nchw(np.asarray(o), batch.shape[0]) for o in outputs]

    def output_shapes(self, tile: int) -> list[tuple[int, int, int]]:
        """(channels, height, width) of each output for a ``tile``-pixel input."""
        if tile not in self._output_shapes:
            self._output_shapes[tile] = _probe(self, tile)
        return self._output_shapes[tile]

    def output_size(self, tile: int) -> int:
        """Side of the model output for a ``tile``-pixel input (outputs may cover the centre)."""
        sizes = [(h, w) for _, h, w in self.output_shapes(tile)]
        h, w = sizes[0]
        if any(s != (h, w) for s in sizes) or h != w or h > tile or (tile - h) % 2:
            raise ModelError(
                f"{self.path.name}: outputs {sizes} for a {tile}x{tile} input; only square "
                "outputs equal to the input or centred inside it are supported"
            )
        return h

    def normaliser(self, bands: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-band ``a, b`` with ``normalised = raw * a + b`` (scale, mean and std fused)."""
        m = self.metadata
        mean = np.resize(np.asarray(m.mean, dtype=np.float64), bands)
        std = np.resize(np.asarray(m.std, dtype=np.float64), bands)
        a = 1.0 / (m.pixel_scale * std)
        b = -mean / std
        return a.astype(np.float32), b.astype(np.float32)


def _as_nchw(output: np.ndarray, n: int) -> np.ndarray:
    if output.ndim == 3:
        output = output[:, np.newaxis]
    if output.ndim != 4:
        raise ModelError(f"model output has shape {list(output.shape)}; [N, C, H, W] is needed")
    if output.shape[0] != n:
        raise ModelError(f"model returned {output.shape[0]} results for a batch of {n}")
    return output.astype(np.float32, copy=False)


def _probe(model: LoadedModel, tile: int) -> list[tuple[int, int, int]]:
    """Output shapes from the graph when it states them, else from one run on a zero tile."""
    shapes = getattr(model.backend, "output_shapes", [])
    stated = []
    for shape in shapes:
        channels = 1 if len(shape) == 3 else (shape[1] if len(shape) == 4 else None)
        if isinstance(channels, int) and all(isinstance(d, int) for d in shape[-2:]):
            stated.append((channels, shape[-2], shape[-1]))
    if stated and len(stated) == len(shapes) and model.fixed_tile == tile:
        return stated
    n = model.fixed_batch or 1
    outputs = model._run(np.zeros((n, model.input_channels, tile, tile), dtype=np.float32))
    return [o.shape[1:] for o in outputs]


def load_model(
    path: str | os.PathLike, *, device: str = "auto", num_threads: int | None = None
) -> LoadedModel:
    """Open an ONNX model or a torch checkpoint on ``device`` (auto | cpu | cuda)."""
    path = Path(path)
    _check_exists(path)
    if device not in ("auto", "cpu", "cuda"):
        raise ModelError(f"unknown device '{device}': use auto, cpu or cuda")
    if _is_torch(path):
        from .backends.torch import TorchBackend

        backend = TorchBackend(path, device, num_threads)
        meta = _parse(backend.props, path.name)
    else:
        meta = _parse(_read_props(path), path.name)
        from .backends.onnx import OnnxBackend

        backend = OnnxBackend(path, device, num_threads)
    warnings = list(backend.warnings)
    n, c, h, w = backend.input_shape
    fixed_batch = n if isinstance(n, int) else None
    for shape in backend.output_shapes:
        if shape and isinstance(shape[0], int):
            fixed_batch = fixed_batch or shape[0]
    fixed_tile = None
    if isinstance(h, int) or isinstance(w, int):
        if h != w:
            raise ModelError(f"{path.name} takes {h}x{w} tiles; only square tiles are supported")
        fixed_tile = h
    meta, channels = _complete_bands(meta, c, path.name, warnings)
    if fixed_tile and meta.tile_size and meta.tile_size != fixed_tile:
        warnings.append(
            f"metadata says tiles of {meta.tile_size} px but the graph takes {fixed_tile}: "
            f"using {fixed_tile}"
        )
    if fixed_tile:
        meta = meta.with_changes(tile_size=fixed_tile)
    elif not meta.tile_size:
        warnings.append(f"the model states no tile size: using {DEFAULT_TILE} px")
        meta = meta.with_changes(tile_size=DEFAULT_TILE)
    loaded = LoadedModel(
        path=path,
        metadata=meta,
        device=backend.device,
        backend_name=backend.name,
        backend=backend,
        input_channels=channels,
        fixed_batch=fixed_batch,
        fixed_tile=fixed_tile,
        warnings=warnings,
    )
    loaded.metadata = _complete_heads(loaded, path.name, warnings)
    if KEY_RESOLUTION in meta.missing or meta.resolution_cm is None:
        warnings.append(
            "the model states no resolution: rasters are processed at their own pixel size"
        )
    return loaded


def _complete_bands(
    meta: ModelMetadata, graph_channels, name: str, warnings: list[str]
) -> tuple[ModelMetadata, int]:
    bands = meta.input_bands
    if not isinstance(graph_channels, int):
        return meta, len(bands)
    if graph_channels == len(bands):
        return meta, graph_channels
    if KEY_INPUT_BANDS in meta.missing:
        new_bands = tuple(range(1, graph_channels + 1))
        warnings.append(
            f"the model takes {graph_channels} input channels and names no bands: "
            f"using bands {','.join(map(str, new_bands))}"
        )
        changes: dict = {"input_bands": new_bands}
        if len(meta.mean) not in (1, graph_channels):
            changes["mean"] = (0.0,)
            changes["std"] = (1.0,)
        return meta.with_changes(**changes), graph_channels
    raise ModelError(
        f"{name}: the graph takes {graph_channels} input channels but the metadata lists "
        f"{len(bands)} input bands {list(bands)}; the model file is inconsistent"
    )


def _complete_heads(model: LoadedModel, name: str, warnings: list[str]) -> ModelMetadata:
    meta = model.metadata
    channels = _output_channels(model)
    heads: list[tuple[ClassInfo, ...]] = []
    if not meta.heads:
        warnings.append(
            f"the model names no classes ({KEY_CLASS_NAMES} missing): using generic names"
        )
    if len(meta.heads) > len(channels):
        raise ModelError(
            f"{name}: metadata names classes for {len(meta.heads)} outputs but the graph has "
            f"{len(channels)}"
        )
    for h, count in enumerate(channels):
        named = list(meta.heads[h]) if h < len(meta.heads) else []
        if count == 1:  # a sigmoid mask: background and the named class
            if len(named) == 1:
                named = [
                    ClassInfo(0, "background", (0, 0, 0)),
                    ClassInfo(1, named[0].name, named[0].color),
                ]
            needed = 2
        else:
            needed = count
        if len(named) > needed:
            raise ModelError(
                f"{name}: output {h + 1} has {count} channels but the metadata names "
                f"{len(named)} classes"
            )
        if named and len(named) < needed:
            warnings.append(
                f"output {h + 1} has {needed} classes but the metadata names {len(named)}: "
                "the rest get generic names"
            )
        for i in range(len(named), needed):
            named.append(ClassInfo(i, f"class {i}", fallback_color(i)))
        heads.append(tuple(ClassInfo(i, c.name, c.color) for i, c in enumerate(named)))
    return meta.with_changes(heads=tuple(heads))


def _output_channels(model: LoadedModel) -> list[int]:
    shapes = model.backend.output_shapes
    counts = []
    for shape in shapes:
        if len(shape) == 3:
            counts.append(1)
        elif len(shape) == 4 and isinstance(shape[1], int):
            counts.append(shape[1])
        else:
            counts = []
            break
    if counts:
        return counts
    tile = model.metadata.tile_size or DEFAULT_TILE
    n = model.fixed_batch or 1
    outputs = model._run(np.zeros((n, model.input_channels, tile, tile), dtype=np.float32))
    model._output_shapes[tile] = [o.shape[1:] for o in outputs]
    return [o.shape[1] for o in outputs]
