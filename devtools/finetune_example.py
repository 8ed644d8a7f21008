"""The README's worked fine-tuning example on a real UAV orthophoto, as one picture.

The orthophoto in tests/data (a maize field beside a ploughed strip, with painted marks) is
nothing like the bundled model's training scenes. An analyst's few polygons of three
classes of their own ("crop", "bare soil", "marking"; the marks traced roughly) teach the
bundled model the image in a few minutes; the picture shows the polygons, the bundled
model's result and the fine-tuned model's result.

    .venv/bin/python -m devtools.finetune_example --minutes 3 --out docs/images/finetune_example.png
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "tests" / "data" / "deepness" / "uav_orthophoto_2cm_rgba.tif"
COLOURS = {"crop": (60, 170, 60), "bare soil": (190, 140, 90), "marking": (230, 30, 200)}
# Pixel boxes an analyst might draw: well inside the crop and the bare soil, and boxes
# around parts of the painted marks whose paint is traced (the polygon follows the paint).
BOXES = {
    "bare soil": [(20, 30, 200, 260), (20, 640, 150, 820), (30, 290, 140, 470)],
    "crop": [(450, 20, 720, 140), (850, 330, 1100, 520), (560, 620, 800, 780),
             (950, 700, 1110, 830), (1000, 60, 1120, 260)],
    "marking": [(420, 160, 600, 330), (320, 330, 420, 480), (60, 510, 300, 610),
                (330, 770, 520, 830), (1130, 20, 1190, 80)],
}  # fmt: skip

gdal.UseExceptions()
ogr.UseExceptions()


def paint_mask(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb.astype(np.int32)
    return (
        ((r > 180) & (g < 90) & (b < 90))
        | ((b > 180) & (r < 90) & (g < 120))
        | ((g > 200) & (r < 90) & (b < 120))
    )


def write_labels(path: Path) -> Path:
    source = gdal.Open(str(IMAGE))
    gt = source.GetGeoTransform()
    paint = paint_mask(source.ReadAsArray()[:3])
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(source.GetProjection())
    layer = dataset.CreateLayer("labels", srs=srs, geom_type=ogr.wkbMultiPolygon)
    layer.CreateField(ogr.FieldDefn("class", ogr.OFTString))

    def world(px: float, py: float) -> tuple[float, float]:
        return gt[0] + px * gt[1], gt[3] + py * gt[5]

    for name, boxes in BOXES.items():
        for x0, y0, x1, y1 in boxes:
            if name == "marking":
                geometry = _traced(paint[y0:y1, x0:x1], gt, x0, y0, srs)
            else:
                ring = ogr.Geometry(ogr.wkbLinearRing)
                for px, py in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
                    ring.AddPoint_2D(*world(px, py))
                geometry = ogr.Geometry(ogr.wkbPolygon)
                geometry.AddGeometry(ring)
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetField("class", name)
            feature.SetGeometry(ogr.ForceToMultiPolygon(geometry))
            layer.CreateFeature(feature)
    dataset = None
    return path


def _traced(mask: np.ndarray, gt, x0: int, y0: int, srs) -> ogr.Geometry:
    """The paint inside a box as one (multi)polygon, the way a careful analyst traces it."""
    h, w = mask.shape
    raster = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Byte)
    raster.SetGeoTransform((gt[0] + x0 * gt[1], gt[1], 0, gt[3] + y0 * gt[5], 0, gt[5]))
    raster.GetRasterBand(1).WriteArray(mask.astype(np.uint8))
    memory = ogr.GetDriverByName("Memory").CreateDataSource("paint")
    layer = memory.CreateLayer("paint", srs=srs)
    layer.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
    gdal.Polygonize(raster.GetRasterBand(1), raster.GetRasterBand(1), layer, 0)
    union = ogr.Geometry(ogr.wkbMultiPolygon)
    for feature in layer:
        if feature.GetGeometryRef().GetArea() > 4 * abs(gt[1] * gt[5]):
            union.AddGeometry(feature.GetGeometryRef().Clone())
    return union.UnionCascaded().Buffer(0.02)


def render(labels: Path, base: Path, tuned: Path, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from engine.model_file import read_model_metadata

    rgb = gdal.Open(str(IMAGE)).ReadAsArray()[:3].transpose(1, 2, 0)
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.9), dpi=90)
    axes[0].imshow(rgb)
    dataset = ogr.Open(str(labels))
    gt = gdal.Open(str(IMAGE)).GetGeoTransform()
    layer = dataset.GetLayer(0)
    for feature in layer:
        colour = np.array(COLOURS[feature.GetField("class")]) / 255
        geometry = feature.GetGeometryRef()
        for i in range(geometry.GetGeometryCount()):
            ring = geometry.GetGeometryRef(i).GetGeometryRef(0)
            xs = [(ring.GetX(k) - gt[0]) / gt[1] for k in range(ring.GetPointCount())]
            ys = [(ring.GetY(k) - gt[3]) / gt[5] for k in range(ring.GetPointCount())]
            axes[0].fill(xs, ys, facecolor=(*colour, 0.35), edgecolor=colour, linewidth=1.5)
    axes[0].set_title(f"{layer.GetFeatureCount()} polygons drawn by the analyst")
    for ax, model, title in ((axes[1], base, "bundled model"), (axes[2], tuned, "fine-tuned")):
        meta = read_model_metadata(model)
        classes = gdal.Open(str(model.with_suffix(".classes.tif"))).ReadAsArray()
        palette = np.array([c.color for c in meta.classes] + [(0, 0, 0)] * 250, np.uint8)
        ax.imshow(palette[classes])
        handles = [Patch(color=np.array(c.color) / 255, label=c.name) for c in meta.classes]
        ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.85)
        ax.set_title(title)
    legend = [Patch(color=np.array(c) / 255, label=n) for n, c in COLOURS.items()]
    axes[0].legend(handles=legend, loc="lower right", fontsize=7, framealpha=0.85)
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--model", default="cse_unet_synthetic")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images/finetune_example.png")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    from engine.pipeline import SegmentationOptions, segment
    from trainer.finetune.base_model import resolve_base_path
    from trainer.finetune.request import FinetuneRequest, TrainingPlan
    from trainer.finetune.runner import run_finetune

    work = args.work or Path(tempfile.mkdtemp(prefix="finetune_example_"))
    work.mkdir(parents=True, exist_ok=True)
    labels = write_labels(work / "labels.gpkg")
    base = work / "base.onnx"
    base.write_bytes(resolve_base_path(args.model).read_bytes())
    tuned = work / "maize_field.onnx"
    result = run_finetune(
        FinetuneRequest(
            image=str(IMAGE), labels=str(labels), base_model=args.model, output=str(tuned),
            plan=TrainingPlan(minutes=args.minutes), native_gsd=True, class_colors=COLOURS,
            overwrite=True,
        ),
        lambda fraction, message: print(f"\r{fraction:6.1%} {message:60}", end="", flush=True),
    )  # fmt: skip
    print()
    for model in (base, tuned):
        segment(str(IMAGE), str(model), str(model.with_suffix(".classes.tif")),
                SegmentationOptions(device="cpu"))  # fmt: skip
    render(labels, base, tuned, args.out)
    print(
        f"held-out mIoU {result.base_holdout_miou:.3f} -> {result.holdout_miou:.3f} after "
        f"{result.train_seconds / 60:.1f} min ({result.holdout_iou}); picture: {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
