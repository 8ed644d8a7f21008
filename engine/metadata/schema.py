"""The metadata schema: keys, the :class:`ModelMetadata` dataclass, and its conversion to
and from the string props a model file stores (JSON-encoded, Deepness' convention).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

FORMAT_VERSION = 1
OUR_PREFIX = "aerial_seg."
OUTPUT_KINDS = ("logits", "probabilities", "sigmoid")

# Deepness-compatible keys.
KEY_MODEL_TYPE = "model_type"
KEY_CLASS_NAMES = "class_names"
KEY_RESOLUTION = "resolution"
KEY_TILE_SIZE = "tiles_size"
KEY_TILE_OVERLAP = "tiles_overlap"
KEY_MEAN = "standardization_mean"
KEY_STD = "standardization_std"
KEY_SEG_THRESH = "seg_thresh"
# Ours.
KEY_FORMAT_VERSION = OUR_PREFIX + "format_version"
KEY_CLASS_COLORS = OUR_PREFIX + "class_colors"
KEY_INPUT_BANDS = OUR_PREFIX + "input_bands"
KEY_PIXEL_SCALE = OUR_PREFIX + "pixel_scale"
KEY_OUTPUT_KIND = OUR_PREFIX + "output_kind"
KEY_ARCHITECTURE = OUR_PREFIX + "architecture"
KEY_ARCHITECTURE_ARGS = OUR_PREFIX + "architecture_args"
KEY_TRAINING_DATA = OUR_PREFIX + "training_data"
KEY_METRICS = OUR_PREFIX + "metrics"
KEY_VERSION = OUR_PREFIX + "version"
KEY_DESCRIPTION = OUR_PREFIX + "description"

# Colours for models that name classes but bring no colours (a qualitative palette).
FALLBACK_PALETTE = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip


class MetadataError(ValueError):
    """A metadata key is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class ClassInfo:
    index: int
    name: str
    color: tuple[int, int, int]


# ISPRS Potsdam/Vaihingen classes with the benchmark's label colours. Used to build the
# metadata of models trained here; everything downstream reads classes from the metadata.
POTSDAM_CLASSES: tuple[ClassInfo, ...] = (
    ClassInfo(0, "impervious surfaces", (255, 255, 255)),
    ClassInfo(1, "building", (0, 0, 255)),
    ClassInfo(2, "low vegetation", (0, 255, 255)),
    ClassInfo(3, "tree", (0, 255, 0)),
    ClassInfo(4, "car", (255, 255, 0)),
    ClassInfo(5, "clutter", (255, 0, 0)),
)


@dataclass(frozen=True)
class ModelMetadata:
    """What a segmentation model file says about itself.

    ``heads`` holds one class list per model output (Deepness allows several outputs,
    each an independent head); most models have one, exposed as ``classes``.
    """

    heads: tuple[tuple[ClassInfo, ...], ...]
    resolution_cm: float | None = None
    tile_size: int | None = None
    tile_overlap_pct: float = 15.0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    pixel_scale: float = 255.0
    input_bands: tuple[int, ...] = (1, 2, 3)
    output_kind: str = "probabilities"
    architecture: str | None = None
    architecture_args: dict = field(default_factory=dict)
    model_type: str = "Segmentor"
    seg_thresh: float = 0.5
    # Deepness applies seg_thresh to every output: a pixel whose best class scores below it
    # gets class 0. True for foreign models that state seg_thresh; ours use it for
    # one-channel (sigmoid) outputs only, and never write this flag.
    threshold_all_classes: bool = False
    training_data: str = ""
    metrics: dict = field(default_factory=dict)
    version: str = ""
    description: str = ""
    missing: tuple[str, ...] = ()

    @property
    def classes(self) -> tuple[ClassInfo, ...]:
        return self.heads[0] if self.heads else ()

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def with_changes(self, **changes: Any) -> ModelMetadata:
        return replace(self, **changes)


def make_metadata(
    class_names: list[str],
    class_colors: list[tuple[int, int, int]] | None = None,
    **fields: Any,
) -> ModelMetadata:
    """Build single-head metadata from parallel name and colour lists."""
    colors = class_colors or [fallback_color(i) for i in range(len(class_names))]
    if len(colors) != len(class_names):
        raise MetadataError(
            f"{KEY_CLASS_COLORS}: {len(colors)} colours for {len(class_names)} classes"
        )
    head = tuple(ClassInfo(i, n, tuple(c)) for i, (n, c) in enumerate(zip(class_names, colors)))
    return ModelMetadata(heads=(head,), **fields)


def fallback_color(index: int) -> tuple[int, int, int]:
    """A readable colour for class ``index`` of a model that names no colours."""
    return FALLBACK_PALETTE[index % len(FALLBACK_PALETTE)]


