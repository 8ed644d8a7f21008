"""``python -m trainer evaluate MODEL --data DIR``: whole held-out images, both protocols."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="a checkpoint (.pt) or an exported .onnx")
    parser.add_argument("--data", type=Path, required=True, help="a prepared dataset folder")
    parser.add_argument("--split", default="val", help="held-out split to evaluate (val)")
    parser.add_argument("--out", type=Path, default=None, help="default: MODEL's folder/eval")
    parser.add_argument("--tta", action="store_true", help="D4 test-time augmentation (8x)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--tile-size", type=int, default=None, help="default: the model's")
    parser.add_argument("--overlap", type=float, default=None, help="tile overlap, percent")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.errors import EngineError
    from trainer.evaluate import evaluate

    run_dir = args.model.parent
    if run_dir.name == "checkpoints":  # runs/<phase>/checkpoints/best.pt -> runs/<phase>/
        run_dir = run_dir.parent
    out = args.out or run_dir / f"eval_{args.model.stem}{'_tta' if args.tta else ''}"
    bar = tqdm(total=1000, desc="evaluate", unit="‰", leave=False)

    def progress(fraction: float, message: str) -> None:
        bar.n = int(1000 * fraction)
        bar.set_postfix_str(message[:40])
        bar.refresh()

    try:
        report = evaluate(
            args.model, args.data, out, split=args.split, tta=args.tta, device=args.device,
            batch_size=args.batch_size, tile_size=args.tile_size, overlap_pct=args.overlap,
            progress=progress,
        )  # fmt: skip
    except (EngineError, FileNotFoundError, ValueError) as error:
        print(f"evaluate: {error}")
        return 2
    finally:
        bar.close()
    print((report.table_path).read_text())
    print(f"metrics: {report.json_path}")
    return 0
