"""The Qt6 check catches the Qt5-only forms that break under QGIS 4, and passes their fixes.

The check runs as ``python -m devtools.qt6_check`` in a fresh interpreter, the way developers
run it: it imports PyQt6, which should not share a process with the PyQt5 that QGIS loaded
into this one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devtools.qt6_check", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def plant(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "planted.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def findings(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if re.match(r".+:\d+:\d+: ", line)]


def only_finding(tmp_path: Path, code: str) -> str:
    """The one finding of a planted file (the check must also fail on it)."""
    result = run_check(plant(tmp_path, code))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = findings(result)
    assert len(lines) == 1, lines
    return lines[0]


def test_planted_unscoped_qt_enum_fails_with_file_line_and_scoped_fix(tmp_path):
    finding = only_finding(
        tmp_path,
        """
        from qgis.PyQt.QtCore import Qt

        ALIGN = Qt.AlignLeft
        """,
    )
    path = tmp_path / "planted.py"
    assert finding == f"{path}:4:9: unscoped Qt enum Qt.AlignLeft; fix: Qt.AlignmentFlag.AlignLeft"


def test_planted_exec_underscore_fails(tmp_path):
    finding = only_finding(
        tmp_path,
        """
        from qgis.PyQt.QtWidgets import QDialog

        def ask(dialog: QDialog) -> int:
            return dialog.exec_()
        """,
    )
    assert finding == f"{tmp_path / 'planted.py'}:5:12: exec_() is gone in PyQt6; fix: .exec()"


def test_planted_pyqt5_import_fails_with_the_qgis_pyqt_module(tmp_path):
    path = plant(tmp_path, "from PyQt5.QtCore import QTimer, pyqtSignal\nimport sip\n")
    result = run_check(path)
    assert result.returncode == 1
    assert findings(result) == [
        f"{path}:1:1: imports PyQt5.QtCore directly; fix: import from qgis.PyQt.QtCore",
        f"{path}:2:1: imports sip directly; fix: from qgis.PyQt import sip",
    ]


def test_planted_unscoped_qgis_enums_fail_with_their_homes_and_the_322_caveat(tmp_path):
    path = plant(
        tmp_path,
        """
        from qgis.core import Qgis, QgsMapLayerProxyModel, QgsTask

        LEVEL = Qgis.Critical
        FLAGS = QgsTask.CanCancel
        FILTER = QgsMapLayerProxyModel.RasterLayer
        """,
    )
    result = run_check(path)
    assert result.returncode == 1
    lines = findings(result)
    assert len(lines) == 3, result.stdout
    assert lines[0].endswith("unscoped QGIS enum Qgis.Critical; fix: Qgis.MessageLevel.Critical")
    assert lines[1].endswith("unscoped QGIS enum QgsTask.CanCancel; fix: QgsTask.Flag.CanCancel")
    # Moved to Qgis.LayerFilter after 3.22: the fix says what also runs on 3.22.
    assert "fix: Qgis.LayerFilter.RasterLayer (not on QGIS 3.22" in lines[2]
    assert "QgsMapLayerProxyModel.Filter.RasterLayer works from 3.22" in lines[2]


def test_planted_qt5_only_classes_members_and_signals_fail(tmp_path):
    path = plant(
        tmp_path,
        """
        from qgis.PyQt.QtCore import QRegExp, Qt
        from qgis.PyQt.QtWidgets import QDialog

        class Dialog(QDialog):
            pass

        BUTTON = Qt.MidButton
        CODE = Dialog.Accepted
        combo.activated[str].connect(print)
        """,
    )
    lines = findings(run_check(path))
    assert len(lines) == 4, lines
    assert "QRegExp is not in PyQt6.QtCore; fix: QRegularExpression" in lines[0]
    assert "Qt.MidButton is gone in Qt6; fix: Qt.MouseButton.MiddleButton" in lines[1]
    assert "unscoped Qt enum Dialog.Accepted; fix: Dialog.DialogCode.Accepted" in lines[2]
    assert "signal overload combo.activated[str] is gone in Qt6" in lines[3]


def test_scoped_qgis_form_that_newer_qgis_dropped_fails_with_the_new_home(tmp_path):
    # Valid on 3.22; newer QGIS moved the enum to Qgis.VectorSimplificationAlgorithm and has
    # no QgsMapToPixelSimplifier.SimplifyAlgorithm any more.
    finding = only_finding(
        tmp_path,
        """
        from qgis.core import QgsMapToPixelSimplifier

        ALGORITHM = QgsMapToPixelSimplifier.SimplifyAlgorithm.Distance
        """,
    )
    assert "QgsMapToPixelSimplifier.SimplifyAlgorithm is gone in QGIS 3.4" in finding
    assert "fix: Qgis.VectorSimplificationAlgorithm.Distance (not on QGIS 3.22" in finding
    assert "QgsVectorSimplifyMethod.SimplifyAlgorithm.Distance works from 3.22" in finding


def test_unscoped_qgis_enum_without_a_form_for_every_release_says_so(tmp_path):
    finding = only_finding(
        tmp_path,
        """
        from qgis.core import QgsLayoutRenderContext

        FLAG = QgsLayoutRenderContext.FlagAlwaysUseGlobalMasks
        """,
    )
    assert "fix: Qgis.LayoutRenderFlag.AlwaysUseGlobalMasks (not on QGIS 3.40" in finding
    assert "no scoped form works on both: raise qgisMinimumVersion" in finding


SCOPED = """
from qgis.core import (
    Qgis,
    QgsMapLayerProxyModel,
    QgsMapLayerType,
    QgsProcessing,
    QgsProcessingParameterNumber,
    QgsTask,
)
from qgis.gui import QgsFileWidget
from qgis.PyQt import QtCore
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QAction, QDialog, QHeaderView, QMessageBox, QSizePolicy


