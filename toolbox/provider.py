"""The "Aerial Segmentation" Processing provider."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .plugin_algorithm import ICON_PATH


class AerialSegmentationProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "aerial_segmentation"

    def name(self) -> str:
        return "Aerial Segmentation"

    def longName(self) -> str:  # noqa: N802 - QGIS API name
        return "Aerial Segmentation (CSE-UNet)"

    def icon(self) -> QIcon:
        return QIcon(str(ICON_PATH))

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API name
        for algorithm in self._algorithms():
            self.addAlgorithm(algorithm)

    def _algorithms(self) -> list:
        from .finetune_algorithm import FinetuneAlgorithm
        from .segment_algorithm import SegmentRasterAlgorithm

        return [SegmentRasterAlgorithm(), FinetuneAlgorithm()]
