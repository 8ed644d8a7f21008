"""``python -m trainer report RUN...``: the runs' scores beside the study's table, the
paper's 76.22 and the state of the art, as REPORT.md and REPORT.png."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/cse_phase_1 ...)")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/report"), help="writes OUT.md and OUT.png"
    )


def run(args: argparse.Namespace) -> int:
    from trainer.report import read_run, write_report

    try:
        runs = [read_run(folder) for folder in args.runs]
    except (OSError, KeyError, ValueError) as error:
        print(f"report: {error}")
        return 2
    md, png = write_report(runs, args.out)
    print(md.read_text())
    print(f"written: {md}, {png}")
    return 0
