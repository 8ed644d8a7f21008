"""The plugin ZIP and metadata.txt, as the QGIS plugin repository sees them."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_metadata_txt_has_what_the_plugin_repository_requires():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    general = parser["general"]
    for key in (
        "name",
        "qgisMinimumVersion",
        "description",
        "about",
        "version",
        "author",
        "email",
        "repository",
        "tracker",
        "tags",
        "category",
        "icon",
    ):
        assert general.get(key, "").strip(), f"metadata.txt lacks {key}"
    assert general["name"] == "Aerial Segmentation (CSE-UNet)"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert general["category"] == "Raster"
    assert (ROOT / general["icon"]).is_file()
    assert "onnxruntime" in general["about"]  # dependencies stated for the repository


def test_package_zip_holds_plugin_files_only(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "devtools.package", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    zips = list(tmp_path.glob("aerial_segmentation-*.zip"))
    assert len(zips) == 1
    assert zips[0].stat().st_size < 25 * 1024 * 1024
    names = zipfile.ZipFile(zips[0]).namelist()
    assert "aerial_segmentation/metadata.txt" in names
    assert "aerial_segmentation/__init__.py" in names
    assert "aerial_segmentation/engine/__init__.py" in names
    assert all(name.startswith("aerial_segmentation/") for name in names)
    assert "aerial_segmentation/qgis_common/job_task.py" in names
    assert "aerial_segmentation/engine/jobs/segment.py" in names
    for forbidden in ("/tests/", "/.venv/", "__pycache__", "/.git/", "/trainer/", "/runs/"):
        assert not [n for n in names if forbidden in n], forbidden
    assert not list(tmp_path.glob("*.part"))

    # The README in the ZIP shows its pictures, and tells ZIP users how to run headless.
    readme = zipfile.ZipFile(zips[0]).read("aerial_segmentation/README.md").decode("utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert pictures and all(f"aerial_segmentation/{p}" in names for p in pictures), pictures
    assert "qgis_process plugins enable aerial_segmentation" in readme


def test_setup_second_run_changes_nothing_and_is_fast():
    venv = ROOT / ".venv"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in venv.iterdir())
    result = subprocess.run(
        ["bash", "devtools/setup.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stdout
    assert "creating" not in result.stdout
    after = sorted((p.name, p.stat().st_mtime_ns) for p in venv.iterdir())
    assert after == before
