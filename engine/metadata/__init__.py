"""Model metadata: the one source of truth for classes, colours, GSD, tiles and normalisation.

Stored in the ONNX file's ``metadata_props`` as JSON-encoded strings, the way Deepness
writes and reads them (``model_type`` = ``"Segmentor"`` with its quotes), so Deepness
models run here and ours run in Deepness. Our own keys carry the ``aerial_seg.`` prefix.

:mod:`.schema` holds the keys, the dataclasses and the conversion to and from props;
:mod:`.onnx_file` reads props out of (and writes them into) ONNX files.
"""

from .onnx_file import read_onnx_metadata, read_onnx_props, write_onnx_metadata
from .schema import (
    FALLBACK_PALETTE,
    FORMAT_VERSION,
    KEY_ARCHITECTURE,
    KEY_ARCHITECTURE_ARGS,
    KEY_CLASS_COLORS,
    KEY_CLASS_NAMES,
    KEY_DESCRIPTION,
    KEY_FORMAT_VERSION,
    KEY_INPUT_BANDS,
    KEY_MEAN,
    KEY_METRICS,
    KEY_MODEL_TYPE,
    KEY_OUTPUT_KIND,
    KEY_PIXEL_SCALE,
    KEY_RESOLUTION,
    KEY_SEG_THRESH,
    KEY_STD,
    KEY_TILE_OVERLAP,
    KEY_TILE_SIZE,
    KEY_TRAINING_DATA,
    KEY_VERSION,
    OUR_PREFIX,
    OUTPUT_KINDS,
    POTSDAM_CLASSES,
    ClassInfo,
    MetadataError,
    ModelMetadata,
    fallback_color,
    from_onnx_props,
    is_our_format,
    make_metadata,
    to_onnx_props,
)

__all__ = [
    "FALLBACK_PALETTE",
    "FORMAT_VERSION",
    "KEY_ARCHITECTURE",
    "KEY_ARCHITECTURE_ARGS",
    "KEY_CLASS_COLORS",
    "KEY_CLASS_NAMES",
    "KEY_DESCRIPTION",
    "KEY_FORMAT_VERSION",
    "KEY_INPUT_BANDS",
    "KEY_MEAN",
    "KEY_METRICS",
    "KEY_MODEL_TYPE",
    "KEY_OUTPUT_KIND",
    "KEY_PIXEL_SCALE",
    "KEY_RESOLUTION",
    "KEY_SEG_THRESH",
    "KEY_STD",
    "KEY_TILE_OVERLAP",
    "KEY_TILE_SIZE",
    "KEY_TRAINING_DATA",
    "KEY_VERSION",
    "OUR_PREFIX",
    "OUTPUT_KINDS",
    "POTSDAM_CLASSES",
    "ClassInfo",
    "MetadataError",
    "ModelMetadata",
    "fallback_color",
    "from_onnx_props",
    "is_our_format",
    "make_metadata",
    "read_onnx_metadata",
    "read_onnx_props",
    "to_onnx_props",
    "write_onnx_metadata",
]
