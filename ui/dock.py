"""The dock panel the analyst works in: pick a raster and a model, run, see the classes."""

from __future__ import annotations

import html
import re
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapLayerProxyModel,
    QgsProcessingUtils,
    QgsProject,
    QgsRectangle,
    QgsSettings,
)
from qgis.gui import QgsDockWidget, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import model_catalog
from .dependencies import check_dependencies, detect_devices, diagnostics_text
from .task import LOG_TAG, SegmentationRequest, SegmentationTask

SETTINGS_PREFIX = "aerial_segmentation/"
DEVICES = (("auto", "Auto (CUDA if it works, else CPU)"), ("cpu", "CPU"), ("cuda", "CUDA (GPU)"))
AREAS = (
    ("layer", "Whole layer"),
    ("canvas", "Current map view extent"),
    ("selection", "Selected features of a polygon layer"),
)
# Raster providers whose "source" is not a file GDAL can stream.
REMOTE_RASTER_PROVIDERS = ["wms", "wcs", "arcgismapserver", "postgresraster"]


class SegmentationDock(QgsDockWidget):
    """Thin over the engine: gathers a SegmentationRequest and hands it to a QgsTask."""

    runFinished = pyqtSignal(object)  # noqa: N815 - Qt signal naming; emits ui.task.Outcome

    def __init__(self, iface, parent=None, bundled_models_dir: Path | None = None):
        super().__init__("Aerial Segmentation", parent)
        self.iface = iface
        self.bundled_models_dir = bundled_models_dir or model_catalog.BUNDLED_MODELS_DIR
        self.settings = QgsSettings()
        self.task: SegmentationTask | None = None
        self.last_outcome = None
        self._metadata_cache: dict[tuple[str, int], object] = {}
        self._devices: dict | None = None
        self._build()
        self.dependencies = check_dependencies()
        self._show_dependencies()
        self._restore_settings()
        self.refresh_models()
        self._update_area_widgets()
        self._update_output_widgets()

    # ---- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)

        self.dependency_box = QGroupBox("Missing dependencies")
        self.dependency_box.setObjectName("dependencyBox")
        dep_layout = QVBoxLayout(self.dependency_box)
        self.dependency_label = QLabel()
        self.dependency_label.setWordWrap(True)
        self.dependency_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.copy_command_button = QPushButton("Copy install command")
        self.copy_command_button.clicked.connect(self.copy_install_command)
        dep_layout.addWidget(self.dependency_label)
        dep_layout.addWidget(self.copy_command_button)
        layout.addWidget(self.dependency_box)

        inputs = QGroupBox("Input")
        form = QFormLayout(inputs)
        self.layer_combo = QgsMapLayerComboBox()
        self.layer_combo.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.layer_combo.setExcludedProviders(REMOTE_RASTER_PROVIDERS)
        self.layer_combo.setAllowEmptyLayer(False)
        form.addRow("Raster layer", self.layer_combo)
        layout.addWidget(inputs)

        model_box = QGroupBox("Model")
        model_layout = QVBoxLayout(model_box)
        self.model_combo = QComboBox()
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        buttons = QHBoxLayout()
        self.browse_button = QPushButton("Browse .onnx…")
        self.browse_button.clicked.connect(self._browse_model)
        self.folder_button = QPushButton("My models folder…")
        self.folder_button.clicked.connect(self._choose_user_folder)
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.folder_button)
        self.model_card = QLabel()
        self.model_card.setObjectName("modelCard")
        self.model_card.setWordWrap(True)
        self.model_card.setTextFormat(Qt.RichText)
        model_layout.addWidget(self.model_combo)
        model_layout.addLayout(buttons)
        model_layout.addWidget(self.model_card)
        layout.addWidget(model_box)

        options = QGroupBox("Options")
        form = QFormLayout(options)
        self.device_combo = QComboBox()
        for key, label in DEVICES:
            self.device_combo.addItem(label, key)
        self.device_label = QLabel("Detecting…")
        self.device_label.setWordWrap(True)
        self.overlap_spin = QSpinBox()
        self.overlap_spin.setRange(-1, 50)
        self.overlap_spin.setSuffix(" %")
        self.overlap_spin.setSpecialValueText("Model default")
        self.overlap_spin.setToolTip("Overlap between tiles in percent: smoother seams, slower")
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 256)
        self.batch_spin.setToolTip("Tiles per model call; lower it if memory runs out")
        form.addRow("Device", self.device_combo)
        form.addRow("", self.device_label)
        form.addRow("Tile overlap", self.overlap_spin)
        form.addRow("Batch size", self.batch_spin)
        layout.addWidget(options)

        area = QGroupBox("Area")
        form = QFormLayout(area)
        self.area_combo = QComboBox()
        for key, label in AREAS:
            self.area_combo.addItem(label, key)
        self.area_combo.currentIndexChanged.connect(self._update_area_widgets)
        self.polygon_combo = QgsMapLayerComboBox()
        self.polygon_combo.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        form.addRow("Segment", self.area_combo)
        form.addRow("Polygons", self.polygon_combo)
        layout.addWidget(area)

        output = QGroupBox("Output")
        out_layout = QVBoxLayout(output)
        self.temporary_radio = QRadioButton("Temporary file")
        self.file_radio = QRadioButton("Save to GeoTIFF")
        self.temporary_radio.setChecked(True)
        self.file_radio.toggled.connect(self._update_output_widgets)
        self.output_widget = QgsFileWidget()
        self.output_widget.setStorageMode(QgsFileWidget.SaveFile)
        self.output_widget.setFilter("GeoTIFF (*.tif *.tiff)")
        row = QHBoxLayout()
        row.addWidget(self.temporary_radio)
        row.addWidget(self.file_radio)
        out_layout.addLayout(row)
        out_layout.addWidget(self.output_widget)
        layout.addWidget(output)

        run_row = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run_segmentation)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_segmentation)
        self.diagnostics_button = QPushButton("Diagnostics")
        self.diagnostics_button.setToolTip(
            "Copy versions, execution providers and GPU detection to the clipboard"
        )
        self.diagnostics_button.clicked.connect(self.copy_diagnostics)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addStretch(1)
        run_row.addWidget(self.diagnostics_button)
        layout.addLayout(run_row)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)

        self.result_box = QGroupBox("Result")
        result_layout = QVBoxLayout(self.result_box)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.area_table = QTableWidget(0, 3)
        self.area_table.setHorizontalHeaderLabels(["Class", "Area", "Share"])
        self.area_table.verticalHeader().setVisible(False)
        self.area_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.area_table.setEditTriggers(QTableWidget.NoEditTriggers)
        result_layout.addWidget(self.summary_label)
        result_layout.addWidget(self.area_table)
        self.result_box.setVisible(False)
        layout.addWidget(self.result_box)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)

    # ---- settings -----------------------------------------------------------------------
    def _setting(self, key: str, default, kind=str):
        return self.settings.value(SETTINGS_PREFIX + key, default, type=kind)

    def _restore_settings(self) -> None:
        self._select_data(self.device_combo, self._setting("device", "auto"))
        self.overlap_spin.setValue(self._setting("overlap", -1, int))
        self.batch_spin.setValue(self._setting("batch_size", 4, int))
        self._select_data(self.area_combo, self._setting("area", "layer"))
        to_file = self._setting("output_to_file", False, bool)
        self.file_radio.setChecked(to_file)
        self.temporary_radio.setChecked(not to_file)
        self.output_widget.setFilePath(self._setting("output_path", ""))

    def save_settings(self) -> None:
        self.settings.setValue(SETTINGS_PREFIX + "device", self.device_combo.currentData())
        self.settings.setValue(SETTINGS_PREFIX + "overlap", self.overlap_spin.value())
        self.settings.setValue(SETTINGS_PREFIX + "batch_size", self.batch_spin.value())
        self.settings.setValue(SETTINGS_PREFIX + "area", self.area_combo.currentData())
        self.settings.setValue(SETTINGS_PREFIX + "output_to_file", self.file_radio.isChecked())
        self.settings.setValue(SETTINGS_PREFIX + "output_path", self.output_widget.filePath())
        model = self.current_model_path()
        self.settings.setValue(SETTINGS_PREFIX + "model", str(model) if model else "")

    @staticmethod
    def _select_data(combo: QComboBox, value) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

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
            self.model_combo.setItemData(last, str(entry.path), Qt.ToolTipRole)
        self.model_combo.blockSignals(False)
        if wanted and Path(wanted).is_file() and self.model_combo.findData(str(wanted)) < 0:
            self.set_model_path(Path(wanted))
        else:
            self._select_data(self.model_combo, str(wanted))
            self._model_changed()

    def set_model_path(self, path: Path) -> None:
        """Select a model file (adding it to the list if it is not there)."""
        path = Path(path)
        index = self.model_combo.findData(str(path))
        if index < 0:
            self.model_combo.addItem(f"{path.stem} (file)", str(path))
            index = self.model_combo.count() - 1
        self.model_combo.setCurrentIndex(index)
        self._model_changed()

    def current_model_path(self) -> Path | None:
        data = self.model_combo.currentData() if hasattr(self, "model_combo") else None
        return Path(data) if data else None

    def _browse_model(self) -> None:
        start = str(self.current_model_path().parent) if self.current_model_path() else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Segmentation model", start, "ONNX models (*.onnx);;Checkpoints (*.pt *.pth)"
        )
        if path:
            self.set_model_path(Path(path))

    def _choose_user_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with your models")
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
        if path is None:
            self.model_card.setText(
                "<i>No model found. Put .onnx models in your models folder or browse to one.</i>"
            )
            return
        try:
            metadata = self.model_metadata(path)
        except Exception as error:  # engine missing, unreadable file, bad metadata
            self.model_card.setText(f"<b>Cannot read this model:</b> {html.escape(str(error))}")
            return
        self.model_card.setText(model_card_html(metadata, path))
        self.model_card.setToolTip(str(getattr(metadata, "training_data", "") or ""))
        default = metadata.tile_overlap_pct
        self.overlap_spin.setSpecialValueText(f"Model default ({default:g} %)")

    # ---- dependencies and diagnostics ---------------------------------------------------
    def _show_dependencies(self) -> None:
        report = self.dependencies
        self.dependency_box.setVisible(not report.ok)
        self.dependency_label.setText(report.message())
        self.copy_command_button.setVisible(bool(report.install_command))
        self.run_button.setEnabled(report.ok)
        if report.ok:
            if self._devices is not None:
                self.device_label.setText(describe_devices(self._devices))
        else:
            self.device_label.setText("Unknown until the missing packages are installed.")

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
        QGuiApplication.clipboard().setText(self.dependencies.install_command)

    def copy_diagnostics(self) -> str:
        text = diagnostics_text(self.dependencies)
        QGuiApplication.clipboard().setText(text)
        self._message("Diagnostics copied to the clipboard.", Qgis.Info, duration=3)
        return text

    # ---- area and output ----------------------------------------------------------------
    def _update_area_widgets(self) -> None:
        self.polygon_combo.setEnabled(self.area_combo.currentData() == "selection")

    def _update_output_widgets(self) -> None:
        self.output_widget.setEnabled(self.file_radio.isChecked())

    def _mask_polygons(self, layer) -> tuple[str, ...]:
        """The selected polygons as WKT in the raster's CRS (empty unless that area is chosen)."""
        if self.area_combo.currentData() != "selection":
            return ()
        polygons = self.polygon_combo.currentLayer()
        if polygons is None:
            return ()
        transform = None
        if polygons.crs() != layer.crs():
            transform = QgsCoordinateTransform(polygons.crs(), layer.crs(), QgsProject.instance())
        shapes = []
        for feature in polygons.selectedFeatures():
            geometry = QgsGeometry(feature.geometry())
            if geometry.isEmpty():
                continue
            if transform is not None:
                geometry.transform(transform)
            shapes.append(geometry.asWkt())
        return tuple(shapes)

    def _extent(self, layer) -> tuple[float, float, float, float] | None:
        """The area to segment in the raster's CRS; ValueError with a readable reason."""
        mode = self.area_combo.currentData()
        if mode == "layer":
            return None
        project = QgsProject.instance()
        if mode == "canvas":
            canvas = self.iface.mapCanvas()
            rect = canvas.extent()
            source_crs = canvas.mapSettings().destinationCrs()
            what = "The map view"
        else:
            polygons = self.polygon_combo.currentLayer()
            if polygons is None:
                raise ValueError("Pick the polygon layer whose selected features to segment.")
            features = list(polygons.selectedFeatures())
            if not features:
                raise ValueError(f"Select at least one feature in '{polygons.name()}'.")
            rect = QgsRectangle()
            rect.setMinimal()
            for feature in features:
                rect.combineExtentWith(feature.geometry().boundingBox())
            source_crs = polygons.crs()
            what = "The selected features"
        if source_crs.isValid() and layer.crs().isValid() and source_crs != layer.crs():
            transform = QgsCoordinateTransform(source_crs, layer.crs(), project)
            rect = transform.transformBoundingBox(rect)
        clipped = rect.intersect(layer.extent())
        if clipped.isEmpty():
            raise ValueError(f"{what} does not overlap '{layer.name()}'.")
        return (clipped.xMinimum(), clipped.yMinimum(), clipped.xMaximum(), clipped.yMaximum())

    def _output_path(self, input_name: str, model_name: str) -> Path:
        if self.file_radio.isChecked():
            text = self.output_widget.filePath().strip()
            if not text:
                raise ValueError("Choose where to save the result, or pick 'Temporary file'.")
            path = Path(text)
            if path.suffix.lower() not in (".tif", ".tiff"):
                path = path.with_suffix(".tif")
            if not path.parent.is_dir():
                raise ValueError(f"The folder {path.parent} does not exist.")
            return path
        safe = re.sub(r"[^\w.-]+", "_", f"{input_name}_{model_name}").strip("_") or "classes"
        return Path(QgsProcessingUtils.generateTempFilename(f"{safe}.tif"))

    # ---- running ------------------------------------------------------------------------
    def build_request(self) -> SegmentationRequest:
        """Everything the task needs; ValueError with a readable reason if something is off."""
        layer = self.layer_combo.currentLayer()
        if layer is None:
            raise ValueError("Pick a raster layer to segment.")
        if layer.providerType() != "gdal":
            raise ValueError(
                f"'{layer.name()}' is a {layer.providerType()} layer; the plugin reads files "
                "(GeoTIFF, VRT, JPEG2000 …). Export it to GeoTIFF first."
            )
        model_path = self.current_model_path()
        if model_path is None or not model_path.is_file():
            raise ValueError("Pick a model (or browse to an .onnx file).")
        overlap = self.overlap_spin.value()
        return SegmentationRequest(
            input_path=layer.source(),
            input_layer_id=layer.id(),
            input_name=layer.name(),
            model_path=model_path,
            model_name=model_path.stem,
            output_path=self._output_path(layer.name(), model_path.stem),
            device=self.device_combo.currentData(),
            overlap_pct=None if overlap < 0 else float(overlap),
            batch_size=self.batch_spin.value(),
            extent=self._extent(layer),
            mask_polygons=self._mask_polygons(layer),
        )

    def run_segmentation(self) -> SegmentationTask | None:
        if self.task is not None:
            return None
        self.dependencies = check_dependencies()
        self._show_dependencies()
        if not self.dependencies.ok:
            self._message(self.dependencies.message().splitlines()[0], Qgis.Critical)
            return None
        try:
            request = self.build_request()
        except ValueError as error:
            self._message(str(error), Qgis.Warning)
            return None
        self.save_settings()
        task = SegmentationTask(request)
        task.progressChanged.connect(lambda value: self.progress_bar.setValue(int(value)))
        task.stage.connect(self.status_label.setText)
        task.done.connect(self._task_done)
        self.task = task
        self._set_running(True)
        self.status_label.setText(f"Segmenting {request.input_name} with {request.model_name}…")
        from qgis.core import QgsApplication

        QgsApplication.taskManager().addTask(task)
        return task

    def cancel_segmentation(self) -> None:
        if self.task is not None:
            self.status_label.setText("Cancelling…")
            self.task.cancel()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self.dependencies.ok)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress_bar.setValue(0)
            self.result_box.setVisible(False)

    def _task_done(self, outcome) -> None:
        self.task = None
        self.last_outcome = outcome
        self._set_running(False)
        if outcome.status == "ok":
            self.progress_bar.setValue(100)
            self.status_label.setText(outcome.message)
            self._show_result(outcome.result)
            self._message(outcome.message, Qgis.Success, duration=8)
            for warning in outcome.warnings:
                self._message(warning, Qgis.Warning)
        elif outcome.status == "cancelled":
            self.progress_bar.setValue(0)
            self.status_label.setText(outcome.message)
            self._message(outcome.message, Qgis.Info, duration=5)
        else:
            self.progress_bar.setValue(0)
            self.status_label.setText(outcome.message)
            self._message(outcome.message, Qgis.Critical)
        self.runFinished.emit(outcome)

    def _show_result(self, result) -> None:
        summary = html.escape(result_summary(result))
        for warning in getattr(result, "warnings", []) or []:
            summary += f"<br><font color='#a15c00'>⚠ {html.escape(str(warning))}</font>"
        self.summary_label.setText(summary)
        areas = list(getattr(result, "class_areas", []) or [])
        self.area_table.setRowCount(len(areas))
        for row, area in enumerate(areas):
            name = QTableWidgetItem(swatch_icon(area.color), str(area.name))
            self.area_table.setItem(row, 0, name)
            self.area_table.setItem(row, 1, QTableWidgetItem(format_area(area.area_m2)))
            self.area_table.setItem(row, 2, QTableWidgetItem(f"{area.percent:.1f} %"))
        self.area_table.resizeColumnsToContents()
        self.area_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        rows_height = sum(self.area_table.rowHeight(r) for r in range(len(areas)))
        frame = 2 * self.area_table.frameWidth()
        self.area_table.setFixedHeight(
            self.area_table.horizontalHeader().sizeHint().height() + rows_height + frame
        )
        self.result_box.setVisible(True)

    def _message(self, text: str, level, duration: int = 0) -> None:
        from qgis.core import QgsMessageLog

        QgsMessageLog.logMessage(text, LOG_TAG, level)
        bar = self.iface.messageBar() if self.iface is not None else None
        if bar is not None:
            bar.pushMessage(LOG_TAG, text, level=level, duration=duration)

    def shutdown(self) -> None:
        """Stop whatever the panel started before the plugin is unloaded."""
        self.save_settings()
        if self.task is not None:
            try:
                self.task.done.disconnect(self._task_done)
            except TypeError:
                pass
            self.task.cancel()
            self.task = None


