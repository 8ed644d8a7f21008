"""Any job of ``engine.jobs`` in a QgsTask: QGIS stays responsive, the GUI is touched only in
``finished()`` (main thread), and every ending is one :class:`JobOutcome`, never a traceback.

A cancelled job ends the task as completed, not failed: QGIS would otherwise report
"Task failed" beside a panel that says "cancelled"; where QGIS still announces a long task's
end, the task's description then says it was cancelled (and from QGIS 3.26 on, the task is
silent: the panel reports the outcome itself). ``done`` carries the outcome.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsMessageLog, QgsTask
from qgis.PyQt.QtCore import pyqtSignal

from ..engine.cancel import CancelToken
from ..engine.jobs import PANEL, Job, JobOutcome, run_job

LOG_TAG = "Aerial Segmentation"


class JobTask(QgsTask):
    """Runs one job; emits ``stage(str)`` while it runs and ``done(JobOutcome)`` at the end,
    both received on the main thread."""

    done = pyqtSignal(object)
    stage = pyqtSignal(str)

    def __init__(self, job: Job, place: str = PANEL):
        silent = getattr(QgsTask.Flag, "Silent", None)  # QGIS 3.26+: no OS notification
        flags = QgsTask.Flag.CanCancel if silent is None else QgsTask.Flag.CanCancel | silent
        super().__init__(job.title, flags)
        self.job = job
        self.place = place
        self.token = CancelToken()
        self.outcome: JobOutcome | None = None  # set by run(), which a cancel may pre-empt
        self._last_message = ""

    def cancel(self) -> None:
        self.token.cancel()
        super().cancel()

    def run(self) -> bool:
        """Worker thread: no widget, layer or project access in here."""
        if self.isCanceled():
            self.token.cancel()
        self.outcome = run_job(self.job, self.place, self._progress, self.token)
        if self.outcome.traceback:  # a bug: the log keeps what the message bar cannot
            QgsMessageLog.logMessage(self.outcome.traceback, LOG_TAG, Qgis.MessageLevel.Critical)
        if self.outcome.status == "cancelled":
            self.setDescription(f"{self.job.title}: cancelled")
        return self.outcome.status != "failed"

    def _progress(self, fraction: float, message: str = "") -> None:
        if self.isCanceled():
            self.token.cancel()
        self.setProgress(max(0.0, min(100.0, 100.0 * float(fraction))))
        if message and message != self._last_message:
            self._last_message = message
            self.stage.emit(message)

    def finished(self, ok: bool) -> None:
        """Main thread: hand the outcome over (QGIS calls this even for a task that never ran)."""
        if self.outcome is None:
            if self.token.cancelled or self.isCanceled():
                self.outcome = JobOutcome("cancelled", self.job.cancelled_message)
            else:
                self.outcome = JobOutcome("failed", "QGIS stopped the task before it ran.")
        self.done.emit(self.outcome)
