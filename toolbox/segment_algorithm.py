"""Processing algorithm "Segment raster": the panel's job for the toolbox, batch mode, the
model builder and qgis_process. Same model resolution and styling as the panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsRasterLayer,
)

from ..ui.dependencies import check_dependencies
from ..ui.model_catalog import ModelNotFoundError, list_models, resolve_model
from ..ui.styling import result_layer_name, style_class_layer

DEVICES = ["auto", "cpu", "cuda"]
MODEL_FILE_FILTER = "ONNX models (*.onnx);;Torch checkpoints (*.pt *.pth);;All files (*)"


class ClassStylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles the output once Processing has loaded it (on the main thread).

    QGIS does not own post-processors, and the algorithm object that made one is deleted
    before the layer is loaded (``run()`` works on a copy), so pending ones are kept alive
    here until they have done their job.
    """

    _pending: ClassVar[list[ClassStylePostProcessor]] = []

    def __init__(self, metadata):
        super().__init__()
        self.metadata = metadata

    @classmethod
    def create(cls, metadata) -> ClassStylePostProcessor:
        processor = cls(metadata)
        cls._pending.append(processor)
        return processor

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API name
        if isinstance(layer, QgsRasterLayer) and layer.isValid():
            style_class_layer(layer, self.metadata)
        if self in self._pending:
            self._pending.remove(self)


