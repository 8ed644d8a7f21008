"""The panel's "Teach" tab: fine-tune a model on polygons drawn over the analyst's imagery.

Pick the raster, the polygon layer and its class field, a base model and a time budget; Run
writes the polygons to a temporary file and runs the trainer's fine-tuning job in a QgsTask
(QGIS stays responsive, Cancel leaves no model). The new model goes into "My models" and is
handed to the Segment tab, selected and ready to run.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsMapLayerProxyModel
from qgis.gui import QgsFieldComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..engine.jobs.dependencies import check_training_dependencies
from ..qgis_common.finetune_inputs import (
    LABEL_FIELD,
    LabelLayerError,
    categorized_colors,
    import_trainer,
    write_label_file,
)
from ..qgis_common.job_task import JobTask
from ..qgis_common.layers import REMOTE_RASTER_PROVIDERS, raster_source
from .option_form import narrow_combo
from .panel_parts import DependencyBox, JobFooter, form_in, push_message, scrolling_page
from .panel_text import teach_result_text

SETTINGS_PREFIX = "aerial_segmentation/teach/"
DEVICES = (("auto", "Auto"), ("cpu", "CPU"), ("cuda", "CUDA GPU"))
INTRO = (
    "Draw a few polygons over each class (a stretch of road, two roofs, a lawn, a tree row, "
    "a few cars, or classes of your own) in a polygon layer with a text field for the class "
    "name. A fifth of each class's polygons are held out to score the new model."
)


def default_models_dir() -> Path:
    """Where new models go when the analyst has not chosen a models folder."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "aerial_segmentation" / "models"


