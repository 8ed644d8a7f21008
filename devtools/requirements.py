"""Print the pinned requirements from pyproject.toml, one per line, for pip.

Usage: python devtools/requirements.py [GROUP ...]; no group means the runtime list only.
"""

import sys
import tomllib
from pathlib import Path


def requirements(groups: list[str]) -> list[str]:
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    project = project["project"]
    lines = list(project["dependencies"])
    for group in groups:
        lines += project["optional-dependencies"][group]
    return lines


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
