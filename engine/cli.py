"""``python -m engine``: segment rasters, list devices, show a model's metadata.

Bad input ends with exit code 2 and one line on stderr that says what to do; a cancel
(Ctrl-C) with 130; a bug with 1 and its traceback.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .cluster.cli import add_cluster_arguments, run_cluster
from .errors import EngineError
from .jobs.base import CLI, JobOutcome, run_job, word_error
from .jobs.cli_options import add_option_arguments, options_from_arguments
from .jobs.segment import REQUEST_SPECS, SegmentJob, SegmentRequest, segmentation_specs
from .options import SegmentationOptions

EXIT_BUG = 1
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130
# Extra outputs of several inputs: OUT/<input stem>_<name> in the folder the flag names.
EXTRA_FILE_NAMES = {
    "confidence": "confidence.tif",
    "polygons": "polygons.gpkg",
    "stats": "stats.csv",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("segment", help="segment rasters into a class-index GeoTIFF")
    seg.add_argument(
        "inputs", nargs="+", metavar="INPUT",
        help="rasters, glob patterns or GDAL names (GPKG:file.gpkg:layer)",
    )  # fmt: skip
    seg.add_argument(
        "--model", "-m", required=True,
        help="a bundled model name, an .onnx model or a .pt/.pth checkpoint",
    )  # fmt: skip
    seg.add_argument(
        "--output", "-o", required=True,
        help="output GeoTIFF; a folder when several inputs are given",
    )  # fmt: skip
    for name, metavar in (("confidence", "PATH.tif"), ("polygons", "PATH.gpkg"),
                          ("stats", "PATH.csv")):  # fmt: skip
        spec = REQUEST_SPECS[name]
        seg.add_argument(
            spec.cli,
            metavar=metavar,
            help=f"also write {spec.help} (a folder for several inputs)".replace("%", "%%"),
        )
    seg.add_argument("--overwrite", action="store_true", help=REQUEST_SPECS["overwrite"].help)
    seg.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    add_option_arguments(seg, SegmentationOptions)
    add_cluster_arguments(seg)
    info = sub.add_parser("info", help="print a model's metadata as the engine completes it")
    info.add_argument("model")
    sub.add_parser("devices", help="print what onnxruntime and torch can run on")
    return parser


def expand_inputs(patterns: Sequence[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?[") and not Path(pattern).exists():
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise EngineError(f"no file matches {pattern!r}")
            found += matches
        else:
            found.append(pattern)
    return found


def output_paths(
    inputs: Sequence[str], output: str, name: str = "classes.tif", flag: str = "--output"
) -> list[Path]:
    """One file per input: ``output`` itself for one input, else ``output/<stem>_<name>``."""
    out = Path(output)
    if len(inputs) == 1 and not out.is_dir():
        return [out]
    if out.exists() and not out.is_dir():
        raise EngineError(f"several inputs need {flag} to be a folder; {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{Path(p).stem}_{name}" for p in inputs]
    if len(set(paths)) != len(paths):
        raise EngineError("two inputs share a file name; segment them into different folders")
    return paths


def _report(outcome: JobOutcome) -> int:
    """Print a failure as one line (a bug with its traceback); the exit code."""
    if outcome.traceback:
        print(outcome.traceback, file=sys.stderr, end="")
    print(f"error: {outcome.message}", file=sys.stderr)
    if outcome.status == "cancelled":
        return EXIT_CANCELLED
    return EXIT_BUG if outcome.traceback else EXIT_BAD_INPUT


def _segment(args: argparse.Namespace) -> int:
    inputs = expand_inputs(args.inputs)
    outputs = output_paths(inputs, args.output)
    extra = {
        name: output_paths(inputs, value, file_name, REQUEST_SPECS[name].cli)
        for name, file_name in EXTRA_FILE_NAMES.items()
        if (value := getattr(args, name))
    }
    options = options_from_arguments(args, SegmentationOptions)
    if args.cluster:
        return run_cluster(args, inputs, outputs, options)
    loaded = None  # the model, opened by the first job and reused by the next ones
    for i, (source, target) in enumerate(zip(inputs, outputs)):
        request = SegmentRequest(source, args.model, str(target), options, args.overwrite)
        for name, paths in extra.items():
            setattr(request, name, str(paths[i]))
        job = SegmentJob(request, loaded_model=loaded)
        bar = None if args.quiet else _progress_bar(job.input_name)
        try:
            outcome = run_job(job, CLI, progress=bar.update_to if bar else None)
        finally:
            if bar:
                bar.close()
        if not outcome.ok:
            return _report(outcome)
        loaded = job.loaded_model
        if not args.quiet:
            print(outcome.result.engine.summary())
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
    except EngineError as error:  # before any job ran: inputs, outputs, --mask
        print(f"error: {word_error(error, segmentation_specs(), CLI)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted; no output was left behind", file=sys.stderr)
        return EXIT_CANCELLED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