# --- to and from the stored props ------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def to_onnx_props(meta: ModelMetadata) -> dict[str, str]:
    """Every key as a JSON string, Deepness' convention."""

    def names(head: tuple[ClassInfo, ...]) -> dict[str, str]:
        return {str(c.index): c.name for c in head}

    class_names: Any = (
        names(meta.classes) if len(meta.heads) == 1 else [names(h) for h in meta.heads]
    )
    props = {
        KEY_MODEL_TYPE: meta.model_type,
        KEY_CLASS_NAMES: class_names,
        KEY_RESOLUTION: meta.resolution_cm,
        KEY_TILE_SIZE: meta.tile_size,
        KEY_TILE_OVERLAP: meta.tile_overlap_pct,
        KEY_MEAN: list(meta.mean),
        KEY_STD: list(meta.std),
        KEY_SEG_THRESH: meta.seg_thresh,
        KEY_FORMAT_VERSION: FORMAT_VERSION,
        KEY_CLASS_COLORS: [list(c.color) for c in meta.classes],
        KEY_INPUT_BANDS: list(meta.input_bands),
        KEY_PIXEL_SCALE: meta.pixel_scale,
        KEY_OUTPUT_KIND: meta.output_kind,
        KEY_ARCHITECTURE: meta.architecture,
        KEY_ARCHITECTURE_ARGS: meta.architecture_args,
        KEY_TRAINING_DATA: meta.training_data,
        KEY_METRICS: meta.metrics,
        KEY_VERSION: meta.version,
        KEY_DESCRIPTION: meta.description,
    }
    return {key: _dump(value) for key, value in props.items()}


