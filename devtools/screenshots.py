"""Render the README pictures headlessly: the dock panel after a run, and a result map.

    .venv/bin/python -m devtools.screenshots [--model M.onnx] [--raster R.tif] [--out docs/images]

Uses the first bundled model (resources/models) and sample scene (resources/samples) when
they exist. Without them it draws a small scene and builds a nearest-colour model (a 1x1
convolution), so the pictures can always be made; the README's pictures name what made them.
The run goes through the real panel and QgsTask, exactly as an analyst's would.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_NAME = "aerial_segmentation"
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2")


# ---- fallback inputs ----------------------------------------------------------------------
# Scene colours per Potsdam class; the fallback model assigns each pixel the nearest one.
SCENE_COLOURS = {
    0: (150, 148, 142),  # impervious surfaces: grey asphalt
    1: (178, 92, 70),  # building: red-brown roofs
    2: (150, 190, 100),  # low vegetation: light green
    3: (46, 96, 44),  # tree: dark green
    4: (40, 70, 190),  # car: blue
    5: (205, 180, 80),  # clutter: sand
}


def draw_scene(path: Path, size: int = 384, seed: int = 3) -> Path:
    """A 5 cm/px RGB scene of roads, roofs, lawns, tree crowns and cars."""
    from osgeo import gdal, osr

    rng = np.random.default_rng(seed)
    labels = np.full((size, size), 2, dtype=np.uint8)
    labels[:, 170:215] = 0  # a road
    labels[300:340, :] = 0
    for x0, y0, w, h in [(20, 30, 110, 80), (240, 40, 120, 95), (30, 150, 90, 110)]:
        labels[y0 : y0 + h, x0 : x0 + w] = 1
    yy, xx = np.mgrid[0:size, 0:size]
    for cx, cy, r in [(270, 200, 30), (330, 230, 22), (150, 360, 18), (60, 350, 25)]:
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = 3
    for x0, y0 in [(178, 60), (195, 130), (178, 250), (60, 312), (250, 318)]:
        horizontal = y0 > 300
        h, w = (12, 24) if horizontal else (24, 12)
        labels[y0 : y0 + h, x0 : x0 + w] = 4
    labels[250:285, 240:300] = 5
    colours = np.array([SCENE_COLOURS[k] for k in range(6)], dtype=np.float32)
    image = colours[labels] + rng.normal(0, 9, size=(size, size, 3))
    image = np.clip(image, 0, 255).astype(np.uint8).transpose(2, 0, 1)

    dataset = gdal.GetDriverByName("GTiff").Create(str(path), size, size, 3, gdal.GDT_Byte)
    dataset.SetGeoTransform((368000.0, 0.05, 0.0, 5808000.0, 0.0, -0.05))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(25833)
    dataset.SetProjection(srs.ExportToWkt())
    for band in range(3):
        dataset.GetRasterBand(band + 1).WriteArray(image[band])
    dataset = None
    return path


def nearest_colour_model(path: Path, metadata_module) -> Path:
    """logit_k = 2 x·c_k - |c_k|², i.e. the nearest scene colour wins, as a 1x1 conv."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    centres = np.array([SCENE_COLOURS[k] for k in range(6)], dtype=np.float32) / 255.0
    weights = (2 * centres).reshape(6, 3, 1, 1).astype(np.float32)
    bias = -(centres**2).sum(axis=1).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["input", "w", "b"], ["output"], kernel_shape=[1, 1])],
        "nearest_colour",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 6, "H", "W"])],
        initializer=[numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    meta = metadata_module.ModelMetadata(
        heads=(metadata_module.POTSDAM_CLASSES,),
        resolution_cm=5.0,
        tile_size=128,
        tile_overlap_pct=15.0,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        pixel_scale=255.0,
        output_kind="logits",
        architecture="nearest-colour 1x1 conv",
        training_data="none: colour centres of the drawn screenshot scene",
        version="0",
        description="Stand-in used for the pictures when no model is bundled.",
    )
    metadata_module.write_onnx_metadata(path, meta)
    return path


# ---- QGIS ---------------------------------------------------------------------------------
class ScriptInterface:
    """The two things the panel asks of QGIS' iface outside QGIS: a canvas and a message bar."""

    def __init__(self, canvas):
        self.canvas = canvas

    def mapCanvas(self):  # noqa: N802 - QGIS API name
        return self.canvas

    def messageBar(self):  # noqa: N802 - QGIS API name
        return None

    def mainWindow(self):  # noqa: N802 - QGIS API name
        return None


def start_qgis(workdir: Path):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", str(workdir / "profile"))
    runtime = workdir / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    return app


def import_plugin(workdir: Path):
    """The checkout as the package QGIS imports (``aerial_segmentation``)."""
    import importlib

    link_parent = workdir / "plugins"
    link_parent.mkdir(exist_ok=True)
    link = link_parent / PLUGIN_NAME
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    sys.path.insert(0, str(link_parent))
    return importlib.import_module(PLUGIN_NAME)


def run_panel(dock, layer, model: Path, timeout: float = 600.0):
    from qgis.PyQt.QtWidgets import QApplication

    dock.layer_combo.setLayer(layer)
    dock.set_model_path(model)
    task = dock.run_segmentation()
    if task is None:
        raise SystemExit(f"The panel did not start a run: {dock.status_label.text()}")
    deadline = time.monotonic() + timeout
    while dock.task is not None and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    outcome = dock.last_outcome
    if outcome is None or outcome.status != "ok":
        raise SystemExit(f"The run failed: {outcome.message if outcome else 'timeout'}")
    return outcome


def grab_panel(dock, path: Path, width: int = 300) -> None:
    """The panel at the width QGIS opens a dock with, tall enough that nothing scrolls: the
    options above, Run / Cancel / progress pinned below."""
    from qgis.PyQt.QtWidgets import QApplication

    dock.resize(width, 3000)
    dock.show()
    QApplication.processEvents()
    body = dock.scroll_area.widget()
    footer = dock.run_button.parentWidget()
    content = body.layout().totalHeightForWidth(dock.scroll_area.viewport().width())
    dock.resize(width, content + footer.sizeHint().height() + 30)
    QApplication.processEvents()
    dock.scroll_area.verticalScrollBar().setValue(0)
    QApplication.processEvents()
    dock.widget().grab().save(str(path))


def teach_screenshot(dock, workdir: Path, path: Path, minutes: float) -> None:
    """The Teach tab after a real fine-tuning run: the README's example (the UAV orthophoto,
    polygons of three classes of the analyst's own) taught to the selected base model."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsFillSymbol,
        QgsProject,
        QgsRasterLayer,
        QgsRendererCategory,
        QgsSettings,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtWidgets import QApplication

    from devtools.finetune_example import COLOURS, IMAGE, write_labels

    QgsSettings().setValue("aerial_segmentation/user_models_dir", str(workdir / "models"))
    dock.refresh_models()
    labels = write_labels(workdir / "teach_labels.gpkg")
    raster = QgsRasterLayer(str(IMAGE), "uav_orthophoto", "gdal")
    polygons = QgsVectorLayer(f"{labels}|layername=labels", "field labels", "ogr")
    categories = [
        QgsRendererCategory(
            name, QgsFillSymbol.createSimple({"color": ",".join(map(str, c))}), name
        )
        for name, c in COLOURS.items()
    ]
    polygons.setRenderer(QgsCategorizedSymbolRenderer("class", categories))
    QgsProject.instance().addMapLayers([raster, polygons])
    teach = dock.teach
    teach.raster_combo.setLayer(raster)
    teach.labels_combo.setLayer(polygons)
    teach.native_check.setChecked(True)  # 2 cm: the painted marks are a few pixels wide
    teach.minutes_spin.setValue(minutes)
    dock.tabs.setCurrentIndex(1)
    if teach.run_finetuning() is None:
        raise SystemExit(f"The Teach tab did not start: {teach.status_label.text()}")
    while teach.task is not None:
        QApplication.processEvents()
        time.sleep(0.05)
    if teach.last_outcome.status != "ok":
        raise SystemExit(f"Fine-tuning failed: {teach.last_outcome.message}")
    dock.tabs.setCurrentIndex(1)  # the panel moves to Segment when a model is ready
    dock.resize(300, 3000)
    QApplication.processEvents()
    scroll = teach.scroll_area
    content = scroll.widget().layout().totalHeightForWidth(scroll.viewport().width())
    footer = teach.run_button.parentWidget()
    dock.resize(300, content + footer.sizeHint().height() + dock.tabs.tabBar().height() + 30)
    QApplication.processEvents()
    dock.widget().grab().save(str(path))


def render_layers(layers, extent, crs, size) -> object:
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return job.renderedImage()


def render_result(source, result, metadata, path: Path, side: int = 480) -> None:
    """Orthophoto and classes side by side, with the legend the layer tree would show."""
    from qgis.PyQt.QtCore import QRect, Qt
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter

    from aerial_segmentation.qgis_common.styling import display_color

    extent = result.extent()
    crs = result.crs()
    aspect = extent.height() / extent.width() if extent.width() else 1.0
    map_size = (side, max(1, round(side * aspect)))
    left = render_layers([source], extent, crs, map_size)
    right = render_layers([result], extent, crs, map_size)

    classes = list(metadata.classes)
    margin, gap, title_h, row_h = 16, 16, 30, 24
    legend_w = 200
    width = margin * 2 + map_size[0] * 2 + gap * 2 + legend_w
    height = margin * 2 + title_h + max(map_size[1], row_h * len(classes))
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont("DejaVu Sans", 11)
    font.setBold(True)
    painter.setFont(font)
    x_left, x_right = margin, margin + map_size[0] + gap
    x_legend = x_right + map_size[0] + gap
    top = margin + title_h
    left_align = Qt.AlignmentFlag.AlignLeft
    painter.drawText(QRect(x_left, margin, map_size[0], title_h), left_align, source.name())
    painter.drawText(QRect(x_right, margin, map_size[0], title_h), left_align, result.name())
    painter.drawText(QRect(x_legend, margin, legend_w, title_h), left_align, "Classes")
    painter.drawImage(x_left, top, left)
    painter.drawImage(x_right, top, right)
    painter.setPen(QColor(90, 90, 90))
    painter.drawRect(x_left, top, map_size[0] - 1, map_size[1] - 1)
    painter.drawRect(x_right, top, map_size[0] - 1, map_size[1] - 1)
    font.setBold(False)
    font.setPointSize(10)
    painter.setFont(font)
    for row, info in enumerate(classes):
        y = top + row * row_h
        painter.setPen(QColor(60, 60, 60))
        painter.setBrush(display_color(info.color))
        painter.drawRect(x_legend, y + 3, 18, 16)
        painter.drawText(
            QRect(x_legend + 26, y, legend_w - 26, row_h),
            Qt.AlignmentFlag.AlignVCenter,
            str(info.name),
        )
    painter.end()
    image.save(str(path))


def first_file(folder: Path, suffixes) -> Path | None:
    """The first matching file, skipping label rasters that sit next to sample scenes."""
    files = sorted(
        p
        for p in folder.glob("*")
        if p.suffix.lower() in suffixes and "label" not in p.stem.lower()
    )
    return files[0] if files else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the first bundled model")
    parser.add_argument("--raster", type=Path, help="default: the first sample scene")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="use the drawn scene and nearest-colour model even when a model is bundled",
    )
    parser.add_argument(
        "--teach-minutes",
        type=float,
        default=2.0,
        help="also picture the Teach tab after fine-tuning this long (0: skip; skipped with "
        "--stand-in)",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="screenshots_"))
    app = start_qgis(workdir)
    plugin = import_plugin(workdir)  # noqa: F841 - makes aerial_segmentation importable
    from qgis.core import QgsProject, QgsRasterLayer
    from qgis.gui import QgsMapCanvas

    from aerial_segmentation.engine import metadata as metadata_module
    from aerial_segmentation.ui.dock import SegmentationDock

    model, raster = args.model, args.raster
    if not args.stand_in:
        model = model or first_file(ROOT / "resources" / "models", (".onnx",))
        raster = raster or first_file(ROOT / "resources" / "samples", RASTER_SUFFIXES)
    if raster is None:
        raster = draw_scene(workdir / "scene.tif")
    if model is None:
        model = nearest_colour_model(workdir / "nearest_colour_demo.onnx", metadata_module)
    print(f"model:  {model}\nraster: {raster}")

    project = QgsProject.instance()
    source = QgsRasterLayer(str(raster), Path(raster).stem, "gdal")
    if not source.isValid():
        raise SystemExit(f"QGIS cannot open {raster}")
    project.addMapLayer(source)
    canvas = QgsMapCanvas()
    canvas.setDestinationCrs(source.crs())
    canvas.setExtent(source.extent())

    dock = SegmentationDock(ScriptInterface(canvas))
    dock.detect_devices()
    for name in ("confidence", "polygons"):  # what a run can write beside the classes
        dock.output_box.extra_checks[name].setChecked(True)
    run_panel(dock, source, Path(model))
    result = project.mapLayer(dock.result_layer_ids[0])
    outcome = dock.last_outcome

    args.out.mkdir(parents=True, exist_ok=True)
    grab_panel(dock, args.out / "panel.png")
    render_result(source, result, dock.model_metadata(Path(model)), args.out / "result.png")
    print(f"wrote {args.out / 'panel.png'} and {args.out / 'result.png'}")
    print(outcome.result.summary())
    if args.teach_minutes > 0 and not args.stand_in:
        teach_screenshot(dock, workdir, args.out / "teach.png", args.teach_minutes)
        print(f"wrote {args.out / 'teach.png'}")
    # Qt objects go before QGIS does, or the interpreter crashes on its way out.
    dock.shutdown()
    project.removeAllMapLayers()
    for widget in (dock, canvas):
        widget.deleteLater()
    app.processEvents()
    del dock, canvas, source, result
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
