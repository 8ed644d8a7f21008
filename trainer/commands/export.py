"""``python -m trainer export CHECKPOINT --out model.onnx``: the plugin's deployable model."""

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
        "--tile-size", type=int, help="tile size to record (default: the checkpoint's, or 512)"
    )
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (17 or newer)")
    parser.add_argument(
        "--dynamo",
        action="store_true",
        help="export through torch.export instead of the (faster) TorchScript tracer",
    )


def run(args: argparse.Namespace) -> int:
    from trainer.export import ExportError, export_onnx, load_checkpoint, model_from_checkpoint

    try:
        model, meta = model_from_checkpoint(load_checkpoint(args.checkpoint))
        meta = meta.with_changes(output_kind=args.output_kind)
        result = export_onnx(
            model, meta, args.out, args.tile_size, opset=args.opset, dynamo=args.dynamo
        )
    except (ExportError, MetadataError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {result.path} ({result.size_bytes / 1e6:.1f} MB, opset {result.opset}): "
        f"{meta.architecture} {meta.architecture_args}, {len(meta.classes)} classes, "
        f"{meta.output_kind}, tile {result.tile_size}; "
        f"onnxruntime matches torch to {result.max_abs_diff:.1e}"
    )
    return 0
