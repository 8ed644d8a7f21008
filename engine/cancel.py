"""A cancel flag shared between the thread that asks and the worker that checks it."""

from __future__ import annotations

import threading


class CancelToken:
    """Thread-safe, one-way: once cancelled it stays cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()
