"""One case run in one place (engine, job layer, Processing, panel), and what the user saw."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.cases import (
    ASKED,
    BLOCKED,
    ENGINE,
    ERROR,
    FINETUNE,
    JOB,
    NOT_OFFERED,
    OK,
    PANEL,
    PROCESSING,
    Case,
    Inputs,
)

SEGMENT_ALG = "aerial_segmentation:segment"
FINETUNE_ALG = "aerial_segmentation:finetune"
DEVICES = ("auto", "cpu", "cuda")
XYZ = "type=xyz&url=http://127.0.0.1:9/%7Bz%7D/%7Bx%7D/%7By%7D.png&zmax=19&zmin=0"
UNABLE = "Unable to execute algorithm\n"  # Processing's prefix for a parameter refused


@dataclass
class Seen:
    """How a run ended, as the user saw it: the message, or a run's warnings, joined."""

    status: str
    message: str = ""
    result: object = None
    questions: list[str] = field(default_factory=list)  # what the panel asked


@dataclass
class QgisSide:
    """The QGIS fixtures a Processing or panel run needs."""

    project: object
    iface: object
    make_dock: object


def option_words(place: str, option: str, job: str) -> str:
    """How ``place`` names ``option`` in a message."""
    if place == ENGINE:
        return f"the {option.replace('_', ' ')} option"
    if job == FINETUNE:
        from trainer.finetune.request import FINETUNE_SPECS

        specs = FINETUNE_SPECS
    else:
        from engine.jobs.segment import segmentation_specs

        specs = segmentation_specs()
    return specs[option].name_in({JOB: "cli", PROCESSING: "processing", PANEL: "panel"}[place])


def run_case(case: Case, place: str, inputs: Inputs, qgis: QgisSide | None) -> Seen:
    runners = {
        (False, ENGINE): _segment_in_engine, (False, JOB): _segment_in_job,
        (False, PROCESSING): _segment_in_processing, (False, PANEL): _segment_in_panel,
        (True, ENGINE): _finetune_in_engine, (True, JOB): _finetune_in_job,
        (True, PROCESSING): _finetune_in_processing, (True, PANEL): _finetune_in_panel,
    }  # fmt: skip
    runner = runners[(case.job == FINETUNE, place)]
    return runner(inputs, qgis) if place in (PROCESSING, PANEL) else runner(inputs)


# ---- segmentation ----------------------------------------------------------------------


def engine_options(inputs: Inputs):
    from engine.masking import PolygonMask
    from engine.options import SegmentationOptions

    mask = PolygonMask.from_file(inputs.mask) if inputs.mask else None
    return SegmentationOptions(**inputs.options, mask=mask)


def _segment_in_engine(inputs: Inputs) -> Seen:
    from engine.errors import EngineError
    from engine.pipeline import segment

    try:
        result = segment(inputs.raster, inputs.model, inputs.output, engine_options(inputs))
    except EngineError as error:
        return Seen(ERROR, str(error))
    return Seen(OK, " | ".join(result.warnings), result)


def _segment_in_job(inputs: Inputs) -> Seen:
    from engine.jobs.base import CLI, run_job
    from engine.jobs.segment import SegmentJob, SegmentRequest

    request = SegmentRequest(inputs.raster, inputs.model, inputs.output, engine_options(inputs),
                             overwrite=inputs.replace)  # fmt: skip
    outcome = run_job(SegmentJob(request), CLI)
    assert not outcome.traceback, outcome.traceback  # a bug, not a message
    if not outcome.ok:
        return Seen(ERROR, outcome.message)
    return Seen(OK, " | ".join(outcome.result.engine.warnings), outcome.result.engine)


