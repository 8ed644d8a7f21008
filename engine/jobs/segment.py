"""The segmentation job: resolve the model, check the output, run the engine, and hand back
one area table per model output, ready for a panel, a Processing log or a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from ..cancel import CancelToken
from ..errors import EngineError, InputError
from ..metadata import ClassInfo, ModelMetadata
from ..options import SPEC_KEY, OptionSpec, SegmentationOptions
from ..raster_io import is_gdal_name
from ..results import ClassArea, SegmentationResult
from .base import Job, Progress
from .model_catalog import resolve_model

OUTPUT_SUFFIXES = (".tif", ".tiff")

# The request's own fields, named for messages (the options carry their specs themselves).
REQUEST_SPECS: dict[str, OptionSpec] = {
    "input": OptionSpec("path", "Raster layer", "the raster to segment", cli="INPUT",
                        processing="INPUT"),
    "model": OptionSpec("path", "Model", "a bundled model name or a model file", cli="--model",
                        processing="MODEL"),
    "output": OptionSpec("path", "Output", "the class GeoTIFF to write", cli="--output",
                         processing="OUTPUT"),
    "overwrite": OptionSpec("bool", "Replace an existing output",
                            "replace the output file if it exists", cli="--overwrite",
                            panel=False),
}  # fmt: skip


def segmentation_specs() -> dict[str, OptionSpec]:
    """Every option a segmentation error may name: the request's and the options'."""
    specs = {f.name: f.metadata[SPEC_KEY] for f in fields(SegmentationOptions)}
    return {**REQUEST_SPECS, **specs}


@dataclass
class SegmentRequest:
    """One segmentation as the user asked for it; the same whichever place asked."""

    input: str  # a raster file or GDAL name (GPKG:file.gpkg:layer, NETCDF:"f.nc":var)
    model: str  # a bundled or user model name, or a model file
    output: str  # a GeoTIFF
    options: SegmentationOptions = field(default_factory=SegmentationOptions)
    overwrite: bool = False  # replace an existing output (the panel asks first)
    input_name: str = ""  # how the user knows the input (a layer name); default: file stem
    user_models_dir: str | None = None  # the analyst's models folder, for model names


@dataclass
class OutputTable:
    """One model output: its band in the GeoTIFF, its classes and their areas."""

    band: int
    title: str  # "" for a model with one output; else what tells outputs apart
    classes: tuple[ClassInfo, ...]
    areas: list[ClassArea]


@dataclass
class SegmentJobResult:
    engine: SegmentationResult
    model_name: str
    model_path: Path
    input_name: str
    metadata: ModelMetadata  # as the engine completed it (every output named)
    outputs: list[OutputTable]

    @property
    def output_path(self) -> str:
        return self.engine.output_path

    def summary(self) -> str:
        """One line for a message bar, a log or a terminal."""
        seconds, device = self.engine.seconds, str(self.engine.device).upper()
        return (
            f"{self.input_name} – {self.model_name}: segmented on {device} in {seconds:.1f} s "
            f"→ {self.engine.output_path}"
        )


def output_title(classes: tuple[ClassInfo, ...], band: int, outputs: int) -> str:
    """What tells the outputs of a multi-output model apart: their class names."""
    if outputs == 1:
        return ""
    names = [c.name for c in classes if c.name != "background"] or [f"output {band}"]
    text = ", ".join(names)
    return text if len(text) <= 40 else f"output {band}"


class SegmentJob(Job):
    """Segment one raster with one model into a class GeoTIFF."""

    cancelled_message = "Segmentation cancelled; no output was written."

    def __init__(self, request: SegmentRequest, loaded_model=None):
        """``loaded_model``: the request's model already opened (by an earlier job), to reuse."""
        self.request = request
        self.loaded_model = loaded_model
        self.specs = segmentation_specs()
        self.input_name = request.input_name or _stem(request.input)
        self.title = f"Segmenting {self.input_name}"

    def out_of_memory(self) -> EngineError:
        return InputError(
            "out of memory: lower {option} or segment a smaller area", option="batch_size"
        )

    def check_output(self) -> Path:
        """The output path, once it is certain that writing it destroys nothing unasked."""
        output = Path(self.request.output)
        if output.suffix.lower() not in OUTPUT_SUFFIXES:
            raise InputError(
                f"the output is written as GeoTIFF: give a .tif file name with {{option}}, not "
                f"'{output.name}'",
                option="output",
            )
        if output.exists() and not self.request.overwrite:
            raise InputError(
                f"{output} already exists: choose another output, or allow replacing it "
                "with {option}",
                option="overwrite",
            )
        return output

    def run(self, progress: Progress, cancel: CancelToken) -> SegmentJobResult:
        from ..model_file import load_model  # numpy and onnxruntime: only once a job runs
        from ..pipeline import segment

        request, options = self.request, self.request.options
        user_models = Path(request.user_models_dir) if request.user_models_dir else None
        entry = resolve_model(request.model, user_models)
        output = self.check_output()
        if not is_gdal_name(request.input) and Path(request.input).resolve() == output.resolve():
            raise InputError(
                "the output is the input raster: choose another file with {option}",
                option="output",
            )
        model = self.loaded_model
        if model is None or Path(model.path) != Path(entry.path):
            progress(0.0, f"Loading {entry.name}")
            model = load_model(entry.path, device=options.device, num_threads=options.num_threads)
            self.loaded_model = model
        result = segment(request.input, model, output, options, progress=progress, cancel=cancel)
        heads = model.metadata.heads
        outputs = [
            OutputTable(
                band=band,
                title=output_title(classes, band, len(heads)),
                classes=classes,
                areas=[a for a in result.class_areas if a.band == band],
            )
            for band, classes in enumerate(heads, start=1)
        ]
        return SegmentJobResult(
            result, entry.name, entry.path, self.input_name, model.metadata, outputs
        )


def _stem(path: str) -> str:
    """A readable name for a file or GDAL name (``GPKG:/a/b.gpkg:ortho`` -> ``ortho``)."""
    if is_gdal_name(path) and not path.startswith("/vsi"):
        return path.rstrip(":").rsplit(":", 1)[-1].strip('"') or path
    return Path(path).stem
