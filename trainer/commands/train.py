"""``python -m trainer train --config PHASE.toml [--resume] [--init CKPT]`` (torchrun-ready)."""

from __future__ import annotations

import argparse
import logging


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="a phase TOML (trainer/configs/*.toml)")
    parser.add_argument("--resume", action="store_true", help="continue the run in out_dir")
    parser.add_argument("--init", default="", help="warm start from this checkpoint")
    parser.add_argument("--data", default=None, help="prepared dataset folder (data.dir)")
    parser.add_argument("--out", default=None, help="run folder (run.out_dir)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config key, e.g. --set train.epochs=5 (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from trainer.config import load_config
    from trainer.distributed import setup, teardown
    from trainer.loop import Trainer

    overrides = list(args.set)
    if args.data:
        overrides.append(f"data.dir={args.data!r}")
    if args.out:
        overrides.append(f"run.out_dir={args.out!r}")
    try:
        config = load_config(args.config, overrides)
    except (OSError, ValueError) as error:
        print(f"train: {error}")
        return 2
    try:
        ctx = setup(config.run.device)
    except RuntimeError as error:
        print(f"train: {error}")
        return 2
    logging.basicConfig(
        level=logging.INFO if ctx.is_main else logging.WARNING, format="%(message)s"
    )
    try:
        trainer = Trainer(
            config, ctx, resume=args.resume, init=args.init,
            command=getattr(args, "command_line", ""),
        )  # fmt: skip
        history = trainer.fit()
    except (FileNotFoundError, KeyError, ValueError) as error:
        print(f"train: {error}")
        return 2
    finally:
        teardown()
    if ctx.is_main and history:
        last = history[-1]
        print(
            f"done: {len(history)} epochs, best {config.train.monitor} = {trainer.best:.4f} "
            f"(epoch {trainer.best_epoch}); checkpoints in {trainer.ckpt_dir}; "
            f"last validation_loss {last['validation_loss']:.4f}"
        )
    return 0
