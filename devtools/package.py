"""Build ``dist/aerial_segmentation-<version>.zip`` for QGIS' "Install from ZIP".

Only plugin files go in: no tests, trainer, venv, caches or training outputs, so the ZIP
stays well under the plugin repository's 25 MB limit.
"""

from __future__ import annotations

import argparse
import configparser
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "aerial_segmentation"
# What a running plugin needs, and nothing else.
INCLUDE = [
    "__init__.py",
    "plugin.py",
    "metadata.txt",
    "LICENSE",
    "README.md",
    "ui",
    "toolbox",
    "qgis_common",
    "engine",
    "resources",
]
# README pictures: the README ships in the ZIP, so the pictures it shows ship with it.
README_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".aux.xml"}
SIZE_LIMIT_BYTES = 25 * 1024 * 1024


def plugin_version() -> str:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]["version"]


def plugin_files() -> list[Path]:
    files: list[Path] = []
    for name in INCLUDE:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for candidate in candidates:
            rel = candidate.relative_to(ROOT)
            if EXCLUDED_PARTS.intersection(rel.parts):
                continue
            if any(candidate.name.endswith(suffix) for suffix in EXCLUDED_SUFFIXES):
                continue
            files.append(candidate)
    return files + readme_images()


def readme_images() -> list[Path]:
    """The local pictures README.md shows (an error if one is missing: a broken README)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    images = []
    for link in README_IMAGE.findall(text):
        if "://" in link:
            continue
        path = (ROOT / link).resolve()
        if not path.is_file():
            raise SystemExit(f"README.md shows {link}, which does not exist")
        images.append(path)
    return sorted(set(images))


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PLUGIN_NAME}-{plugin_version()}.zip"
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in plugin_files():
            archive.write(path, f"{PLUGIN_NAME}/{path.relative_to(ROOT).as_posix()}")
    partial.replace(target)
    size = target.stat().st_size
    if size > SIZE_LIMIT_BYTES:
        raise SystemExit(f"{target} is {size / 1e6:.1f} MB, over the plugin repository's 25 MB")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    target = build(parser.parse_args().out)
    print(f"{target} ({target.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
