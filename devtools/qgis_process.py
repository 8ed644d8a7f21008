"""Run ``qgis_process`` headlessly with this plugin found and enabled.

Debian's ``/usr/bin/qgis_process`` wrapper is broken, so this calls ``qgis_process.bin``
with a throw-away profile in which the plugin (this checkout, whatever its folder is
called) is enabled, and with the venv first in PATH so QGIS' Python sees its packages.

Usage: python -m devtools.qgis_process ARGS...   (e.g. ``plugins`` or ``run ...``)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "aerial_segmentation"
QGIS_PROCESS = "/usr/bin/qgis_process.bin"


def _venv_bin() -> Path:
    own = Path(sys.executable).parent
    return own if (own / "activate").exists() else ROOT / ".venv" / "bin"


def headless_environment(workdir: Path) -> dict[str, str]:
    """Environment in which qgis_process finds this plugin, enabled, in a fresh profile."""
    plugins = workdir / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / PLUGIN_NAME
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    profile = workdir / "config"
    ini = profile / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text(f"[PythonPlugins]\n{PLUGIN_NAME}=true\n", encoding="utf-8")
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.update(
        QGIS_PLUGINPATH=str(plugins),
        QGIS_CUSTOM_CONFIG_PATH=str(profile),
        QT_QPA_PLATFORM="offscreen",
        XDG_RUNTIME_DIR=str(runtime),
        PATH=f"{_venv_bin()}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(p for p in [str(plugins), env.get("PYTHONPATH", "")] if p),
    )
    return env


def run_qgis_process(
    args: list[str], *, timeout: float = 600, capture: bool = True
) -> subprocess.CompletedProcess:
    """Run ``qgis_process.bin ARGS`` with the plugin enabled; the profile is thrown away."""
    with tempfile.TemporaryDirectory(prefix="qgis_process_") as tmp:
        return subprocess.run(
            [QGIS_PROCESS, *args],
            env=headless_environment(Path(tmp)),
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=False,
        )


def main() -> int:
    result = run_qgis_process(sys.argv[1:], capture=False)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
