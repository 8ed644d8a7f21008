"""The engine's ``segment()`` in a QgsTask: QGIS stays responsive, the GUI is touched only in
``finished()`` (main thread), and a failure becomes a message, never a traceback dialog.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsProject, QgsRasterLayer, QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from .area_mask import (
    MaskCancelled,
    discard,
    mask_outside_polygons,
    move_into_place,
    recount_result,
)
from .styling import add_layer_above, result_layer_name, style_class_layer

LOG_TAG = "Aerial Segmentation"


@dataclass(frozen=True)
class SegmentationRequest:
    """Everything the worker needs, captured on the main thread (no layer objects inside)."""

    input_path: str
    input_layer_id: str
    input_name: str
    model_path: Path
    model_name: str
    output_path: Path
    device: str = "auto"
    overlap_pct: float | None = None
    batch_size: int = 4
    extent: tuple[float, float, float, float] | None = None
    # Polygons (WKT, raster CRS): pixels outside them become no data.
    mask_polygons: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What the panel shows once the task is over."""

    status: str  # "ok" | "cancelled" | "failed"
    message: str = ""
    layer_id: str | None = None
    result: object = None  # engine.results.SegmentationResult
    warnings: list[str] = field(default_factory=list)


class SegmentationTask(QgsTask):
    """Runs one segmentation; emits ``done(Outcome)`` and ``stage(str)`` on the main thread."""

    done = pyqtSignal(object)
    stage = pyqtSignal(str)

    def __init__(self, request: SegmentationRequest, project: QgsProject | None = None):
        super().__init__(f"Segmenting {request.input_name}", QgsTask.CanCancel)
        self.request = request
        self.project = project or QgsProject.instance()
        self.result = None
        self.metadata = None
        self.error: str | None = None
        self.was_cancelled = False
        self._token = None
        self._last_message = ""

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()
        super().cancel()

    def run(self) -> bool:
        """Worker thread: no widget, layer or project access in here."""
        try:
            from ..engine.cancel import CancelToken
            from ..engine.errors import Cancelled, EngineError
            from ..engine.model_file import load_model
            from ..engine.pipeline import SegmentationOptions, segment
        except Exception as error:  # onnxruntime or numpy missing/broken
            self.error = f"The segmentation engine cannot start: {error}"
            return False

        self._token = CancelToken()
        if self.isCanceled():
            self._token.cancel()
        request = self.request
        try:
            model = load_model(str(request.model_path), device=request.device)
            self.metadata = model.metadata
            options = SegmentationOptions(
                device=request.device,
                overlap_pct=request.overlap_pct,
                batch_size=request.batch_size,
                extent=request.extent,
            )
            final = Path(request.output_path)
            # With a polygon mask the engine's output is finished only once masked.
            written = final.with_name(f"{final.stem}.unmasked{final.suffix}")
            if not request.mask_polygons:
                written = final
            self.result = segment(
                request.input_path,
                model,
                str(written),
                options,
                progress=self._progress,
                cancel=self._token,
            )
            if request.mask_polygons:
                self._mask(written, final)
            return True
        except (Cancelled, MaskCancelled):
            self.was_cancelled = True
            return False
        except EngineError as error:
            self.error = str(error)
            return False
        except MemoryError:
            self.error = "Out of memory: lower the batch size or segment a smaller area."
            return False
        except Exception as error:
            # A bug, not a user error: keep the traceback for the log, show one line.
            QgsMessageLog.logMessage(traceback.format_exc(), LOG_TAG, Qgis.Critical)
            self.error = f"Unexpected error ({type(error).__name__}: {error}). See the log."
            return False

    def _mask(self, written: Path, final: Path) -> None:
        self.stage.emit("Masking outside the selected polygons")
        try:
            counts = mask_outside_polygons(
                str(written), list(self.request.mask_polygons), lambda: self._token.cancelled
            )
            recount_result(self.result, counts)
            move_into_place(written, final)
        except BaseException:
            discard(written)
            raise
        self.result.output_path = str(final)

    def _progress(self, fraction: float, message: str = "") -> None:
        if self.isCanceled() and self._token is not None:
            self._token.cancel()
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if message and message != self._last_message:
            self._last_message = message
            self.stage.emit(message)

    def finished(self, ok: bool) -> None:
        """Main thread: add the styled layer, or report why there is none."""
        try:
            outcome = self._outcome(ok)
        except Exception as error:  # never let an exception escape into QGIS' task manager
            QgsMessageLog.logMessage(traceback.format_exc(), LOG_TAG, Qgis.Critical)
            outcome = Outcome("failed", f"Could not add the result layer: {error}")
        level = {"ok": Qgis.Info, "cancelled": Qgis.Info}.get(outcome.status, Qgis.Critical)
        QgsMessageLog.logMessage(outcome.message, LOG_TAG, level)
        self.done.emit(outcome)

    def _outcome(self, ok: bool) -> Outcome:
        request = self.request
        if not ok:
            if self.was_cancelled or (self.isCanceled() and not self.error):
                return Outcome("cancelled", f"Segmentation of {request.input_name} cancelled.")
            return Outcome("failed", self.error or "Segmentation failed.")
        name = result_layer_name(request.input_name, request.model_name)
        layer = QgsRasterLayer(str(self.result.output_path), name, "gdal")
        if not layer.isValid():
            return Outcome("failed", f"QGIS cannot open the result {self.result.output_path}.")
        style_class_layer(layer, self.metadata)
        add_layer_above(layer, self.project.mapLayer(request.input_layer_id), self.project)
        seconds = float(getattr(self.result, "seconds", 0.0))
        message = (
            f"{name}: segmented on {str(self.result.device).upper()} in {seconds:.1f} s "
            f"→ {self.result.output_path}"
        )
        warnings = list(getattr(self.result, "warnings", []) or [])
        return Outcome("ok", message, layer.id(), self.result, warnings)
