"""Processing parameters built from an options dataclass's specs, and the dataclass from
parameter values: an option added to the dataclass becomes a parameter here by itself."""

from __future__ import annotations

from typing import TypeVar

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsRasterLayer,
)

from ..engine.errors import InputError
from ..engine.options import OptionSpec, option_default, option_fields
from ..qgis_common.masks import polygon_mask

OptionsT = TypeVar("OptionsT")
_NUMBER_TYPES = {
    "int": QgsProcessingParameterNumber.Type.Integer,
    "float": QgsProcessingParameterNumber.Type.Double,
}


def _description(spec: OptionSpec, default: object) -> str:
    if spec.kind in _NUMBER_TYPES and default is None:
        return f"{spec.label} — empty for the model's own"
    return spec.label


def option_parameter(
    name: str, spec: OptionSpec, default: object, raster_parameter: str
) -> QgsProcessingParameterDefinition:
    """The parameter for one option (``raster_parameter``: the input whose bands it lists)."""
    label = _description(spec, default)
    optional = default is None
    if spec.kind == "choice":
        parameter = QgsProcessingParameterEnum(
            name, label, options=list(spec.choices), defaultValue=spec.choices.index(default)
        )
    elif spec.kind in _NUMBER_TYPES:
        parameter = QgsProcessingParameterNumber(
            name, label, type=_NUMBER_TYPES[spec.kind], defaultValue=default, optional=optional
        )
        if spec.minimum is not None:
            parameter.setMinimum(spec.minimum)
        if spec.maximum is not None:
            parameter.setMaximum(spec.maximum)
    elif spec.kind == "bool":
        parameter = QgsProcessingParameterBoolean(name, label, defaultValue=bool(default))
    elif spec.kind == "bands":
        parameter = QgsProcessingParameterBand(
            name, label, parentLayerParameterName=raster_parameter, optional=True,
            allowMultiple=True,
        )  # fmt: skip
    elif spec.kind == "extent":
        parameter = QgsProcessingParameterExtent(name, label, optional=True)
    elif spec.kind == "mask":
        parameter = QgsProcessingParameterFeatureSource(
            name, label, types=[QgsProcessing.SourceType.TypeVectorPolygon], optional=True
        )
    else:
        raise ValueError(f"no Processing parameter for options of kind {spec.kind!r}")
    parameter.setHelp(spec.help)
    return parameter


def add_option_parameters(
    algorithm: QgsProcessingAlgorithm, options_class: type, raster_parameter: str
) -> None:
    for f, spec in option_fields(options_class):
        if spec.processing:
            algorithm.addParameter(
                option_parameter(spec.processing, spec, option_default(f), raster_parameter)
            )


def _given(parameters: dict, name: str) -> bool:
    return parameters.get(name) not in (None, "", [])


def options_from_parameters(
    algorithm: QgsProcessingAlgorithm,
    parameters: dict,
    context: QgsProcessingContext,
    options_class: type[OptionsT],
    raster: QgsRasterLayer,
) -> OptionsT:
    """The options dataclass from the parameters (``raster``: the input, for CRS and extent).

    Raises :class:`InputError` naming the option, for the caller to word for Processing.
    """
    values: dict[str, object] = {}
    for f, spec in option_fields(options_class):
        name = spec.processing
        if not name:
            continue
        if spec.kind == "choice":
            values[f.name] = spec.choices[algorithm.parameterAsEnum(parameters, name, context)]
        elif spec.kind == "bool":
            values[f.name] = algorithm.parameterAsBoolean(parameters, name, context)
        elif spec.kind in _NUMBER_TYPES:
            if _given(parameters, name) or option_default(f) is not None:
                read = (
                    algorithm.parameterAsInt if spec.kind == "int" else algorithm.parameterAsDouble
                )
                values[f.name] = read(parameters, name, context)
        elif spec.kind == "bands" and _given(parameters, name):
            values[f.name] = tuple(algorithm.parameterAsInts(parameters, name, context)) or None
        elif spec.kind == "extent" and _given(parameters, name):
            rect = algorithm.parameterAsExtent(parameters, name, context, raster.crs())
            clipped = rect.intersect(raster.extent())
            if clipped.isEmpty():
                raise InputError("the extent does not overlap the raster: change {option}",
                                 option=f.name)  # fmt: skip
            values[f.name] = (
                clipped.xMinimum(), clipped.yMinimum(), clipped.xMaximum(), clipped.yMaximum()
            )  # fmt: skip
        elif spec.kind == "mask" and _given(parameters, name):
            source = algorithm.parameterAsSource(parameters, name, context)
            mask = None
            if source is not None:
                mask = polygon_mask(
                    source.getFeatures(), source.sourceCrs(), raster.crs(),
                    context.transformContext(),
                )  # fmt: skip
            if mask is None:
                raise InputError(
                    "the mask layer holds no polygon (or none is selected): change {option}",
                    option=f.name,
                )
            values[f.name] = mask
    return options_class(**values)
