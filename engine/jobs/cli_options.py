"""Command-line flags built from an options dataclass's specs, and the dataclass from flags."""

from __future__ import annotations

import argparse
from typing import Any, TypeVar

from ..masking import PolygonMask
from ..options import option_default, option_fields

OptionsT = TypeVar("OptionsT")


def numbers(kind: type, count: int | None = None):
    """An argparse type for comma-separated numbers (``1,2,3``)."""

    def parse(text: str) -> tuple:
        try:
            values = [kind(v) for v in text.replace(" ", "").split(",") if v]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated numbers: {text!r}"
            ) from None
        if not values or (count is not None and len(values) != count):
            raise argparse.ArgumentTypeError(f"expected {count or 'some'} numbers: {text!r}")
        return tuple(values)

    return parse


_TYPES: dict[str, Any] = {
    "int": int,
    "float": float,
    "bands": numbers(int),
    "extent": numbers(float, 4),
    "mask": str,  # a vector file, read when the options are built (errors name --mask)
}
_METAVARS = {"bands": "1,2,3", "extent": "XMIN,YMIN,XMAX,YMAX", "mask": "POLYGONS"}


def add_option_arguments(parser: argparse.ArgumentParser, options_class: type) -> None:
    """One flag per option that has a command-line name, with its help and default."""
    group = parser.add_argument_group("options")
    for f, spec in option_fields(options_class):
        if not spec.cli:
            continue
        default = option_default(f)
        help_text = spec.help + (f" (default: {default})" if default is not None else "")
        if spec.kind == "bool":
            group.add_argument(
                spec.cli, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                help=spec.help,
            )  # fmt: skip
        elif spec.kind == "choice":
            group.add_argument(
                spec.cli, dest=f.name, choices=spec.choices, default=default, help=help_text
            )
        else:
            group.add_argument(
                spec.cli, dest=f.name, type=_TYPES[spec.kind], default=default,
                metavar=_METAVARS.get(spec.kind), help=help_text,
            )  # fmt: skip


def options_from_arguments(args: argparse.Namespace, options_class: type[OptionsT]) -> OptionsT:
    """The options dataclass filled from parsed flags (fields without a flag keep defaults)."""
    values = {}
    for f, spec in option_fields(options_class):
        if not spec.cli:
            continue
        value = getattr(args, f.name)
        if spec.kind == "mask" and value is not None:
            value = PolygonMask.from_file(value)
        values[f.name] = value
    return options_class(**values)
