"""The bad inputs and faults the product must survive, as one table.

Each case builds its inputs (tiny generated rasters and models) and says what must happen in
each place that takes them: the engine's Python API, the job layer as the command line runs
it, the Processing algorithm and the panel. ``tests/reliability/test_bad_inputs.py`` runs every
case in every place it names; README.md's "What happens when…" table is generated from this
table (``python -m devtools.what_happens``) and a test keeps the two in sync.

This module imports nothing heavy: the README generator reads it without QGIS or torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENGINE, JOB, PROCESSING, PANEL = "engine", "job", "processing", "panel"
PLACES = (ENGINE, JOB, PROCESSING, PANEL)
SEGMENT, FINETUNE = "segment", "finetune"

# What can happen, and how the README says it.
OK = "ok"  # it runs (``says``: what its warnings must contain)
ERROR = "error"  # one message that says what to do; nothing is written, no layer is added
BLOCKED = "blocked"  # the panel keeps Run disabled and says why
ASKED = "asked"  # the panel asks before replacing a file; "No" leaves everything as it was
NOT_OFFERED = "not offered"  # the panel cannot even choose it
STATUS_WORDS = {
    OK: "runs",
    ERROR: "message",
    BLOCKED: "Run disabled, says why",
    ASKED: "asks first",
    NOT_OFFERED: "not offered",
}


@dataclass(frozen=True)
class Expect:
    status: str
    says: tuple[str, ...] = ()  # literal pieces of the message (of the warnings, when ok)
    option: str | None = None  # the option the message names, in the words of the place


@dataclass
class Inputs:
    """What one case feeds every place (paths are files in the test's folder)."""

    raster: str = ""  # the raster the engine and the job read; QGIS opens it as ``layer``
    model: str = ""
    output: str = ""
    options: dict = field(default_factory=dict)  # SegmentationOptions fields
    layer: str = "gdal"  # how QGIS sees the raster: gdal | vector | xyz | invalid
    mask: str = ""  # a polygon file: the MASK (engine, Processing), selected polygons (panel)
    existing: bool = False  # the output is there before the run (a refusal keeps its bytes)
    output_layer: bool = False  # the output is open as a layer in the project
    replace: bool = False  # replacing an existing output is allowed (--overwrite; "Yes")
    missing: tuple[str, ...] = ()  # Python packages this run cannot import
    labels: str = ""  # fine-tuning: the label polygons
    class_field: str = "class"
    check: Callable[[object], None] | None = None  # more about an engine result that ran
    sentinel: str = ""  # a file that must never come to exist (a payload that must not run)


@dataclass(frozen=True)
class Case:
    id: str
    when: str  # the README's first column: "What happens when…"
    handling: str  # the README's second column, one sentence
    build: Callable  # build(world) -> Inputs
    expect: dict[str, Expect]  # per place; a place not named does not apply
    job: str = SEGMENT


# ---- input builders: world is tests/reliability/conftest.py's Kit ---------------------


def _vector_layer(world) -> Inputs:
    return Inputs(
        raster=world.polygons("parcels.gpkg"),
        model=world.model,
        output=world.output(),
        layer="vector",
    )


def _text_file(world) -> Inputs:
    path = world.folder / "notes.tif"
    path.write_text("not a raster, whatever its name says")
    return Inputs(raster=str(path), model=world.model, output=world.output(), layer="invalid")


def _web_layer(world) -> Inputs:
    return Inputs(raster="", model=world.model, output=world.output(), layer="xyz")


def _bands(count: int):
    return lambda world: Inputs(
        raster=world.raster(bands=count), model=world.model, output=world.output()
    )


def _pixels(dtype: str):
    return lambda world: Inputs(
        raster=world.raster(dtype=dtype), model=world.model, output=world.output()
    )


def _all_nodata(world) -> Inputs:
    return Inputs(raster=world.raster(all_nodata=True), model=world.model, output=world.output())


def _smaller_than_a_tile(world) -> Inputs:
    def check(result) -> None:
        assert (result.width, result.height) == (7, 10)

    return Inputs(
        raster=world.raster(size=(10, 7)), model=world.model, output=world.output(), check=check
    )


def _no_crs(world) -> Inputs:
    return Inputs(raster=world.raster(epsg=None), model=world.model, output=world.output())


def _rotated(world) -> Inputs:
    raster = world.raster(rotated=True)

    def check(result) -> None:
        assert world.geotransform(result.output_path) == world.geotransform(raster)

    return Inputs(raster=raster, model=world.model, output=world.output(), check=check)


def _geographic(world) -> Inputs:
    def check(result) -> None:
        # 0.5 m north-south, 0.5 m x cos(52.5°) east-west
        assert result.pixel_area_m2 == pytest.approx(
            0.5 * 0.5 * math.cos(math.radians(52.5)), rel=0.01
        )

    return Inputs(
        raster=world.raster(epsg=4326), model=world.model, output=world.output(), check=check
    )


def _nodata_margins(world) -> Inputs:
    def check(result) -> None:
        assert result.tiles_skipped > 3 * result.tiles_processed  # margins are never run

    return Inputs(
        raster=world.raster(margins=True), model=world.model, output=world.output(), check=check
    )


def _model_file(kind: str):
    return lambda world: Inputs(
        raster=world.raster(), model=world.bad_model(kind), output=world.output()
    )


def _pickled_checkpoint(world) -> Inputs:
    model, sentinel = world.pickled_checkpoint()
    return Inputs(raster=world.raster(), model=model, output=world.output(), sentinel=sentinel)


def _unwritable_folder(world) -> Inputs:
    return Inputs(raster=world.raster(), model=world.model, output=world.read_only_output())


def _existing_output(world) -> Inputs:
    return Inputs(
        raster=world.raster(), model=world.model, output=world.output(existing=True), existing=True
    )


def _output_open_as_layer(world) -> Inputs:
    return Inputs(
        raster=world.raster(),
        model=world.model,
        output=world.output(existing=True),
        existing=True,
        output_layer=True,
    )


def _input_is_output(world) -> Inputs:
    raster = world.raster()
    world.existing_bytes = Path(raster).read_bytes()
    return Inputs(raster=raster, model=world.model, output=raster, existing=True, replace=True)


def _disk_full(world) -> Inputs:
    return Inputs(
        raster=world.raster(size=(600, 600), noisy=True),
        model=world.noisy_model(),
        output=world.full_disk_output(),
    )


def _cuda(world) -> Inputs:
    return Inputs(
        raster=world.raster(), model=world.model, output=world.output(), options={"device": "cuda"}
    )


def _without(package: str, model: str = "onnx"):
    def build(world) -> Inputs:
        chosen = world.checkpoint() if model == "checkpoint" else world.model
        return Inputs(
            raster=world.raster(), model=chosen, output=world.output(), missing=(package,)
        )

    return build


def _bands_out_of_range(world) -> Inputs:
    return Inputs(
        raster=world.raster(),
        model=world.model,
        output=world.output(),
        options={"bands": (1, 2, 7)},
    )


def _extent_outside(world) -> Inputs:
    return Inputs(
        raster=world.raster(),
        model=world.model,
        output=world.output(),
        options={"extent": world.far_away_extent()},
    )


def _mask_outside(world) -> Inputs:
    return Inputs(
        raster=world.raster(),
        model=world.model,
        output=world.output(),
        mask=world.polygons("far.gpkg", far=True),
    )


def _labels(kind: str):
    def build(world) -> Inputs:
        scene = world.scene()
        return Inputs(
            raster=str(scene.image),
            model=world.finetune_base,
            labels=world.labels(kind),
            output=world.output("mine.onnx"),
        )

    return build


def _cuda_note() -> tuple[str, ...]:
    """What a CUDA request must warn on this machine: why it ran on the CPU (nothing where
    onnxruntime has CUDA: it then runs there)."""
    try:
        import onnxruntime
    except ImportError:
        return ()
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return ()
    return ("CUDA was requested but",)


CASES: list[Case] = [
    Case(
        "vector-layer",
        "the raster is a vector layer (or a vector file)",
        "Refused: it is not a raster; the panel does not list vector layers as rasters.",
        _vector_layer,
        {
            ENGINE: Expect(ERROR, ("parcels.gpkg holds vector layers, not a raster",), "input"),
            JOB: Expect(ERROR, ("parcels.gpkg holds vector layers, not a raster",), "input"),
            PROCESSING: Expect(ERROR, ("parcels.gpkg holds vector layers, not a raster",)),
            PANEL: Expect(NOT_OFFERED),
        },
    ),
    Case(
        "not-a-raster",
        "the raster is a file that is not a raster (text named .tif)",
        "Refused: GDAL cannot open it; QGIS cannot load it as a layer.",
        _text_file,
        {
            ENGINE: Expect(ERROR, ("GDAL cannot open notes.tif as a raster",), "input"),
            JOB: Expect(ERROR, ("GDAL cannot open notes.tif as a raster",), "input"),
            PROCESSING: Expect(ERROR, ("notes.tif is not a raster QGIS can open",)),
            PANEL: Expect(NOT_OFFERED),
        },
    ),
    Case(
        "web-layer",
        "the raster is a web layer (WMS, XYZ tiles)",
        "Refused in Processing (save it as a GeoTIFF first); the panel does not list it.",
        _web_layer,
        {
            PROCESSING: Expect(
                ERROR,
                ("is a wms layer, which cannot be read tile by tile", "save it as a GeoTIFF first"),
            ),
            PANEL: Expect(NOT_OFFERED),
        },
    ),
    Case(
        "one-band",
        "the raster has 1 band and the model reads 3",
        "Refused before anything runs, naming the bands to choose; the panel asks for them.",
        _bands(1),
        {
            ENGINE: Expect(
                ERROR, ("has 1 band(s) but the model's default bands (1, 2, 3)",), "bands"
            ),
            JOB: Expect(ERROR, ("has 1 band(s) but the model's default bands (1, 2, 3)",), "bands"),
            PROCESSING: Expect(ERROR, ("The layer 'raster' has 1 band(s)",), "bands"),
            PANEL: Expect(BLOCKED, ("The raster has 1 band and the model reads 3",)),
        },
    ),
    Case(
        "two-band",
        "the raster has 2 bands and the model reads 3",
        "Refused before anything runs, naming the bands to choose; the panel asks for them.",
        _bands(2),
        {
            ENGINE: Expect(
                ERROR,
                ("has 2 band(s) but the model's default bands (1, 2, 3) include band 3",),
                "bands",
            ),
            JOB: Expect(ERROR, ("has 2 band(s)",), "bands"),
            PROCESSING: Expect(ERROR, ("The layer 'raster' has 2 band(s)",), "bands"),
            PANEL: Expect(BLOCKED, ("The raster has 2 bands and the model reads 3",)),
        },
    ),
    Case(
        "16-bit",
        "the raster holds 16-bit pixels and the model 8-bit imagery",
        "Runs, and warns that the model expects 8-bit values.",
        _pixels("uint16"),
        dict.fromkeys(
            PLACES,
            Expect(OK, ("holds 16-bit values (uint16) and the model expects 8-bit imagery",)),
        ),
    ),
    Case(
        "float",
        "the raster holds floating-point pixels",
        "Runs, and warns that the model expects 8-bit values.",
        _pixels("float32"),
        dict.fromkeys(PLACES, Expect(OK, ("holds floating-point values (float32)",))),
    ),
    Case(
        "all-nodata",
        "every pixel of the raster is no data",
        "Runs without running the model and says that nothing was segmented.",
        _all_nodata,
        dict.fromkeys(PLACES, Expect(OK, ("is no data", "nothing was segmented"))),
    ),
    Case(
        "smaller-than-a-tile",
        "the raster is smaller than one tile (7 x 10 px)",
        "Runs: the raster is mirrored out to a tile and the result cropped back.",
        _smaller_than_a_tile,
        dict.fromkeys(PLACES, Expect(OK)),
    ),
    Case(
        "no-crs",
        "the raster has no CRS",
        "Runs at its own pixel size; warns that areas cannot be given in m².",
        _no_crs,
        dict.fromkeys(PLACES, Expect(OK, ("no usable CRS or pixel size",))),
    ),
    Case(
        "rotated",
        "the raster's geotransform is rotated",
        "Runs; the output keeps the rotated geotransform.",
        _rotated,
        dict.fromkeys(PLACES, Expect(OK)),
    ),
    Case(
        "geographic",
        "the raster is in a geographic CRS (degrees)",
        "Runs; the pixel size in metres is taken at the raster's centre, areas in m².",
        _geographic,
        dict.fromkeys(PLACES, Expect(OK)),
    ),
    Case(
        "nodata-margins",
        "the raster is mostly no-data margin around a small image",
        "Runs; tiles with no valid pixel are skipped without running the model.",
        _nodata_margins,
        dict.fromkeys(PLACES, Expect(OK)),
    ),
    Case(
        "truncated-onnx",
        "the model file is a truncated ONNX file",
        "Refused: the file is said to be truncated; the panel cannot select it.",
        _model_file("truncated"),
        {
            ENGINE: Expect(
                ERROR, ("truncated.onnx is truncated or is not an ONNX model file",), "model"
            ),
            JOB: Expect(
                ERROR, ("truncated.onnx is truncated or is not an ONNX model file",), "model"
            ),
            PROCESSING: Expect(
                ERROR, ("truncated.onnx is truncated or is not an ONNX model",), "model"
            ),
            PANEL: Expect(BLOCKED, ("truncated.onnx cannot be read: pick another model.",)),
        },
    ),
    Case(
        "onnx-without-metadata",
        "the ONNX model has no metadata",
        "Runs with what the graph says (tile size, classes, bands), each fallback warned.",
        _model_file("no-metadata"),
        dict.fromkeys(PLACES, Expect(OK, ("the model names no classes",))),
    ),
    Case(
        "four-band-model",
        "the model reads 4 bands and the raster has 3",
        "Refused before anything runs, naming the bands to choose; the panel asks for them.",
        _model_file("four-band"),
        {
            ENGINE: Expect(
                ERROR, ("the model's default bands (1, 2, 3, 4) include band 4",), "bands"
            ),
            JOB: Expect(ERROR, ("the model's default bands (1, 2, 3, 4) include band 4",), "bands"),
            PROCESSING: Expect(ERROR, ("include band 4",), "bands"),
            PANEL: Expect(BLOCKED, ("The raster has 3 bands and the model reads 4",)),
        },
    ),
    Case(
        "not-onnx",
        "the model file is not ONNX (a PNG named .onnx)",
        "Refused: not an ONNX model file; the panel cannot select it.",
        _model_file("png"),
        {
            ENGINE: Expect(ERROR, ("model.onnx is not an ONNX model file",), "model"),
            JOB: Expect(ERROR, ("model.onnx is not an ONNX model file",), "model"),
            PROCESSING: Expect(ERROR, ("model.onnx is not an ONNX model file",), "model"),
            PANEL: Expect(BLOCKED, ("model.onnx cannot be read: pick another model.",)),
        },
    ),
    Case(
        "pickled-checkpoint",
        "the model is a torch checkpoint holding a pickled object",
        "Refused without unpickling it (weights_only=True): the payload never runs.",
        _pickled_checkpoint,
        {
            ENGINE: Expect(ERROR, ("holds Python objects besides tensors and was refused",)),
            JOB: Expect(ERROR, ("holds Python objects besides tensors and was refused",)),
            PROCESSING: Expect(ERROR, ("holds Python objects besides tensors",)),
            PANEL: Expect(BLOCKED, ("evil.pt cannot be read: pick another model.",)),
        },
    ),
    Case(
        "unwritable-folder",
        "the output folder cannot be written (read-only)",
        "Stops with a message that names the output; no file is left.",
        _unwritable_folder,
        {place: Expect(ERROR, ("cannot create",), "output") for place in PLACES},
    ),
    Case(
        "existing-output",
        "the output file exists",
        "Kept unless replacing is asked for (--overwrite; the panel asks; Processing's "
        "convention replaces it).",
        _existing_output,
        {
            JOB: Expect(ERROR, ("already exists: choose another output",), "overwrite"),
            PROCESSING: Expect(OK),
            PANEL: Expect(ASKED, ("Not run: choose another output file.",)),
        },
    ),
    Case(
        "output-open-as-layer",
        "the output file is open as a layer in the project",
        "Processing refuses to replace it; the panel asks, naming the layer.",
        _output_open_as_layer,
        {
            PROCESSING: Expect(ERROR, ("is open as the layer 'classes'",)),
            PANEL: Expect(ASKED, ("It is shown as the layer 'classes'",)),
        },
    ),
    Case(
        "input-is-output",
        "the output is the input raster",
        "Refused before anything is written, even when replacing was allowed.",
        _input_is_output,
        {place: Expect(ERROR, ("the output is the input raster",), "output") for place in PLACES},
    ),
    Case(
        "disk-full",
        "the disk fills up while the output is written",
        "Stops with a message that names the output; the partial file is removed.",
        _disk_full,
        {
            place: Expect(ERROR, ("cannot write classes.tif", "nothing was written"), "output")
            for place in PLACES
        },
    ),
    Case(
        "cuda-missing",
        "CUDA is asked for on a machine without it",
        "Runs on the CPU and says why.",
        _cuda,
        dict.fromkeys(PLACES, Expect(OK, _cuda_note())),
    ),
    Case(
        "onnxruntime-missing",
        "onnxruntime is not installed",
        "Says what is missing and the command that installs it; the panel shows it at once.",
        _without("onnxruntime"),
        {
            ENGINE: Expect(ERROR, ("onnxruntime is not installed in this Python",)),
            JOB: Expect(ERROR, ("onnxruntime is not installed in this Python",)),
            PROCESSING: Expect(ERROR, ("Missing or broken: onnxruntime", "pip install")),
            PANEL: Expect(BLOCKED, ("Install the missing packages listed above",)),
        },
    ),
    Case(
        "torch-missing",
        "the model is a torch checkpoint and torch is not installed",
        "Says that PyTorch is needed for it, or its ONNX file; the panel cannot select it.",
        _without("torch", model="checkpoint"),
        {
            ENGINE: Expect(ERROR, ("is a PyTorch checkpoint and PyTorch is not installed",)),
            JOB: Expect(ERROR, ("is a PyTorch checkpoint and PyTorch is not installed",)),
            PROCESSING: Expect(ERROR, ("is a PyTorch checkpoint and PyTorch is not installed",)),
            PANEL: Expect(BLOCKED, ("tiny.pt cannot be read: pick another model.",)),
        },
    ),
    Case(
        "bands-out-of-range",
        "a band is chosen that the raster does not have (7 of 3)",
        "Refused before anything runs; the panel offers only the raster's bands.",
        _bands_out_of_range,
        {
            ENGINE: Expect(ERROR, ("the bands chosen (1, 2, 7) include band 7",), "bands"),
            JOB: Expect(ERROR, ("the bands chosen (1, 2, 7) include band 7",), "bands"),
            PROCESSING: Expect(ERROR, ("include band 7",), "bands"),
            PANEL: Expect(NOT_OFFERED),
        },
    ),
    Case(
        "extent-outside",
        "the extent lies outside the raster",
        "Refused before anything runs, naming the extent (the map view, in the panel).",
        _extent_outside,
        {
            ENGINE: Expect(ERROR, ("does not overlap raster.tif",), "extent"),
            JOB: Expect(ERROR, ("does not overlap raster.tif",), "extent"),
            PROCESSING: Expect(ERROR, ("does not overlap",), "extent"),
            PANEL: Expect(ERROR, ("The map view does not overlap 'raster'.",)),
        },
    ),
    Case(
        "mask-outside",
        "the mask polygons lie outside the raster",
        "Refused before anything runs, naming the polygons to change.",
        _mask_outside,
        {
            place: Expect(ERROR, ("mask polygons do not overlap raster.tif",), "mask")
            for place in PLACES
        },
    ),
    Case(
        "labels-outside",
        "fine-tuning labels do not overlap the image",
        "Refused before training: the labels and the image do not overlap.",
        _labels("outside"),
        dict.fromkeys(PLACES, Expect(ERROR, ("no label polygon overlaps the image",))),
        job=FINETUNE,
    ),
    Case(
        "labels-one-class",
        "fine-tuning labels hold one class only",
        "Refused before training: at least two classes are needed.",
        _labels("one-class"),
        dict.fromkeys(PLACES, Expect(ERROR, ("the labels name one class only",))),
        job=FINETUNE,
    ),
    Case(
        "labels-points",
        "fine-tuning labels are points, not polygons",
        "Refused: labels must be polygons; the panel lists polygon layers only.",
        _labels("points"),
        {
            ENGINE: Expect(ERROR, ("holds point geometries: labels must be polygons",)),
            JOB: Expect(ERROR, ("holds point geometries: labels must be polygons",)),
            PROCESSING: Expect(ERROR, ("holds points or lines: draw the labels as polygons",)),
            PANEL: Expect(NOT_OFFERED),
        },
        job=FINETUNE,
    ),
]

CANCEL_CASE = Case(
    "cancel",
    "the run is cancelled at a random point (20 times in each place)",
    "Stops soon after; no output, no temporary file and no layer is left.",
    lambda world: Inputs(),
    dict.fromkeys(PLACES, Expect("cancelled")),
)

STATUS_WORDS["cancelled"] = "stops, leaves nothing"


def case(case_id: str) -> Case:
    return next(c for c in [*CASES, CANCEL_CASE] if c.id == case_id)
