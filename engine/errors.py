"""Errors a user can act on: each message is one line that says what is wrong and what to do.

Callers (panel, Processing, CLI) show ``str(error)`` as is; anything that is not an
:class:`EngineError` is a bug and may carry a traceback.
"""

from __future__ import annotations


class EngineError(Exception):
    """A user-facing failure with a one-line message."""


class ModelError(EngineError):
    """The model file cannot be used (corrupt, unsupported shape, wrong channel count...)."""


class InputError(EngineError):
    """The raster, bands, extent or options given cannot be processed."""


class OutputError(EngineError):
    """The output could not be written (full disk, no permission, vanished folder)."""


class Cancelled(EngineError):  # noqa: N818 - the name the API promises
    """The run was cancelled; no output was left behind."""

    def __init__(self, message: str = "segmentation cancelled; no output was written"):
        super().__init__(message)


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (backends raise multi-line ones)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
