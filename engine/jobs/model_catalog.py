"""Where models come from: the bundled folder, the analyst's own folder, or a picked file.

The panel, the Processing algorithm and the command line resolve a model the same way, so
a model name that works in one works in the others (and in batch mode, the model builder
and qgis_process).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

PLUGIN_DIR = Path(__file__).resolve().parents[2]
BUNDLED_MODELS_DIR = PLUGIN_DIR / "resources" / "models"
# What the engine can open; ONNX first because it needs no torch.
MODEL_SUFFIXES = (".onnx", ".pt", ".pth", ".ckpt")


class ModelNotFoundError(InputError):
    """A model name or path that points at nothing usable; the message says what to give."""

    def __init__(self, message: str):
        super().__init__(message, option="model")


@dataclass(frozen=True)
class ModelEntry:
    name: str  # file stem, shown to the analyst and accepted by the MODEL parameter
    path: Path
    origin: str  # "bundled" | "user" | "file"


def models_in(folder: Path | None, origin: str) -> list[ModelEntry]:
    """Model files directly in ``folder`` (not recursive: a folder of runs can be huge)."""
    if folder is None or not Path(folder).is_dir():
        return []
    files = sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES
    )
    return [ModelEntry(p.stem, p, origin) for p in files]


def list_models(
    user_folder: Path | None = None, bundled_folder: Path | None = None
) -> list[ModelEntry]:
    """Bundled models first, then the analyst's folder."""
    bundled = models_in(bundled_folder or BUNDLED_MODELS_DIR, "bundled")
    return bundled + models_in(user_folder, "user")


def resolve_model(
    value: str, user_folder: Path | None = None, bundled_folder: Path | None = None
) -> ModelEntry:
    """A bundled/user model name (file stem or file name) or a path to a model file."""
    text = (value or "").strip().strip('"')
    known = list_models(user_folder, bundled_folder)
    if not text:
        raise ModelNotFoundError(_not_found("No model given.", known))
    path = Path(text).expanduser()
    if path.is_file():
        if path.suffix.lower() not in MODEL_SUFFIXES:
            raise ModelNotFoundError(
                f"'{path}' is not a model file: give an .onnx model (or a .pt/.pth checkpoint) "
                "with {option}"
            )
        return ModelEntry(path.stem, path.resolve(), "file")
    for entry in known:
        if text in (entry.name, entry.path.name):
            return entry
    if path.suffix or any(sep in text for sep in ("/", "\\")):
        raise ModelNotFoundError(_not_found(f"Model file '{text}' does not exist.", known))
    raise ModelNotFoundError(_not_found(f"No model named '{text}'.", known))


def _not_found(first: str, known: list[ModelEntry]) -> str:
    names = ", ".join(e.name for e in known) or "none installed"
    return (
        f"{first} Give a bundled model name ({names}) or the path of an .onnx model file "
        "with {option}."
    )
