"""``python -m trainer phases``: the phase configs, each with the phase it starts from."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configs", type=Path, default=None, help="a folder of configs (default: the shipped)"
    )


def phase_row(phase) -> tuple[str, ...]:
    from trainer.optim import lr_text

    c = phase.config
    scratch = "ImageNet encoder" if c.model.encoder_weights else "scratch"
    start = phase.parent or (f"init {c.run.init}" if c.run.init else scratch)
    effective = c.data.batch_size * c.optim.accumulate
    loss = c.loss.name + (f" γ{c.loss.focal_gamma:g}" if c.loss.name == "focal" else "")
    return (
        phase.name, start, c.model.architecture, loss, lr_text(c.optim.lr),
        f"{c.data.batch_size}×{c.optim.accumulate}={effective}", str(c.train.epochs),
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from trainer.config import CONFIG_DIR
    from trainer.phases import load_phases

    try:
        phases = load_phases(args.configs or CONFIG_DIR)
    except (OSError, ValueError) as error:
        print(f"phases: {error}")
        return 2
    header = ("phase", "starts from", "architecture", "loss", "lr", "batch", "epochs")
    rows = [header, *(phase_row(p) for p in phases.values())]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(
        "\nbatch = batch × accumulate = effective batch per process; `trainer train --config "
        "NAME --dry-run` shows a phase in full, `trainer chain NAME` runs NAME and NAME_* "
        "after their parents."
    )
    return 0
