"""Steps of ``devtools/train_bundled.sh`` that are no trainer command: choose the checkpoint
to ship, cut the shipped sample scene out of a test scene, and make a bundled model's INT8
copy. (The model's metadata and card come from the trainer: ``export --card``,
``evaluate --update-card``, ``quantize``.)

Usage: python -m devtools.bundled_model choose --checkpoint A.pt --checkpoint B.pt --data D ...
       python -m devtools.bundled_model sample --scene S_RGB.tif --label S_label.tif --out DIR
       python -m devtools.bundled_model int8 [--model resources/models/M.onnx]

``choose`` scores each phase's best checkpoint on the validation split of every dataset
given and prints the path of the one with the highest mean validation mIoU (6 classes): each
phase chose its epoch on its own validation scenes, so this compares them on all of them.
The test split is never read. Scores in ``--work`` written after their checkpoint and dataset
are read back, not evaluated again.

``int8`` writes ``M_int8.onnx`` (and its card) beside the model: calibrated on synthetic
scenes made for the purpose (their own seed: scenes no training or test split holds), then
compared with the original on the sample scenes in ``resources/samples``, pixel by pixel,
through the engine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SIZE = 1000


# --- choose -------------------------------------------------------------------------------


def choose_checkpoint(checkpoints: list[Path], datasets: list[Path], work: Path) -> Path:
    """The checkpoint with the highest mean validation mIoU over ``datasets``."""
    means = {}
    for checkpoint in checkpoints:
        scores = []
        for data in datasets:
            out = work / f"{score_folder_name(checkpoint)}_{data.name}"
            scores.append(validation_miou(checkpoint, data, out))
        means[checkpoint] = sum(scores) / len(scores)
        table = ", ".join(f"{d.name} {100 * s:.1f}" for d, s in zip(datasets, scores))
        print(f"{checkpoint}: validation mIoU6 {table}; mean {100 * means[checkpoint]:.1f}",
              file=sys.stderr)  # fmt: skip
    return max(checkpoints, key=means.__getitem__)


def score_folder_name(checkpoint: Path) -> str:
    """A name per checkpoint for its saved scores: a run's ``checkpoints/best.pt`` is named
    by its run, any other file by its own name too, so that two checkpoints side by side
    (``runs/bundled/phase_14_rebuilt.pt`` and another rebuilt file) never share a folder."""
    if checkpoint.parent.name == "checkpoints":
        run = checkpoint.parent.parent.name
        return run if checkpoint.stem == "best" else f"{run}_{checkpoint.stem}"
    return checkpoint.stem


def validation_miou(checkpoint: Path, data: Path, out: Path) -> float:
    """mIoU (6 classes) of ``checkpoint`` on ``data``'s validation split. A score written to
    ``out`` after both the checkpoint and the dataset's manifest were last written is read
    back rather than evaluated again: adding a phase then costs its own evaluations, not all
    of them anew."""
    import json

    from trainer.evaluate import evaluate

    saved = out / "metrics.json"
    sources = (checkpoint, data / "manifest.json")
    if saved.is_file() and all(saved.stat().st_mtime > p.stat().st_mtime for p in sources):
        metrics = json.loads(saved.read_text())
        if metrics.get("split") == "validation" and metrics.get("model") == str(checkpoint):
            return float(metrics["miou_all"])
    report = evaluate(checkpoint, data, out, split="validation", device="cpu")
    return float(report.metrics["miou_all"])


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


# --- int8 ---------------------------------------------------------------------------------

CALIBRATION_SEED = 7  # not the training scenes' seed (2026): scenes the model never saw
CALIBRATION_SCENES = 6
CALIBRATION_SIZE = 2000  # px at 5 cm: 500 px at the model's 20 cm, about 5 tiles each


def sample_agreement(model: Path, int8: Path, samples: list[Path], work: Path) -> float:
    """Share of the samples' valid pixels whose class the INT8 copy and the model agree on,
    each run through the engine as the plugin runs it."""
    from osgeo import gdal

    from engine.pipeline import segment

    gdal.UseExceptions()
    same = total = 0
    for sample in samples:
        maps = []
        for path in (model, int8):
            out = work / f"{sample.stem}_{path.stem}.tif"
            segment(sample, path, out)
            maps.append(gdal.Open(str(out)).ReadAsArray())
        valid = maps[0] != 255
        same += int((maps[0][valid] == maps[1][valid]).sum())
        total += int(valid.sum())
    return same / total


def make_int8(model: Path, tiles: int) -> int:
    import subprocess
    import tempfile

    from engine.jobs.model_catalog import int8_path

    model = model.resolve()
    if model.is_relative_to(ROOT):  # said as the repository's own path
        model = model.relative_to(ROOT)
    out = int8_path(model)
    with tempfile.TemporaryDirectory(prefix="int8_") as work:
        scenes = Path(work) / "scenes"
        python = sys.executable
        subprocess.run(
            [python, "-m", "trainer", "synth", "--out", str(scenes), "--scenes",
             str(CALIBRATION_SCENES), "--size", str(CALIBRATION_SIZE), "--seed",
             str(CALIBRATION_SEED)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        subprocess.run(
            [python, "-m", "trainer", "quantize", str(model), "--calibration",
             str(scenes / "2_Ortho_RGB"), "--out", str(out), "--tiles", str(tiles),
             "--overwrite"],
            check=True, cwd=ROOT,
        )  # fmt: skip
        samples = sorted((ROOT / "resources" / "samples").glob("*_RGB.tif"))
        if samples:
            agreement = sample_agreement(ROOT / model, ROOT / out, samples, Path(work))
            names = ", ".join(p.name for p in samples)
            print(f"{out.name} agrees with {model.name} on {100 * agreement:.2f} % of the "
                  f"pixels of {names}")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bundled_model")
    sub = parser.add_subparsers(dest="step", required=True)
    c = sub.add_parser("choose", help="the checkpoint with the best mean validation mIoU")
    c.add_argument("--checkpoint", type=Path, action="append", required=True)
    c.add_argument("--data", type=Path, action="append", required=True)
    c.add_argument("--work", type=Path, default=ROOT / "runs" / "bundled" / "choose")
    s = sub.add_parser("sample", help="cut the sample scene out of a test scene")
    s.add_argument("--scene", type=Path, required=True)
    s.add_argument("--label", type=Path, required=True)
    s.add_argument("--out", type=Path, default=ROOT / "resources" / "samples")
    q = sub.add_parser("int8", help="write a bundled model's INT8 copy beside it")
    q.add_argument(
        "--model", type=Path, default=ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"
    )
    q.add_argument("--tiles", type=int, default=32, help="calibration tiles (default 32)")
    args = parser.parse_args(argv)
    if args.step == "int8":
        return make_int8(args.model, args.tiles)
    if args.step == "choose":
        print(choose_checkpoint(args.checkpoint, args.data, args.work))
        return 0
    for path in make_sample(args.scene, args.label, args.out):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
