"""The step of ``devtools/train_bundled.sh`` that is no trainer command: cut the shipped
sample scene out of a test scene. (The model's metadata and card come from the trainer:
``export --card`` and ``evaluate --update-card``.)

Usage: python -m devtools.bundled_model sample --scene S_RGB.tif --label S_label.tif --out DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SIZE = 1000


# --- sample -------------------------------------------------------------------------------


def _pick_window(labels_rgb: np.ndarray, size: int) -> tuple[int, int]:
    """The window whose class mix is most even (all six classes, none dominating)."""
    keys = (
        (labels_rgb[..., 0].astype(np.int32) << 16)
        | (labels_rgb[..., 1].astype(np.int32) << 8)
        | labels_rgb[..., 2]
    )
    best, best_xy = -1.0, (0, 0)
    h, w = keys.shape
    step = max((min(h, w) - size) // 4, 1)
    for y in range(0, max(h - size, 0) + 1, step):
        for x in range(0, max(w - size, 0) + 1, step):
            _, counts = np.unique(keys[y : y + size : 4, x : x + size : 4], return_counts=True)
            p = counts / counts.sum()
            entropy = float(-(p * np.log(p)).sum())
            if entropy > best:
                best, best_xy = entropy, (x, y)
    return best_xy


def make_sample(scene: Path, label: Path, out_dir: Path, size: int = SAMPLE_SIZE) -> list[Path]:
    from osgeo import gdal

    gdal.UseExceptions()
    lab = gdal.Open(str(label))
    rgb = np.stack([lab.GetRasterBand(b).ReadAsArray() for b in (1, 2, 3)], -1)
    x, y = _pick_window(rgb, size)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = scene.name.replace("_RGB.tif", "")
    image_out = out_dir / f"{stem}_sample_RGB.tif"
    label_out = out_dir / f"{stem}_sample_label.tif"
    gdal.Translate(
        str(image_out), str(scene), srcWin=[x, y, size, size],
        creationOptions=["COMPRESS=JPEG", "JPEG_QUALITY=92", "PHOTOMETRIC=YCBCR", "TILED=YES"],
    )  # fmt: skip
    gdal.Translate(
        str(label_out), str(label), srcWin=[x, y, size, size],
        creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES"],
    )  # fmt: skip
    return [image_out, label_out]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bundled_model")
    sub = parser.add_subparsers(dest="step", required=True)
    s = sub.add_parser("sample", help="cut the sample scene out of a test scene")
    s.add_argument("--scene", type=Path, required=True)
    s.add_argument("--label", type=Path, required=True)
    s.add_argument("--out", type=Path, default=ROOT / "resources" / "samples")
    args = parser.parse_args(argv)
    for path in make_sample(args.scene, args.label, args.out):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