def describe_devices(devices: dict) -> str:
    """Plain words on what the engine found, from ``engine.backends.available_devices()``."""
    if "error" in devices:
        return f"Device detection failed: {devices['error']}"
    providers = [
        str(p).replace("ExecutionProvider", "") for p in devices.get("onnxruntime_providers", [])
    ]
    if devices.get("onnxruntime_cuda"):
        first = "CUDA GPU found: Auto runs on the GPU."
    elif devices.get("torch_cuda"):
        first = (
            "CUDA works in torch only: install onnxruntime-gpu to run ONNX models on the GPU; "
            "Auto runs on the CPU."
        )
    else:
        first = "No CUDA GPU found: Auto runs on the CPU."
    details = []
    if devices.get("onnxruntime"):
        details.append(f"ONNX Runtime {devices['onnxruntime']} ({', '.join(providers) or '-'})")
    if devices.get("torch"):
        details.append(f"torch {devices['torch']}")
    return first + (f" {'; '.join(details)}." if details else "")


def swatch_icon(color, size: int = 14) -> QIcon:
    """A colour square with a grey border: white and pale classes stay visible."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*color[:3]))
    painter = QPainter(pixmap)
    painter.setPen(QColor(110, 110, 110))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)


def format_area(square_metres: float | None) -> str:
    if square_metres is None:
        return "–"
    if square_metres >= 10_000:
        return f"{square_metres / 10_000:,.2f} ha"
    return f"{square_metres:,.0f} m²"


def result_summary(result) -> str:
    seconds = float(getattr(result, "seconds", 0.0))
    tiles = getattr(result, "tiles_processed", None)
    parts = [f"Device: {str(result.device).upper()} ({getattr(result, 'backend', '')})"]
    parts.append(f"time: {seconds:.1f} s")
    if tiles is not None:
        parts.append(f"tiles: {tiles}")
    return ", ".join(parts)


def model_card_html(metadata, path: Path) -> str:
    """Classes with colour swatches, GSD, tile size and training data, from the model file."""
    # A bordered one-cell table per swatch, so that white or pale classes stay visible.
    rows = "".join(
        '<tr><td><table border="1" cellspacing="0" cellpadding="0" style="border-color:#777">'
        f'<tr><td bgcolor="#{c.color[0]:02x}{c.color[1]:02x}{c.color[2]:02x}" width="14">'
        f"&nbsp;</td></tr></table></td><td>&nbsp;{html.escape(str(c.name))}</td></tr>"
        for c in metadata.classes
    )
    facts = []
    if metadata.resolution_cm:
        facts.append(f"GSD {metadata.resolution_cm:g} cm/px")
    if metadata.tile_size:
        facts.append(f"tiles {metadata.tile_size} px")
    facts.append(f"overlap {metadata.tile_overlap_pct:g} %")
    if getattr(metadata, "architecture", None):
        facts.append(html.escape(str(metadata.architecture)))
    text = f"<b>{html.escape(path.stem)}</b>"
    version = str(getattr(metadata, "version", "") or "")
    if version:
        text += f" {'v' if version[:1].isdigit() else ''}{html.escape(version)}"
    text += f"<br>{' · '.join(facts)}"
    training = str(getattr(metadata, "training_data", "") or "")
    if training:
        short = training if len(training) <= 160 else training[:157].rstrip() + "…"
        text += f"<br>Trained on: {html.escape(short)}"
    if getattr(metadata, "description", ""):
        text += f"<br><i>{html.escape(str(metadata.description))}</i>"
    if rows:
        text += f'<table cellspacing="2">{rows}</table>'
    else:
        text += "<br>No class names in the model file: classes are numbered from its outputs."
    if getattr(metadata, "missing", ()):
        text += (
            "<br><small>Not in the model file (defaults used): "
            f"{html.escape(', '.join(metadata.missing))}</small>"
        )
    return text
