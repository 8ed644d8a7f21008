"""Build ``devtools/qgis_enums.json``, the QGIS enum table the Qt6 check resolves against.

QGIS 4 (Qt6) accepts QGIS enum members only in their scoped form
(``Qgis.MessageLevel.Critical``, not ``Qgis.Critical``), and many enums moved between 3.22
and 3.40 (``QgsMapLayerProxyModel.RasterLayer`` became ``Qgis.LayerFilter.RasterLayer``,
``QgsProcessing.TypeRaster`` became ``Qgis.ProcessingSourceType.Raster``). No QGIS 4 runs
here, so the table comes from the QGIS releases that do:

    python -m devtools.qgis_enum_table dump > qgis-3.22.json    # on each QGIS release
    python -m devtools.qgis_enum_table merge qgis-3.22.json qgis-3.40.json [qgis-3.44.json]

``dump`` lists, for every class of qgis.core / qgis.gui / qgis.analysis, each enum member
reachable as a class attribute with the scoped home it really lives at, each enum type
reachable from the class, and the members of every enum. ``merge`` keeps the newest release's
homes as the fixes (the scoped forms are what QGIS 4 keeps) and notes, for each home an older
release lacks, that release's own scoped form when it still resolves on every release.
``make test-newer-qgis`` writes the dumps of its Debian roots to the roots' folder.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import json
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "qgis_enums.json"
QGIS_MODULES = ("qgis.core", "qgis.gui", "qgis.analysis")
MODULE = "<module>"  # the owner of module-level enums in the tables


def _is_enum_type(value: object) -> bool:
    """A Python enum (newer QGIS) or a sip enum type (older QGIS) of QGIS."""
    if not str(getattr(value, "__module__", "")).startswith("qgis."):
        return False
    if isinstance(value, type) and issubclass(value, enum.Enum):
        return True
    return type(value).__name__ == "enumtype"


def _member_home(value: object, attribute: str) -> str | None:
    """``Qgis.MessageLevel.Critical`` for a QGIS enum member, None for anything else."""
    kind = type(value)
    if not kind.__module__.startswith("qgis."):
        return None
    if isinstance(value, enum.Enum):
        return f"{kind.__qualname__}.{value.name}"
    if type(kind).__name__ == "enumtype":  # sip: members are ints of the enum type
        return f"{kind.__qualname__}.{attribute}"
    return None


def _enum_members(enum_type: object, owner: type) -> list[str]:
    if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum):
        # Plus the old names QGIS patches onto moved enums for compatibility (in its Qt6
        # builds too): QgsProcessing.SourceType.TypeRaster is Qgis.ProcessingSourceType.Raster.
        aliases = [
            name
            for name, value in vars(enum_type).items()
            if isinstance(value, enum_type) and name not in enum_type.__members__
        ]
        return list(enum_type.__members__) + aliases
    return [name for name in dir(owner) if type(getattr(owner, name, None)) is enum_type]


def _qgis_bases(name: str, owner: type) -> list[str]:
    # qgis.core.QgsProviderMetadata is a Python subclass of the sip class of that name.
    return [
        base.__name__
        for base in owner.__bases__
        if base.__module__.startswith("qgis.") and base.__name__ != name
    ]


def _qgis_names():
    for module_name in QGIS_MODULES:
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            if name.startswith(("Qgs", "Qgis")):
                yield name, getattr(module, name)


def dump() -> dict:
    """The running QGIS' enum accesses, enum types, enum members and class tree."""
    from qgis.core import Qgis

    unscoped: dict[str, dict[str, str]] = {}
    enum_types: dict[str, dict[str, str]] = {}
    enums: dict[str, list[str]] = {}
    bases: dict[str, list[str]] = {}
    nested: dict[str, list[str]] = {}  # other classes reachable from a class
    for class_name, owner in _qgis_names():
        if _is_enum_type(owner):  # a module-level enum: QgsMapLayerType.RasterLayer
            enum_types.setdefault(MODULE, {})[class_name] = owner.__qualname__
            enums.setdefault(owner.__qualname__, _enum_members(owner, owner))
            continue
        if not isinstance(owner, type):
            continue
        bases[class_name] = _qgis_bases(class_name, owner)
        for attribute in dir(owner):
            try:
                value = getattr(owner, attribute)
            except Exception:  # a few sip descriptors raise on class access
                continue
            if _is_enum_type(value):
                home = value.__qualname__
                enum_types.setdefault(class_name, {})[attribute] = home
                enums.setdefault(home, _enum_members(value, owner))
                continue
            if isinstance(value, type) and not attribute.startswith("_"):
                nested.setdefault(class_name, []).append(attribute)
                continue
            home = _member_home(value, attribute)
            if home is not None:
                unscoped.setdefault(class_name, {})[attribute] = home
    return {
        "qgis": Qgis.QGIS_VERSION.split("-")[0],
        "unscoped": unscoped,
        "enum_types": enum_types,
        "enums": enums,
        "bases": {name: found for name, found in bases.items() if found},
        "nested": nested,
        "classes": sorted(bases),
    }


