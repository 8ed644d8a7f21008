"""The one-cycle schedule has fastai's shape; the schedule survives a resume whose length
changed; fastai's weight decay and epsilon reach the optimiser."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from trainer.config import OptimConfig
from trainer.optim import build_optimizer, build_scheduler, parameter_groups


def _fastai_one_cycle(pos: float, lr: float, moms=(0.95, 0.85, 0.95)) -> tuple[float, float]:
    """fit_one_cycle's defaults written out: combined_cos(0.25, lr/25, lr, lr/1e5)."""

    def cos(start, end, p):
        return start + (1 + math.cos(math.pi * (1 - p))) * (end - start) / 2

    if pos < 0.25:
        return cos(lr / 25, lr, pos / 0.25), cos(moms[0], moms[1], pos / 0.25)
    p = (pos - 0.25) / 0.75
    return cos(lr, lr / 1e5, p), cos(moms[1], moms[2], p)


def _optimizer(config: OptimConfig, lr) -> torch.optim.Optimizer:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))
    return build_optimizer(model, config, parameter_groups(model, "any", lr))


def test_one_cycle_follows_fastai_rate_and_momentum_at_every_step():
    config = OptimConfig(name="adamw", lr=[1e-6, 1e-4], norm_bias_decay=False, eps=1e-5)
    optimizer = _optimizer(config, config.lr)
    schedule = build_scheduler(optimizer, config, total_steps=40, steps_per_epoch=10)
    seen = []
    for step in range(40):
        lr, mom = _fastai_one_cycle(step / 40, 1e-4)
        for group in optimizer.param_groups:
            assert group["lr"] == pytest.approx(lr) and group["betas"][0] == pytest.approx(mom)
        seen.append(optimizer.param_groups[0]["lr"])
        schedule.step()
    assert seen[0] == pytest.approx(1e-4 / 25) and max(seen) == pytest.approx(1e-4)
    assert seen.index(max(seen)) == 10  # the peak at pct_start 0.25
    schedule.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-4 / 1e5)  # the end: lr/div_final
    assert {g["eps"] for g in optimizer.param_groups} == {1e-5}
    assert {g["weight_decay"] for g in optimizer.param_groups} == {5e-4, 0.0}


def test_a_resumed_schedule_with_more_steps_continues_to_the_new_end():
    config = OptimConfig(lr=1e-3)
    first = _optimizer(config, 1e-3)
    schedule = build_scheduler(first, config, total_steps=10, steps_per_epoch=5)
    for _ in range(10):
        schedule.step()
    state = schedule.state_dict()
    longer = _optimizer(config, 1e-3)
    resumed = build_scheduler(longer, config, total_steps=30, steps_per_epoch=5)
    resumed.load_state_dict(state)
    # Step 10 of 30 sits on the new curve (past its peak), not at the old curve's end.
    assert longer.param_groups[0]["lr"] == pytest.approx(_fastai_one_cycle(10 / 30, 1e-3)[0])
    for _ in range(20):
        resumed.step()
    assert longer.param_groups[0]["lr"] == pytest.approx(1e-3 / 1e5)


def test_early_stopping_counts_epochs_without_an_improvement_beyond_min_delta():
    from trainer.tracking import Tracker

    stop = Tracker("validation_loss", "min", min_delta=0.001)
    improved = [stop.update(v, e) for e, v in enumerate([1.0, 0.9995, 0.998, 0.9975, 0.9971], 1)]
    # fastai's EarlyStoppingCallback: better only when lower by more than min_delta.
    assert improved == [True, False, True, False, False]
    assert (stop.best, stop.best_epoch, stop.bad_epochs) == (0.998, 3, 2)
    best = Tracker("validation_jaccard7", "max")
    assert [best.update(v, e) for e, v in enumerate([0.5, float("nan"), 0.5, 0.6], 1)] == [
        True, False, False, True,
    ]  # fmt: skip
