"""Fail on the Qt5-only forms that break plugin code under QGIS 4 (Qt6, PyQt6).

    python -m devtools.qt6_check [PATH ...]      (default: the plugin's shipped Python files)

Prints ``file:line:col: what is wrong; fix: ...`` for each finding and exits 1 if any. It
reads the code's syntax tree (nothing is imported from the checked files) and finds:

- unscoped enum members of Qt classes (``Qt.AlignLeft``, ``QMessageBox.Yes``), resolved
  against PyQt6's own enums (PyQt6 is imported; no display is needed), and of QGIS classes
  (``Qgis.Critical``, ``QgsTask.CanCancel``), resolved against ``devtools/qgis_enums.json``
  (made from QGIS 3.22 and 3.40+ by ``devtools.qgis_enum_table``), with the scoped form and
  whether it exists on the oldest QGIS the table covers;
- attributes PyQt6 classes lack (``Qt.MidButton``, ``QVariant.Int``, ``QApplication.desktop``)
  and scoped QGIS forms the newest QGIS lacks (``QgsProcessing.SourceType.TypeRaster``);
- ``exec_()`` / ``print_()``, ``qApp``, Qt5-only signal overloads (``activated[str]``);
- imports of PyQt5, PyQt6 or sip instead of ``qgis.PyQt``, and names PyQt6 lacks imported
  from ``qgis.PyQt`` (``QRegExp``, ``QDesktopWidget``).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import enum
import importlib
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from devtools.qgis_enum_table import MODULE, TABLE, lookup, resolves

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = (
    "QtCore",
    "QtGui",
    "QtWidgets",
    "QtNetwork",
    "QtPrintSupport",
    "QtSql",
    "QtSvg",
    "QtTest",
    "QtXml",
)
QGIS_MODULES = ("qgis.core", "qgis.gui", "qgis.analysis")
# QGIS keeps these importable from qgis.PyQt.QtWidgets on Qt6 (they moved to QtGui there), and
# from qgis.PyQt.QtGui on Qt5 only since QGIS 3.34.
QGIS_QT6_WIDGETS_SHIM = {"QAction", "QActionGroup", "QShortcut"}
QTGUI_SHIM_SINCE = (3, 34)
# Members Qt6 renamed rather than scoped (the scoped new name works on Qt 5.15 too).
RENAMED = {
    ("Qt", "MidButton"): "Qt.MouseButton.MiddleButton",
    ("Qt", "TextColorRole"): "Qt.ItemDataRole.ForegroundRole",
    ("Qt", "BackgroundColorRole"): "Qt.ItemDataRole.BackgroundRole",
    ("QPainter", "HighQualityAntialiasing"): "QPainter.RenderHint.Antialiasing",
}
REMOVED_NAMES = {
    "QRegExp": "QRegularExpression (qgis.PyQt.QtCore)",
    "QRegExpValidator": "QRegularExpressionValidator (qgis.PyQt.QtGui)",
    "QDesktopWidget": "QGuiApplication.primaryScreen() / QWidget.screen() (QScreen)",
    "qApp": "QApplication.instance()",
    "NULL": "from qgis.core import NULL",
}
METHODS = {"exec_": "exec", "print_": "print"}
# Signal overloads that Qt6 dropped: widget.signal[type].
SIGNAL_OVERLOADS = {
    ("activated", "str"): "textActivated (Qt >= 5.14) or activated with an index",
    ("highlighted", "str"): "textHighlighted (Qt >= 5.14) or highlighted with an index",
    ("currentIndexChanged", "str"): "currentTextChanged",
    ("buttonClicked", "int"): "idClicked (Qt >= 5.15)",
    ("buttonPressed", "int"): "idPressed (Qt >= 5.15)",
    ("buttonReleased", "int"): "idReleased (Qt >= 5.15)",
    ("buttonToggled", "int"): "idToggled (Qt >= 5.15)",
    ("valueChanged", "str"): "textChanged",
}


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    column: int
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.problem}; fix: {self.fix}"


@dataclass
class QtClass:
    """What PyQt6 offers on one class: its attributes and its enums' members."""

    attributes: set[str]
    enums: dict[str, set[str]] = field(default_factory=dict)

    def enums_with(self, member: str) -> list[str]:
        return sorted(name for name, members in self.enums.items() if member in members)


