"""``python -m trainer evaluate MODEL --data DIR``: the test split's whole images, both
protocols; ``--update-card`` writes the scores into an exported model and its card."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="a checkpoint (.pt) or an exported .onnx")
    parser.add_argument("--data", type=Path, required=True, help="a prepared dataset folder")
    parser.add_argument(
        "--split",
        default="test",
        choices=["test", "validation"],
        help="split to score (test; validation to look at what chose the epoch)",
    )
    parser.add_argument("--out", type=Path, default=None, help="default: MODEL's folder/eval")
    parser.add_argument("--tta", action="store_true", help="D4 test-time augmentation (8x)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--tile-size", type=int, default=None, help="default: the model's")
    parser.add_argument("--overlap", type=float, default=None, help="tile overlap, percent")
    parser.add_argument(
        "--colour-baseline",
        action="store_true",
        help="also score the per-pixel colour k-NN baseline on the same scenes",
    )
    parser.add_argument(
        "--colour-baseline-samples",
        type=int,
        default=40000,
        help="training pixels the colour baseline draws (40000)",
    )
    parser.add_argument(
        "--update-card",
        action="store_true",
        help="write the test scores into the .onnx file's metadata and rewrite its model card",
    )


def _check_update(args: argparse.Namespace) -> str | None:
    from engine.metadata import is_our_format, read_onnx_props

    if not args.update_card:
        return None
    if args.model.suffix.lower() != ".onnx":
        return "--update-card needs an exported .onnx model: run `python -m trainer export` first"
    if args.split != "test":
        return "--update-card records test scores: leave --split at test"
    if not is_our_format(read_onnx_props(args.model)):
        return f"{args.model.name} was not exported by this trainer: its card cannot be updated"
    return None


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.errors import EngineError
    from engine.metadata import MetadataError
    from trainer.evaluate import evaluate

    try:
        problem = _check_update(args)
    except (OSError, MetadataError) as error:
        problem = f"{args.model}: {error}"
    if problem:
        print(f"evaluate: {problem}")
        return 2
    run_dir = args.model.parent
    if run_dir.name == "checkpoints":  # runs/<phase>/checkpoints/best.pt -> runs/<phase>/
        run_dir = run_dir.parent
    out = args.out or run_dir / f"eval_{args.model.stem}{'_tta' if args.tta else ''}"
    bar = tqdm(total=1000, desc="evaluate", unit="‰", leave=False)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(1000 * fraction)
        bar.set_postfix_str(message[:40])
        bar.refresh()

    started = time.perf_counter()
    try:
        report = evaluate(
            args.model, args.data, out, split=args.split, tta=args.tta, device=args.device,
            batch_size=args.batch_size, tile_size=args.tile_size, overlap_pct=args.overlap,
            progress=progress,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        baseline = _colour_baseline(args, out) if args.colour_baseline else None
    except (EngineError, FileNotFoundError, ValueError) as error:
        print(f"evaluate: {error}")
        return 2
    finally:
        bar.close()
    print(report.table_path.read_text())
    print(f"metrics: {report.json_path}")
    if args.update_card:
        _update_card(args, report, baseline, seconds)
    return 0


def _colour_baseline(args: argparse.Namespace, out: Path) -> dict:
    import json

    from trainer.commands.colour_baseline import colour_baseline
    from trainer.metrics import per_class_table

    result = colour_baseline(args.data, args.split, samples=args.colour_baseline_samples)
    (out / "colour_baseline.json").write_text(json.dumps(result, indent=1))
    print(f"Colour baseline on the same scenes: {result['method']}")
    print(per_class_table(result))
    return result


def _update_card(args: argparse.Namespace, report, baseline: dict | None, seconds: float) -> None:
    from trainer.machine import describe_machine
    from trainer.model_card import write_card
    from trainer.model_record import stamp_evaluation
    from trainer.run_record import now

    metrics = report.metrics
    scores = {k: v for k, v in metrics.items() if k.startswith(("oa_", "miou_", "mf1_"))}
    evaluation = {
        "command": getattr(args, "command_line", ""),
        "evaluated": now(),
        "split": metrics["split"],
        "data": metrics["dataset"],
        "scenes": list(report.per_scene),
        "tta": metrics["tta"],
        "device": metrics["device"],
        "seconds": round(seconds, 1),
        "machine": describe_machine(),
        "scores": scores | {"classes": metrics["classes"], "pixels": metrics["pixels"]},
        "colour_baseline": baseline,
    }
    meta = stamp_evaluation(args.model, evaluation)
    card = write_card(args.model)
    shown = ", ".join(f"{k} {v:.4f}" for k, v in meta.metrics.items() if k.startswith("test_"))
    print(f"wrote the test scores into {args.model} ({shown}) and {card}")