class SegmentRasterAlgorithm(QgsProcessingAlgorithm):
    INPUT = "INPUT"
    MODEL = "MODEL"
    DEVICE = "DEVICE"
    OVERLAP = "OVERLAP"
    BATCH_SIZE = "BATCH_SIZE"
    EXTENT = "EXTENT"
    OUTPUT = "OUTPUT"
    DEVICE_USED = "DEVICE_USED"
    SECONDS = "SECONDS"

    def name(self) -> str:
        return "segment"

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return "Segment raster"

    def group(self) -> str:
        return ""

    def groupId(self) -> str:  # noqa: N802 - QGIS API name
        return ""

    def tags(self) -> list[str]:
        return ["segmentation", "classification", "land cover", "deep learning", "onnx", "unet"]

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        bundled = ", ".join(e.name for e in list_models()) or "none installed"
        return (
            "Classifies every pixel of a raster into the land-cover classes of a segmentation "
            "model (CSE-UNet or any Deepness-compatible ONNX model). The raster is read tile "
            "by tile, so memory stays bounded on large orthophotos.\n\n"
            f"MODEL: a bundled model name ({bundled}) or the path of an .onnx file.\n"
            "DEVICE: auto uses CUDA when onnxruntime-gpu finds a GPU, else the CPU.\n"
            "OVERLAP: tile overlap in percent (empty: the model's own value).\n"
            "EXTENT: segment only this area (empty: the whole raster).\n\n"
            "The output is a GeoTIFF of class indices (255 = no data) with the model's class "
            "names and colours."
        )

    def createInstance(self):  # noqa: N802 - QGIS API name
        return SegmentRasterAlgorithm()

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API name
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Input raster"))
        default_model = next(iter(list_models()), None)
        # A file parameter gives the GUI a browse button; "All files (*)" in the filter lets
        # a bundled model's bare name through Processing's own value check.
        self.addParameter(
            QgsProcessingParameterFile(
                self.MODEL,
                "Model (bundled model name or path of an .onnx file)",
                behavior=QgsProcessingParameterFile.File,
                fileFilter=MODEL_FILE_FILTER,
                defaultValue=default_model.name if default_model else None,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.DEVICE, "Device", options=DEVICES, defaultValue=0)
        )
        overlap = QgsProcessingParameterNumber(
            self.OVERLAP,
            "Tile overlap (%) — empty for the model's own",
            type=QgsProcessingParameterNumber.Double,
            optional=True,
            minValue=0.0,
            maxValue=50.0,
        )
        self.addParameter(overlap)
        self.addParameter(
            QgsProcessingParameterNumber(
                self.BATCH_SIZE,
                "Batch size (tiles per model call)",
                type=QgsProcessingParameterNumber.Integer,
                defaultValue=4,
                minValue=1,
                maxValue=256,
            )
        )
        self.addParameter(
            QgsProcessingParameterExtent(self.EXTENT, "Segment only this extent", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT, "Classes", defaultValue=QgsProcessing.TEMPORARY_OUTPUT
            )
        )
        self.addOutput(QgsProcessingOutputString(self.DEVICE_USED, "Device used"))
        self.addOutput(QgsProcessingOutputNumber(self.SECONDS, "Seconds"))

    def processAlgorithm(  # noqa: N802 - QGIS API name
        self, parameters, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ):
        report = check_dependencies()  # before anything imports onnxruntime
        if not report.ok:
            raise QgsProcessingException(report.message())
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException("The input raster cannot be opened.")
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                f"'{layer.name()}' is a {layer.providerType()} layer; export it to GeoTIFF first."
            )
        try:
            model = resolve_model(self.parameterAsFile(parameters, self.MODEL, context))
        except ModelNotFoundError as error:
            raise QgsProcessingException(str(error)) from None
        device = DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)]
        overlap = None
        if parameters.get(self.OVERLAP) not in (None, ""):
            overlap = self.parameterAsDouble(parameters, self.OVERLAP, context)
        batch_size = self.parameterAsInt(parameters, self.BATCH_SIZE, context)
        extent = None
        if parameters.get(self.EXTENT) not in (None, ""):
            rect = self.parameterAsExtent(parameters, self.EXTENT, context, layer.crs())
            clipped = rect.intersect(layer.extent())
            if clipped.isEmpty():
                raise QgsProcessingException("The extent does not overlap the input raster.")
            extent = (
                clipped.xMinimum(),
                clipped.yMinimum(),
                clipped.xMaximum(),
                clipped.yMaximum(),
            )
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if Path(output).suffix.lower() not in (".tif", ".tiff"):
            raise QgsProcessingException(
                f"The output is written as GeoTIFF: give a .tif file name, not '{output}'."
            )

        from ..engine.cancel import CancelToken
        from ..engine.errors import Cancelled, EngineError
        from ..engine.model_file import load_model
        from ..engine.pipeline import SegmentationOptions, segment

        token = CancelToken()
        feedback.canceled.connect(token.cancel)
        if feedback.isCanceled():
            token.cancel()

        last_message = [""]

        def progress(fraction: float, message: str = "") -> None:
            if feedback.isCanceled():
                token.cancel()
            feedback.setProgress(100.0 * float(fraction))
            if message and message != last_message[0]:
                last_message[0] = message
                feedback.setProgressText(message)

        try:
            feedback.pushInfo(f"Model: {model.path}")
            loaded = load_model(str(model.path), device=device)
            options = SegmentationOptions(
                device=device, overlap_pct=overlap, batch_size=batch_size, extent=extent
            )
            result = segment(
                layer.source(), loaded, output, options, progress=progress, cancel=token
            )
        except Cancelled:
            raise QgsProcessingException("Segmentation cancelled; no output was written.") from None
        except EngineError as error:
            raise QgsProcessingException(str(error)) from None
        finally:
            try:
                feedback.canceled.disconnect(token.cancel)
            except TypeError:
                pass

        feedback.pushInfo(
            f"Segmented on {result.device.upper()} ({result.backend}) in {result.seconds:.1f} s"
        )
        for area in result.class_areas:
            feedback.pushInfo(f"  {area.name}: {area.percent:.1f} % ({area.area_m2:.0f} m²)")
        for warning in result.warnings:
            feedback.pushWarning(warning)

        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.name = result_layer_name(layer.name(), model.name)
            details.setPostProcessor(ClassStylePostProcessor.create(loaded.metadata))
        return {
            self.OUTPUT: str(result.output_path),
            self.DEVICE_USED: result.device,
            self.SECONDS: result.seconds,
        }
