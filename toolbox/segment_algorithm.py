"""Processing algorithm "Segment raster": the panel's job for the toolbox, batch mode, the
model builder and qgis_process. Same job, options, model names and styling as the panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
)

from ..engine.errors import EngineError
from ..engine.jobs.dependencies import check_dependencies
from ..engine.jobs.model_catalog import list_models, resolve_model
from ..engine.jobs.segment import (
    SegmentJob,
    SegmentJobResult,
    SegmentRequest,
    segmentation_specs,
)
from ..engine.metadata import KEY_INPUT_BANDS
from ..engine.model_file import read_model_metadata
from ..engine.options import SegmentationOptions
from ..engine.planning import check_bands
from ..qgis_common.layers import (
    REMOTE_RASTER_PROVIDERS,
    layers_reading,
    not_a_raster,
    raster_source,
)
from ..qgis_common.styling import (
    RESULT_PROPERTY,
    add_result_layer,
    hide_band_header,
    result_layer_name,
    style_class_layer,
    unique_layer_name,
)
from .job_runner import processing_error, run_in_processing
from .option_parameters import add_option_parameters, options_from_parameters
from .plugin_algorithm import USER_MODELS_SETTING, PluginAlgorithm


class KeptPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """A post-processor kept alive until it has run.

    QGIS does not own post-processors, and the algorithm object that made one is deleted
    before the layer is loaded (``run()`` works on a copy), so pending ones are kept alive
    here until they have done their job.
    """

    _pending: ClassVar[list[QgsProcessingLayerPostProcessorInterface]] = []

    @classmethod
    def create(cls, *args):
        processor = cls(*args)
        cls._pending.append(processor)
        return processor

    def done(self) -> None:
        if self in self._pending:
            self._pending.remove(self)


class FileStylePostProcessor(KeptPostProcessor):
    """Applies the style the engine wrote with the file (the ``.qml`` beside a raster, a
    GeoPackage's default style): Processing loads outputs without their default styles."""

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API name
        self.done()
        if layer is not None and layer.isValid():
            layer.loadDefaultStyle()
            layer.setCustomProperty(RESULT_PROPERTY, True)  # not something to segment
            layer.triggerRepaint()


class ClassStylePostProcessor(KeptPostProcessor):
    """Styles and names the output once Processing has loaded it (main thread), and adds one
    more layer per further model output."""

    def __init__(self, result: SegmentJobResult):
        super().__init__()
        self.result = result

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 - QGIS API name
        self.done()
        if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
            return
        project = context.project() or QgsProject.instance()
        first, *others = self.result.outputs
        style_class_layer(layer, first.classes, first.band)
        name = result_layer_name(self.result.input_name, self.result.model_name, first.title)
        layer.setName(unique_layer_name(name, project, layer))
        hide_band_header(layer, project)
        for output in others:  # one styled layer per further model output, above the first
            extra = QgsRasterLayer(layer.source(), "", "gdal")
            style_class_layer(extra, output.classes, output.band)
            name = result_layer_name(self.result.input_name, self.result.model_name, output.title)
            extra.setName(unique_layer_name(name, project))
            add_result_layer(extra, layer, project)


class SegmentRasterAlgorithm(PluginAlgorithm):
    INPUT = "INPUT"
    MODEL = "MODEL"
    OUTPUT = "OUTPUT"
    CONFIDENCE = "CONFIDENCE"
    POLYGONS = "POLYGONS"
    STATS = "STATS"
    DEVICE_USED = "DEVICE_USED"
    SECONDS = "SECONDS"

    def name(self) -> str:
        return "segment"

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return "Segment raster"

    def tags(self) -> list[str]:
        return ["segmentation", "classification", "land cover", "deep learning", "onnx", "unet"]

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        bundled = ", ".join(e.name for e in list_models()) or "none installed"
        return (
            "Classifies every pixel of a raster into the land-cover classes of a segmentation "
            "model (CSE-UNet or any Deepness-compatible ONNX model). The raster is read tile "
            "by tile, so memory stays bounded on large orthophotos.\n\n"
            f"MODEL: pick a bundled model ({bundled}) or one of your models folder, or give "
            "the path of an .onnx file.\n"
            "DEVICE: auto uses CUDA when onnxruntime-gpu finds a GPU, else the CPU.\n"
            "TILE_SIZE, OVERLAP: empty for the model's own values.\n"
            "BANDS: the raster bands fed to the model, in the model's order (empty: the "
            "model's own, usually 1, 2, 3).\n"
            "EXTENT: segment only this area. MASK: segment only inside these polygons (tick "
            "'Selected features only' to use the selection); pixels outside become no data.\n"
            "TTA: test-time augmentation, the class probabilities of 8 flipped and rotated "
            "views of every tile averaged (8 times the model time).\n\n"
            "The output is a GeoTIFF of class indices (255 = no data), one band per model "
            "output, with the model's class names and colours and a QGIS style (.qml) beside "
            "it; COG writes Cloud-Optimized GeoTIFFs. Optional outputs: CONFIDENCE, the top "
            "class's probability in percent (0-100, 255 = no data); POLYGONS, a GeoPackage of "
            "class polygons with class index, name and area in m², styled with the model's "
            "colours, patches below MIN_AREA m² merged into their largest neighbour first; "
            "STATS, a CSV of pixels, m² and % per class and output. An output file that is "
            "open as a layer in the project is not replaced: remove the layer or choose "
            "another name."
        )

    def createInstance(self):  # noqa: N802 - QGIS API name
        return SegmentRasterAlgorithm()

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API name
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Raster layer"))
        self.add_model_parameter(self.MODEL, "Model")
        add_option_parameters(self, SegmentationOptions, self.INPUT)
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT, "Classes", defaultValue=QgsProcessing.TEMPORARY_OUTPUT
            )
        )
        specs = segmentation_specs()
        optional_outputs = (
            QgsProcessingParameterRasterDestination(
                self.CONFIDENCE, specs["confidence"].label, optional=True, createByDefault=False
            ),
            QgsProcessingParameterVectorDestination(
                self.POLYGONS, specs["polygons"].label, optional=True, createByDefault=False,
                type=QgsProcessing.SourceType.TypeVectorPolygon,
            ),
            QgsProcessingParameterFileDestination(
                self.STATS, specs["stats"].label, fileFilter="CSV files (*.csv)", optional=True,
                createByDefault=False,
            ),
        )  # fmt: skip
        for parameter in optional_outputs:
            self.addParameter(parameter)
        self.addOutput(QgsProcessingOutputString(self.DEVICE_USED, "Device used"))
        self.addOutput(QgsProcessingOutputNumber(self.SECONDS, "Seconds"))

    def checkParameterValues(self, parameters, context):  # noqa: N802 - QGIS API name
        """Every mistake that can be found before running, reported before running (and
        printed once by qgis_process, which repeats errors raised while running)."""
        ok, message = super().checkParameterValues(parameters, context)
        if not ok and self.parameterAsRasterLayer(parameters, self.INPUT, context) is None:
            reason = not_a_raster(parameters.get(self.INPUT), context.project())
            if reason:
                message = f"{reason}: choose a raster layer (an orthophoto) as INPUT."
        if not ok:
            return ok, message
        try:
            self._job(parameters, context)
        except QgsProcessingException as error:
            return False, str(error)
        return True, ""

    def _job(self, parameters, context: QgsProcessingContext) -> SegmentJob:
        """The job the parameters ask for; QgsProcessingException (one line) if they cannot
        be run."""
        report = check_dependencies()  # before anything imports onnxruntime
        if not report.ok:
            raise QgsProcessingException(report.message())
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None:
            raise QgsProcessingException("The input raster cannot be opened.")
        if layer.providerType() in REMOTE_RASTER_PROVIDERS or layer.providerType() != "gdal":
            raise QgsProcessingException(
                f"'{layer.name()}' is a {layer.providerType()} layer, which cannot be read tile "
                "by tile: save it as a GeoTIFF first (Export › Save As…)."
            )
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        request = SegmentRequest(
            input=raster_source(layer),
            model=self.parameterAsFile(parameters, self.MODEL, context),
            output=output,
            overwrite=True,  # Processing's convention: the destination given is written
            input_name=layer.name(),
            user_models_dir=QgsSettings().value(USER_MODELS_SETTING, "", type=str) or None,
            confidence=self._optional_output(parameters, self.CONFIDENCE, context),
            polygons=self._optional_output(parameters, self.POLYGONS, context),
            stats=self._optional_output(parameters, self.STATS, context, file=True),
        )
        job = SegmentJob(request)
        try:
            request.options = options_from_parameters(
                self, parameters, context, SegmentationOptions, layer
            )
            job.check_output()
            user_models = Path(request.user_models_dir) if request.user_models_dir else None
            metadata = read_model_metadata(resolve_model(request.model, user_models).path)
            chosen, name = request.options.bands, f"the layer '{layer.name()}'"
            if KEY_INPUT_BANDS not in metadata.missing:  # else only the graph knows
                inputs = len(metadata.input_bands)
                check_bands(name, layer.bandCount(), chosen, metadata.input_bands, inputs)
            elif chosen:
                check_bands(name, layer.bandCount(), chosen, chosen, len(chosen))
        except EngineError as error:
            raise processing_error(error, job) from None
        project = context.project()
        for name, path in request.output_files().items():
            in_use = layers_reading(path, project) if project is not None else []
            if in_use:
                raise QgsProcessingException(
                    f"{path.name} is open as the layer '{in_use[0].name()}': remove that "
                    f"layer from the project first, or choose another {name.upper()} file."
                )
        return job

    def _optional_output(self, parameters, name: str, context, file: bool = False) -> str | None:
        """The file an optional destination names, or None when it was left out."""
        if parameters.get(name) in (None, ""):
            return None
        if file:
            path = self.parameterAsFileOutput(parameters, name, context)
        else:
            path = self.parameterAsOutputLayer(parameters, name, context)
        return path or None

    def processAlgorithm(  # noqa: N802 - QGIS API name
        self, parameters, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ):
        job = self._job(parameters, context)
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        output = job.request.output
        result = run_in_processing(job, feedback)
        engine = result.engine
        feedback.pushInfo(
            f"Segmented on {engine.device.upper()} ({engine.backend}) in {engine.seconds:.1f} s. "
            f"Tiles: {engine.tiles_processed} run, {engine.tiles_skipped} skipped (no data or "
            "outside the area)."
        )
        for table in result.outputs:
            if table.title:
                feedback.pushInfo(f"Band {table.band} ({table.title}):")
            for area in table.areas:
                feedback.pushInfo(f"  {area.name}: {area.percent:.1f} % ({area.area_m2:.0f} m²)")
        for note in engine.notes:
            feedback.pushInfo(note)
        for warning in engine.warnings:
            feedback.pushWarning(warning)
        for detail in engine.details:
            feedback.pushDebugInfo(detail)

        for polygons in engine.polygon_layers:
            feedback.pushInfo(f"Polygons: {polygons.polygons} in layer '{polygons.name}'.")

        if context.willLoadLayerOnCompletion(output):
            details = context.layerToLoadOnCompletionDetails(output)
            details.name = result_layer_name(layer.name(), result.model_name)
            details.setPostProcessor(ClassStylePostProcessor.create(result))
        for path, what in ((engine.confidence_path, "confidence"),
                           (engine.polygons_path, "polygons")):  # fmt: skip
            if path and context.willLoadLayerOnCompletion(path):  # styled by the files' own
                details = context.layerToLoadOnCompletionDetails(path)
                details.name = f"{result_layer_name(layer.name(), result.model_name)} {what}"
                details.setPostProcessor(FileStylePostProcessor.create())
        return {
            self.OUTPUT: str(engine.output_path),
            self.CONFIDENCE: engine.confidence_path,
            self.POLYGONS: engine.polygons_path,
            self.STATS: engine.stats_path,
            self.DEVICE_USED: engine.device,
            self.SECONDS: engine.seconds,
        }
