"""Processing algorithm "Fine-tune model on labelled polygons": the panel's Teach job for the
toolbox, batch mode, the model builder and qgis_process."""

from __future__ import annotations

import tempfile
from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingUtils,
    QgsSettings,
)

from ..engine.errors import EngineError
from ..engine.jobs.dependencies import check_dependencies, check_training_dependencies
from ..engine.jobs.model_catalog import resolve_model
from ..qgis_common.finetune_inputs import (
    LABEL_FIELD,
    LabelLayerError,
    categorized_colors,
    import_trainer,
    write_label_file,
)
from ..qgis_common.layers import REMOTE_RASTER_PROVIDERS, raster_source
from .job_runner import run_in_processing
from .plugin_algorithm import USER_MODELS_SETTING, PluginAlgorithm

DEVICES = ("auto", "cpu", "cuda")


class FinetuneAlgorithm(PluginAlgorithm):
    INPUT = "INPUT"
    LABELS = "LABELS"
    CLASS_FIELD = "CLASS_FIELD"
    MODEL = "MODEL"
    MINUTES = "MINUTES"
    DEVICE = "DEVICE"
    IMAGE_RESOLUTION = "IMAGE_RESOLUTION"
    OUTPUT = "OUTPUT"
    HOLDOUT_MIOU = "HOLDOUT_MIOU"
    BASE_HOLDOUT_MIOU = "BASE_HOLDOUT_MIOU"
    CLASSES = "CLASSES"

    def name(self) -> str:
        return "finetune"

    def displayName(self) -> str:  # noqa: N802 - QGIS API name
        return "Fine-tune model on labelled polygons"

    def tags(self) -> list[str]:
        return ["fine-tuning", "training", "labels", "deep learning", "segmentation", "onnx"]

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS API name
        return (
            "Teaches a segmentation model your imagery: draw a few polygons over each class "
            "(a stretch of road, two roofs, a lawn, a tree row, a few cars, or classes of your "
            "own) in a polygon layer whose CLASS_FIELD holds the class names, and a few "
            "minutes of training write a new model that maps the rest of the raster.\n\n"
            "LABELS: polygons only; tick 'Selected features only' to train on the selection. "
            "Class names that match the base model's keep its classes and colours; other names "
            "become new classes, coloured by the layer's categorized style.\n"
            "MODEL: the model to start from (a bundled model, one of yours, an .onnx file).\n"
            "IMAGE_RESOLUTION: train at the raster's own pixel size instead of resampling it to "
            "the base model's (fine detail, e.g. drone imagery).\n"
            "MINUTES: training time. About a fifth of each class's polygons are held out to "
            "score the model after every epoch; the best weights are kept.\n"
            "OUTPUT: the new .onnx model (a model card .md is written beside it). Give it to "
            "'Segment raster' as MODEL, or save it in your models folder to find it by name.\n\n"
            "Needs PyTorch and onnx in QGIS' Python (the error says how to install them)."
        )

    def createInstance(self):  # noqa: N802 - QGIS API name
        return FinetuneAlgorithm()

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS API name
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Raster layer"))
        self.addParameter(
            QgsProcessingParameterFeatureSource(
                self.LABELS,
                "Label polygons",
                [QgsProcessing.SourceType.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.CLASS_FIELD, "Class field", defaultValue="class",
                parentLayerParameterName=self.LABELS,
            )
        )  # fmt: skip
        self.add_model_parameter(self.MODEL, "Base model")
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MINUTES, "Training time (minutes)",
                type=QgsProcessingParameterNumber.Type.Double, defaultValue=3.0,
                minValue=0.2, maxValue=1440.0,
            )
        )  # fmt: skip
        self.addParameter(
            QgsProcessingParameterEnum(self.DEVICE, "Device", options=list(DEVICES), defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.IMAGE_RESOLUTION, "Train at the image's own resolution", defaultValue=False
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, "New model", fileFilter="ONNX models (*.onnx)"
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.HOLDOUT_MIOU, "Held-out mIoU"))
        self.addOutput(
            QgsProcessingOutputNumber(self.BASE_HOLDOUT_MIOU, "Held-out mIoU before training")
        )
        self.addOutput(QgsProcessingOutputString(self.CLASSES, "Classes"))

    def processAlgorithm(  # noqa: N802 - QGIS API name
        self, parameters, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ):
        for report in (check_dependencies(), check_training_dependencies()):
            if not report.ok:
                raise QgsProcessingException(report.message())
        raster = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if raster is None:
            raise QgsProcessingException("The input raster cannot be opened.")
        if raster.providerType() in REMOTE_RASTER_PROVIDERS or raster.providerType() != "gdal":
            raise QgsProcessingException(
                f"'{raster.name()}' is a {raster.providerType()} layer: save it as a GeoTIFF "
                "first (Export › Save As…)."
            )
        request_module = import_trainer("finetune.request")
        with tempfile.TemporaryDirectory(dir=QgsProcessingUtils.tempFolder()) as folder:
            request = self._request(parameters, context, raster, Path(folder), request_module)
            result = run_in_processing(request_module.FinetuneJob(request), feedback)
        feedback.pushInfo(f"Wrote {result.path} and its model card {result.card.name}.")
        feedback.pushInfo(f"Classes: {', '.join(result.classes)}")
        if result.holdout_miou is not None:
            feedback.pushInfo(
                f"Held-out mIoU {result.base_holdout_miou:.3f} before, {result.holdout_miou:.3f} "
                f"after ({result.train_seconds / 60:.1f} min on {result.device.upper()}, epoch "
                f"{result.best_epoch} of {result.epochs} kept)."
            )
        for note in result.notes:
            feedback.pushWarning(note)
        return {
            self.OUTPUT: str(result.path),
            self.HOLDOUT_MIOU: result.holdout_miou,
            self.BASE_HOLDOUT_MIOU: result.base_holdout_miou,
            self.CLASSES: ", ".join(result.classes),
        }

    def _request(self, parameters, context, raster, folder: Path, module):
        source = self.parameterAsSource(parameters, self.LABELS, context)
        if source is None:
            raise QgsProcessingException("The label layer cannot be opened.")
        class_field = self.parameterAsString(parameters, self.CLASS_FIELD, context) or "class"
        layer = self.parameterAsVectorLayer(parameters, self.LABELS, context)
        name = layer.name() if layer is not None else source.sourceName()
        labels = folder / "labels.gpkg"
        try:
            write_label_file(
                source.getFeatures(), source.fields(), class_field,
                source.sourceCrs().toWkt(), labels, name,
            )  # fmt: skip
        except LabelLayerError as error:
            raise QgsProcessingException(str(error)) from None
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        if not output.lower().endswith(".onnx"):
            output += ".onnx"
        plan = module.TrainingPlan(
            minutes=self.parameterAsDouble(parameters, self.MINUTES, context)
        )
        user_models = QgsSettings().value(USER_MODELS_SETTING, "", type=str)
        return module.FinetuneRequest(
            image=raster_source(raster),
            labels=str(labels),
            base_model=self._base_model(parameters, context, user_models),
            output=output,
            class_field=LABEL_FIELD,
            plan=plan,
            device=DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            native_gsd=self.parameterAsBool(parameters, self.IMAGE_RESOLUTION, context),
            class_colors=categorized_colors(layer, class_field) if layer is not None else {},
            overwrite=True,  # Processing's convention: the destination given is written
            image_name=raster.name(),
            labels_name=f"layer '{name}', field '{class_field}'",
        )

    def _base_model(self, parameters, context, user_models: str) -> str:
        value = self.parameterAsFile(parameters, self.MODEL, context)
        try:
            return str(resolve_model(value, Path(user_models) if user_models else None).path)
        except EngineError as error:
            raise QgsProcessingException(str(error)) from None
