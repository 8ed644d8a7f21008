"""The job contract: one error mapping, worded for the place that runs the job."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from engine.errors import Cancelled, InputError
from engine.jobs import CLI, PANEL, PROCESSING, Job, run_job
from engine.options import SPEC_KEY, SegmentationOptions, option, option_fields


@dataclass
class ToyOptions:
    """A second kind of options, declared the way SegmentationOptions is."""

    steps: int = option(3, kind="int", label="Steps", help="how many steps", cli="--steps",
                        processing="STEPS", minimum=1, maximum=10)  # fmt: skip


class ToyJob(Job):
    title = "Counting"

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.specs = {f.name: spec for f, spec in option_fields(ToyOptions)}

    def run(self, progress, cancel):
        progress(0.5, "half way")
        if self.behaviour == "cancel":
            cancel.cancel()
            raise Cancelled()
        if self.behaviour == "bad":
            raise InputError("3 steps are too many: lower {option}", option="steps")
        if self.behaviour == "memory":
            raise MemoryError
        if self.behaviour == "bug":
            raise KeyError("oops")
        return 42


def test_outcomes_of_a_job():
    seen = []
    outcome = run_job(ToyJob("ok"), CLI, progress=lambda f, m: seen.append((f, m)))
    assert outcome.ok and outcome.result == 42 and seen == [(0.5, "half way")]
    assert run_job(ToyJob("cancel"), PANEL).status == "cancelled"
    memory = run_job(ToyJob("memory"), PANEL)
    assert memory.status == "failed" and "Out of memory" in memory.message
    bug = run_job(ToyJob("bug"), PANEL)
    assert bug.status == "failed" and bug.message.startswith("Unexpected error (KeyError")
    assert "Traceback" in bug.traceback and "Traceback" not in bug.message


@pytest.mark.parametrize(
    ("place", "words"),
    [
        (CLI, "3 steps are too many: lower --steps"),
        (PROCESSING, "3 steps are too many: lower the STEPS parameter"),
        (PANEL, "3 steps are too many: lower 'Steps'"),
    ],
)
def test_one_error_worded_for_each_place(place, words):
    outcome = run_job(ToyJob("bad"), place)
    assert outcome.status == "failed" and outcome.message == words


def test_every_segmentation_option_is_offered_with_unique_names():
    specs = [f.metadata[SPEC_KEY] for f in fields(SegmentationOptions)]
    assert len(specs) == len(fields(SegmentationOptions))  # none without a spec
    flags = [s.cli for s in specs if s.cli]
    names = [s.processing for s in specs if s.processing]
    assert len(set(flags)) == len(flags) and all(f.startswith("--") for f in flags)
    assert len(set(names)) == len(names) and all(n.isupper() for n in names)
