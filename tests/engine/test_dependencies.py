"""What is missing from QGIS' Python, and the exact command that installs it."""

from __future__ import annotations

from engine.jobs.dependencies import check_dependencies, pip_command, qgis_python
from tests.helpers.imports import importer_without


def test_missing_onnxruntime_is_named_with_a_pip_command():
    report = check_dependencies(importer_without("onnxruntime"))
    assert not report.ok
    assert [p.component for p in report.problems] == ["onnxruntime"]
    assert "-m pip install" in report.install_command
    assert "onnxruntime" in report.install_command
    assert report.install_command.split()[0].strip("'\"") == report.python
    message = report.message()
    assert "onnxruntime" in message and report.install_command in message


def test_numpy_two_next_to_gdal_built_for_numpy_one_asks_for_numpy_below_two():
    report = check_dependencies(importer_without("osgeo.gdal_array"))
    assert [p.pip_requirement for p in report.problems] == ["numpy<2"]
    assert "numpy<2" in report.install_command


def test_everything_present_here_reports_ok():
    report = check_dependencies()
    assert report.ok, report.message()
    assert report.install_command == ""
    assert set(report.versions) == {"numpy", "GDAL", "onnxruntime"}


def test_qgis_python_when_the_executable_is_qgis_itself():
    everything = lambda path: True  # noqa: E731
    assert (
        qgis_python("/usr/bin/qgis", "/usr", "Linux", everything, "3.11") == "/usr/bin/python3.11"
    )
    assert qgis_python("/usr/bin/python3.11", "/usr", "Linux") == "/usr/bin/python3.11"
    windows = qgis_python(
        r"C:\OSGeo4W\bin\qgis-bin.exe", r"C:\OSGeo4W\apps\Python312", "Windows", everything
    )
    assert windows.replace("\\", "/") == "C:/OSGeo4W/apps/Python312/python.exe"
    mac = qgis_python(
        "/Applications/QGIS.app/Contents/MacOS/QGIS",
        "/Applications/QGIS.app/Contents/Frameworks/Python.framework/Versions/3.9",
        "Darwin",
        everything,
    )
    assert mac == "/Applications/QGIS.app/Contents/MacOS/bin/python3"
    nothing = lambda path: False  # noqa: E731
    assert qgis_python("/opt/qgis", "/nowhere", "Linux", nothing, "3.11") == "python3.11"


def test_a_python3_found_on_path_is_not_taken_for_qgis_own():
    """An embedded Python given no program name reports the first python3 on PATH (here a
    pyenv shim): following a pip command for that interpreter never helps QGIS."""
    everything = lambda path: True  # noqa: E731
    shim = "/home/analyst/.pyenv/shims/python3"
    assert qgis_python(shim, "/usr", "Linux", everything, "3.11") == "/usr/bin/python3.11"
    venv = qgis_python("/opt/venv/bin/python", "/opt/venv", "Linux", everything, "3.11")
    assert venv == "/opt/venv/bin/python"  # a venv's own interpreter lies in its prefix
    store = r"C:\Users\a\AppData\Local\Microsoft\WindowsApps\python.exe"
    windows = qgis_python(store, r"C:\OSGeo4W\apps\Python312", "Windows", everything)
    assert windows.replace("\\", "/") == "C:/OSGeo4W/apps/Python312/python.exe"


def test_pip_command_per_platform():
    debian = pip_command(
        ["onnxruntime", "numpy<2"], "/usr/bin/python3", "Linux", True, in_virtualenv=False
    )
    assert debian == (
        "/usr/bin/python3 -m pip install --user --break-system-packages onnxruntime 'numpy<2'"
    )
    windows = pip_command(
        ["onnxruntime", "numpy<2"],
        r"C:\Program Files\QGIS 3.22\apps\Python39\python.exe",
        "Windows",
        False,
        in_virtualenv=False,
    )
    python = r'"C:\Program Files\QGIS 3.22\apps\Python39\python.exe"'
    assert windows == python + ' -m pip install onnxruntime "numpy<2"'
