"""Errors a user can act on: each message is one line that says what is wrong and what to do.

Callers (panel, Processing, CLI) show the message as is; anything that is not an
:class:`EngineError` is a bug and may carry a traceback. A message that tells the user to
change an option names the option (``option="bands"``) and marks with ``{option}`` where
its name goes, so each place says it in its own words: ``--bands`` on the command line,
``BANDS`` in Processing, "Bands" in the panel (see ``engine.jobs.errors``).

One class per error, however the engine was imported: it runs as ``engine`` (command line,
trainer) and as ``aerial_segmentation.engine`` (inside QGIS), sometimes both in one process
(fine-tuning in QGIS runs the trainer), and ``except InputError`` must catch either.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_FIRST_COPY = "_aerial_segmentation_engine_errors"


class EngineError(Exception):
    """A user-facing failure with a one-line message."""

    def __init__(self, message: str = "", *, option: str | None = None):
        super().__init__(message)
        self.option = option

    def worded(self, name_option: Callable[[str], str] | None = None) -> str:
        """The message with ``{option}`` replaced by ``name_option(self.option)``."""
        text = str(self.args[0]) if self.args else ""
        if "{option}" not in text:
            return text
        option = self.option or "option"
        name = name_option(option) if name_option else f"the {option.replace('_', ' ')} option"
        return text.replace("{option}", name)

    def __str__(self) -> str:
        return self.worded()


class ModelError(EngineError):
    """The model file cannot be used (corrupt, unsupported shape, wrong channel count...)."""


class InputError(EngineError):
    """The raster, bands, extent or options given cannot be processed."""


class OutputError(EngineError):
    """The output could not be written (full disk, no permission, vanished folder)."""


class Cancelled(EngineError):  # noqa: N818 - the name the API promises
    """The run was cancelled; no output was left behind."""

    def __init__(self, message: str = "cancelled; no output was written", **kwargs):
        super().__init__(message, **kwargs)


def _first_imported(*classes: type) -> tuple[type, ...]:
    """The same-named classes of the first copy of this module loaded in this process."""
    first = sys.modules.setdefault(_FIRST_COPY, sys.modules[__name__])
    return tuple(getattr(first, cls.__name__) for cls in classes)


EngineError, ModelError, InputError, OutputError, Cancelled = _first_imported(
    EngineError, ModelError, InputError, OutputError, Cancelled
)


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (backends raise multi-line ones)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
