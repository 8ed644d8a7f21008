"""``python -m trainer train --config PHASE [--resume | --overwrite] [--dry-run]``.

torchrun-ready; ``train_phase`` is what ``chain`` runs for each phase."""

from __future__ import annotations

import argparse
import logging


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that train and chain share."""
    parser.add_argument("--data", default=None, help="prepared dataset folder (data.dir)")
    parser.add_argument(
        "--runs", default=None, help="runs folder: each run goes to RUNS/<phase> (default: runs)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config key, e.g. --set train.epochs=5 (repeatable)",
    )
    parser.add_argument(
        "--tensorboard", action="store_true", help="log to <run>/tensorboard (train.tensorboard)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        required=True,
        help="a phase: a shipped config's name (cse_phase_1; `trainer phases` lists them) "
        "or a TOML file",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in its folder")
    parser.add_argument(
        "--overwrite", action="store_true", help="delete the run already in the folder, start anew"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the run's header (device, data, steps, groups and rates, warm start); exit",
    )
    parser.add_argument(
        "--init", default="", help="warm start from this checkpoint (instead of the config's)"
    )
    parser.add_argument("--out", default=None, help="run folder (run.out_dir)")
    add_run_arguments(parser)


def overrides_from(args: argparse.Namespace) -> list[str]:
    overrides = list(args.set)
    if args.data:
        overrides.append(f"data.dir={args.data!r}")
    if args.tensorboard:
        overrides.append("train.tensorboard=true")
    return overrides


def run(args: argparse.Namespace) -> int:
    from trainer.config import load_config
    from trainer.distributed import setup, teardown
    from trainer.phases import place_in

    overrides = overrides_from(args)
    if args.out:
        overrides.append(f"run.out_dir={args.out!r}")
    try:
        config = load_config(args.config, overrides)
    except (OSError, ValueError) as error:
        print(f"train: {error}")
        return 2
    if args.runs and not args.out:
        place_in(config, args.runs)
    try:
        ctx = setup(config.run.device)
    except RuntimeError as error:
        print(f"train: {error}")
        return 2
    logging.basicConfig(
        level=logging.INFO if ctx.is_main else logging.WARNING, format="%(message)s"
    )
    try:
        return train_phase(config, ctx, args)
    finally:
        teardown()


def train_phase(config, ctx, args: argparse.Namespace, callbacks=()) -> int:
    """Build the run (printing its header), then train it or, with --dry-run, stop there."""
    from trainer.loop import Trainer
    from trainer.tensorboard_log import TensorBoardMissingError

    try:
        trainer = Trainer(
            config, ctx, resume=args.resume, init=args.init,
            command=getattr(args, "command_line", ""), on_epoch_end=list(callbacks),
            overwrite=args.overwrite, dry_run=args.dry_run,
        )  # fmt: skip
        if args.dry_run:
            if ctx.is_main:
                print("\n".join(trainer.header()))
            return 0
        history = trainer.fit()
    except (FileNotFoundError, KeyError, ValueError, TensorBoardMissingError) as error:
        print(f"train: {error}")
        return 2
    if ctx.is_main and history:
        last = history[-1]
        print(
            f"done: {len(history)} epochs, best {config.train.monitor} = {trainer.best:.4f} "
            f"(epoch {trainer.best_epoch}); checkpoints in {trainer.ckpt_dir}; "
            f"last validation_loss {last['validation_loss']:.4f}"
        )
    return 0
