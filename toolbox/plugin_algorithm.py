"""What every algorithm of the provider shares: no group, the plugin's icon, the MODEL
parameter (a list of the bundled and the analyst's models, with a browse button)."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingParameterFile
from qgis.PyQt.QtGui import QIcon

from ..engine.jobs.model_catalog import list_models

ICON_PATH = Path(__file__).resolve().parent.parent / "resources" / "icons" / "icon.svg"
MODEL_FILE_FILTER = "ONNX models (*.onnx);;Torch checkpoints (*.pt *.pth);;All files (*)"
USER_MODELS_SETTING = "aerial_segmentation/user_models_dir"  # the panel's "My models folder"


class PluginAlgorithm(QgsProcessingAlgorithm):
    def group(self) -> str:
        return ""

    def groupId(self) -> str:  # noqa: N802 - QGIS API name
        return ""

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def svgIconPath(self) -> str:  # noqa: N802 - QGIS API name
        return str(ICON_PATH)

    def add_model_parameter(self, name: str, description: str) -> None:
        """A file parameter, so the value is a name or a path everywhere; the dialogs show a
        list of the known models with a browse button ("All files (*)" in the filter lets a
        bundled model's bare name through Processing's own value check)."""
        default_model = next(iter(list_models()), None)
        model = QgsProcessingParameterFile(
            name,
            description,
            behavior=QgsProcessingParameterFile.Behavior.File,
            fileFilter=MODEL_FILE_FILTER,
            defaultValue=default_model.name if default_model else None,
        )
        model.setMetadata(
            {"widget_wrapper": {"class": f"{__package__}.model_widget.ModelWidgetWrapper"}}
        )
        self.addParameter(model)
