"""Which raster band feeds each model input: one small list per input, defaulting to the
model's own bands. A raster that lacks them (a 1-band image for an RGB model) starts
unassigned, and the panel says what to choose instead of failing at Run."""

from __future__ import annotations

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox, QGridLayout, QWidget

from .option_form import narrow_combo

UNSET = 0
PER_ROW = 3


class BandPicker(QWidget):
    changed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.combos: list[QComboBox] = []
        self.model_bands: tuple[int, ...] = (1, 2, 3)
        self.band_labels: list[str] = []

    def set_model_bands(self, bands: tuple[int, ...]) -> None:
        """The model's inputs and their default raster bands (from its metadata)."""
        self.model_bands = tuple(bands)
        self._rebuild()

    def set_raster_bands(self, labels: list[str]) -> None:
        """The raster's bands as QGIS names them ("Band 1: Red")."""
        self.band_labels = list(labels)
        self._rebuild()

    def _rebuild(self) -> None:
        for combo in self.combos:
            combo.deleteLater()
        self.combos = []
        for k, default in enumerate(self.model_bands):
            combo = narrow_combo(QComboBox(), 1)
            combo.addItem("—", UNSET)
            for number, label in enumerate(self.band_labels, start=1):
                combo.addItem(str(number), number)
                combo.setItemData(combo.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
            combo.setToolTip(f"The raster band fed to the model's input {k + 1}")
            index = combo.findData(default)
            combo.setCurrentIndex(index if index > 0 else 0)
            combo.currentIndexChanged.connect(self.changed)
            self.grid.addWidget(combo, k // PER_ROW, k % PER_ROW)
            self.combos.append(combo)
        self.changed.emit()

    def chosen(self) -> tuple[int, ...]:
        return tuple(int(combo.currentData()) for combo in self.combos)

    def set_chosen(self, bands: tuple[int, ...]) -> None:
        for combo, band in zip(self.combos, bands):
            index = combo.findData(band)
            if index >= 0:
                combo.setCurrentIndex(index)

    def bands(self) -> tuple[int, ...] | None:
        """The mapping for the engine; None when it is the model's own."""
        chosen = self.chosen()
        return None if chosen == self.model_bands else chosen

    def problem(self) -> str:
        """Why these bands cannot run, in the panel's words ("" when they can)."""
        if not self.band_labels or UNSET not in self.chosen():
            return ""
        count = len(self.band_labels)
        inputs = len(self.model_bands)
        return (
            f"The raster has {count} band{'s' if count > 1 else ''} and the model reads "
            f"{inputs}: choose a raster band for each model input under 'Bands'."
        )
