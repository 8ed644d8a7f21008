"""``make demo``: segment the bundled sample with the bundled model, the way an analyst would.

Runs the Processing algorithm ``aerial_segmentation:segment`` through headless
``qgis_process`` (so plugin, provider, engine and model are all exercised), then renders
input, result and reference label side by side with QGIS' own map renderer, and prints the
per-class areas and the model's held-out scores from its metadata / model card.

Usage: python -m devtools.demo [--out demo_output] [--docs-image docs/images/demo.png]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from devtools.qgis_process import run_qgis_process

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"
SAMPLE = ROOT / "resources" / "samples" / "top_potsdam_2_13_sample_RGB.tif"
SAMPLE_LABEL = ROOT / "resources" / "samples" / "top_potsdam_2_13_sample_label.tif"
PANEL = 560


def segment_with_qgis_process(image: Path, model: Path, output: Path) -> dict:
    """Run the Processing algorithm headlessly; returns its results (raises with its log)."""
    output.unlink(missing_ok=True)
    args = ["--json", "run", "aerial_segmentation:segment", "--"]
    args += [f"INPUT={image}", f"MODEL={model}", f"OUTPUT={output}"]
    result = run_qgis_process(args, timeout=900)
    payload: dict = {}
    start = result.stdout.find("{")
    if start >= 0:
        try:
            payload = json.loads(result.stdout[start:])
        except json.JSONDecodeError:
            payload = {}
    if result.returncode != 0 or not output.is_file():
        raise RuntimeError(
            "qgis_process could not segment the sample "
            f"(exit code {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return payload


def class_areas(classified: Path, meta) -> list[tuple[str, int, float, float]]:
    """(name, pixels, m², percent) per class of the model, from the written GeoTIFF."""
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(classified))
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    gt = ds.GetGeoTransform()
    pixel_m2 = abs(gt[1] * gt[5])
    valid = values != nodata if nodata is not None else np.ones(values.shape, bool)
    counts = np.bincount(values[valid].ravel(), minlength=len(meta.classes))
    total = max(int(valid.sum()), 1)
    return [
        (c.name, int(counts[c.index]), counts[c.index] * pixel_m2, 100 * counts[c.index] / total)
        for c in meta.classes
    ]


def agreement_with_label(classified: Path, label: Path, meta) -> tuple[float, float]:
    """(pixel accuracy, mIoU over classes present) of the result against the sample's label."""
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(classified))  # keep the dataset alive while its band is read
    pred = ds.GetRasterBand(1).ReadAsArray().astype(np.int64)
    lab = gdal.Open(str(label))
    # The result may cover only part of the label (an extent): read the matching window.
    cx, _, _, cy, _, _ = ds.GetGeoTransform()
    lx, lpx, _, ly, _, lpy = lab.GetGeoTransform()
    xoff, yoff = round((cx - lx) / lpx), round((cy - ly) / lpy)
    h, w = pred.shape
    rgb = np.stack([lab.GetRasterBand(b).ReadAsArray(xoff, yoff, w, h) for b in (1, 2, 3)], -1)
    truth = np.full(pred.shape, -1, np.int64)
    for c in meta.classes:
        truth[(rgb == np.asarray(c.color, np.uint8)).all(-1)] = c.index
    valid = (truth >= 0) & (pred < len(meta.classes))
    n = len(meta.classes)
    cm = np.bincount(truth[valid] * n + pred[valid], minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1) - tp
    present = cm.sum(1) > 0
    iou = tp[present] / np.maximum(denom[present], 1)
    return float(tp.sum() / max(cm.sum(), 1)), float(iou.mean())


