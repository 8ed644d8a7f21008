"""The fine-tuned model's classes, from the label values and the base model's classes.

A label value that names a base class (case-insensitive) or is a base class index keeps that
class's head row and colour; other names become new classes (a new head row, colour from the
labels' categorized style, else a fixed readable palette). A name one letter away from a base
class is taken for a typo and refused with a suggestion, rather than silently becoming a class.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.metadata import ClassInfo

from .errors import FinetuneError

# Distinct, readable on imagery, none white (invisible on a white canvas).
NEW_CLASS_PALETTE = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (127, 127, 127),
)  # fmt: skip
TYPO_SIMILARITY = 0.85


@dataclass(frozen=True)
class ClassScheme:
    """Output classes of the fine-tuned model and where each comes from."""

    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]
    base_rows: tuple[int | None, ...]  # the base head's row for each class, None if new
    lookup: dict[str, int]  # normalised label value -> class index

    def __len__(self) -> int:
        return len(self.names)

    def index_of(self, value: str | int) -> int:
        return self.lookup[_key(value)]

    @property
    def new_classes(self) -> list[str]:
        return [n for n, row in zip(self.names, self.base_rows) if row is None]


def _key(value: str | int) -> str:
    return str(value).strip().lower()


def build_scheme(
    values: Iterable[str | int],
    base: Sequence[ClassInfo],
    style_colors: dict[str, tuple[int, int, int]] | None = None,
    keep_base_classes: bool = False,
) -> ClassScheme:
    """Classes in base order (those the labels use, or all with ``keep_base_classes``),
    then new names in alphabetical order."""
    style = {k.lower(): v for k, v in (style_colors or {}).items()}
    by_name = {c.name.lower(): c for c in base}
    used_base: dict[int, set[str]] = {}
    new_names: dict[str, str] = {}  # key -> name as first written
    for value in values:
        key = _key(value)
        if isinstance(value, int) or key.lstrip("-").isdigit():
            index = int(key)
            if not 0 <= index < len(base):
                raise FinetuneError(
                    f"class index {index} is not a class of the base model (0–{len(base) - 1}: "
                    f"{', '.join(c.name for c in base)}); use its index or name, or a new name"
                )
            used_base.setdefault(index, set()).add(key)
        elif key in by_name:
            used_base.setdefault(by_name[key].index, set()).add(key)
        else:
            close = difflib.get_close_matches(key, by_name, n=1, cutoff=TYPO_SIMILARITY)
            if close:
                raise FinetuneError(
                    f"unknown class '{value}': did you mean '{by_name[close[0]].name}'? "
                    "Correct the class value in the labels"
                )
            new_names.setdefault(key, str(value).strip())
    rows = sorted(range(len(base)) if keep_base_classes else used_base)
    names = [base[i].name for i in rows]
    colors = [tuple(base[i].color) for i in rows]
    lookup: dict[str, int] = {}
    for position, row in enumerate(rows):
        lookup[base[row].name.lower()] = position
        lookup[str(row)] = position
        for key in used_base.get(row, ()):
            lookup[key] = position
    for n, key in enumerate(sorted(new_names)):
        lookup[key] = len(names)
        names.append(new_names[key])
        colors.append(style.get(key) or NEW_CLASS_PALETTE[n % len(NEW_CLASS_PALETTE)])
    if len(names) < 2:
        raise FinetuneError(
            f"the labels name one class only ({names[0] if names else 'none'}): draw polygons "
            "of at least two classes, so the model learns what tells them apart"
        )
    base_rows = tuple(rows) + (None,) * (len(names) - len(rows))
    return ClassScheme(tuple(names), tuple(colors), base_rows, lookup)  # type: ignore[arg-type]