class _Props:
    """Typed access to the raw props; every error names its key."""

    def __init__(self, props: Mapping[str, str], strict: bool):
        self.props = props
        self.strict = strict
        self.missing: list[str] = []

    def raw(self, key: str) -> Any:
        if key not in self.props:
            if self.strict:
                raise MetadataError(f"model metadata lacks the key '{key}'")
            self.missing.append(key)
            return None
        text = self.props[key]
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            # Some writers store bare strings without JSON quotes.
            return text

    def number(self, key: str, kind: type = float, allow_none: bool = False) -> Any:
        value = self.raw(key)
        if value is None:
            if key in self.props and not allow_none:
                raise MetadataError(f"model metadata key '{key}' is null; a number is needed")
            return None
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise MetadataError(f"model metadata key '{key}' is not a number: {value!r}") from None
        # A threshold of 0 is none (Deepness' reading; ours for softmax outputs).
        zero_allowed = key == KEY_SEG_THRESH and number == 0
        if number <= 0 and key != KEY_TILE_OVERLAP and not zero_allowed:
            raise MetadataError(f"model metadata key '{key}' must be positive, got {value!r}")
        return number

    def numbers(self, key: str) -> tuple[float, ...] | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int | float):
            value = [value]
        if not isinstance(value, list) or not value:
            raise MetadataError(f"model metadata key '{key}' must be a list of numbers: {value!r}")
        try:
            return tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise MetadataError(
                f"model metadata key '{key}' must hold numbers: {value!r}"
            ) from None

    def mapping(self, key: str) -> dict:
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise MetadataError(f"model metadata key '{key}' must be a JSON object: {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.raw(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise MetadataError(f"model metadata key '{key}' must be a string: {value!r}")
        return value


def _parse_names(value: Any) -> list[list[str]]:
    """Deepness writes ``{"0": "a", "1": "b"}``, or a list of such objects, one per head."""
    heads = value if isinstance(value, list) and value and isinstance(value[0], dict) else [value]
    parsed = []
    for head in heads:
        if isinstance(head, dict):
            try:
                items = sorted((int(k), str(v)) for k, v in head.items())
            except ValueError:
                raise MetadataError(f"'{KEY_CLASS_NAMES}' keys must be class indices") from None
            if [i for i, _ in items] != list(range(len(items))):
                raise MetadataError(f"'{KEY_CLASS_NAMES}' indices must run 0..n-1: {head}")
            parsed.append([n for _, n in items])
        elif isinstance(head, list) and all(isinstance(n, str) for n in head):
            parsed.append(list(head))
        else:
            raise MetadataError(f"'{KEY_CLASS_NAMES}' must map indices to names: {head!r}")
        if not parsed[-1]:
            raise MetadataError(f"'{KEY_CLASS_NAMES}' names no class")
    return parsed


def _parse_colors(value: Any, count: int) -> list[tuple[int, int, int]]:
    if not isinstance(value, list) or len(value) != count:
        raise MetadataError(f"'{KEY_CLASS_COLORS}' must list {count} colours, one per class")
    colors = []
    for color in value:
        if isinstance(color, str) and color.startswith("#") and len(color) == 7:
            color = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
        if not (isinstance(color, list) and len(color) == 3 and all(
            isinstance(c, int) and 0 <= c <= 255 for c in color
        )):  # fmt: skip
            raise MetadataError(
                f"'{KEY_CLASS_COLORS}' holds a colour that is not [r, g, b]: {color!r}"
            )
        colors.append(tuple(color))
    return colors


def is_our_format(props: Mapping[str, str]) -> bool:
    return KEY_FORMAT_VERSION in props


def from_onnx_props(props: Mapping[str, str], *, strict: bool | None = None) -> ModelMetadata:
    """Parse metadata props; ``strict`` defaults to "is it one of our files".

    Strict: every key must be there. Lenient (Deepness and other foreign models): absent
    keys get defaults and are listed in ``missing``. A present but malformed key raises
    :class:`MetadataError` either way.
    """
    if strict is None:
        strict = is_our_format(props)
    p = _Props(props, strict)
    if strict:
        version = p.number(KEY_FORMAT_VERSION, int)
        if version > FORMAT_VERSION:
            raise MetadataError(
                f"'{KEY_FORMAT_VERSION}' is {version}; this plugin reads up to {FORMAT_VERSION}:"
                " update the plugin"
            )
    model_type = p.text(KEY_MODEL_TYPE) or "Segmentor"
    if model_type.lower() != "segmentor":
        raise MetadataError(
            f"'{KEY_MODEL_TYPE}' is '{model_type}': only segmentation models (Segmentor) run here"
        )
    names_value = p.raw(KEY_CLASS_NAMES)
    head_names = _parse_names(names_value) if names_value is not None else []
    colors_value = p.raw(KEY_CLASS_COLORS)
    heads = []
    for h, names in enumerate(head_names):
        if h == 0 and colors_value is not None:
            colors = _parse_colors(colors_value, len(names))
        else:
            colors = [fallback_color(i) for i in range(len(names))]
        heads.append(tuple(ClassInfo(i, n, c) for i, (n, c) in enumerate(zip(names, colors))))

    mean, std = p.numbers(KEY_MEAN), p.numbers(KEY_STD)
    if std is not None and any(s <= 0 for s in std):
        raise MetadataError(f"'{KEY_STD}' values must be positive: {list(std)}")
    bands_value = p.raw(KEY_INPUT_BANDS)
    if bands_value is None:
        bands = (1, 2, 3)
    elif (
        isinstance(bands_value, list)
        and bands_value
        and all(isinstance(b, int) and b >= 1 for b in bands_value)
    ):
        bands = tuple(bands_value)
    else:
        raise MetadataError(f"'{KEY_INPUT_BANDS}' must list 1-based band numbers: {bands_value!r}")
    output_kind = p.text(KEY_OUTPUT_KIND) or "probabilities"
    if output_kind not in OUTPUT_KINDS:
        raise MetadataError(f"'{KEY_OUTPUT_KIND}' must be one of {OUTPUT_KINDS}: {output_kind!r}")
    overlap = p.number(KEY_TILE_OVERLAP)
    if overlap is not None and not 0 <= overlap < 100:
        raise MetadataError(f"'{KEY_TILE_OVERLAP}' is a percentage in [0, 100): {overlap}")
    architecture = p.raw(KEY_ARCHITECTURE)
    if architecture is not None and not isinstance(architecture, str):
        raise MetadataError(f"'{KEY_ARCHITECTURE}' must be a string: {architecture!r}")

    stated_thresh = KEY_SEG_THRESH in props
    seg_thresh = p.number(KEY_SEG_THRESH) if stated_thresh else 0.5
    meta = ModelMetadata(
        heads=tuple(heads),
        resolution_cm=p.number(KEY_RESOLUTION, allow_none=True),
        tile_size=p.number(KEY_TILE_SIZE, int, allow_none=True),
        tile_overlap_pct=15.0 if overlap is None else overlap,
        mean=mean if mean is not None else (0.0,) * len(bands),
        std=std if std is not None else (1.0,) * len(bands),
        pixel_scale=p.number(KEY_PIXEL_SCALE) or 255.0,
        input_bands=bands,
        output_kind=output_kind,
        architecture=architecture,
        architecture_args=p.mapping(KEY_ARCHITECTURE_ARGS),
        model_type=model_type,
        seg_thresh=seg_thresh,
        threshold_all_classes=stated_thresh and not strict,
        training_data=p.text(KEY_TRAINING_DATA),
        metrics=p.mapping(KEY_METRICS),
        version=p.text(KEY_VERSION),
        description=p.text(KEY_DESCRIPTION) if KEY_DESCRIPTION in props else "",
        missing=tuple(p.missing),
    )
    for key, values in ((KEY_MEAN, meta.mean), (KEY_STD, meta.std)):
        if len(values) not in (1, len(bands)):
            raise MetadataError(f"'{key}' has {len(values)} values for {len(bands)} input bands")
    return meta
