"""The shipped demo model, its card and its sample: consistent, honest, and working together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal

from devtools.demo import MODEL, SAMPLE, SAMPLE_LABEL, agreement_with_label, class_areas
from engine.metadata import POTSDAM_CLASSES, make_metadata
from engine.model_file import read_model_metadata
from engine.pipeline import SegmentationOptions, segment

gdal.UseExceptions()


def test_card_and_metadata_carry_the_same_test_scores():
    meta = read_model_metadata(MODEL)
    assert [c.name for c in meta.classes] == [c.name for c in POTSDAM_CLASSES]
    m = meta.metrics
    # The shipped model must be worth more than a per-pixel colour classifier on scenes that
    # neither trained it nor chose its epoch.
    assert m["test_miou6"] > m["colour_baseline_test_miou6"]
    assert m["test_miou5"] > m["colour_baseline_test_miou5"]
    card = MODEL.with_suffix(".md").read_text(encoding="utf-8")
    assert "synthetic" in card.lower() and "scenes only" in card.lower()
    assert "teach it your imagery" in card.lower()
    assert "never trained the model nor chose its epoch" in card
    assert f"| mIoU, all classes | **{100 * m['test_miou6']:.1f}** |" in card
    assert f"| {100 * m['colour_baseline_test_miou6']:.1f} |" in card
    assert "python -m trainer evaluate" in card and "python -m trainer colour-baseline" in card
    assert MODEL.stat().st_size < 12e6
    assert SAMPLE.stat().st_size + SAMPLE_LABEL.stat().st_size < 3e6


def test_bundled_model_segments_the_sample(tmp_path):
    out = tmp_path / "classes.tif"
    result = segment(str(SAMPLE), str(MODEL), str(out), SegmentationOptions())
    meta = read_model_metadata(MODEL)
    predicted = gdal.Open(str(result.output_path))
    values = predicted.GetRasterBand(1).ReadAsArray()
    assert set(np.unique(values)) <= set(range(len(meta.classes))) | {255}
    accuracy, _ = agreement_with_label(result.output_path, SAMPLE_LABEL, meta)
    # Better than calling the scene's commonest class everywhere (a test scene: never trained
    # on, never chose an epoch).
    assert accuracy > _commonest_class_share(SAMPLE_LABEL, meta) + 0.1


def _commonest_class_share(label: Path, meta) -> float:
    rgb = gdal.Open(str(label)).ReadAsArray().transpose(1, 2, 0)
    counts = [int((rgb == np.asarray(c.color, np.uint8)).all(-1).sum()) for c in meta.classes]
    return max(counts) / max(sum(counts), 1)


def test_the_shipped_int8_copy_agrees_with_the_model_on_the_sample(tmp_path):
    from devtools.bundled_model import sample_agreement
    from engine.jobs.model_catalog import int8_path, list_models

    int8 = int8_path(MODEL)
    (entry,) = [e for e in list_models() if e.name == MODEL.stem]
    assert entry.int8 == int8  # the panel offers Fast (INT8) for the bundled model
    assert sample_agreement(MODEL, int8, [SAMPLE], tmp_path) >= 0.97


def _write(path: Path, bands: list[np.ndarray]) -> Path:
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 4, 2, len(bands), gdal.GDT_Byte)
    ds.SetGeoTransform((500_000, 0.5, 0, 5_800_000, 0, -0.5))
    for i, b in enumerate(bands):
        ds.GetRasterBand(i + 1).WriteArray(b)
    if len(bands) == 1:
        ds.GetRasterBand(1).SetNoDataValue(255)
    ds = None
    return path


def test_demo_counts_areas_and_agreement_from_the_rasters(tmp_path):
    meta = make_metadata(["a", "b"], [(255, 0, 0), (0, 0, 255)])
    classes = _write(tmp_path / "c.tif", [np.array([[0, 0, 1, 255], [1, 1, 1, 255]], np.uint8)])
    areas = class_areas(classes, meta)
    assert [(n, p) for n, p, _, _ in areas] == [("a", 2), ("b", 4)]
    assert areas[1][2] == 4 * 0.25 and abs(areas[0][3] - 100 / 3) < 1e-9
    red, blue = (255, 0, 0), (0, 0, 255)
    colours = [[red, blue, blue, red], [blue, blue, blue, red]]
    rgb = np.array(colours, np.uint8)
    label = _write(tmp_path / "l.tif", [rgb[..., i] for i in range(3)])
    accuracy, miou = agreement_with_label(classes, label, meta)
    # Valid (non-nodata) pixels: 6; right: (0,0), (0,2), (1,0), (1,1), (1,2) -> 5 of 6.
    assert abs(accuracy - 5 / 6) < 1e-9
    assert abs(miou - np.mean([1 / 2, 4 / 5])) < 1e-9
