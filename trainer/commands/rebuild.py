"""``python -m trainer rebuild MODEL.onnx --data DATASET --out best.pt``: train a model on."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.metadata import MetadataError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="an ONNX model exported by this trainer")
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="a prepared dataset whose training tiles the BatchNorm statistics are measured on "
        "(the one the next phase trains on)",
    )
    parser.add_argument("--out", type=Path, required=True, help="the checkpoint to write (.pt)")
    parser.add_argument(
        "--tiles", type=int, default=256, help="training tiles to measure on (default 256)"
    )


def run(args: argparse.Namespace) -> int:
    from trainer.finetune.errors import FinetuneError
    from trainer.rebuild import rebuild_checkpoint

    if args.out.exists():
        print(f"{args.out} exists: remove it or write to another file", file=sys.stderr)
        return 1
    try:
        result = rebuild_checkpoint(args.model, args.data, args.out, tiles=args.tiles)
    except (FinetuneError, MetadataError, ValueError, KeyError, FileNotFoundError) as error:
        print(f"rebuild failed: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {result.path}: {result.architecture}, {result.batchnorms} BatchNorms "
        f"re-estimated on {result.tiles} training tiles; warm-start a phase from it with "
        f"--init {result.path}"
    )
    return 0
