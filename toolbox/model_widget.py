"""The MODEL parameter's widget in the Processing dialogs: pick a bundled (or your own) model
from a list, type a name, or browse to a model file. The value stays a name or a path, so
batch mode, the model builder and qgis_process take the same values."""

from __future__ import annotations

from pathlib import Path

from processing.gui.wrappers import DIALOG_BATCH, WidgetWrapper
from qgis.core import QgsSettings
from qgis.PyQt.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QToolButton, QWidget

from ..engine.jobs.model_catalog import list_models
from .plugin_algorithm import MODEL_FILE_FILTER, USER_MODELS_SETTING

BROWSE_SETTING = "aerial_segmentation/last_model_folder"


def known_models() -> list[tuple[str, str]]:
    """(shown text, value) of every bundled model and the analyst's own."""
    folder = QgsSettings().value(USER_MODELS_SETTING, "", type=str)
    entries = list_models(Path(folder) if folder else None)
    return [(e.name if e.origin == "bundled" else f"{e.name} (my models)", e.name) for e in entries]


class ModelWidgetWrapper(WidgetWrapper):
    """An editable list of the known models, with a browse button outside batch mode."""

    def createWidget(self):  # noqa: N802 - Processing API name
        self.combo = QComboBox()
        self.combo.setEditable(True)
        for text, value in known_models():
            self.combo.addItem(text, value)
        if self.dialogType == DIALOG_BATCH:
            return self.combo
        widget = QWidget()
        layout = QHBoxLayout(widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Browse to a model file")
        browse.clicked.connect(self.browse)
        layout.addWidget(browse)
        return widget

    def browse(self) -> None:
        start = QgsSettings().value(BROWSE_SETTING, str(Path.home()), type=str)
        path, _ = QFileDialog.getOpenFileName(None, "Segmentation model", start, MODEL_FILE_FILTER)
        if path:
            QgsSettings().setValue(BROWSE_SETTING, str(Path(path).parent))
            self.setValue(path)

    def setValue(self, value):  # noqa: N802 - Processing API name
        text = "" if value is None else str(value)
        index = self.combo.findData(text)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setEditText(text)

    def value(self):
        index = self.combo.findText(self.combo.currentText())
        if index >= 0 and self.combo.itemData(index):
            return self.combo.itemData(index)
        return self.combo.currentText().strip()
