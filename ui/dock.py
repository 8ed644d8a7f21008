"""The dock panel the analyst works in: pick a raster and a model, run, see the classes.

Thin over ``engine.jobs``: the panel gathers a :class:`SegmentRequest` (its Options section is
built from the options dataclass), runs a :class:`SegmentJob` in a ``JobTask`` and, on the
main thread, adds one styled layer and one area table per model output.
"""

from __future__ import annotations

import html
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsCoordinateTransform,
    QgsMapLayerProxyModel,
    QgsMessageLog,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsSettings,
)
from qgis.gui import QgsDockWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..engine.jobs import model_catalog
from ..engine.jobs.dependencies import check_dependencies, detect_devices
from ..engine.jobs.segment import SegmentJob, SegmentJobResult, SegmentRequest
from ..engine.options import SegmentationOptions
from ..qgis_common.diagnostics import diagnostics_text
from ..qgis_common.job_task import LOG_TAG, JobTask
from ..qgis_common.layers import (
    REMOTE_RASTER_PROVIDERS,
    band_names,
    layers_reading,
    raster_source,
)
from ..qgis_common.masks import polygon_mask
from ..qgis_common.styling import (
    add_result_layer,
    display_color,
    extra_result_layers,
    is_class_layer,
    result_layer_name,
    style_class_layer,
    unique_layer_name,
)
from .band_picker import BandPicker
from .option_form import OptionForm, narrow_combo
from .output_box import OutputBox
from .panel_parts import DependencyBox, JobFooter, form_in, push_message, scrolling_page
from .panel_text import (
    describe_devices,
    extra_outputs_text,
    format_area,
    model_card_html,
    result_summary,
)
from .teach_panel import TeachPanel

SETTINGS_PREFIX = "aerial_segmentation/"
INT8_ROLE = Qt.ItemDataRole.UserRole + 1  # a model's INT8 copy, in the model list
OPTIONS_PREFIX = SETTINGS_PREFIX + "options/"
AREAS = (
    ("layer", "Whole layer"),
    ("canvas", "Current map view"),
    ("selection", "Selected polygons"),
)


