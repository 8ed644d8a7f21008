"""The dependency arrows of the brief: engine/ and trainer/ never pull in qgis."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
for top in ("engine", "trainer"):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m == "qgis" or m.startswith("qgis."))
print("QGIS_MODULES=" + ",".join(loaded))
print("IMPORTED=" + str(len([m for m in sys.modules if m.startswith(("engine", "trainer"))])))
"""


def test_importing_engine_and_trainer_loads_no_qgis_module():
    # A fresh interpreter: this test process already has qgis loaded by pytest-qgis.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["QGIS_MODULES"] == ""
    assert int(lines["IMPORTED"]) >= 2


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_engine_uses_relative_imports_and_imports_nothing_of_ours_outside():
    ours = {"engine", "trainer", "ui", "toolbox", "plugin", "aerial_segmentation", "devtools"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files("engine")
        for module, level in _imported_modules(path)
        if level == 0 and module.split(".")[0] in ours
    ]
    assert offenders == []


def test_trainer_never_imports_gui_side():
    forbidden = {"qgis", "ui", "toolbox", "plugin", "aerial_segmentation"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files("trainer")
        for module, level in _imported_modules(path)
        if level == 0 and module.split(".")[0] in forbidden
    ]
    assert offenders == []


def _our_imports(package: str) -> list[tuple[Path, str]]:
    """(file, our top-level package) for every import of ours in ``package``: relative
    imports resolved against the plugin root (a package itself inside QGIS), absolute ones
    as written."""
    found = []
    for path in _python_files(package):
        folders = path.relative_to(ROOT).parts[:-1]  # the file's package, from the root
        for module, level in _imported_modules(path):
            if level == 0:
                names = module.split(".")
                if names[0] == "aerial_segmentation":
                    names = names[1:] or [""]
            elif level - 1 > len(folders):
                continue  # above the plugin: not ours
            else:
                names = [*folders[: len(folders) - (level - 1)], *module.split(".")]
            found.append((path, names[0] if names else ""))
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("toolbox", {"ui", "plugin"}),
        ("ui", {"toolbox", "plugin"}),
        ("qgis_common", {"ui", "toolbox", "plugin", "trainer"}),
    ],
)
def test_panel_and_processing_never_import_each_other(package, forbidden):
    """Both sides share ``engine`` (jobs included) and ``qgis_common``; neither reaches into
    the other, so either can change without breaking its sibling."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {top}"
        for path, top in _our_imports(package)
        if top in forbidden
    ]
    assert offenders == []


def test_the_rule_sees_relative_imports():
    """The check above would catch ``from ..ui.dock import X`` inside toolbox/."""
    probe = ROOT / "toolbox" / "_probe_for_architecture_test.py"
    probe.write_text("from ..ui.dock import SegmentationDock\n", encoding="utf-8")
    try:
        assert (probe, "ui") in _our_imports("toolbox")
    finally:
        probe.unlink()
