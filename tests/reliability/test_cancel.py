"""Cancel at a random point, 20 times in each place: the run stops, and no output, no
temporary file and no layer is left (the README's "cancel" row)."""

from __future__ import annotations

import random
import threading

import pytest

from tests.reliability.places import SEGMENT_ALG, processing_feedback, run_processing, wait_until

TIMES = 20


@pytest.fixture()
def scene(tmp_path, kit):
    """A raster of 5 x 5 tiles of 64 px, run one tile per batch: about 30 progress reports."""
    raster = kit.write_raster(tmp_path / "raster.tif", kit.random_image(300, 300, seed=2))
    model = kit.build_onnx(tmp_path / "model.onnx", metadata={"tile_size": 64})
    out = tmp_path / "out"
    out.mkdir()
    return raster, model, out


def reports(raster, model, out) -> int:
    """How many progress reports a whole run makes (the last is the 100 %)."""
    from engine.pipeline import SegmentationOptions, segment

    seen = []
    segment(raster, model, out / "count.tif", SegmentationOptions(batch_size=1),
            progress=lambda fraction, message: seen.append(fraction))  # fmt: skip
    for written in out.iterdir():  # the class map and its sidecars (.aux.xml, .qml)
        written.unlink()
    return len(seen)


def points(total: int, seed: int) -> list[int]:
    """20 report numbers (1-based) at which to cancel, the last report among them."""
    picks = random.Random(seed).choices(range(1, total + 1), k=TIMES - 1)
    return [*picks, total]


def test_the_engine_stops_and_leaves_nothing(scene):
    from engine.cancel import CancelToken
    from engine.errors import Cancelled
    from engine.pipeline import SegmentationOptions, segment

    raster, model, out = scene
    for at in points(reports(raster, model, out), seed=1):
        token, calls = CancelToken(), []

        def progress(fraction, message, token=token, calls=calls, at=at):
            calls.append(fraction)
            if len(calls) == at:
                token.cancel()

        with pytest.raises(Cancelled):
            segment(raster, model, out / "classes.tif", SegmentationOptions(batch_size=1),
                    progress=progress, cancel=token)  # fmt: skip
        assert list(out.iterdir()) == [], f"cancelled at report {at}"


def test_the_job_says_cancelled_and_leaves_nothing(scene):
    from engine.cancel import CancelToken
    from engine.jobs.base import CLI, run_job
    from engine.jobs.segment import SegmentJob, SegmentRequest
    from engine.options import SegmentationOptions

    raster, model, out = scene
    total = reports(raster, model, out) + 1  # the job reports loading the model first
    for at in points(total, seed=2):
        token, calls = CancelToken(), []

        def progress(fraction, message, token=token, calls=calls, at=at):
            calls.append(fraction)
            if len(calls) == at:
                token.cancel()

        request = SegmentRequest(str(raster), str(model), str(out / "classes.tif"),
                                 SegmentationOptions(batch_size=1))  # fmt: skip
        outcome = run_job(SegmentJob(request), CLI, progress, token)
        assert outcome.status == "cancelled", (at, outcome.message)
        assert outcome.message == "Segmentation cancelled; no output was written."
        assert list(out.iterdir()) == [], f"cancelled at report {at}"


def test_processing_stops_and_leaves_nothing(scene, provider, clean_project):
    raster, model, out = scene
    total = reports(raster, model, out) + 1
    for at in points(total, seed=3):
        feedback = processing_feedback()
        calls = []
        set_progress = feedback.setProgress

        def cancel_at(value, calls=calls, at=at, feedback=feedback, set_progress=set_progress):
            set_progress(value)
            calls.append(value)
            if len(calls) == at:
                feedback.cancel()

        feedback.setProgress = cancel_at
        parameters = {"INPUT": str(raster), "MODEL": str(model), "BATCH_SIZE": 1,
                      "OUTPUT": str(out / "classes.tif")}  # fmt: skip
        seen = run_processing(SEGMENT_ALG, parameters, clean_project, feedback)
        assert seen.message == "Segmentation cancelled; no output was written.", at
        assert list(out.iterdir()) == [], f"cancelled at report {at}"
        assert clean_project.mapLayers() == {}


def test_the_panel_stops_and_adds_no_layer(scene, make_dock, clean_project, monkeypatch):
    """Cancel clicked on the main thread while the worker waits at a random report."""
    from qgis.core import QgsRasterLayer

    from aerial_segmentation.qgis_common.job_task import JobTask
    from tests.helpers.panel import wait_for

    raster, model, out = scene
    total = reports(raster, model, out) + 1
    layer = QgsRasterLayer(str(raster), "raster", "gdal")
    clean_project.addMapLayer(layer)
    dock = make_dock()
    dock.layer_combo.setLayer(layer)
    dock.set_model_path(model)
    dock.option_form.set_values({"batch_size": 1})
    dock.file_radio.setChecked(True)
    dock.output_widget.setFilePath(str(out / "classes.tif"))
    report = JobTask._progress
    for at in points(total, seed=4):
        reached, clicked, calls = threading.Event(), threading.Event(), []

        def pausing(task, fraction, message="", calls=calls, at=at, r=reached, c=clicked):
            calls.append(fraction)
            if len(calls) == at:  # the worker waits here until Cancel has been clicked
                r.set()
                c.wait(10)
            report(task, fraction, message)

        monkeypatch.setattr(JobTask, "_progress", pausing)
        dock.run_button.click()
        wait_until(reached.is_set)
        dock.cancel_button.click()
        clicked.set()
        outcome = wait_for(dock)
        assert outcome.status == "cancelled", (at, outcome.message)
        assert list(out.iterdir()) == [], f"cancelled at report {at}"
        assert list(clean_project.mapLayers()) == [layer.id()]
        assert dock.run_button.isEnabled() and dock.progress_bar.value() == 0