class SegmentationDock(QgsDockWidget):
    """Gathers a SegmentRequest, runs it in a JobTask, shows what came out."""

    def __init__(self, iface, parent=None, bundled_models_dir: Path | None = None):
        super().__init__("Aerial Segmentation", parent)
        self.iface = iface
        self.bundled_models_dir = bundled_models_dir or model_catalog.BUNDLED_MODELS_DIR
        self.settings = QgsSettings()
        self.last_outcome = None
        self.model_error = ""  # why the selected model cannot be used ("" when it can)
        self._blocker_shown = False  # the status line says why Run is disabled
        self._replacing: list[str] = []  # ids of layers that show the file being replaced
        self._input_layer_id = ""  # the layer being segmented (the combo may change meanwhile)
        self._shown_layer_id = None  # the layer the options and result are shown for
        self._shown_model: Path | None = None  # the model the card and result are shown for
        self.result_layer_ids: list[str] = []  # the layers the last run added
        self._metadata_cache: dict[tuple[str, int], object] = {}
        self._devices: dict | None = None
        self._build()
        self.dependencies = check_dependencies()
        self._show_dependencies()
        self._restore_settings()
        self.refresh_models()
        self._update_area_widgets()
        self._refresh_layer_filter()
        project = QgsProject.instance()
        project.layersAdded.connect(self._refresh_layer_filter)
        project.layersRemoved.connect(self._refresh_layer_filter)
        self._layer_changed()

    # ---- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        self.dependency_box = DependencyBox("Missing dependencies")
        self.dependency_box.setObjectName("dependencyBox")
        self.dependency_label = self.dependency_box.label
        self.copy_command_button = self.dependency_box.copy_button
        layout.addWidget(self.dependency_box)
        layout.addWidget(self._build_input())
        layout.addWidget(self._build_model_box())
        layout.addWidget(self._build_options())
        layout.addWidget(self._build_area())
        self.output_box = OutputBox()
        self.temporary_radio = self.output_box.temporary_radio
        self.file_radio = self.output_box.file_radio
        self.output_widget = self.output_box.output_widget
        layout.addWidget(self.output_box)
        layout.addWidget(self._build_result())
        layout.addStretch(1)
        # Run, Cancel and progress stay below the scrolling part: always in view.
        container, self.scroll_area = scrolling_page(body, self._build_footer())
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(container, "Segment")
        self.teach = TeachPanel(self.iface, self.settings, self.user_models_dir, self.model_items)
        self.teach.model_ready.connect(self.use_new_model)
        self.tabs.addTab(self.teach, "Teach")
        self.setWidget(self.tabs)

    def _build_input(self) -> QGroupBox:
        inputs = QGroupBox("Input")
        form = form_in(inputs)
        self.layer_combo = QgsMapLayerComboBox()
        self.layer_combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        self.layer_combo.setExcludedProviders(REMOTE_RASTER_PROVIDERS)
        self.layer_combo.setAllowEmptyLayer(False)
        narrow_combo(self.layer_combo)
        self.layer_combo.layerChanged.connect(self._layer_changed)
        form.addRow("Raster layer", self.layer_combo)
        return inputs

    def _build_model_box(self) -> QGroupBox:
        model_box = QGroupBox("Model")
        model_layout = QVBoxLayout(model_box)
        self.model_combo = narrow_combo(QComboBox())
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        buttons = QHBoxLayout()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("Open a model file (.onnx, or a .pt/.pth checkpoint)")
        self.browse_button.clicked.connect(self._browse_model)
        self.folder_button = QPushButton("My models…")
        self.folder_button.setToolTip("Choose the folder that holds your own models")
        self.folder_button.clicked.connect(self._choose_user_folder)
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.folder_button)
        self.model_card = QLabel()
        self.model_card.setObjectName("modelCard")
        self.model_card.setWordWrap(True)
        self.model_card.setTextFormat(Qt.TextFormat.RichText)
        self.int8_check = QCheckBox("Fast (INT8)")
        self.int8_check.setObjectName("int8Check")
        self.int8_check.setToolTip(
            "Run the model's INT8 copy (<name>_int8.onnx beside it): faster on CPUs, "
            "slightly different classes on a few pixels"
        )
        model_layout.addWidget(self.model_combo)
        model_layout.addWidget(self.int8_check)
        model_layout.addLayout(buttons)
        model_layout.addWidget(self.model_card)
        return model_box

    def _build_options(self) -> QGroupBox:
        options = QGroupBox("Options")
        form = form_in(options)
        self.option_form = OptionForm(SegmentationOptions, form)
        self.device_combo = self.option_form.widget("device")
        self.device_label = QLabel("Detecting…")
        self.device_label.setWordWrap(True)
        form.insertRow(1, self.device_label)  # across the whole width
        self.band_picker = BandPicker()
        self.band_picker.changed.connect(self._update_run_state)
        form.addRow("Bands", self.band_picker)
        return options

    def _build_area(self) -> QGroupBox:
        area = QGroupBox("Area")
        form = form_in(area)
        self.area_combo = narrow_combo(QComboBox())
        for key, label in AREAS:
            self.area_combo.addItem(label, key)
        self.area_combo.currentIndexChanged.connect(self._update_area_widgets)
        self.polygon_combo = narrow_combo(QgsMapLayerComboBox())
        self.polygon_combo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.polygon_combo.setToolTip(
            "Only pixels inside the selected polygons of this layer are segmented"
        )
        form.addRow("Segment", self.area_combo)
        form.addRow("Polygons", self.polygon_combo)
        return area

    def _build_result(self) -> QGroupBox:
        self.result_box = QGroupBox("Result")
        self.result_layout = QVBoxLayout(self.result_box)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.result_layout.addWidget(self.summary_label)
        self.area_tables: list[QTableWidget] = []
        self.result_box.setVisible(False)
        return self.result_box

    def _build_footer(self) -> JobFooter:
        self.footer = JobFooter("Run")
        self.footer.setObjectName("footer")
        self.footer.set_idle_callback(self._update_run_state)
        self.run_button = self.footer.run_button
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run_segmentation)
        self.cancel_button = self.footer.cancel_button
        self.progress_bar = self.footer.progress_bar
        self.status_label = self.footer.status_label
        self.diagnostics_button = QPushButton("Diagnostics")
        self.diagnostics_button.setToolTip(
            "Copy versions, execution providers and GPU detection to the clipboard"
        )
        self.diagnostics_button.clicked.connect(self.copy_diagnostics)
        self.footer.buttons.addWidget(self.diagnostics_button)
        return self.footer

    @property
    def task(self) -> JobTask | None:
        """The segmentation running now, if any."""
        return self.footer.task

    # ---- settings -----------------------------------------------------------------------
    def _setting(self, key: str, default, kind=str):
        return self.settings.value(SETTINGS_PREFIX + key, default, type=kind)

    def _restore_settings(self) -> None:
        self.option_form.restore(self.settings, OPTIONS_PREFIX)
        self._select_data(self.area_combo, self._setting("area", "layer"))
        self.output_box.restore(self.settings, SETTINGS_PREFIX, OPTIONS_PREFIX)
        self.int8_check.setChecked(self._setting("int8", False, bool))

    def save_settings(self) -> None:
        self.option_form.save(self.settings, OPTIONS_PREFIX)
        self.settings.setValue(SETTINGS_PREFIX + "area", self.area_combo.currentData())
        self.output_box.save(self.settings, SETTINGS_PREFIX, OPTIONS_PREFIX)
        self.settings.setValue(SETTINGS_PREFIX + "int8", self.int8_check.isChecked())
        model = self.current_model_path()
        self.settings.setValue(SETTINGS_PREFIX + "model", str(model) if model else "")

    @staticmethod
    def _select_data(combo: QComboBox, value) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    # ---- input layer --------------------------------------------------------------------
    def _refresh_layer_filter(self, *_) -> None:
        """Classified results are never offered as something to segment."""
        layers = QgsProject.instance().mapLayers().values()
        self.layer_combo.setExceptedLayerList([layer for layer in layers if is_class_layer(layer)])

    def _layer_changed(self, *_) -> None:
        layer = self.layer_combo.currentLayer()
        layer_id = layer.id() if layer is not None else ""
        if layer_id == self._shown_layer_id:
            return  # the list was refreshed (a layer added elsewhere): nothing changed here
        self._shown_layer_id = layer_id
        self.band_picker.set_raster_bands(band_names(layer) if layer is not None else [])
        self._clear_result()
        self._update_run_state()

    # ---- models -------------------------------------------------------------------------
    def user_models_dir(self) -> Path | None:
        folder = self._setting("user_models_dir", "")
        return Path(folder) if folder else None

    def refresh_models(self) -> None:
        """Bundled models, then the user's folder; keeps (or restores) the selected one."""
        wanted = self.current_model_path() or self._setting("model", "")
        entries = model_catalog.list_models(self.user_models_dir(), self.bundled_models_dir)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for entry in entries:
            suffix = "" if entry.origin == "bundled" else " (my models)"
            self.model_combo.addItem(entry.name + suffix, str(entry.path))
            last = self.model_combo.count() - 1
            self.model_combo.setItemData(last, str(entry.path), Qt.ItemDataRole.ToolTipRole)
            if entry.int8 is not None:
                self.model_combo.setItemData(last, str(entry.int8), INT8_ROLE)
        self.model_combo.blockSignals(False)
        if wanted and Path(wanted).is_file() and self.model_combo.findData(str(wanted)) < 0:
            self.set_model_path(Path(wanted))
        else:
            self._select_data(self.model_combo, str(wanted))
            self._model_changed()
        self.teach.refresh_models()

    def model_items(self) -> list[tuple[str, str]]:
        """(label, path) of the models listed: what the Teach tab offers as base models."""
        combo = self.model_combo
        return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]

    def use_new_model(self, path: Path) -> None:
        """A model the Teach tab wrote: listed in My models, selected, Segment in front."""
        if self.user_models_dir() is None:
            self.settings.setValue(SETTINGS_PREFIX + "user_models_dir", str(Path(path).parent))
        self.refresh_models()
        self.set_model_path(Path(path))
        self.tabs.setCurrentIndex(0)

    def set_model_path(self, path: Path) -> None:
        """Select a model file (adding it to the list if it is not there)."""
        path = Path(path)
        index = self.model_combo.findData(str(path))
        if index < 0:
            self.model_combo.addItem(f"{path.stem} (file)", str(path))
            index = self.model_combo.count() - 1
            self.teach.refresh_models()  # a file the Teach tab may start from too
        self.model_combo.setCurrentIndex(index)
        self._model_changed()

    def current_model_path(self) -> Path | None:
        data = self.model_combo.currentData() if hasattr(self, "model_combo") else None
        return Path(data) if data else None

    def browse_folder(self) -> str:
        """Where Browse starts: the last folder a model came from, the analyst's models
        folder, or home (never the plugin's own install folder)."""
        for folder in (self._setting("last_model_folder", ""), self.user_models_dir()):
            if folder and Path(folder).is_dir():
                return str(folder)
        return str(Path.home())

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Segmentation model",
            self.browse_folder(),
            "ONNX models (*.onnx);;Checkpoints (*.pt *.pth)",
        )
        if path:
            self.settings.setValue(SETTINGS_PREFIX + "last_model_folder", str(Path(path).parent))
            self.set_model_path(Path(path))

    def _choose_user_folder(self) -> None:
        start = str(self.user_models_dir() or Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Folder with your models", start)
        if folder:
            self.settings.setValue(SETTINGS_PREFIX + "user_models_dir", folder)
            self.refresh_models()

    def model_metadata(self, path: Path):
        """The model card's source; cached, read without building an inference session."""
        key = (str(path), Path(path).stat().st_mtime_ns)  # a retrained file is read again
        if key not in self._metadata_cache:
            from ..engine.model_file import read_model_metadata

            self._metadata_cache[key] = read_model_metadata(str(path))
        return self._metadata_cache[key]

    def _model_changed(self) -> None:
        path = self.current_model_path()
        if path != self._shown_model:  # not when the list is merely refreshed
            self._shown_model = path
            self._clear_result()
        self.model_error = ""
        int8 = self.model_combo.currentData(INT8_ROLE) if path is not None else None
        self.int8_check.setVisible(bool(int8))
        if path is None:
            self.model_error = "Pick a model: put .onnx models in your models folder or browse."
            self.model_card.setText(f"<i>{html.escape(self.model_error)}</i>")
        else:
            try:
                metadata = self.model_metadata(path)
            except Exception as error:  # engine missing, unreadable file, bad metadata
                self.model_error = f"{path.name} cannot be read: pick another model."
                self.model_card.setText(f"<b>Cannot read this model:</b> {html.escape(str(error))}")
            else:
                self.model_card.setText(model_card_html(metadata, path))
                self.model_card.setToolTip(str(metadata.training_data or ""))
                overlap = f"Model's ({metadata.tile_overlap_pct:g} %)"
                self.option_form.set_default_label("overlap_pct", overlap)
                self.band_picker.set_model_bands(metadata.input_bands)
        self._update_run_state()

    # ---- dependencies and diagnostics ---------------------------------------------------
    def _show_dependencies(self) -> None:
        report = self.dependencies
        self.dependency_box.show_report(report)
        if report.ok:
            if self._devices is not None:
                self.device_label.setText(describe_devices(self._devices))
        else:
            self.device_label.setText("Unknown until the missing packages are installed.")
        self._update_run_state()

    def detect_devices(self) -> dict:
        """Detected once, when first needed: importing torch to ask it takes seconds."""
        if self._devices is None and self.dependencies.ok:
            self._devices = detect_devices()
            self.device_label.setText(describe_devices(self._devices))
        return self._devices or {}

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API name
        super().showEvent(event)
        if self.task is None:
            self.refresh_models()  # models copied into the folders since the last look
        QTimer.singleShot(0, self.detect_devices)

    def copy_install_command(self) -> None:
        self.dependency_box.copy_command()

    def copy_diagnostics(self) -> str:
        text = diagnostics_text(self.dependencies)
        QGuiApplication.clipboard().setText(text)
        self._message("Diagnostics copied to the clipboard.", Qgis.MessageLevel.Info, duration=3)
        return text

    # ---- what Run needs -----------------------------------------------------------------
    def run_blocker(self) -> str:
        """Why Run cannot start now, in the panel's words ("" when it can)."""
        if not getattr(self, "dependencies", None) or not self.dependencies.ok:
            return "Install the missing packages listed above, then restart QGIS."
        if self.layer_combo.currentLayer() is None:
            return "Add a raster layer (an orthophoto) to the project to segment it."
        return self.model_error or self.band_picker.problem()

    def _update_run_state(self, *_) -> None:
        if not hasattr(self, "run_button"):
            return
        blocker = self.run_blocker()
        self.run_button.setEnabled(self.task is None and not blocker)
        self.run_button.setToolTip(blocker or "Segment the raster layer with the model")
        if self.task is None and (blocker or self._blocker_shown):
            self.status_label.setText(blocker)  # what to do, or clear what was said before
        self._blocker_shown = bool(blocker)

    # ---- area and output ----------------------------------------------------------------
    def _update_area_widgets(self) -> None:
        self.polygon_combo.setEnabled(self.area_combo.currentData() == "selection")

    def _area(self, layer) -> tuple[tuple[float, float, float, float] | None, object]:
        """(extent, polygon mask) in the raster's CRS; ValueError with a readable reason."""
        mode = self.area_combo.currentData()
        project = QgsProject.instance()
        if mode == "layer":
            return None, None
        if mode == "selection":
            polygons = self.polygon_combo.currentLayer()
            if polygons is None:
                raise ValueError("Pick the polygon layer whose selected polygons to segment.")
            features = list(polygons.selectedFeatures())
            if not features:
                raise ValueError(f"Select at least one polygon in '{polygons.name()}'.")
            mask = polygon_mask(features, polygons.crs(), layer.crs(), project.transformContext())
            if mask is None:
                raise ValueError(f"The selected features of '{polygons.name()}' are empty.")
            return None, mask
        canvas = self.iface.mapCanvas()
        rect = QgsRectangle(canvas.extent())
        source_crs = canvas.mapSettings().destinationCrs()
        if source_crs.isValid() and layer.crs().isValid() and source_crs != layer.crs():
            transform = QgsCoordinateTransform(source_crs, layer.crs(), project)
            rect = transform.transformBoundingBox(rect)
        clipped = rect.intersect(layer.extent())
        if clipped.isEmpty():
            raise ValueError(f"The map view does not overlap '{layer.name()}'.")
        extent = (clipped.xMinimum(), clipped.yMinimum(), clipped.xMaximum(), clipped.yMaximum())
        return extent, None

    def model_to_run(self) -> Path:
        """The selected model, or its INT8 copy when "Fast (INT8)" is ticked and there."""
        int8 = self.model_combo.currentData(INT8_ROLE)
        if int8 and self.int8_check.isChecked():
            return Path(int8)
        return self.current_model_path()

    # ---- running ------------------------------------------------------------------------
    def build_request(self) -> SegmentRequest:
        """Everything the job needs; ValueError with a readable reason if something is off."""
        blocker = self.run_blocker()
        if blocker:
            raise ValueError(blocker)
        layer = self.layer_combo.currentLayer()
        if layer.providerType() != "gdal":
            raise ValueError(
                f"'{layer.name()}' is a {layer.providerType()} layer; the plugin reads files "
                "(GeoTIFF, VRT, JPEG2000 …). Export it to GeoTIFF first."
            )
        model_path = self.model_to_run()
        extent, mask = self._area(layer)
        output, _ = self.output_box.output_path(layer.name(), model_path.stem)
        options = SegmentationOptions(
            **self.option_form.values(), **self.output_box.option_values(),
            bands=self.band_picker.bands(), extent=extent, mask=mask,
        )  # fmt: skip
        user_models = self.user_models_dir()
        return SegmentRequest(
            input=raster_source(layer),
            model=str(model_path),
            output=str(output),
            options=options,
            input_name=layer.name(),
            user_models_dir=str(user_models) if user_models else None,
            **self.output_box.extra_paths(output),
        )

    def confirm_replace(self, path: Path, layer_names: list[str], others: list[Path]) -> bool:
        """Ask before files are replaced (tests replace this method): ``path`` and the
        ``others`` that exist, shown as the layers ``layer_names``."""
        shown = ""
        if layer_names:
            shown = f" It is shown as the layer '{layer_names[0]}', which will be replaced too."
        also = ""
        if others:
            also = f" So do {', '.join(p.name for p in others)}."
        answer = QMessageBox.question(
            self,
            "Replace the file?",
            f"{path.name} already exists in {path.parent}.{also}{shown}\n\nReplace it with "
            "the new result?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def run_segmentation(self) -> JobTask | None:
        if self.task is not None:
            return None
        self.dependencies = check_dependencies()
        self._show_dependencies()
        try:
            request = self.build_request()
        except ValueError as error:
            self._message(str(error), Qgis.MessageLevel.Warning)
            return None
        self._replacing = []
        existing = [path for path in request.output_files().values() if path.exists()]
        if existing:
            project = QgsProject.instance()
            showing = [layer for path in existing for layer in layers_reading(path, project)]
            names = [layer.name() for layer in showing]
            if not self.confirm_replace(existing[0], names, existing[1:]):
                self.status_label.setText("Not run: choose another output file.")
                return None
            request.overwrite = True
            self._replacing = [layer.id() for layer in showing]
        self.save_settings()
        self._input_layer_id = self.layer_combo.currentLayer().id()
        self._clear_result()
        task = JobTask(SegmentJob(request))
        return self.footer.start(task, f"Segmenting {request.input_name}…", self._task_done)

    def cancel_segmentation(self) -> None:
        self.footer.cancel()

    def _task_done(self, outcome) -> None:
        self.last_outcome = outcome
        if outcome.status == "ok":
            result: SegmentJobResult = outcome.result
            self.result_layer_ids = self._add_result_layers(result)
            self.status_label.setText(
                f"Done: {Path(result.output_path).name} ({str(result.engine.device).upper()}, "
                f"{result.engine.seconds:.1f} s)"
            )
            self.status_label.setToolTip(result.output_path)
            self._show_result(result)
            QTimer.singleShot(0, lambda: self.scroll_area.ensureWidgetVisible(self.result_box))
            self._message(result.summary(), Qgis.MessageLevel.Success, duration=8)
            for warning in result.engine.warnings:
                self._message(warning, Qgis.MessageLevel.Warning)
            for detail in result.engine.details:
                QgsMessageLog.logMessage(detail, LOG_TAG, Qgis.MessageLevel.Info)
        elif outcome.status == "cancelled":
            self._message(outcome.message, Qgis.MessageLevel.Info, duration=5)
        else:
            self._message(outcome.message, Qgis.MessageLevel.Critical)

    def _add_result_layers(self, result: SegmentJobResult) -> list[str]:
        """One styled layer per model output, above the input and its earlier results."""
        project = QgsProject.instance()
        if self._replacing:  # the file they showed was just replaced
            project.removeMapLayers(self._replacing)
            self._replacing = []
        source = project.mapLayer(self._input_layer_id)
        base = result_layer_name(result.input_name, result.model_name)
        extras = extra_result_layers(result.engine, base, project)
        confidence = [layer for layer in extras if isinstance(layer, QgsRasterLayer)]
        for layer in confidence:  # below the classes: the class map is what is looked at
            add_result_layer(layer, source, project)
        ids = []
        for table in result.outputs:
            name = result_layer_name(result.input_name, result.model_name, table.title)
            layer = QgsRasterLayer(result.output_path, unique_layer_name(name, project), "gdal")
            if not layer.isValid():
                self._message(f"QGIS cannot open the result {result.output_path}.",
                              Qgis.MessageLevel.Critical)  # fmt: skip
                break
            style_class_layer(layer, table.classes, table.band)
            add_result_layer(layer, source, project)
            ids.append(layer.id())
        polygons = [layer for layer in extras if layer not in confidence]
        for layer in polygons:
            add_result_layer(layer, source, project)
        return ids + [layer.id() for layer in confidence + polygons]

    def _clear_result(self, *_) -> None:
        if hasattr(self, "result_box"):
            self.result_box.setVisible(False)

    def _show_result(self, result: SegmentJobResult) -> None:
        summary = html.escape(result_summary(result.engine))
        also = extra_outputs_text(result.engine)
        if also:
            summary += f"<br>{html.escape(also)}"
        for note in result.engine.notes:
            summary += f"<br><font color='#555'>{html.escape(str(note))}</font>"
        for warning in result.engine.warnings:
            summary += f"<br><font color='#a15c00'>⚠ {html.escape(str(warning))}</font>"
        self.summary_label.setText(summary)
        for table in self.area_tables:
            self.result_layout.removeWidget(table)
            table.deleteLater()
        self.area_tables = []
        for output in result.outputs:
            table = self._area_table(output)
            self.result_layout.addWidget(table)
            self.area_tables.append(table)
        self.result_box.setVisible(True)

    @staticmethod
    def _area_table(output) -> QTableWidget:
        """Class, area and share of one model output (shares of that output sum to 100 %)."""
        table = QTableWidget(len(output.areas), 3)
        first = f"Class — {output.title}" if output.title else "Class"
        table.setHorizontalHeaderLabels([first, "Area", "Share"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, area in enumerate(output.areas):
            name = QTableWidgetItem(swatch_icon(area.color), str(area.name))
            name.setToolTip(str(area.name))
            table.setItem(row, 0, name)
            table.setItem(row, 1, QTableWidgetItem(format_area(area.area_m2)))
            table.setItem(row, 2, QTableWidgetItem(f"{area.percent:.1f} %"))
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        rows_height = sum(table.rowHeight(r) for r in range(len(output.areas)))
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height() + rows_height + 2 * table.frameWidth()
        )
        return table

    def _message(self, text: str, level, duration: int = 0) -> None:
        push_message(self.iface, text, level, duration)

    def shutdown(self) -> None:
        """Stop whatever the panel started before the plugin is unloaded."""
        self.save_settings()
        self.teach.shutdown()
        project = QgsProject.instance()
        for signal in (project.layersAdded, project.layersRemoved):
            try:
                signal.disconnect(self._refresh_layer_filter)
            except TypeError:
                pass
        self.footer.shutdown()


def swatch_icon(color, size: int = 14) -> QIcon:
    """A colour square with a grey border, in the colour the map draws the class."""
    pixmap = QPixmap(size, size)
    pixmap.fill(display_color(color))
    painter = QPainter(pixmap)
    painter.setPen(QColor(110, 110, 110))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)
