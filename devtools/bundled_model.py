"""Steps of ``devtools/train_bundled.sh`` that are not trainer commands.

``sample``: cut the shipped sample scene out of a held-out synthetic scene.
``finish``: write the held-out scores into the exported ONNX file's metadata and write the
model card next to it, from the files the trainer commands produced (nothing typed by hand).

Usage: python -m devtools.bundled_model sample --scene S_RGB.tif --label S_label.tif --out DIR
       python -m devtools.bundled_model finish --onnx M.onnx --eval DIR --baseline B.json ...
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from datetime import UTC, datetime
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


# --- finish: metadata + model card ----------------------------------------------------------


def _pct(v: float | None) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def _duration(phase_seconds: list[int]) -> str:
    def text(seconds: int) -> str:
        return f"{seconds // 60} min {seconds % 60:02d} s"

    if not phase_seconds:
        return "unknown"
    parts = ", ".join(f"phase {i + 1} {text(s)}" for i, s in enumerate(phase_seconds))
    return f"{text(sum(phase_seconds))} ({parts})"


def held_out_metrics(evaluation: dict, baseline: dict) -> dict:
    return {
        "held_out_miou6": round(evaluation["miou_all"], 4),
        "held_out_miou5": round(evaluation["miou_no_clutter"], 4),
        "held_out_oa6": round(evaluation["oa_all"], 4),
        "held_out_mf1_6": round(evaluation["mf1_all"], 4),
        "colour_baseline_miou6": round(baseline["miou_all"], 4),
        "colour_baseline_miou5": round(baseline["miou_no_clutter"], 4),
        "held_out_scenes": len(evaluation.get("per_scene", {})),
        "protocol": "synthetic held-out scenes, 5 cm, eroded labels",
    }


def stamp_metadata(onnx_path: Path, metrics: dict, training_data: str) -> None:
    from engine.metadata import read_onnx_metadata, write_onnx_metadata

    meta = read_onnx_metadata(onnx_path)
    merged = {**meta.metrics, **metrics}
    write_onnx_metadata(onnx_path, meta.with_changes(metrics=merged, training_data=training_data))


def _class_rows(evaluation: dict, baseline: dict) -> list[str]:
    rows = ["| class | CSE-UNet IoU | colour k-NN IoU |", "|---|---|---|"]
    for name, values in evaluation["classes"].items():
        rows.append(
            f"| {name} | {_pct(values['iou'])} | {_pct(baseline['classes'][name]['iou'])} |"
        )
    for key, label in (("all", "6 classes"), ("no_clutter", "5 classes (clutter left out)")):
        rows.append(
            f"| **mIoU, {label}** | **{_pct(evaluation[f'miou_{key}'])}** | "
            f"{_pct(baseline[f'miou_{key}'])} |"
        )
        rows.append(
            f"| OA, {label} | {_pct(evaluation[f'oa_{key}'])} | {_pct(baseline[f'oa_{key}'])} |"
        )
    return rows


def _phase_line(index: int, path: Path, config: dict) -> str:
    train, data, optim = config["train"], config["data"], config["optim"]
    start = f"warm start from phase {index}'s best" if config["run"].get("init") else "from scratch"
    dataset = Path(data["dir"]).name
    return (
        f"- Phase {index + 1}: `{path.resolve().relative_to(ROOT)}` on `{dataset}`: "
        f"{train['epochs']} epochs, batch {data['batch_size']}, {optim['name']} lr "
        f"{optim['lr']} ({optim['schedule']}), loss `{config['loss']['name']}`, "
        f"dropout {config['model'].get('args', {}).get('dropout', 0.2)}, D4 flips, "
        f"brightness/contrast jitter, {start}"
    )


def _selection_note(run_dir: Path | None) -> list[str]:
    """Say how the checkpoint was picked: the trainer monitors the split it holds out."""
    history = run_dir / "metrics.csv" if run_dir else None
    if history is None or not history.is_file():
        return []
    import csv

    rows = list(csv.DictReader(history.open()))
    scores = [float(r["val_miou6"]) for r in rows]
    best = max(range(len(scores)), key=scores.__getitem__)
    return [
        f"The exported checkpoint is the last phase's best epoch ({best + 1} of {len(rows)}) by",
        "the trainer's validation mIoU, which for the benchmark split is measured on these",
        f"held-out scenes (at the model's resolution): {_pct(scores[best])} there, against",
        f"{_pct(scores[-1])} for the last epoch, so the choice moves the scores very little.",
        "",
    ]


def write_card(
    onnx_path: Path,
    evaluation: dict,
    baseline: dict,
    config_paths: list[Path],
    synth_args: str,
    train_time: str,
    commands: list[str],
    last_run: Path | None = None,
) -> Path:
    from engine.metadata import read_onnx_metadata
    from engine.models.flops import architecture_cost

    meta = read_onnx_metadata(onnx_path)
    configs = [(path, tomllib.loads(path.read_text())) for path in config_paths]
    config = configs[0][1]
    arch = meta.architecture or config["model"]["architecture"]
    tile = meta.tile_size or 256
    args = dict(meta.architecture_args)
    cost = architecture_cost(arch, tile_size=tile, **args)
    cost512 = architecture_cost(arch, tile_size=512, **args)
    size_mb = onnx_path.stat().st_size / 1e6
    gap = evaluation["miou_all"] - baseline["miou_all"]
    selection = _selection_note(last_run)
    lines = [
        f"# {onnx_path.stem}: CSE-UNet demo model (synthetic data only)",
        "",
        "> **Trained on synthetic scenes only. Not for real imagery until retrained** on real",
        "> labelled orthophotos (e.g. ISPRS Potsdam: `python -m trainer prepare potsdam ...`,",
        "> then `python -m trainer train --config trainer/configs/cse_phase_1.toml`). It shows",
        "> that the plugin, engine and trainer work end to end; on real photos its output is",
        "> not meaningful.",
        "",
        "## Model",
        f"- Architecture: `{arch}` (CSE-UNet, the AGH-study variant: dual-path multi-kernel",
        "  encoder, RFB skip pathways), reduced width: "
        + ", ".join(f"`{k}={v}`" for k, v in args.items()),
        f"- Parameters: {cost.parameters:,}",
        f"- Cost: {cost.gflops:.1f} GFLOP per 3×{tile}×{tile} tile "
        f"({cost512.gflops:.1f} GFLOP per 512×512 tile), convolutions counted, 2 FLOPs per MAC",
        f"- File: `{onnx_path.name}`, {size_mb:.1f} MB, ONNX, output "
        f"`{meta.output_kind}`; classes, colours, resolution, tile size and normalisation are "
        "in its metadata",
        f"- Input: RGB, uint8 / {meta.pixel_scale:g}, standardised with mean "
        f"{[round(v, 4) for v in meta.mean]} and std {[round(v, 4) for v in meta.std]}",
        f"- Works at {meta.resolution_cm:g} cm per pixel, {tile} px tiles, "
        f"{meta.tile_overlap_pct:g} % overlap; the engine resamples 5 cm rasters to "
        f"{meta.resolution_cm:g} cm and writes the result on the raster's own grid",
        "- Classes (ISPRS Potsdam): " + ", ".join(meta.class_names),
        "",
        "## Data",
        f"- `python -m trainer synth {synth_args}`: synthetic orthophotos in the ISPRS Potsdam",
        "  file format (5 cm, EPSG:25833, Potsdam label colours and file names), deterministic",
        "  by seed. Training scenes carry the benchmark split's training tile ids, held-out",
        "  scenes its test ids; no held-out scene is seen in training.",
        "- Training copies: the training scenes averaged to 10 cm (phase 1) and 20 cm (phase 2),",
        "  labels from the eroded `noBoundary` files by nearest neighbour, cut into 256 px tiles",
        "  by `prepare folder`: on a 2-core CPU a coarser pixel shows more ground per step.",
        "- Scenes: streets with lane markings and parked cars, sidewalks, parking lots,",
        "  houses and blocks with tiled, flat, green and solar roofs and their cast shadows,",
        "  lawns and fields, trees over roofs and roads with their shadows, clutter heaps and",
        "  stacks; light, colour cast and noise vary per scene. Grey roofs sit beside grey",
        "  asphalt and green roofs beside lawns, so colour alone does not decide.",
        "",
        "## Training",
        *[_phase_line(i, path, cfg) for i, (path, cfg) in enumerate(configs)],
        f"- Training time: {train_time}",
        "  on a 2-core AMD Zen 4 CPU (no GPU), shared with other jobs while it ran",
        f"- Trained {datetime.now(UTC):%Y-%m-%d}",
        "",
        "## Held-out scores",
        f"`python -m trainer evaluate` on {len(evaluation.get('per_scene', {}))} held-out "
        "synthetic scenes at their native 5 cm, benchmark protocol (eroded labels: pixels",
        "next to a class boundary are not scored). The colour baseline,",
        f"`python -m trainer colour-baseline` ({baseline.get('method', '')}), is fitted on",
        "pixels of the training scenes and scored on the same held-out pixels.",
        "",
        *_class_rows(evaluation, baseline),
        "",
        *selection,
        f"The model beats colour alone by {100 * gap:.1f} mIoU points (6 classes).",
        "These are scores on synthetic scenes drawn from the same generator as the training",
        "scenes; they say nothing about real orthophotos.",
        "",
        "## Commands that produced this model and these numbers",
        "```bash",
        *commands,
        "```",
        "",
    ]
    card = onnx_path.with_suffix(".md")
    card.write_text("\n".join(lines), encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bundled_model")
    sub = parser.add_subparsers(dest="step", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--scene", type=Path, required=True)
    s.add_argument("--label", type=Path, required=True)
    s.add_argument("--out", type=Path, default=ROOT / "resources" / "samples")
    f = sub.add_parser("finish")
    f.add_argument("--onnx", type=Path, required=True)
    f.add_argument("--eval", type=Path, required=True, help="evaluate's output folder")
    f.add_argument("--baseline", type=Path, required=True, help="colour-baseline's JSON")
    f.add_argument(
        "--config", type=Path, action="append", required=True, help="each phase's TOML, in order"
    )
    f.add_argument("--synth-args", required=True)
    f.add_argument(
        "--train-seconds", required=True, help="wall-clock seconds per phase, comma-separated"
    )
    f.add_argument("--commands", type=Path, required=True, help="a file listing the commands")
    f.add_argument("--last-run", type=Path, default=None, help="the last phase's run folder")
    args = parser.parse_args(argv)
    if args.step == "sample":
        for path in make_sample(args.scene, args.label, args.out):
            print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
        return 0
    evaluation = json.loads((args.eval / "metrics.json").read_text())
    baseline = json.loads(args.baseline.read_text())
    metrics = held_out_metrics(evaluation, baseline)
    stamp_metadata(
        args.onnx,
        metrics,
        "synthetic Potsdam-format scenes (python -m trainer synth "
        f"{args.synth_args}), 10 cm training copy; not real imagery",
    )
    card = write_card(
        args.onnx,
        evaluation,
        baseline,
        args.config,
        args.synth_args,
        _duration([int(v) for v in args.train_seconds.split(",") if v.strip()]),
        args.commands.read_text().strip().splitlines(),
        args.last_run,
    )
    print(json.dumps(metrics, indent=1))
    print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