def use(dialog: QDialog, header: QHeaderView) -> None:
    dialog.exec()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    QAction("x").setShortcutContext(Qt.ShortcutContext.WidgetShortcut)


VALUES = [
    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
    QtCore.Qt.ItemDataRole.UserRole,
    Qt.DockWidgetArea.RightDockWidgetArea,
    QMessageBox.StandardButton.Yes,
    QSizePolicy.Policy.Expanding,
    QDialog.DialogCode.Accepted,
    Qgis.MessageLevel.Critical,
    QgsTask.Flag.CanCancel,
    QgsMapLayerProxyModel.Filter.RasterLayer,
    QgsProcessingParameterNumber.Type.Integer,
    QgsFileWidget.StorageMode.SaveFile,
    # old names that newer QGIS keeps on the moved enums (Qgis.ProcessingSourceType.Raster)
    QgsProcessing.SourceType.TypeRaster,
    QgsMapLayerType.RasterLayer,
]
"""


def test_scoped_forms_pass(tmp_path):
    result = run_check(plant(tmp_path, SCOPED))
    assert result.returncode == 0, result.stdout + result.stderr
    assert findings(result) == []
    assert "0 Qt5-only form(s) in 1 file(s)" in result.stdout


def test_scoped_forms_run_on_this_qgis(qgis_app):
    # The same file, imported by the QGIS of this machine (3.22 here; 3.40 / 3.44 in the
    # Debian roots of make test-newer-qgis): every scoped form above resolves.
    namespace: dict = {}
    exec(compile(SCOPED, "scoped.py", "exec"), namespace)
    assert len(namespace["VALUES"]) == 13


UNSCOPED = {
    "Qt.AlignLeft": "from qgis.PyQt.QtCore import Qt",
    "QMessageBox.Yes": "from qgis.PyQt.QtWidgets import QMessageBox",
    "QHeaderView.Stretch": "from qgis.PyQt.QtWidgets import QHeaderView",
    "Qgis.Critical": "from qgis.core import Qgis",
    "QgsTask.CanCancel": "from qgis.core import QgsTask",
    "QgsMapLayerProxyModel.RasterLayer": "from qgis.core import QgsMapLayerProxyModel",
    "QgsProcessingParameterNumber.Integer": "from qgis.core import QgsProcessingParameterNumber",
    "QgsFileWidget.SaveFile": "from qgis.gui import QgsFileWidget",
}


def test_the_fixes_it_suggests_run_on_this_qgis_and_mean_the_same(tmp_path, qgis_app):
    from qgis.core import Qgis

    imports = "\n".join(sorted(set(UNSCOPED.values())))
    uses = "\n".join(f"V{i} = {access}" for i, access in enumerate(UNSCOPED))
    lines = findings(run_check(plant(tmp_path, f"{imports}\n{uses}\n")))
    assert len(lines) == len(UNSCOPED), lines
    running = ".".join(Qgis.QGIS_VERSION.split(".")[:2])
    namespace: dict = {}
    exec(imports, namespace)
    for line, access in zip(lines, UNSCOPED, strict=True):
        fix = line.split("; fix: ", 1)[1]
        home, _, notes = fix.partition(" (")
        # Where this QGIS lacks the home, the check names the form that works here.
        here = re.search(rf"not on QGIS {re.escape(running)}\.\d+: (\S+) works", notes)
        chosen = here.group(1) if here else home
        module = chosen.split(".")[0]
        if module not in namespace:
            exec(f"from qgis.core import {module}", namespace)
        assert eval(chosen, namespace) == eval(access, namespace), (access, chosen)
