"""No code from user files, no shell: rules read from the syntax of every Python file the
plugin ships (Bandit checks the same and more in ``make lint``; these keep the rules that
matter most independent of its version), and the security check can fail."""

from __future__ import annotations

import ast
from pathlib import Path

from devtools.security_check import main as security_check
from devtools.security_check import shipped_python_files

SHELL_CALLS = {("os", "system"), ("os", "popen"), ("os", "spawnl"), ("os", "execl")}


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(
                func.value, ast.Name) else ""  # fmt: skip
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = owner or ("" if isinstance(func, ast.Name) else "?")  # x.y().eval(): "?"
            yield owner, name, {k.arg: k.value for k in node.keywords}, node.lineno


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def rule_breaks(path: Path) -> list[str]:
    found = []
    for owner, name, keywords, line in _calls(path):
        where = f"{path}:{line}"
        if owner in ("pickle", "marshal", "dill") and name in ("load", "loads"):
            found.append(f"{where}: {owner}.{name} runs code from the file")
        if name == "load" and owner == "torch" and not _is_true(keywords.get("weights_only")):
            found.append(f"{where}: torch.load without weights_only=True")
        if name == "load" and owner == "np" and _is_true(keywords.get("allow_pickle")):
            found.append(f"{where}: np.load(allow_pickle=True)")
        if _is_true(keywords.get("shell")):
            found.append(f"{where}: a shell command line (shell=True)")
        if (owner, name) in SHELL_CALLS or (not owner and name in ("eval", "exec")):
            found.append(f"{where}: {owner + '.' if owner else ''}{name}")
    return found


def test_shipped_code_never_unpickles_runs_strings_or_builds_shell_commands():
    files = shipped_python_files()
    assert len(files) > 100 and any(f.name == "torch_files.py" for f in files)
    assert [problem for path in files for problem in rule_breaks(path)] == []


def test_the_rules_and_the_security_check_catch_a_planted_problem(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import os, pickle, torch\n\n\n"
        "def load(path, name):\n"
        "    os.system('gdalinfo ' + name)\n"
        "    torch.load(path)\n"
        "    return pickle.loads(open(path, 'rb').read())\n"
    )
    problems = rule_breaks(planted)
    assert len(problems) == 3, problems
    assert security_check([str(planted)]) == 1
