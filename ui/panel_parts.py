"""What the panel's tabs share: a footer that runs one job at a time, a missing-packages box,
a scrolling page with the footer pinned below, and messages said once (bar and log)."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsApplication, QgsMessageLog
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QGuiApplication
from qgis.PyQt.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..qgis_common.job_task import LOG_TAG, JobTask


class JobFooter(QWidget):
    """Run, Cancel, a progress bar and a status line; runs one :class:`JobTask` at a time.

    ``start`` wires the task's progress, stage and end to the footer and queues it in QGIS'
    task manager; ``on_done`` receives the outcome on the main thread, after the footer has
    returned to its idle state.
    """

    def __init__(self, run_text: str, parent=None):
        super().__init__(parent)
        self.task: JobTask | None = None
        layout = QVBoxLayout(self)
        self.buttons = QHBoxLayout()
        self.run_button = QPushButton(run_text)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.addWidget(self.run_button)
        self.buttons.addWidget(self.cancel_button)
        self.buttons.addStretch(1)
        layout.addLayout(self.buttons)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        # Long file names wrap or are cut, never widen the panel.
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status_label.setMinimumWidth(1)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        self._on_done: Callable | None = None
        self._on_idle: Callable[[], None] = lambda: None

    def set_idle_callback(self, callback: Callable[[], None]) -> None:
        """Called when no task runs any more (the owner re-enables Run if it may)."""
        self._on_idle = callback

    def start(self, task: JobTask, status: str, on_done: Callable) -> JobTask:
        task.progressChanged.connect(lambda value: self.progress_bar.setValue(int(value)))
        task.stage.connect(self.status_label.setText)
        task.done.connect(self._finished)
        self.task = task
        self._on_done = on_done
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress_bar.setValue(0)
        self.status_label.setText(status)
        QgsApplication.taskManager().addTask(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.status_label.setText("Cancelling…")
            self.task.cancel()

    def _finished(self, outcome) -> None:
        self.task = None
        self.cancel_button.setEnabled(False)
        self.progress_bar.setValue(100 if outcome.status == "ok" else 0)
        if outcome.status != "ok":
            self.status_label.setText(outcome.message)
        self._on_idle()
        if self._on_done is not None:
            self._on_done(outcome)

    def shutdown(self) -> None:
        """Stop the running task without reporting back (the panel is going away)."""
        if self.task is not None:
            try:
                self.task.done.disconnect(self._finished)
            except TypeError:
                pass
            self.task.cancel()
            self.task = None


class DependencyBox(QGroupBox):
    """What is missing, the command that installs it, and a button that copies it."""

    def __init__(self, title: str, parent=None):
        super().__init__(title, parent)
        self.command = ""
        layout = QVBoxLayout(self)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy install command")
        self.copy_button.clicked.connect(self.copy_command)
        layout.addWidget(self.label)
        layout.addWidget(self.copy_button)

    def show_report(self, report) -> None:
        """A ``DependencyReport``: hidden when nothing is missing."""
        self.command = report.install_command
        self.setVisible(not report.ok)
        self.label.setText(report.message())
        self.copy_button.setVisible(bool(report.install_command))

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command)


def scrolling_page(body: QWidget, footer: QWidget) -> tuple[QWidget, QScrollArea]:
    """``body`` scrolls vertically (never sideways); ``footer`` stays in view below it."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.setSpacing(0)
    outer.addWidget(scroll, 1)
    outer.addWidget(footer)
    return page, scroll


def form_in(box: QGroupBox) -> QFormLayout:
    """A form whose fields take the width and whose long rows wrap (narrow docks)."""
    form = QFormLayout(box)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def push_message(iface, text: str, level, duration: int = 0) -> None:
    """The message bar and the log, once each."""
    QgsMessageLog.logMessage(text, LOG_TAG, level)
    bar = iface.messageBar() if iface is not None else None
    if bar is not None:
        bar.pushMessage(LOG_TAG, text, level=level, duration=duration)
