"""Tracking a monitored number across epochs, as fastai's TrackerCallback does.

One tracker picks ``best.pt`` (the study: highest JaccardCoeffMulti); another, on its own
metric, stops the run after ``patience`` epochs without an improvement larger than
``min_delta`` (the study: validation loss, patience 10 or 20, min_delta 0.001).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Tracker:
    key: str
    mode: str = "max"  # max | min
    min_delta: float = 0.0
    best: float | None = None
    best_epoch: int = -1
    bad_epochs: int = 0

    def update(self, value: float, epoch: int) -> bool:
        """Record an epoch's value; True when it is a new best."""
        if math.isnan(value):
            improved = False
        elif self.best is None or math.isnan(self.best):
            improved = True
        elif self.mode == "max":
            improved = value - self.min_delta > self.best
        else:
            improved = value + self.min_delta < self.best
        if improved:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
        else:
            self.bad_epochs += 1
        return improved

    def state(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.bad_epochs = state["bad_epochs"]


def default_mode(key: str, fallback: str) -> str:
    """Losses fall; other metrics are given their configured direction."""
    return "min" if key.endswith("loss") else fallback