@cache
def pyqt6_api() -> dict[str, dict[str, QtClass]]:
    """PyQt6's classes per module, read from PyQt6 itself (``pip install PyQt6``)."""
    api: dict[str, dict[str, QtClass]] = {}
    for module_name in QT_MODULES:
        try:
            module = importlib.import_module(f"PyQt6.{module_name}")
        except ImportError:
            continue
        classes: dict[str, QtClass] = {}
        for name in dir(module):
            owner = getattr(module, name)
            if not isinstance(owner, type):
                classes[name] = QtClass(attributes=set())
                continue
            qt_class = QtClass(attributes=set(dir(owner)))
            for attribute in qt_class.attributes:
                value = getattr(owner, attribute, None)
                if isinstance(value, type) and issubclass(value, enum.Enum):
                    qt_class.enums[attribute] = set(value.__members__)
            classes[name] = qt_class
        api[module_name] = classes
    return api


@cache
def qgis_table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


@cache
def qgis_classes() -> frozenset[str]:
    """The QGIS classes the table knows enums of (or knew, in older releases)."""
    table = qgis_table()
    gone = {path.split(".")[0] for path in table["gone"]}
    return frozenset(table["bases"]) | set(table["unscoped"]) | set(table["enum_types"]) | gone


def minimum_qgis(metadata: Path = ROOT / "metadata.txt") -> tuple[int, ...]:
    parser = configparser.ConfigParser()
    parser.read(metadata, encoding="utf-8")
    version = parser.get("general", "qgisMinimumVersion", fallback="3.0")
    return tuple(int(part) for part in version.split("."))


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class FileChecker(ast.NodeVisitor):
    """Collects the findings of one file."""

    def __init__(self, path: Path, source: str, minimum: tuple[int, ...]):
        self.path = path
        self.source = source
        self.minimum = minimum
        self.findings: list[Finding] = []
        self.names: dict[str, str] = {}  # local name -> fully qualified dotted name
        self.local_bases: dict[str, list[str]] = {}  # class in this file -> qualified bases

    def report(self, node: ast.AST, problem: str, fix: str) -> None:
        line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1
        self.findings.append(Finding(self.path, line, column, problem, fix))

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    # -- imports -------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.names[head] = head

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            return
        self._check_module(node, module)
        for alias in node.names:
            self.names[alias.asname or alias.name] = f"{module}.{alias.name}"
            self._check_imported_name(node, module, alias.name)

    def _check_module(self, node: ast.AST, module: str) -> None:
        head, _, rest = module.partition(".")
        if head in ("PyQt5", "PyQt6"):
            target = f"qgis.PyQt.{rest}" if rest else "qgis.PyQt"
            self.report(node, f"imports {module} directly", f"import from {target}")
        elif module == "sip":
            self.report(node, "imports sip directly", "from qgis.PyQt import sip")
        elif module == "qgis.PyQt.Qt" or module.startswith("qgis.PyQt.QtWebKit"):
            self.report(node, f"{module} does not exist with Qt6", "QtCore / QtGui / QtWidgets")

    def _check_imported_name(self, node: ast.AST, module: str, name: str) -> None:
        if module == "qgis.PyQt" and name in ("QtWebKit", "QtWebKitWidgets", "Qt"):
            self.report(node, f"qgis.PyQt.{name} does not exist with Qt6", "QtCore/Gui/Widgets")
            return
        qt_module = module.removeprefix("qgis.PyQt.") if module.startswith("qgis.PyQt.") else None
        if qt_module not in pyqt6_api() or name == "*":
            return
        if qt_module == "QtGui" and name in QGIS_QT6_WIDGETS_SHIM:
            if self.minimum < QTGUI_SHIM_SINCE:
                self.report(
                    node,
                    f"{name} from qgis.PyQt.QtGui needs QGIS 3.34 on Qt5 (qgisMinimumVersion is "
                    f"{'.'.join(map(str, self.minimum))})",
                    f"from qgis.PyQt.QtWidgets import {name} (QGIS 4 keeps it there too)",
                )
            return
        if qt_module == "QtWidgets" and name in QGIS_QT6_WIDGETS_SHIM:
            return
        if name not in pyqt6_api()[qt_module]:
            fix = REMOVED_NAMES.get(name, "see the Qt 6 porting notes for its replacement")
            self.report(node, f"{name} is not in PyQt6.{qt_module}", fix)

    # -- classes defined here, so that MyDialog.Accepted is checked against QDialog ---------
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [self.qualify(base) for base in node.bases]
        self.local_bases[node.name] = [base for base in bases if base]
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in METHODS:
            self.report(node, f"defines {node.name}()", f"name it {METHODS[node.name]}()")
        self.generic_visit(node)

    def qualify(self, node: ast.AST) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.local_bases and head not in self.names:
            return f"<local>.{dotted}"
        if head not in self.names:
            return None
        return f"{self.names[head]}.{rest}" if rest else self.names[head]

    # -- attribute chains ----------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Attribute):
            node.value.chained = True  # type: ignore[attr-defined]  # C.E of C.E.member
        self.generic_visit(node)
        if node.attr in METHODS:
            self.report(node, f"{node.attr}() is gone in PyQt6", f".{METHODS[node.attr]}()")
            return
        owner = self.qualify(node.value)
        if owner is not None:
            for qualified in self._class_paths(owner):
                if self._check_member(node, qualified):
                    break

    def _class_paths(self, owner: str) -> list[str]:
        """``owner`` itself, or for a class of this file, its Qt / QGIS bases."""
        if not owner.startswith("<local>."):
            return [owner]
        name, _, rest = owner.removeprefix("<local>.").partition(".")
        paths = []
        for base in self.local_bases.get(name, []):
            paths += self._class_paths(f"{base}.{rest}" if rest else base)
        return paths

    def _check_member(self, node: ast.Attribute, owner: str) -> bool:
        """Checks ``owner.attr`` where owner is a qualified Qt or QGIS path; True if known."""
        for prefix in ("qgis.PyQt.", "PyQt5.", "PyQt6."):
            if owner.startswith(prefix):
                return self._check_qt(node, owner.removeprefix(prefix).split("."))
        for module in QGIS_MODULES:
            if owner.startswith(module + "."):
                return self._check_qgis(node, owner.removeprefix(module + ".").split("."))
        return False

    def _check_qt(self, node: ast.Attribute, parts: list[str]) -> bool:
        api = pyqt6_api()
        if not parts or parts[0] not in api:
            return False
        if len(parts) == 1:  # QtWidgets.<name>
            if node.attr not in api[parts[0]]:
                fix = REMOVED_NAMES.get(node.attr, "see the Qt 6 porting notes")
                self.report(node, f"{node.attr} is not in PyQt6.{parts[0]}", fix)
            return True
        if parts[1] not in api[parts[0]]:
            return False
        qt_class, class_name, member = api[parts[0]][parts[1]], parts[1], node.attr
        shown = self.text(node.value)
        if len(parts) == 3 and parts[2] in qt_class.enums:  # Qt.AlignmentFlag.<member>
            if member not in qt_class.enums[parts[2]]:
                renamed = RENAMED.get((class_name, member))
                self.report(node, f"{shown}.{member} is not in PyQt6", renamed or "see Qt 6 docs")
            return True
        if len(parts) != 2 or member in qt_class.attributes or not qt_class.attributes:
            return True
        if (class_name, member) in RENAMED:
            fix = RENAMED[(class_name, member)]
            self.report(node, f"{shown}.{member} is gone in Qt6", fix)
        elif choices := qt_class.enums_with(member):
            fix = " or ".join(f"{shown}.{choice}.{member}" for choice in choices)
            self.report(node, f"unscoped Qt enum {shown}.{member}", fix)
        elif class_name == "QVariant":
            self.report(
                node,
                f"{shown}.{member} (QVariant.Type) is gone in Qt6",
                f"QMetaType.Type.{member} where the QGIS API takes QMetaType (QGIS >= 3.38); "
                "no form works on both QGIS 3.22 and Qt6: raise qgisMinimumVersion or branch "
                "on Qgis.QGIS_VERSION_INT",
            )
        else:
            self.report(node, f"{shown}.{member} is not in PyQt6", "see the Qt 6 porting notes")
        return True

    def _check_qgis(self, node: ast.Attribute, parts: list[str]) -> bool:
        table = qgis_table()
        class_name, member = parts[0], node.attr
        shown = self.text(node.value)
        newest = table["releases"][-1]
        if class_name in table["enum_types"].get(MODULE, {}):  # QgsMapLayerType.<member>
            if len(parts) == 1 and not resolves(table, f"{class_name}.{member}"):
                self.report(
                    node,
                    f"{shown}.{member} does not exist on QGIS {newest}",
                    f"see the QGIS {newest} API docs",
                )
            return True
        if class_name not in qgis_classes():
            return False
        gone = f"{class_name}.{parts[1] if len(parts) == 2 else member}"
        if len(parts) <= 2 and gone in table["gone"]:
            if len(parts) == 2:  # Class.Enum.member: the member's new home
                home = lookup(table["unscoped"], table["bases"], class_name, member)
                fix = self._qgis_fix(home) if home else f"see the QGIS {newest} API docs"
                self.report(node, f"{gone} is gone in QGIS {newest}", fix)
            elif not getattr(node, "chained", False):
                self.report(node, f"{gone} is gone in QGIS {newest}", "its members' scoped homes")
            return True
        if len(parts) == 2:  # Class.Enum.member
            path = f"{class_name}.{parts[1]}.{member}"
            if lookup(table["enum_types"], table["bases"], class_name, parts[1]) is None:
                return True  # a nested class or a method, not an enum
            if not resolves(table, path):
                home = lookup(table["unscoped"], table["bases"], class_name, member)
                fix = self._qgis_fix(home) if home else f"see the QGIS {newest} API docs"
                self.report(node, f"{shown}.{member} does not exist on QGIS {newest}", fix)
            return True
        if len(parts) != 1:
            return False
        if lookup(table["enum_types"], table["bases"], class_name, member) is not None:
            return True  # the enum type itself: its member is checked one level up
        home = lookup(table["unscoped"], table["bases"], class_name, member)
        if home is not None:
            self.report(node, f"unscoped QGIS enum {shown}.{member}", self._qgis_fix(home))
        return True

    def _qgis_fix(self, home: str) -> str:
        """The scoped home, and what to do on the releases of the table that lack it."""
        table = qgis_table()
        lacking = table["missing"].get(home, {})
        if not lacking:
            return home
        first = next(release for release in table["releases"] if release not in lacking)
        notes = []
        for release, portable in lacking.items():
            if portable:
                notes.append(
                    f"not on QGIS {release}: {portable} works from {release} to "
                    f"{table['releases'][-1]}"
                )
            else:
                notes.append(
                    f"not on QGIS {release}, QGIS {first} has it, and no scoped form works on "
                    "both: raise qgisMinimumVersion or branch on Qgis.QGIS_VERSION_INT"
                )
        return f"{home} ({'; '.join(notes)})"

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.generic_visit(node)
        if isinstance(node.value, ast.Attribute) and isinstance(node.slice, ast.Name):
            key = (node.value.attr, node.slice.id)
            if key in SIGNAL_OVERLOADS:
                self.report(
                    node, f"signal overload {self.text(node)} is gone in Qt6", SIGNAL_OVERLOADS[key]
                )


def check_source(path: Path, source: str, minimum: tuple[int, ...] | None = None) -> list[Finding]:
    checker = FileChecker(path, source, minimum or minimum_qgis())
    checker.visit(ast.parse(source, filename=str(path)))
    return sorted(checker.findings, key=lambda f: (f.line, f.column))


def check_files(paths: list[Path]) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        findings += check_source(shown, path.read_text(encoding="utf-8"))
    return findings


def plugin_python_files() -> list[Path]:
    """The Python files the plugin ZIP ships."""
    from devtools.package import plugin_files

    return [path for path in plugin_files() if path.suffix == ".py"]


def _expand(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders")
    args = parser.parse_args(argv)
    if not pyqt6_api():
        print("qt6_check: PyQt6 is not installed (make setup installs it)", file=sys.stderr)
        return 2
    files = _expand(args.paths) if args.paths else plugin_python_files()
    findings = check_files(files)
    for finding in findings:
        print(finding)
    print(f"qt6_check: {len(findings)} Qt5-only form(s) in {len(files)} file(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
