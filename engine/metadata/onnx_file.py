"""Model metadata in ONNX files: read without onnx or onnxruntime, written with onnx.

An ONNX file is a protobuf ``ModelProto``; ``metadata_props`` is its field 14, a repeated
``StringStringEntryProto {key = 1; value = 2}``. Scanning the top-level fields and seeking
over the graph reads a 300 MB model's metadata in microseconds, with no session.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from .schema import MetadataError, ModelMetadata, from_onnx_props, to_onnx_props

_METADATA_FIELD = 14
_GRAPH_FIELD = 7
_LENGTH_DELIMITED = 2


def _read_varint(stream: BinaryIO) -> int | None:
    """The next protobuf varint, or None at a clean end of the stream."""
    shift = result = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise MetadataError("the ONNX model file is truncated or corrupt")
            return None
        result |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return result
        shift += 7
        if shift > 63:
            raise MetadataError("not an ONNX model file (bad protobuf varint)")


def _parse_entry(data: bytes) -> tuple[str, str]:
    """Key and value of one ``StringStringEntryProto``."""
    stream = io.BytesIO(data)
    key = value = ""
    while (tag := _read_varint(stream)) is not None:
        length = _read_varint(stream)
        if tag & 7 != _LENGTH_DELIMITED or length is None or stream.tell() + length > len(data):
            raise MetadataError("the ONNX metadata_props entry is malformed")
        text = stream.read(length).decode("utf-8", errors="replace")
        if tag >> 3 == 1:
            key = text
        elif tag >> 3 == 2:
            value = text
    return key, value


def read_onnx_props(path: str | os.PathLike) -> dict[str, str]:
    """The raw ``metadata_props`` of an ONNX file; raises MetadataError if it is no ONNX file."""
    path = Path(path)
    size = path.stat().st_size
    props: dict[str, str] = {}
    seen_graph = False
    with path.open("rb") as stream:
        while True:
            tag = _read_varint(stream)
            if tag is None:
                break
            number, wire = tag >> 3, tag & 7
            if number == 0:
                raise MetadataError(f"{path.name} is not an ONNX model file")
            if wire == 0:
                _read_varint(stream)
            elif wire == 1:
                stream.seek(8, os.SEEK_CUR)
            elif wire == 5:
                stream.seek(4, os.SEEK_CUR)
            elif wire == _LENGTH_DELIMITED:
                length = _read_varint(stream)
                if length is None or stream.tell() + length > size:
                    raise MetadataError(f"{path.name} is truncated or is not an ONNX model file")
                if number == _METADATA_FIELD:
                    key, value = _parse_entry(stream.read(length))
                    props[key] = value
                else:
                    seen_graph |= number == _GRAPH_FIELD
                    stream.seek(length, os.SEEK_CUR)
            else:
                raise MetadataError(f"{path.name} is not an ONNX model file")
    if not seen_graph:
        raise MetadataError(f"{path.name} is not an ONNX model file (it holds no graph)")
    return props


def read_onnx_metadata(path: str | os.PathLike, *, strict: bool | None = None) -> ModelMetadata:
    return from_onnx_props(read_onnx_props(path), strict=strict)


def write_onnx_metadata(
    onnx_path: str | os.PathLike, meta: ModelMetadata, extra: Mapping[str, str] | None = None
) -> None:
    """Embed ``meta`` in an ONNX file (export time only: needs the ``onnx`` package), with
    ``extra`` props beside it (the trainer's records); other props already there are kept."""
    import onnx

    path = Path(onnx_path)
    model = onnx.load(str(path))
    props = {**to_onnx_props(meta), **(extra or {})}
    kept = [p for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    partial = path.with_name(path.name + ".part")
    onnx.save(model, str(partial))
    partial.replace(path)
