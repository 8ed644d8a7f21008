"""``python -m trainer quantize MODEL.onnx --calibration RASTER_OR_DIR --out OUT.onnx``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="the ONNX model to copy in INT8")
    parser.add_argument(
        "--calibration", nargs="+", required=True, metavar="RASTER_OR_DIR",
        help="orthophotos like those the model will segment (or folders of them): activation "
        "ranges are calibrated on tiles the engine cuts from them",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, help="the INT8 model to write (default: MODEL_int8.onnx beside it)"
    )
    parser.add_argument(
        "--tiles", type=int, default=32, help="calibration tiles, spread over the rasters (32)"
    )
    parser.add_argument(
        "--method", choices=("minmax", "percentile", "entropy"), default="minmax",
        help="how activation ranges are calibrated (default minmax)",
    )  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def run(args: argparse.Namespace) -> int:
    from engine.errors import EngineError
    from engine.jobs.model_catalog import int8_path
    from trainer.quantize import QuantizeError, quantize_model

    out = args.out or int8_path(args.model)
    try:
        result = quantize_model(
            args.model, args.calibration, out, tiles=args.tiles, method=args.method,
            overwrite=args.overwrite, command=args.command_line,
        )  # fmt: skip
    except (QuantizeError, EngineError) as error:
        print(f"quantize: {error}")
        return 2
    print(
        f"wrote {result.path} ({result.int8_bytes / 1e6:.1f} MB, the original "
        f"{result.fp32_bytes / 1e6:.1f} MB) and {result.card} in {result.seconds:.0f} s; "
        f"classes agree with the original on {100 * result.agreement:.2f} % of the "
        f"{result.tiles} calibration tiles' pixels"
    )
    return 0
