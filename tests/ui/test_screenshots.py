"""The README pictures can be remade: the script runs the panel offscreen and writes both PNGs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_script_writes_panel_and_result(tmp_path):
    from qgis.PyQt.QtGui import QImage

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools.screenshots",
            "--stand-in",  # fast and independent of what is bundled
            "--out",
            str(tmp_path / "images"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    panel = QImage(str(tmp_path / "images" / "panel.png"))
    picture = QImage(str(tmp_path / "images" / "result.png"))
    assert panel.width() >= 300 and panel.height() > panel.width()  # a tall dock panel
    assert picture.width() > picture.height()  # input and classes side by side
    # The class map shows several class colours, not a blank render.
    colours = {picture.pixel(x, picture.height() // 2) for x in range(0, picture.width(), 3)}
    assert len(colours) > 6