class TeachPanel(QWidget):
    """Gathers a FinetuneRequest, runs it in a JobTask, reports the held-out score."""

    model_ready = pyqtSignal(object)  # the new model's Path, once it is written

    def __init__(self, iface, settings, models_dir, model_items, parent=None):
        """``models_dir()``: the analyst's models folder (None if not chosen);
        ``model_items()``: (label, path) of the models the Segment tab offers."""
        super().__init__(parent)
        self.iface = iface
        self.settings = settings
        self._models_dir = models_dir
        self._model_items = model_items
        self.last_outcome = None
        self._blocker_shown = False  # the status line says why Teach is disabled
        self._scratch: Path | None = None
        self.dependencies = check_training_dependencies()
        self._build()
        self._show_dependencies()
        self.refresh_models()
        self._labels_changed()

    # ---- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        self.dependency_box = DependencyBox("Fine-tuning needs more packages")
        self.dependency_label = self.dependency_box.label
        layout.addWidget(self.dependency_box)

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        labels = QGroupBox("Image and labels")
        form = form_in(labels)
        self.raster_combo = narrow_combo(QgsMapLayerComboBox())
        self.raster_combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        self.raster_combo.setExcludedProviders(REMOTE_RASTER_PROVIDERS)
        self.raster_combo.layerChanged.connect(self._suggest_name)
        form.addRow("Raster layer", self.raster_combo)
        self.labels_combo = narrow_combo(QgsMapLayerComboBox())
        self.labels_combo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.labels_combo.layerChanged.connect(self._labels_changed)
        form.addRow("Label polygons", self.labels_combo)
        self.selected_only = QCheckBox("Selected polygons only")
        form.addRow(self.selected_only)
        self.field_combo = narrow_combo(QgsFieldComboBox())
        self.field_combo.fieldChanged.connect(self._update_state)
        form.addRow("Class field", self.field_combo)
        layout.addWidget(labels)

        training = QGroupBox("Training")
        form = form_in(training)
        self.base_combo = narrow_combo(QComboBox())
        self.base_combo.currentIndexChanged.connect(self._suggest_name)
        form.addRow("Base model", self.base_combo)
        self.minutes_spin = QDoubleSpinBox()
        self.minutes_spin.setRange(0.5, 600.0)
        self.minutes_spin.setDecimals(1)
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setValue(self.settings.value(SETTINGS_PREFIX + "minutes", 3.0, float))
        form.addRow("Training time", self.minutes_spin)
        self.device_combo = narrow_combo(QComboBox())
        for key, label in DEVICES:
            self.device_combo.addItem(label, key)
        form.addRow("Device", self.device_combo)
        self.native_check = QCheckBox("the image's own")
        self.native_check.setToolTip(
            "Off: the image is resampled to the base model's resolution, as segmentation does. "
            "On: the new model works at the image's pixel size (fine detail, e.g. drone imagery)."
        )
        form.addRow("Resolution", self.native_check)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("name of the new model")
        self.name_edit.textEdited.connect(lambda _: setattr(self, "_name_edited", True))
        self._name_edited = False
        form.addRow("New model", self.name_edit)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        form.addRow(self.folder_label)
        layout.addWidget(training)

        self.result_label = QLabel()
        self.result_label.setObjectName("teachResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setMinimumWidth(1)  # long names wrap (teach_result_text)
        self.result_label.setVisible(False)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

        self.footer = JobFooter("Teach")
        self.footer.set_idle_callback(self._update_state)
        self.run_button = self.footer.run_button
        self.run_button.setObjectName("teachButton")
        self.run_button.clicked.connect(self.run_finetuning)
        self.cancel_button = self.footer.cancel_button
        self.progress_bar = self.footer.progress_bar
        self.status_label = self.footer.status_label
        page, self.scroll_area = scrolling_page(body, self.footer)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)

    @property
    def task(self) -> JobTask | None:
        """The fine-tuning running now, if any."""
        return self.footer.task

    # ---- state --------------------------------------------------------------------------
    def models_dir(self) -> Path:
        return self._models_dir() or default_models_dir()

    def refresh_models(self) -> None:
        """The Segment tab's models; the one chosen before (or the last used) stays chosen."""
        wanted = self.base_combo.currentData() or self.settings.value(
            SETTINGS_PREFIX + "base_model", "", str
        )
        self.base_combo.blockSignals(True)
        self.base_combo.clear()
        for label, path in self._model_items():
            self.base_combo.addItem(label, path)
        index = self.base_combo.findData(wanted)
        self.base_combo.setCurrentIndex(max(index, 0))
        self.base_combo.blockSignals(False)
        self._suggest_name()

    def _labels_changed(self, *_) -> None:
        layer = self.labels_combo.currentLayer()
        self.field_combo.setLayer(layer)
        if layer is not None:
            names = [f.name() for f in layer.fields()]
            preferred = next((n for n in names if n.lower() in ("class", "classe", "klasse")), None)
            if preferred:
                self.field_combo.setField(preferred)
        self._update_state()

    def set_base_model(self, path: Path) -> None:
        index = self.base_combo.findData(str(path))
        if index >= 0:
            self.base_combo.setCurrentIndex(index)

    def _suggest_name(self, *_) -> None:
        """``<raster>_<base model>`` until the analyst types a name of their own."""
        raster = self.raster_combo.currentLayer()
        base = self.base_combo.currentData()
        if not self._name_edited and raster is not None and base:
            self.name_edit.setText(f"{_slug(raster.name())}_{Path(base).stem}")
        self._update_state()

    def blocker(self) -> str:
        """Why Teach cannot run now ("" when it can), in the panel's words."""
        if not self.dependencies.ok:
            return "Install the missing packages first (see above)."
        if self.raster_combo.currentLayer() is None:
            return "Add a raster layer to the project."
        if self.labels_combo.currentLayer() is None:
            return "Add a polygon layer with your labels to the project."
        if not self.field_combo.currentField():
            return "Choose the field that holds the class names."
        if not self.base_combo.currentData():
            return "No base model: put .onnx models in your models folder."
        if not self.name_edit.text().strip():
            return "Give the new model a name."
        return ""

    def _update_state(self, *_) -> None:
        if not hasattr(self, "run_button"):
            return
        running = self.task is not None
        reason = self.blocker()
        self.run_button.setEnabled(not running and not reason)
        if not running and (reason or self._blocker_shown):
            self.status_label.setText(reason)  # what to do, or clear what was said before
        self._blocker_shown = bool(reason)
        self.folder_label.setText(f"Saved in {self.models_dir()}")

    def _show_dependencies(self) -> None:
        self.dependency_box.show_report(self.dependencies)

    def copy_install_command(self) -> None:
        self.dependency_box.copy_command()

    # ---- run ----------------------------------------------------------------------------
    def output_path(self) -> Path:
        name = _slug(self.name_edit.text().strip()) or "my_model"
        return self.models_dir() / f"{name}.onnx"

    def confirm_replace(self, path: Path) -> bool:
        """Ask before an existing model is replaced (tests replace this method)."""
        answer = QMessageBox.question(
            self,
            "Replace the model?",
            f"A model named {path.stem} already exists in {path.parent}.\n\nReplace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def build_request(self, output: Path, overwrite: bool):
        """The FinetuneRequest the panel shows; writes the label polygons to a scratch file.
        ``LabelLayerError`` when the layer cannot be used."""
        raster = self.raster_combo.currentLayer()
        layer = self.labels_combo.currentLayer()
        field = self.field_combo.currentField()
        selected = self.selected_only.isChecked()
        features = layer.getSelectedFeatures() if selected else layer.getFeatures()
        name = f"{layer.name()} (selected)" if selected else layer.name()
        self._scratch = Path(tempfile.mkdtemp(prefix="aerial_segmentation_labels_"))
        labels = self._scratch / "labels.gpkg"
        write_label_file(features, layer.fields(), field, layer.crs().toWkt(), labels, name)
        module = import_trainer("finetune.request")
        return module.FinetuneRequest(
            image=raster_source(raster),
            labels=str(labels),
            base_model=self.base_combo.currentData(),
            output=str(output),
            class_field=LABEL_FIELD,
            plan=module.TrainingPlan(minutes=self.minutes_spin.value()),
            device=self.device_combo.currentData(),
            native_gsd=self.native_check.isChecked(),
            class_colors=categorized_colors(layer, field),
            overwrite=overwrite,
            image_name=raster.name(),
            labels_name=f"layer '{name}', field '{field}'",
        ), module

    def run_finetuning(self) -> JobTask | None:
        if self.task is not None or self.blocker():
            return None
        output = self.output_path()
        overwrite = output.exists()
        if overwrite and not self.confirm_replace(output):
            self.status_label.setText("Not run: give the new model another name.")
            return None
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            request, module = self.build_request(output, overwrite)
        except (LabelLayerError, ImportError) as error:
            self._remove_scratch()
            self._message(str(error), Qgis.MessageLevel.Warning)
            self.status_label.setText(str(error))
            return None
        self._save_settings()
        self.result_label.setVisible(False)
        task = JobTask(module.FinetuneJob(request))
        return self.footer.start(
            task, f"Teaching the model on {request.image_name}…", self._task_done
        )

    def cancel_finetuning(self) -> None:
        self.footer.cancel()

    def _task_done(self, outcome) -> None:
        self.last_outcome = outcome
        self._remove_scratch()
        if outcome.status == "ok":
            result = outcome.result
            self.status_label.setText(f"Done: {result.path.name} is selected in Segment.")
            self.result_label.setText(teach_result_text(result))
            self.result_label.setVisible(True)
            self._message(
                f"New model {result.path.stem}: held-out mIoU "
                + (f"{result.holdout_miou:.2f}" if result.holdout_miou is not None else "–"),
                Qgis.MessageLevel.Success,
                duration=8,
            )
            for note in result.notes:
                self._message(note, Qgis.MessageLevel.Info, duration=8)
            self.model_ready.emit(result.path)
        else:
            cancelled = outcome.status == "cancelled"
            level = Qgis.MessageLevel.Info if cancelled else Qgis.MessageLevel.Critical
            self._message(outcome.message, level, duration=5 if cancelled else 0)

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def _save_settings(self) -> None:
        self.settings.setValue(SETTINGS_PREFIX + "minutes", self.minutes_spin.value())
        self.settings.setValue(SETTINGS_PREFIX + "base_model", self.base_combo.currentData())

    def _message(self, text: str, level, duration: int = 0) -> None:
        push_message(self.iface, text, level, duration)

    def shutdown(self) -> None:
        self.footer.shutdown()
        self._remove_scratch()


def _slug(text: str) -> str:
    """A file name from a layer or model name: letters, digits, - and _ only."""
    return re.sub(r"[^\w-]+", "_", text).strip("_")[:60]