def render_side_by_side(
    image: Path, classified: Path, label: Path | None, meta, areas, png: Path, title: str
) -> None:
    """Input | result | reference, drawn by QGIS' map renderer, with a legend."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    profile = tempfile.mkdtemp(prefix="demo_qgis_")
    os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", profile)
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(profile) / "runtime"
        runtime.mkdir(mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    from qgis.core import (
        QgsApplication,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsPalettedRasterRenderer,
        QgsRasterLayer,
    )
    from qgis.PyQt.QtCore import QRectF, QSize, Qt
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter

    app = QgsApplication.instance()
    own_app = app is None
    if own_app:
        app = QgsApplication([], False)
        app.initQgis()

    def render(layer) -> QImage:
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(PANEL, PANEL))
        settings.setBackgroundColor(QColor("white"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        return job.renderedImage()

    source = QgsRasterLayer(str(image), "input")
    result = QgsRasterLayer(str(classified), "classes")
    if not source.isValid() or not result.isValid():
        raise RuntimeError(f"QGIS cannot open {image} or {classified}")
    classes = [
        QgsPalettedRasterRenderer.Class(c.index, QColor(*c.color), c.name) for c in meta.classes
    ]
    result.setRenderer(QgsPalettedRasterRenderer(result.dataProvider(), 1, classes))
    panels = [("Input (held-out synthetic scene, 5 cm)", render(source))]
    panels.append(("Result: aerial_segmentation:segment", render(result)))
    if label is not None and label.is_file():
        reference = QgsRasterLayer(str(label), "label")
        panels.append(("Reference label", render(reference)))
        del reference

    gap, head, legend_h = 16, 64, 58
    width = len(panels) * PANEL + (len(panels) + 1) * gap
    canvas = QImage(width, head + PANEL + legend_h + gap, QImage.Format_ARGB32)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setFont(QFont("DejaVu Sans", 13, QFont.Bold))
    painter.drawText(QRectF(gap, 6, width - 2 * gap, 26), Qt.AlignLeft, title)
    painter.setFont(QFont("DejaVu Sans", 11))
    for i, (caption, img) in enumerate(panels):
        x = gap + i * (PANEL + gap)
        painter.drawText(QRectF(x, 36, PANEL, 22), Qt.AlignLeft, caption)
        painter.drawImage(x, head, img)
        painter.setPen(QColor(80, 80, 80))
        painter.drawRect(x, head, PANEL, PANEL)
    x, y = gap, head + PANEL + 14
    painter.setFont(QFont("DejaVu Sans", 10))
    for c, (name, _, _, percent) in zip(meta.classes, areas):
        painter.setPen(QColor(60, 60, 60))
        painter.setBrush(QColor(*c.color))
        painter.drawRect(x, y, 18, 18)
        text = f"{name} {percent:.1f} %"
        painter.drawText(QRectF(x + 24, y, 240, 20), Qt.AlignLeft | Qt.AlignVCenter, text)
        x += 30 + painter.fontMetrics().horizontalAdvance(text) + 18
    painter.end()
    png.parent.mkdir(parents=True, exist_ok=True)
    if not canvas.save(str(png)):
        raise RuntimeError(f"could not write {png}")
    # Layers must go before QGIS does, or their destructors run on a torn-down registry.
    del source, result, panels, classes
    if own_app:
        app.exitQgis()


def test_scores(meta) -> list[str]:
    """The test-split scores the model file carries (written by `evaluate --update-card`)."""
    m = meta.metrics
    lines = []
    if "test_miou6" in m:
        lines.append("Test split (synthetic scenes never trained on nor used to pick an epoch):")
        lines.append(
            f"  CSE-UNet       mIoU {100 * m['test_miou6']:.1f} (6 classes), "
            f"{100 * m['test_miou5']:.1f} (5 classes, no clutter), "
            f"OA {100 * m['test_oa6']:.1f}"
        )
    if "colour_baseline_test_miou6" in m:
        lines.append(
            f"  colour k-NN    mIoU {100 * m['colour_baseline_test_miou6']:.1f} (6 classes), "
            f"{100 * m['colour_baseline_test_miou5']:.1f} (5 classes)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "demo_output")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--image", type=Path, default=SAMPLE)
    parser.add_argument("--label", type=Path, default=SAMPLE_LABEL)
    parser.add_argument(
        "--docs-image", type=Path, default=None, help="also copy the picture here (README)"
    )
    args = parser.parse_args(argv)
    for path, what in ((args.model, "bundled model"), (args.image, "sample scene")):
        if not path.is_file():
            print(
                f"demo: the {what} {path} is missing; it is committed with the repository "
                "(rebuild it with `bash devtools/train_bundled.sh`).",
                file=sys.stderr,
            )
            return 1
    sys.path.insert(0, str(ROOT))
    from engine.model_file import read_model_metadata

    meta = read_model_metadata(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    classified = args.out / f"{args.image.stem}_classes.tif"
    shown = args.image.relative_to(ROOT) if args.image.is_relative_to(ROOT) else args.image
    print(f"Segmenting {shown}")
    print(f"  with {args.model.name} through qgis_process (aerial_segmentation:segment) ...")
    payload = segment_with_qgis_process(args.image, args.model, classified)
    results = payload.get("results", {})
    seconds = results.get("SECONDS")
    device = results.get("DEVICE_USED", "?")
    timing = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    print(f"Wrote {classified} (device {device}{timing})")

    areas = class_areas(classified, meta)
    print("\nClass areas:")
    for name, pixels, m2, percent in areas:
        print(f"  {name:<22} {m2:9.1f} m²  {percent:5.1f} %  ({pixels} px)")
    if args.label.is_file():
        accuracy, miou = agreement_with_label(classified, args.label, meta)
        print(
            f"\nAgainst the sample's reference label: pixel accuracy {100 * accuracy:.1f} %, "
            f"mIoU {100 * miou:.1f} (full labels, boundaries included)"
        )
    png = args.out / "demo.png"
    title = f"{args.model.stem}: segmentation of a held-out synthetic scene (rendered by QGIS)"
    render_side_by_side(args.image, classified, args.label, meta, areas, png, title)
    print(f"Picture: {png}")
    if args.docs_image:
        args.docs_image.parent.mkdir(parents=True, exist_ok=True)
        args.docs_image.write_bytes(png.read_bytes())
        print(f"Copied to {args.docs_image}")
    print()
    for line in test_scores(meta):
        print(line)
    card = args.model.with_suffix(".md")
    if card.is_file():
        print(f"Model card: {card.relative_to(ROOT) if card.is_relative_to(ROOT) else card}")
    print(
        "Note: the bundled model is trained on synthetic scenes only: teach it your imagery "
        "(the panel's Teach tab, or python -m trainer finetune)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
