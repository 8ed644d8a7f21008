"""Fine-tuning errors: one line that says what is wrong with the labels, image or model."""

from __future__ import annotations

from engine.errors import EngineError


class FinetuneError(EngineError):
    """The labels, image, base model or output cannot be used; the message says what to do."""
