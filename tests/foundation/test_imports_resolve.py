"""Every ``from engine|trainer|devtools... import name`` in the scripts and packages resolves,
including the imports that functions make lazily (a renamed module would otherwise break a
benchmark or a devtools script only when someone runs it)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("engine", "trainer", "devtools")
FOLDERS = ("bench", "devtools", "trainer")


def _imports() -> list[tuple[str, int, str, str]]:
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module.split(".")[0] in OURS:
                        for alias in node.names:
                            rel = str(path.relative_to(ROOT))
                            found.append((rel, node.lineno, node.module, alias.name))
    return found


IMPORTS = _imports()


def test_the_scan_sees_lazy_imports():
    assert any(rel == "bench/finetune.py" and "finetune" in module for rel, _, module, _ in IMPORTS)


@pytest.mark.parametrize(
    ("module", "name"), sorted({(m, n) for _, _, m, n in IMPORTS}), ids=lambda v: str(v)
)
def test_import_resolves(module, name):
    loaded = importlib.import_module(module)
    if not hasattr(loaded, name):
        importlib.import_module(f"{module}.{name}")  # a submodule: `from pkg import module`