def processing_feedback():
    """A feedback that keeps what the algorithm warned about and reported as errors."""
    from qgis.core import QgsProcessingFeedback

    class Recorder(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings: list[str] = []

        def pushWarning(self, warning):
            self.warnings.append(warning)
            super().pushWarning(warning)

    return Recorder()


def run_processing(algorithm: str, parameters: dict, project, feedback=None) -> Seen:
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException

    feedback = feedback or processing_feedback()
    context = QgsProcessingContext()
    context.setProject(project)
    try:
        processing.run(algorithm, parameters, feedback=feedback, context=context)
    except QgsProcessingException as error:
        return Seen(ERROR, str(error).removeprefix(UNABLE))
    return Seen(OK, " | ".join(feedback.warnings))


def _qgis_input(inputs: Inputs, project):
    """The raster as QGIS holds it: a layer in the project (None when QGIS cannot load it)."""
    from qgis.core import QgsRasterLayer, QgsVectorLayer

    if inputs.layer == "xyz":
        layer = QgsRasterLayer(XYZ, "tiles", "wms")
    elif inputs.layer == "vector":
        layer = QgsVectorLayer(inputs.raster, Path(inputs.raster).stem, "ogr")
    else:
        layer = QgsRasterLayer(inputs.raster, Path(inputs.raster).stem, "gdal")
    if not layer.isValid():
        return None
    project.addMapLayer(layer)
    return layer


def _open_output_as_layer(inputs: Inputs, project) -> None:
    from qgis.core import QgsRasterLayer

    if inputs.output_layer:
        layer = QgsRasterLayer(inputs.output, Path(inputs.output).stem, "gdal")
        assert layer.isValid()
        project.addMapLayer(layer)


def _segment_in_processing(inputs: Inputs, qgis: QgisSide) -> Seen:
    _open_output_as_layer(inputs, qgis.project)
    value = inputs.raster
    if inputs.layer == "xyz":
        value = _qgis_input(inputs, qgis.project).id()
    parameters = {"INPUT": value, "MODEL": inputs.model, "OUTPUT": inputs.output}
    options = inputs.options
    if "device" in options:
        parameters["DEVICE"] = DEVICES.index(options["device"])
    if "bands" in options:
        parameters["BANDS"] = list(options["bands"])
    if "extent" in options:
        x0, y0, x1, y1 = options["extent"]
        parameters["EXTENT"] = f"{x0},{x1},{y0},{y1} [EPSG:32633]"
    if inputs.mask:
        parameters["MASK"] = inputs.mask
    return run_processing(SEGMENT_ALG, parameters, qgis.project)


class Answers:
    """Stands in for QMessageBox.question: keeps each question, answers as told."""

    def __init__(self, yes: bool):
        self.yes = yes
        self.asked: list[str] = []

    def __call__(self, parent, title, text, *args):
        from qgis.PyQt.QtWidgets import QMessageBox

        self.asked.append(text)
        return QMessageBox.StandardButton.Yes if self.yes else QMessageBox.StandardButton.No


def bar_messages(iface, level) -> str:
    return " | ".join(m.split(":", 1)[-1] for m in iface.messageBar().get_messages(level))


def _segment_in_panel(inputs: Inputs, qgis: QgisSide) -> Seen:
    from qgis.core import Qgis, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtWidgets import QMessageBox

    from tests.helpers.panel import wait_for

    _open_output_as_layer(inputs, qgis.project)
    layer = _qgis_input(inputs, qgis.project)
    dock = qgis.make_dock()
    combo = dock.layer_combo
    if layer is None or layer not in [combo.layer(i) for i in range(combo.count())]:
        return Seen(NOT_OFFERED)
    combo.setLayer(layer)
    dock.set_model_path(Path(inputs.model))
    options = inputs.options
    if "device" in options:
        dock.option_form.set_values({"device": options["device"]})
    if "bands" in options:
        dock.band_picker.set_chosen(options["bands"])
        if dock.band_picker.chosen() != tuple(options["bands"]):
            return Seen(NOT_OFFERED)
    if "extent" in options:
        canvas = qgis.iface.mapCanvas()
        canvas.setDestinationCrs(layer.crs())
        canvas.setExtent(QgsRectangle(*options["extent"]))
        dock.area_combo.setCurrentIndex(dock.area_combo.findData("canvas"))
    if inputs.mask:
        polygons = QgsVectorLayer(inputs.mask, "fields", "ogr")
        qgis.project.addMapLayer(polygons)
        polygons.selectAll()
        dock.area_combo.setCurrentIndex(dock.area_combo.findData("selection"))
        dock.polygon_combo.setLayer(polygons)
    dock.file_radio.setChecked(True)
    dock.output_widget.setFilePath(inputs.output)
    answers = Answers(inputs.replace)
    QMessageBox.question, original = answers, QMessageBox.question
    try:
        qgis.iface.messageBar().clear_messages()
        if not dock.run_button.isEnabled():
            return Seen(BLOCKED, dock.status_label.text())
        task = dock.run_segmentation()
    finally:
        QMessageBox.question = original
    if task is None:
        if answers.asked:
            return Seen(ASKED, " | ".join([dock.status_label.text(), *answers.asked]))
        return Seen(ERROR, bar_messages(qgis.iface, Qgis.MessageLevel.Warning))
    outcome = wait_for(dock)
    if outcome.status != "ok":
        assert bar_messages(qgis.iface, Qgis.MessageLevel.Critical) == outcome.message
        return Seen(ERROR, outcome.message, questions=answers.asked)
    warnings = bar_messages(qgis.iface, Qgis.MessageLevel.Warning)
    return Seen(OK, warnings, outcome.result.engine, answers.asked)


# ---- fine-tuning -----------------------------------------------------------------------


def finetune_request(inputs: Inputs):
    from trainer.finetune.request import FinetuneRequest, TrainingPlan

    plan = TrainingPlan(minutes=None, epochs=1, steps_per_epoch=2, batch_size=2, crop=64)
    return FinetuneRequest(
        image=inputs.raster, labels=inputs.labels, base_model=inputs.model,
        output=inputs.output, class_field=inputs.class_field, plan=plan, device="cpu", threads=1,
    )  # fmt: skip


def _finetune_in_engine(inputs: Inputs) -> Seen:
    from engine.errors import EngineError
    from trainer.finetune.runner import run_finetune

    try:
        result = run_finetune(finetune_request(inputs))
    except EngineError as error:
        return Seen(ERROR, str(error))
    return Seen(OK, " | ".join(result.notes), result)


def _finetune_in_job(inputs: Inputs) -> Seen:
    from engine.jobs.base import CLI, run_job
    from trainer.finetune.request import FinetuneJob

    outcome = run_job(FinetuneJob(finetune_request(inputs)), CLI)
    assert not outcome.traceback, outcome.traceback
    if not outcome.ok:
        return Seen(ERROR, outcome.message)
    return Seen(OK, " | ".join(outcome.result.notes), outcome.result)


def _finetune_in_processing(inputs: Inputs, qgis: QgisSide) -> Seen:
    parameters = {
        "INPUT": inputs.raster, "LABELS": inputs.labels, "CLASS_FIELD": inputs.class_field,
        "MODEL": inputs.model, "MINUTES": 0.2, "DEVICE": 1, "OUTPUT": inputs.output,
    }  # fmt: skip
    return run_processing(FINETUNE_ALG, parameters, qgis.project)


def _finetune_in_panel(inputs: Inputs, qgis: QgisSide) -> Seen:
    from qgis.core import Qgis, QgsRasterLayer, QgsSettings, QgsVectorLayer

    from tests.helpers.panel import wait_for

    models = Path(inputs.output).parent
    QgsSettings().setValue("aerial_segmentation/user_models_dir", str(models))
    raster = QgsRasterLayer(inputs.raster, "scene", "gdal")
    labels = QgsVectorLayer(f"{inputs.labels}|layername=labels", "my labels", "ogr")
    qgis.project.addMapLayers([raster, labels])
    dock = qgis.make_dock()
    dock.set_model_path(Path(inputs.model))
    teach = dock.teach
    teach.set_base_model(Path(inputs.model))
    teach.raster_combo.setLayer(raster)
    offered = [teach.labels_combo.layer(i) for i in range(teach.labels_combo.count())]
    if labels not in offered:
        return Seen(NOT_OFFERED)
    teach.labels_combo.setLayer(labels)
    teach.name_edit.setText(Path(inputs.output).stem)
    teach.minutes_spin.setMinimum(0.01)
    teach.minutes_spin.setValue(0.05)
    qgis.iface.messageBar().clear_messages()
    if not teach.run_button.isEnabled():
        return Seen(BLOCKED, teach.status_label.text())
    if teach.run_finetuning() is None:
        return Seen(ERROR, teach.status_label.text())
    outcome = wait_for(teach, timeout=120)
    if outcome.status != "ok":
        assert bar_messages(qgis.iface, Qgis.MessageLevel.Critical) == outcome.message
        return Seen(ERROR, outcome.message)
    return Seen(OK, "", outcome.result)


def wait_until(condition, timeout: float = 30.0) -> None:
    """Spin Qt's event loop until ``condition()`` holds."""
    from qgis.PyQt.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    assert condition(), "timed out"
