"""``python -m trainer chain NAME``: the phases NAME and NAME_*, each after its parent and from
its parent's best checkpoint; run again, it skips finished phases and resumes the one that
was interrupted."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from trainer.commands.train import add_run_arguments, overrides_from, train_phase


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="phases NAME and NAME_* (e.g. cse, baseline, cse_phase_4)")
    parser.add_argument(
        "--configs", type=Path, default=None, help="a folder of configs (default: the shipped)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print each phase's header and what chain would do"
    )
    add_run_arguments(parser)


def plan(phase) -> str:
    """What to do with a phase's run folder: skip, resume or train."""
    from trainer.run_folder import LAST, holds_run, read_status

    out = Path(phase.config.run.out_dir)
    status = read_status(out)
    epochs = phase.config.train.epochs
    if status and (status.state == "stopped early" or status.epoch >= epochs):
        return "skip"
    if (out / LAST).is_file():
        return "resume"
    if holds_run(out):
        return "refuse"
    return "train"


def run(args: argparse.Namespace, callbacks=()) -> int:
    from trainer.config import CONFIG_DIR
    from trainer.distributed import setup, teardown
    from trainer.phases import chain, load_phases, place_in

    try:
        phases = chain(load_phases(args.configs or CONFIG_DIR, overrides_from(args)), args.name)
    except (OSError, KeyError, ValueError) as error:
        print(f"chain: {error}")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ctx = setup(phases[0].config.run.device)
    try:
        for index, phase in enumerate(phases, start=1):
            if args.runs:
                place_in(phase.config, args.runs)
            action = plan(phase)
            print(f"== {index}/{len(phases)} {phase.name}: {action}")
            if action == "skip":
                continue
            phase_args = argparse.Namespace(
                resume=action == "resume", overwrite=False, init="", dry_run=args.dry_run,
                command_line=getattr(args, "command_line", ""),
            )  # fmt: skip
            rc = train_phase(phase.config, ctx, phase_args, callbacks)
            if rc:
                print(f"chain: stopped at {phase.name}; run the same command again to resume")
                return rc
    finally:
        teardown()
    return 0
