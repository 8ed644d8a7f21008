"""What the engine needs in QGIS' own Python, what is missing, and the command that fixes it.

The plugin's trackers that we compete with are full of "No module named onnxruntime" reports
that end in a traceback dialog. Here every check is an import attempt that cannot raise, and
the advice names the interpreter QGIS really runs (``sys.executable`` is often QGIS itself).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import re
import shlex
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Importer = Callable[[str], object]


@dataclass(frozen=True)
class Problem:
    """One missing or broken piece, said the way the analyst can act on it."""

    component: str  # "onnxruntime", "numpy", "GDAL Python bindings"
    detail: str  # the error as Python reported it
    pip_requirement: str | None  # what pip should install; None when pip cannot fix it
    advice: str = ""


@dataclass
class DependencyReport:
    problems: list[Problem] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    python: str = ""
    install_command: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """Plain text for the panel: what is missing and the exact command."""
        if self.ok:
            return ""
        lines = [f"Missing or broken: {', '.join(p.component for p in self.problems)}."]
        for problem in self.problems:
            advice = f" {problem.advice}" if problem.advice else ""
            lines.append(f"• {problem.component}: {problem.detail}{advice}")
        if self.install_command:
            lines.append("Install into the Python that QGIS runs, then restart QGIS:")
            lines.append(self.install_command)
        return "\n".join(lines)


def _import(name: str) -> object:
    return importlib.import_module(name)


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def check_dependencies(importer: Importer = _import) -> DependencyReport:
    """Try each import the engine needs; never raises."""
    report = DependencyReport()
    numpy_major = None
    try:
        numpy = importer("numpy")
        report.versions["numpy"] = str(numpy.__version__)
        numpy_major = int(str(numpy.__version__).split(".")[0])
    except Exception as error:  # broken installs raise more than ImportError
        report.problems.append(Problem("numpy", _short(error), "numpy<2"))

    try:
        gdal = importer("osgeo.gdal")
        report.versions["GDAL"] = str(gdal.__version__)
    except Exception as error:
        report.problems.append(
            Problem(
                "GDAL Python bindings",
                _short(error),
                None,
                "They come with QGIS; reinstall QGIS (Debian/Ubuntu: apt install python3-gdal).",
            )
        )
    else:
        if numpy_major is not None:
            try:
                importer("osgeo.gdal_array")
            except Exception as error:
                # GDAL built against numpy 1 cannot load next to numpy 2.
                report.problems.append(
                    Problem(
                        "numpy (GDAL's numpy bridge)",
                        _short(error),
                        "numpy<2",
                        "GDAL was built against numpy 1: install numpy below 2.",
                    )
                )

    try:
        ort = importer("onnxruntime")
        report.versions["onnxruntime"] = str(getattr(ort, "__version__", "?"))
        if not hasattr(ort, "InferenceSession"):
            raise ImportError("onnxruntime has no InferenceSession (a broken or partial install)")
    except Exception as error:
        report.problems.append(Problem("onnxruntime", _short(error), "onnxruntime"))

    report.python = qgis_python()
    requirements = [p.pip_requirement for p in report.problems if p.pip_requirement]
    if requirements and numpy_major == 1 and "numpy<2" not in requirements:
        requirements.append("numpy<2")  # keep pip from upgrading GDAL's numpy away
    if requirements:
        report.install_command = pip_command(sorted(set(requirements), key=requirements.index))
    return report


_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?(\.exe)?$", re.IGNORECASE)


def qgis_python(
    executable: str | None = None,
    prefix: str | None = None,
    system: str | None = None,
    exists: Callable[[Path], bool] = Path.is_file,
    version: str | None = None,
) -> str:
    """The Python interpreter of this QGIS, even when ``sys.executable`` is not it.

    ``sys.executable`` is trusted only when it lies in this Python's own prefix: inside QGIS
    it is often the QGIS binary, and an embedded Python that was given no program name takes
    the first ``python3`` on PATH, which may be a pyenv shim or another installation whose
    pip would never help QGIS. Linux packages: ``<prefix>/bin/python3.X``. OSGeo4W / the
    Windows installer: ``<prefix>\\python.exe`` (``sys.prefix`` is ``...\\apps\\Python3xx``).
    macOS bundle: ``QGIS.app/Contents/MacOS/bin/python3`` next to the ``QGIS`` executable.
    """
    executable = executable if executable is not None else sys.executable
    prefix = prefix if prefix is not None else sys.prefix
    system = system or platform.system()
    version = version or f"{sys.version_info.major}.{sys.version_info.minor}"
    if (
        executable
        and _PYTHON_NAME.match(_basename(executable, system))
        and _lies_in(executable, prefix, system)
    ):
        return executable
    if system == "Windows":
        win = _windows_parent(executable)
        candidates = [Path(prefix) / "python.exe", win / "python.exe", win / "python3.exe"]
        fallback = "python"
    elif system == "Darwin":
        exe_dir = Path(executable).parent if executable else Path(prefix)
        candidates = [
            exe_dir / "bin" / "python3",
            Path(prefix) / "bin" / f"python{version}",
            Path(prefix) / "bin" / "python3",
            exe_dir.parent / "Resources" / "python" / "bin" / "python3",
        ]
        fallback = f"python{version}"
    else:
        candidates = [Path(prefix) / "bin" / f"python{version}", Path(prefix) / "bin" / "python3"]
        fallback = f"python{version}"
    for candidate in candidates:
        if exists(candidate):
            return str(candidate)
    return fallback


def _lies_in(executable: str, prefix: str, system: str) -> bool:
    """Whether ``executable`` is an interpreter of the installation at ``prefix``."""
    if system == "Windows":
        parent = _windows_parent(executable).as_posix().lower().rstrip("/")
        home = prefix.replace("\\", "/").lower().rstrip("/")
        return parent in (home, f"{home}/scripts")
    return Path(executable).parent == Path(prefix) / "bin"


def _basename(path: str, system: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1] if system == "Windows" else Path(path).name


def _windows_parent(executable: str) -> Path:
    return Path(executable.replace("\\", "/")).parent if executable else Path(".")


def _externally_managed() -> bool:
    """PEP 668: Debian 12 / Ubuntu 23.04+ refuse pip into the system Python without a flag."""
    try:
        return (Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED").is_file()
    except (KeyError, OSError):
        return False


def pip_command(
    requirements: list[str],
    python: str | None = None,
    system: str | None = None,
    externally_managed: bool | None = None,
    in_virtualenv: bool | None = None,
) -> str:
    """One command line, quoted for the platform's shell, that installs ``requirements``."""
    python = python or qgis_python()
    system = system or platform.system()
    if in_virtualenv is None:
        in_virtualenv = sys.prefix != sys.base_prefix or "VIRTUAL_ENV" in os.environ
    if externally_managed is None:
        externally_managed = _externally_managed() and not in_virtualenv
    args = ["-m", "pip", "install"]
    if system == "Linux" and not in_virtualenv and python.startswith("/usr/"):
        args.append("--user")  # never write into the distribution's site-packages
    if externally_managed and system != "Windows":
        args.append("--break-system-packages")
    args += requirements
    if system == "Windows":
        quoted = [f'"{python}"' if " " in python else python]
        quoted += [f'"{a}"' if any(c in a for c in "<> ") else a for a in args]
        return " ".join(quoted)
    return " ".join(shlex.quote(part) for part in [python, *args])


def package_version(name: str) -> str | None:
    """Installed version without importing the package (torch takes seconds to import)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def detect_devices(probe_torch: bool = False) -> dict:
    """What the engine detects (execution providers, CUDA); an error dict if it cannot."""
    try:
        from ..backends import available_devices

        return dict(available_devices(probe_torch=probe_torch))
    except Exception as error:
        return {"error": _short(error)}
