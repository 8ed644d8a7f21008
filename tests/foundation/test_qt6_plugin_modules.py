"""Every Python module the plugin ships passes the Qt6 check (QGIS 4 runs on Qt6).

metadata.txt says supportsQt6=True on the strength of this test.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from devtools.qt6_check import plugin_python_files

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.relative_to(ROOT).as_posix() for path in plugin_python_files())


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
    assert f"in {len(MODULES)} file(s)" in result.stdout
    found = defaultdict(list)
    for line in result.stdout.splitlines():
        path, sep, _ = line.partition(":")
        if sep and path in MODULES:
            found[path].append(line)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_module_passes_the_qt6_check(module, findings_by_module):
    assert findings_by_module[module] == []


def test_the_check_reads_the_plugin_code():
    assert {"plugin.py", "ui/dock.py", "toolbox/segment_algorithm.py"} <= set(MODULES)
