"""``python -m trainer export CHECKPOINT --out model.onnx [--card]``: the deployable model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.metadata import OUTPUT_KINDS, MetadataError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="a training checkpoint (.pt)")
    parser.add_argument("--out", type=Path, required=True, help="the ONNX file to write")
    parser.add_argument(
        "--output-kind",
        choices=OUTPUT_KINDS,
        default="probabilities",
        help="what the graph outputs: softmax probabilities (default; what Deepness "
        "expects), raw logits, or a per-class sigmoid",
    )
    parser.add_argument(
        "--tile-size", type=int, help="the graph's tile size (default: the checkpoint's, or 512)"
    )
    parser.add_argument(
        "--dynamic-size",
        action="store_true",
        help="leave the tile's height and width dynamic (the engine runs it; Deepness cannot)",
    )
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (17 or newer)")
    parser.add_argument(
        "--dynamo",
        action="store_true",
        help="export through torch.export instead of the (faster) TorchScript tracer",
    )
    parser.add_argument(
        "--card", action="store_true", help="also write the model card (OUT with .md)"
    )


def run(args: argparse.Namespace) -> int:
    from trainer.export import (
        DYNAMO_MIN_OPSET,
        ExportError,
        export_onnx,
        load_checkpoint,
        model_from_checkpoint,
    )
    from trainer.model_card import write_card
    from trainer.model_record import KEY_EXPORT, KEY_TRAINING_RUN, dump
    from trainer.run_record import now

    try:
        checkpoint = load_checkpoint(args.checkpoint)
        model, meta = model_from_checkpoint(checkpoint)
        meta = meta.with_changes(output_kind=args.output_kind)
        record = {
            "command": getattr(args, "command_line", ""),
            "exported": now(),
            "checkpoint": str(args.checkpoint),
            "epoch": checkpoint.get("epoch"),
            "opset": max(args.opset, DYNAMO_MIN_OPSET) if args.dynamo else args.opset,
            "output_kind": args.output_kind,
            "dynamic_size": args.dynamic_size,
        }
        extra = {KEY_EXPORT: dump(record)}
        if checkpoint.get("run_record"):
            extra[KEY_TRAINING_RUN] = dump(checkpoint["run_record"])
        result = export_onnx(
            model, meta, args.out, args.tile_size, opset=args.opset, dynamo=args.dynamo,
            dynamic_size=args.dynamic_size, extra_props=extra,
        )  # fmt: skip
    except (ExportError, MetadataError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    size = "any size" if result.dynamic_size else f"{result.tile_size}x{result.tile_size}"
    print(
        f"wrote {result.path} ({result.size_bytes / 1e6:.1f} MB, opset {result.opset}): "
        f"{meta.architecture} {meta.architecture_args}, {len(meta.classes)} classes, "
        f"{meta.output_kind}, tiles of {size}; "
        f"onnxruntime matches torch to {result.max_abs_diff:.1e}"
    )
    if args.card:
        print(f"wrote {write_card(result.path)}")
    return 0
