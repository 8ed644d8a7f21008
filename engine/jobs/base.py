"""The job contract (progress, cancel, errors) and the one place where errors are mapped."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..cancel import CancelToken
from ..errors import Cancelled, EngineError, first_line
from ..options import OptionSpec

Progress = Callable[[float, str], None]

CLI, PROCESSING, PANEL = "cli", "processing", "panel"
PLACES = (CLI, PROCESSING, PANEL)


class Job:
    """One unit of work a user starts. Subclasses set ``title`` and implement :meth:`run`.

    ``specs`` maps every option name an error may cite (the options dataclass's fields and
    the request's own, such as ``input`` or ``output``) to its :class:`OptionSpec`.
    """

    title = "job"
    specs: Mapping[str, OptionSpec] = {}
    cancelled_message = "Cancelled; nothing was written."

    def run(self, progress: Progress, cancel: CancelToken) -> Any:
        raise NotImplementedError

    def out_of_memory(self) -> EngineError:
        """What to say when the job ran out of memory (an option to lower, ideally)."""
        return EngineError("out of memory: close other programs or work on a smaller area")


@dataclass
class JobOutcome:
    """How a job ended, said once, in the words of the place that ran it."""

    status: str  # "ok" | "cancelled" | "failed"
    message: str = ""  # one line; empty for "ok" (the result speaks for itself)
    result: Any = None
    traceback: str = ""  # only for a bug: for the log, never shown as the message

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def word_error(error: EngineError, specs: Mapping[str, OptionSpec], place: str) -> str:
    """The error's message with the option it names said as ``place`` says it (a sentence in
    QGIS, lower case after ``error:`` on the command line)."""

    def name(option: str) -> str:
        spec = specs.get(option)
        return spec.name_in(place) if spec else f"the {option.replace('_', ' ')} option"

    message = error.worded(name)
    return message if place == CLI else sentence(message)


def sentence(message: str) -> str:
    """``message`` with a capital, unless it starts with a file name or path (evil.pt)."""
    first = message.split(" ", 1)[0].rstrip(".:,;")
    if "." in first or "/" in first or "\\" in first:
        return message
    return message[:1].upper() + message[1:]


def run_job(
    job: Job,
    place: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> JobOutcome:
    """Run ``job``; never raises (except KeyboardInterrupt, which the CLI maps itself)."""
    if place not in PLACES:
        raise ValueError(f"unknown place {place!r}; one of {PLACES}")
    cancel = cancel or CancelToken()
    try:
        result = job.run(progress or (lambda fraction, message: None), cancel)
    except Cancelled:
        return JobOutcome("cancelled", job.cancelled_message)
    except EngineError as error:
        return JobOutcome("failed", word_error(error, job.specs, place))
    except MemoryError:
        return JobOutcome("failed", word_error(job.out_of_memory(), job.specs, place))
    except Exception as error:  # a bug: one line for the user, the traceback for the log
        return JobOutcome(
            "failed",
            f"Unexpected error ({type(error).__name__}: {first_line(error)}); the log has details.",
            traceback=traceback.format_exc(),
        )
    return JobOutcome("ok", "", result)
