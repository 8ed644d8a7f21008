"""The panel's Options section, built from an options dataclass's specs: an option added to the
dataclass (``engine.options.option(...)``) gets its widget, tooltip and saved setting here
without touching the panel. Kinds the panel sets elsewhere (bands, extent, mask) are skipped.
"""

from __future__ import annotations

from qgis.core import QgsSettings
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from ..engine.options import OptionSpec, option_default, option_fields

FORM_KINDS = ("choice", "int", "float", "bool")


def narrow_combo(combo: QComboBox, characters: int = 6) -> QComboBox:
    """A combo box that does not widen the panel to its longest item."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


class OptionForm:
    """One row per option shown in the panel; values as the options dataclass takes them."""

    def __init__(self, options_class: type, form: QFormLayout):
        self.options_class = options_class
        self.rows: dict[str, tuple[OptionSpec, QWidget, object]] = {}
        for f, spec in option_fields(options_class):
            if spec.panel and spec.kind in FORM_KINDS:
                default = option_default(f)
                widget = self._widget(spec, default)
                widget.setToolTip(spec.help[:1].upper() + spec.help[1:] + ".")
                widget.setObjectName(f"option_{f.name}")
                self.rows[f.name] = (spec, widget, default)
                form.addRow(spec.label, widget)
                self._set(f.name, default)

    @staticmethod
    def _widget(spec: OptionSpec, default: object) -> QWidget:
        if spec.kind == "choice":
            combo = narrow_combo(QComboBox())
            for value, label in zip(spec.choices, spec.choice_labels or spec.choices):
                combo.addItem(label, value)
            return combo
        if spec.kind == "bool":
            return QCheckBox()
        spin = QSpinBox() if spec.kind == "int" else QDoubleSpinBox()
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(1)
        low = spec.minimum if spec.minimum is not None else 0
        high = spec.maximum if spec.maximum is not None else 1_000_000
        if default is None:  # one step below the range reads "Model's"
            spin.setRange(low - 1, high)
            spin.setSpecialValueText(spec.default_label)
            _fit_special_text(spin)
        else:
            spin.setRange(low, high)
        return spin

    def widget(self, name: str) -> QWidget:
        return self.rows[name][1]

    def set_default_label(self, name: str, text: str) -> None:
        """What "no value" reads as, e.g. "Model default (10 %)" once a model is picked."""
        widget = self.rows[name][1]
        if isinstance(widget, QSpinBox | QDoubleSpinBox) and widget.specialValueText():
            widget.setSpecialValueText(text)
            _fit_special_text(widget)

    def _get(self, name: str) -> object:
        spec, widget, default = self.rows[name]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if default is None and widget.value() == widget.minimum():
            return None
        return int(widget.value()) if spec.kind == "int" else float(widget.value())

    def _set(self, name: str, value: object) -> None:
        _, widget, _ = self.rows[name]
        if isinstance(widget, QComboBox):
            index = widget.findData(value)
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        else:
            widget.setValue(widget.minimum() if value is None else value)

    def values(self) -> dict[str, object]:
        """The form's options, for ``options_class(**values, ...)``."""
        return {name: self._get(name) for name in self.rows}

    def set_values(self, values: dict[str, object]) -> None:
        for name, value in values.items():
            if name in self.rows:
                self._set(name, value)

    def save(self, settings: QgsSettings, prefix: str) -> None:
        for name, value in self.values().items():
            settings.setValue(f"{prefix}{name}", "" if value is None else value)

    def restore(self, settings: QgsSettings, prefix: str) -> None:
        for name, (spec, _, _) in self.rows.items():
            text = settings.value(f"{prefix}{name}", None)
            if text is None:
                continue
            try:
                value = _parse(spec, str(text))
            except ValueError:
                continue  # a setting from another version: keep the default
            self._set(name, value)


def _fit_special_text(spin: QSpinBox | QDoubleSpinBox) -> None:
    """Wide enough for "Model's (15 %)": the form then wraps the row instead of cutting it."""
    text_width = spin.fontMetrics().horizontalAdvance(spin.specialValueText())
    spin.setMinimumWidth(text_width + 40)  # arrows and frame


def _parse(spec: OptionSpec, text: str) -> object:
    if text == "":
        return None
    if spec.kind == "bool":
        return text.lower() in ("true", "1")
    if spec.kind == "int":
        return int(float(text))
    if spec.kind == "float":
        return float(text)
    return text
