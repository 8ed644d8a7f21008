"""``python -m engine``: segment rasters, list devices, show a model's metadata.

Bad input ends with exit code 2 and one line on stderr that says what to do.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import EngineError

EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130


def _numbers(kind: type, count: int | None = None):
    def parse(text: str):
        try:
            values = [kind(v) for v in text.replace(" ", "").split(",") if v]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated numbers: {text!r}"
            ) from None
        if not values or (count is not None and len(values) != count):
            raise argparse.ArgumentTypeError(f"expected {count or 'some'} numbers: {text!r}")
        return tuple(values)

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="segment rasters into a class-index GeoTIFF")
    seg.add_argument("inputs", nargs="+", metavar="INPUT", help="rasters or glob patterns")
    seg.add_argument("--model", "-m", required=True, help=".onnx model or .pt/.pth checkpoint")
    seg.add_argument(
        "--output", "-o", required=True,
        help="output GeoTIFF; a folder when several inputs are given",
    )  # fmt: skip
    seg.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    seg.add_argument("--tile", type=int, default=None, help="tile size in pixels")
    seg.add_argument("--overlap", type=float, default=None, help="tile overlap in percent")
    seg.add_argument("--batch-size", type=int, default=4)
    seg.add_argument("--bands", type=_numbers(int), default=None, help="e.g. 1,2,3")
    seg.add_argument(
        "--extent", type=_numbers(float, 4), default=None,
        help="xmin,ymin,xmax,ymax in the raster's CRS",
    )  # fmt: skip
    seg.add_argument("--threads", type=int, default=None, help="inference threads")
    seg.add_argument(
        "--no-resample", action="store_true",
        help="run at the raster's own pixel size even if the model's differs",
    )  # fmt: skip
    seg.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    info = sub.add_parser("info", help="print a model's metadata as the engine completes it")
    info.add_argument("model")
    sub.add_parser("devices", help="print what onnxruntime and torch can run on")
    return parser


def expand_inputs(patterns: Sequence[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise EngineError(f"no file matches {pattern!r}")
            found += matches
        else:
            found.append(pattern)
    return found


def output_paths(inputs: Sequence[str], output: str) -> list[Path]:
    out = Path(output)
    if len(inputs) == 1 and not out.is_dir():
        return [out]
    if out.exists() and not out.is_dir():
        raise EngineError(f"several inputs need --output to be a folder; {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{Path(p).stem}_classes.tif" for p in inputs]
    if len(set(paths)) != len(paths):
        raise EngineError("two inputs share a file name; segment them into different folders")
    return paths


def _segment(args: argparse.Namespace) -> int:
    from .model_file import load_model
    from .pipeline import SegmentationOptions, segment

    inputs = expand_inputs(args.inputs)
    outputs = output_paths(inputs, args.output)
    options = SegmentationOptions(
        device=args.device,
        tile_size=args.tile,
        overlap_pct=args.overlap,
        batch_size=args.batch_size,
        bands=args.bands,
        extent=args.extent,
        num_threads=args.threads,
        resample=not args.no_resample,
    )
    model = load_model(args.model, device=args.device, num_threads=args.threads)
    for source, target in zip(inputs, outputs):
        bar = None if args.quiet else _progress_bar(Path(source).name)
        try:
            result = segment(source, model, target, options, progress=bar and bar.update_to)
        finally:
            if bar:
                bar.close()
        if not args.quiet:
            print(result.summary())
    return 0


def _progress_bar(label: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    class Bar(tqdm):
        def update_to(self, fraction: float, message: str) -> None:
            self.set_postfix_str(message, refresh=False)
            self.update(round(fraction * 100, 1) - self.n)

    return Bar(
        total=100, desc=label, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}{postfix}]"
    )


def _info(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .model_file import load_model

    model = load_model(args.model, device="cpu")
    meta = asdict(model.metadata)
    print(
        json.dumps({"device": model.device, "metadata": meta, "warnings": model.warnings}, indent=2)
    )
    return 0


def _devices(_: argparse.Namespace) -> int:
    from .backends import available_devices

    print(json.dumps(available_devices(probe_torch=True), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"segment": _segment, "info": _info, "devices": _devices}[args.command]
    try:
        return command(args)
    except EngineError as error:
        from .errors import Cancelled

        print(f"error: {error}", file=sys.stderr)
        return EXIT_CANCELLED if isinstance(error, Cancelled) else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted; no output was left behind", file=sys.stderr)
        return EXIT_CANCELLED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
