"""The per-run choices of a segmentation: one dataclass that every caller fills.

Each field carries an :class:`OptionSpec` that says how it is offered: its words in the
panel and the Processing dialog, its command-line flag, its Processing parameter name.
The command line (``engine.jobs.cli_options``), the Processing algorithm
(``toolbox.option_parameters``) and the panel (``ui.option_form``) build themselves from
these specs, so an option added here appears in all three, and an error about it
(``InputError(..., option="bands")``) is worded in the place the user is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, Field, dataclass, field, fields

from .masking import PolygonMask

SPEC_KEY = "option"

# What each kind of option holds (``None`` always means "the default": the model's own
# value where a model states one):
#   choice  one of ``choices`` (str)          int / float  a number within min..max
#   bool    True / False                      bands        1-based band numbers, in order
#   extent  xmin, ymin, xmax, ymax            mask         a PolygonMask
#   path    a file each place asks for in its own way (input, model, output): a spec only
#           names it in messages
KINDS = ("choice", "int", "float", "bool", "bands", "extent", "mask", "path")


@dataclass(frozen=True)
class OptionSpec:
    """How one option is offered to the user, wherever they are."""

    kind: str
    label: str  # the panel's and the Processing dialog's words: "Tile overlap (%)"
    help: str  # one sentence: tooltip, --help, Processing help
    cli: str | None = None  # "--overlap"; None: not on the command line
    processing: str | None = None  # "OVERLAP"; None: not a Processing parameter
    panel: bool = True  # in the panel's form (else the panel sets it its own way)
    section: str = "options"  # the panel's box the option sits in: "options" or "output"
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()  # the panel's words for ``choices``
    minimum: float | None = None
    maximum: float | None = None
    default_label: str = "Model's"  # how ``None`` reads in the panel
    panel_name: str = ""  # how the panel names an option it sets outside its Options section

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown option kind {self.kind!r}; one of {KINDS}")

    def name_in(self, place: str) -> str:
        """The option's name as the user sees it in ``place`` (cli, processing or panel)."""
        if place == "cli" and self.cli:
            return self.cli
        if place == "processing" and self.processing:
            return f"the {self.processing} parameter"
        if place == "panel" and self.panel_name:
            return self.panel_name
        return f"'{self.label}'"


def option(default: object = None, **spec: object) -> Field:
    """A dataclass field with its :class:`OptionSpec` (keyword arguments)."""
    if isinstance(default, list | dict | set):
        raise TypeError("use a tuple or None as an option's default")
    return field(default=default, metadata={SPEC_KEY: OptionSpec(**spec)})


def option_fields(options_class: type) -> list[tuple[Field, OptionSpec]]:
    """The fields of an options dataclass that carry a spec, in declaration order."""
    return [(f, f.metadata[SPEC_KEY]) for f in fields(options_class) if SPEC_KEY in f.metadata]


def option_default(f: Field) -> object:
    return None if f.default is MISSING else f.default


@dataclass
class SegmentationOptions:
    """Per-run choices; ``None`` means "what the model's metadata says"."""

    device: str = option(
        "auto",
        kind="choice",
        label="Device",
        help="auto runs on a CUDA GPU when onnxruntime-gpu finds one, else on the CPU",
        cli="--device",
        processing="DEVICE",
        choices=("auto", "cpu", "cuda"),
        choice_labels=("Auto", "CPU", "CUDA GPU"),
    )
    tile_size: int | None = option(
        kind="int",
        label="Tile size (px)",
        help="model input in pixels per side; empty: the model's own",
        cli="--tile",
        processing="TILE_SIZE",
        panel=False,
        minimum=16,
        maximum=8192,
    )
    overlap_pct: float | None = option(
        kind="float",
        label="Tile overlap (%)",
        help="overlap between tiles in percent (smoother seams, slower); empty: the model's own",
        cli="--overlap",
        processing="OVERLAP",
        minimum=0,
        maximum=50,
    )
    batch_size: int = option(
        4,
        kind="int",
        label="Batch size",
        help="tiles per model call; lower it when memory runs out",
        cli="--batch-size",
        processing="BATCH_SIZE",
        minimum=1,
        maximum=256,
    )
    bands: Sequence[int] | None = option(
        kind="bands",
        label="Bands",
        help="the raster bands fed to the model, in the model's order; empty: the model's own",
        cli="--bands",
        processing="BANDS",
    )
    extent: Sequence[float] | None = option(
        kind="extent",
        label="Extent",
        help="segment only this area (xmin, ymin, xmax, ymax in the raster's CRS)",
        cli="--extent",
        processing="EXTENT",
        panel=False,  # the panel's Area section
        panel_name="'Current map view' (Area)",
    )
    mask: PolygonMask | None = option(  # noqa: RUF009 - option() returns a dataclass field
        kind="mask",
        label="Only inside polygons",
        help="segment only inside these polygons (a polygon layer or vector file)",
        cli="--mask",
        processing="MASK",
        panel=False,  # the panel's Area section
        panel_name="'Selected polygons' (Area)",
    )
    num_threads: int | None = option(
        kind="int",
        label="Threads",
        help="inference threads; empty: onnxruntime's choice",
        cli="--threads",
        panel=False,
        minimum=1,
        maximum=256,
    )
    resample: bool = option(
        True,
        kind="bool",
        label="Run at the model's pixel size",
        help="resample to the model's GSD for inference (the output stays on the raster's grid)",
        cli="--resample",
        panel=False,
    )
    tta: bool = option(
        False,
        kind="bool",
        label="Test-time augmentation (8× the time)",
        help="average the class probabilities of 8 flipped and rotated views of every tile: "
        "steadier results, 8 times the model time",
        cli="--tta",
        processing="TTA",
    )
    min_area_m2: float | None = option(
        kind="float",
        label="Smallest polygon (m²)",
        help="patches smaller than this are merged into their largest neighbour before the "
        "classes are turned into polygons (polygon output only); empty: keep every patch",
        cli="--min-area",
        processing="MIN_AREA",
        section="output",
        minimum=0,
        maximum=1_000_000,
        default_label="Every patch",
    )
    cog: bool = option(
        False,
        kind="bool",
        label="Cloud-Optimized GeoTIFF",
        help="write the GeoTIFFs as Cloud-Optimized GeoTIFFs (overviews first, for web "
        "servers and object storage)",
        cli="--cog",
        processing="COG",
        section="output",
    )
