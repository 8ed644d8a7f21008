"""The panel's Output section: where the class GeoTIFF goes, and what is written beside it
(confidence raster, polygons, statistics; their options come from the options specs)."""

from __future__ import annotations

import re
from pathlib import Path

from qgis.core import QgsProcessingUtils, QgsSettings
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QRadioButton, QVBoxLayout

from ..engine.jobs.segment import OUTPUT_FORMATS, REQUEST_SPECS
from ..engine.options import SegmentationOptions
from .option_form import OptionForm

# The files beside the class GeoTIFF: <stem><suffix>, in its folder; the panel's words.
EXTRA_SUFFIXES = {
    "confidence": "_confidence.tif",
    "polygons": "_polygons.gpkg",
    "stats": "_stats.csv",
}
EXTRA_LABELS = {
    "confidence": "Confidence raster",
    "polygons": "Polygons (GeoPackage)",
    "stats": "Statistics (CSV)",
}


class OutputBox(QGroupBox):
    """A temporary file or a chosen GeoTIFF, and the outputs written beside it."""

    def __init__(self, parent=None):
        super().__init__("Output", parent)
        layout = QVBoxLayout(self)
        self.temporary_radio = QRadioButton("Temporary file")
        self.file_radio = QRadioButton("Save to GeoTIFF:")
        self.temporary_radio.setChecked(True)
        self.file_radio.toggled.connect(self.update_widgets)
        self.output_widget = QgsFileWidget()
        self.output_widget.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
        self.output_widget.setFilter("GeoTIFF (*.tif *.tiff)")
        self.output_widget.setConfirmOverwrite(False)  # asked at Run, with the layer in view
        layout.addWidget(self.temporary_radio)
        layout.addWidget(self.file_radio)
        layout.addWidget(self.output_widget)
        self.extra_checks: dict[str, QCheckBox] = {}
        for name in EXTRA_SUFFIXES:
            spec = REQUEST_SPECS[name]
            check = QCheckBox(EXTRA_LABELS[name])
            check.setObjectName(f"output_{name}")
            check.setToolTip(
                f"Also write {spec.help} ({OUTPUT_FORMATS[name][1]}), beside the class GeoTIFF "
                f"(…{EXTRA_SUFFIXES[name]})."
            )
            check.toggled.connect(self.update_widgets)
            layout.addWidget(check)
            self.extra_checks[name] = check
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.addLayout(form)
        self.option_form = OptionForm(SegmentationOptions, form, section="output")
        self.update_widgets()

    def update_widgets(self, *_) -> None:
        self.output_widget.setEnabled(self.file_radio.isChecked())
        polygons = self.extra_checks["polygons"].isChecked()
        self.option_form.widget("min_area_m2").setEnabled(polygons)

    def option_values(self) -> dict[str, object]:
        """The Output section's options; the smallest polygon only when polygons are written."""
        values = self.option_form.values()
        if not self.extra_checks["polygons"].isChecked():
            values["min_area_m2"] = None
        return values

    def output_path(self, input_name: str, model_name: str) -> tuple[Path, bool]:
        """The class GeoTIFF and whether the analyst chose it (a temporary one is new);
        ValueError with a readable reason."""
        if self.file_radio.isChecked():
            text = self.output_widget.filePath().strip()
            if not text:
                raise ValueError("Choose where to save the result, or pick 'Temporary file'.")
            path = Path(text)
            if path.suffix.lower() not in (".tif", ".tiff"):
                path = path.with_suffix(".tif")
            if not path.parent.is_dir():
                raise ValueError(f"The folder {path.parent} does not exist.")
            return path, True
        safe = re.sub(r"[^\w.-]+", "_", f"{input_name}_{model_name}").strip("_") or "classes"
        return Path(QgsProcessingUtils.generateTempFilename(f"{safe}.tif")), False

    def extra_paths(self, output: Path) -> dict[str, str]:
        """The ticked outputs, named after the class GeoTIFF, in its folder."""
        return {
            name: str(output.with_name(output.stem + suffix))
            for name, suffix in EXTRA_SUFFIXES.items()
            if self.extra_checks[name].isChecked()
        }

    def save(self, settings: QgsSettings, prefix: str, options_prefix: str) -> None:
        self.option_form.save(settings, options_prefix)
        settings.setValue(prefix + "output_to_file", self.file_radio.isChecked())
        settings.setValue(prefix + "output_path", self.output_widget.filePath())
        for name, check in self.extra_checks.items():
            settings.setValue(f"{prefix}output_{name}", check.isChecked())

    def restore(self, settings: QgsSettings, prefix: str, options_prefix: str) -> None:
        self.option_form.restore(settings, options_prefix)
        to_file = settings.value(prefix + "output_to_file", False, type=bool)
        self.file_radio.setChecked(to_file)
        self.temporary_radio.setChecked(not to_file)
        self.output_widget.setFilePath(settings.value(prefix + "output_path", "", type=str))
        for name, check in self.extra_checks.items():
            check.setChecked(settings.value(f"{prefix}output_{name}", False, type=bool))
        self.update_widgets()
