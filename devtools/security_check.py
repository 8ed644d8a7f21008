"""Bandit over the Python files the plugin ZIP ships, as the QGIS plugin repository scans it.

The repository runs Bandit on every upload and blocks a version on its critical findings
(pickle, eval/exec, shell=True, unsafe torch.load, ...), reporting the others; here every
Bandit test runs at every severity and confidence, which is stricter. A finding is fixed, or
marked on its line with ``# nosec BXXX # why``; ``make lint`` (and so ``make test``) fails on
any other.

    python -m devtools.security_check [FILES...]     # default: the shipped Python files
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from devtools.package import ROOT, plugin_files


def shipped_python_files() -> list[Path]:
    return [path for path in plugin_files() if path.suffix == ".py"]


def bandit(files: list[Path]) -> subprocess.CompletedProcess:
    """Bandit's report on ``files`` (exit code 1 when it found something)."""
    command = [sys.executable, "-m", "bandit", "--quiet", "--format", "txt",
               *[str(f) for f in files]]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: the shipped Python files")
    args = parser.parse_args(argv)
    files = args.files or shipped_python_files()
    done = bandit(files)
    if done.returncode not in (0, 1) or "Test results" in done.stderr:
        print(done.stdout + done.stderr, file=sys.stderr)
        return 2
    if done.returncode == 1:
        print(done.stdout)
        print(f"security check: Bandit found issues in {len(files)} files", file=sys.stderr)
        return 1
    print(f"security check: Bandit found nothing in {len(files)} shipped Python files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
