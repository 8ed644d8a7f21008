"""Every Python module the plugin ships passes the Qt6 check (QGIS 4 runs on Qt6).

NOT_YET_PORTED lists the modules that still hold Qt5-only forms; for them the test asserts
the opposite, so fixing one fails the test until it leaves the list, and nothing regresses
meanwhile. The list must be empty before metadata.txt may say supportsQt6=True.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from devtools.qt6_check import plugin_python_files

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.relative_to(ROOT).as_posix() for path in plugin_python_files())
NOT_YET_PORTED = {"plugin.py", "ui/dock.py", "ui/task.py", "toolbox/segment_algorithm.py"}


@pytest.fixture(scope="module")
def findings_by_module() -> dict[str, list[str]]:
    # One run over all shipped modules, in a fresh interpreter (the check imports PyQt6).
    result = subprocess.run(
        [sys.executable, "-m", "devtools.qt6_check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    found = defaultdict(list)
    for line in result.stdout.splitlines():
        path, sep, _ = line.partition(":")
        if sep and path in MODULES:
            found[path].append(line)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_module_passes_the_qt6_check(module, findings_by_module):
    if module in NOT_YET_PORTED:
        assert findings_by_module[module], f"{module} passes now: remove it from NOT_YET_PORTED"
    else:
        assert findings_by_module[module] == []


def test_the_not_yet_ported_modules_exist():
    assert NOT_YET_PORTED <= set(MODULES)


def test_metadata_claims_qt6_support_only_when_every_module_is_ported():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    if parser["general"].getboolean("supportsQt6", fallback=False):
        assert not NOT_YET_PORTED, f"supportsQt6=True, but not ported yet: {NOT_YET_PORTED}"
