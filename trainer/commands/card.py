"""``python -m trainer card MODEL.onnx``: write the model card from the file's metadata."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="an .onnx model exported by the trainer")


def run(args: argparse.Namespace) -> int:
    from engine.metadata import MetadataError
    from trainer.model_card import write_card

    try:
        card = write_card(args.model)
    except (OSError, MetadataError) as error:
        print(f"card: {error}")
        return 2
    print(f"wrote {card}")
    return 0
