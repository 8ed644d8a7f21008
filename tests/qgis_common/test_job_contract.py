"""A second kind of job plugs into the QGIS side unchanged: the task, Processing, the forms."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsTask
from qgis.PyQt.QtWidgets import QApplication, QFormLayout, QWidget


def _toy_classes():
    from aerial_segmentation.engine.errors import Cancelled, InputError
    from aerial_segmentation.engine.jobs import Job
    from aerial_segmentation.engine.options import option, option_fields

    @dataclass
    class ToyOptions:
        minutes: float = option(
            2.0, kind="float", label="Time budget (min)", help="how long", cli="--minutes",
            processing="MINUTES", minimum=0.5,
        )  # fmt: skip
        device: str = option(
            "auto", kind="choice", label="Device", help="where", cli="--device",
            processing="DEVICE", choices=("auto", "cpu"),
        )  # fmt: skip

    class ToyJob(Job):
        title = "Teaching"

        def __init__(self, behaviour):
            self.behaviour = behaviour
            self.specs = {f.name: spec for f, spec in option_fields(ToyOptions)}

        def run(self, progress, cancel):
            for step in range(50):
                progress(step / 50, f"epoch {step}")
                if cancel.cancelled:
                    raise Cancelled()
                if self.behaviour == "bad":
                    raise InputError("no labels inside the raster: change {option}",
                                     option="minutes")  # fmt: skip
                time.sleep(0.01 if self.behaviour != "slow" else 0.05)
            return "model.onnx"

    return ToyOptions, ToyJob


def _wait(task, outcomes, timeout=20):
    deadline = time.monotonic() + timeout
    while not outcomes and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    return outcomes[0]


def test_any_job_runs_in_a_task_with_the_same_ending(plugin_package, qgis_app):
    from aerial_segmentation.qgis_common.job_task import JobTask

    _, ToyJob = _toy_classes()
    for behaviour, status, task_status in [
        ("ok", "ok", QgsTask.TaskStatus.Complete),
        ("bad", "failed", QgsTask.TaskStatus.Terminated),
        ("slow", "cancelled", QgsTask.TaskStatus.Complete),  # a cancel is no failure
    ]:
        outcomes, stages = [], []
        task = JobTask(ToyJob(behaviour))
        task.done.connect(outcomes.append)
        task.stage.connect(stages.append)
        QgsApplication.taskManager().addTask(task)
        if behaviour == "slow":
            while not stages:
                QApplication.processEvents()
            task.cancel()
        outcome = _wait(task, outcomes)
        assert outcome.status == status, outcome.message
        assert task.status() == task_status
        assert stages and stages[0] == "epoch 0"
        if behaviour == "bad":
            assert outcome.message == "No labels inside the raster: change 'Time budget (min)'"


def test_any_job_runs_in_processing_and_its_options_become_parameters_and_flags(
    plugin_package, qgis_app
):
    from aerial_segmentation.engine.jobs.cli_options import (
        add_option_arguments,
        options_from_arguments,
    )
    from aerial_segmentation.toolbox.job_runner import run_in_processing
    from aerial_segmentation.toolbox.option_parameters import option_parameter
    from aerial_segmentation.ui.option_form import OptionForm

    ToyOptions, ToyJob = _toy_classes()
    assert run_in_processing(ToyJob("ok"), QgsProcessingFeedback()) == "model.onnx"
    with pytest.raises(QgsProcessingException, match="change the MINUTES parameter"):
        run_in_processing(ToyJob("bad"), QgsProcessingFeedback())

    from aerial_segmentation.engine.options import option_default, option_fields

    parameters = [option_parameter(s.processing, s, option_default(f), "INPUT")
                  for f, s in option_fields(ToyOptions)]  # fmt: skip
    assert [p.name() for p in parameters] == ["MINUTES", "DEVICE"]
    assert parameters[1].options() == ["auto", "cpu"]

    parser = argparse.ArgumentParser()
    add_option_arguments(parser, ToyOptions)
    parsed = options_from_arguments(parser.parse_args(["--minutes", "4"]), ToyOptions)
    assert parsed == ToyOptions(minutes=4.0, device="auto")

    holder = QWidget()
    form = OptionForm(ToyOptions, QFormLayout(holder))
    assert form.values() == {"minutes": 2.0, "device": "auto"}
    form.set_values({"minutes": 6.5, "device": "cpu"})
    assert ToyOptions(**form.values()) == ToyOptions(minutes=6.5, device="cpu")