def lookup(table: dict, bases: dict, class_name: str, attribute: str) -> str | None:
    """``table[class][attribute]``, or what the class inherits (tables list that once)."""
    pending, seen = [class_name], set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        found = table.get(name, {}).get(attribute)
        if found is not None:
            return found
        pending += bases.get(name, [])
    return None


def resolves(release: dict, path: str) -> bool:
    """Whether ``Class.Enum.member`` (or ``Enum.member`` of the module) is valid on a release
    (a dump or the merged table)."""
    parts = path.split(".")
    if len(parts) == 2:
        parts.insert(0, MODULE)
    if len(parts) != 3:
        return False
    class_name, enum_name, member = parts
    home = lookup(release["enum_types"], release["bases"], class_name, enum_name)
    members = release["enums"].get(home, ())
    return member in (members.split() if isinstance(members, str) else members)


def _compact(table: dict, bases: dict) -> dict:
    """Drop entries a class only inherits unchanged (its bases list them)."""
    compact = {}
    for name, entries in table.items():
        own = {
            key: value
            for key, value in entries.items()
            if value not in [lookup(table, bases, base, key) for base in bases.get(name, [])]
        }
        if own:
            compact[name] = dict(sorted(own.items()))
    return dict(sorted(compact.items()))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def merge(dumps: list[dict]) -> dict:
    """The table: the newest release's homes as fixes, and what the older ones lack."""
    dumps = sorted(dumps, key=lambda d: _version_key(d["qgis"]))
    newest = dumps[-1]
    missing: dict[str, dict[str, str | None]] = {}
    for class_name, members in newest["unscoped"].items():
        for attribute, home in members.items():
            for older in dumps[:-1]:
                if resolves(older, home):
                    continue
                old_home = lookup(older["unscoped"], older["bases"], class_name, attribute)
                if old_home is None:
                    continue  # new since that release: code using it needs a newer QGIS anyway
                everywhere = all(resolves(release, old_home) for release in dumps)
                missing.setdefault(home, {})[older["qgis"]] = old_home if everywhere else None
    return {
        "about": "Generated by python -m devtools.qgis_enum_table merge; do not edit.",
        "releases": [d["qgis"] for d in dumps],
        "missing": dict(sorted(missing.items())),
        "gone": _gone_enum_types(dumps),
        "bases": dict(sorted(newest["bases"].items())),
        "unscoped": _compact(newest["unscoped"], newest["bases"]),
        "enum_types": _compact(newest["enum_types"], newest["bases"]),
        "enums": {home: " ".join(members) for home, members in sorted(newest["enums"].items())},
    }


def _gone_enum_types(dumps: list[dict]) -> list[str]:
    """``Class.Enum`` paths of older releases that the newest has no attribute for."""
    newest = dumps[-1]
    nested = {name: dict.fromkeys(names, True) for name, names in newest["nested"].items()}
    gone = set()
    for older in dumps[:-1]:
        for class_name, enum_types in older["enum_types"].items():
            if class_name not in newest["classes"]:
                continue  # module-level, or a class that went away: that fails at import
            for enum_name in enum_types:
                if not any(
                    lookup(table, newest["bases"], class_name, enum_name) is not None
                    for table in (newest["enum_types"], newest["unscoped"], nested)
                ):
                    gone.add(f"{class_name}.{enum_name}")
    return sorted(gone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump", help="print this QGIS' enums as JSON")
    merging = commands.add_parser("merge", help=f"write {TABLE.name} from dumps")
    merging.add_argument("dumps", type=Path, nargs="+", help="one per QGIS release")
    merging.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    if args.command == "dump":
        json.dump(dump(), sys.stdout, indent=0, sort_keys=True)
        print()
        return 0
    table = merge([json.loads(path.read_text(encoding="utf-8")) for path in args.dumps])
    args.out.write_text(json.dumps(table, indent=0) + "\n", encoding="utf-8")
    accesses = sum(len(members) for members in table["unscoped"].values())
    print(f"{args.out}: {accesses} enum accesses, QGIS {', '.join(table['releases'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
