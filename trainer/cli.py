"""``python -m trainer <command>``: each command lives in its own module, imported on use."""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys

# name -> (module, one-line help). A module has add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "prepare": ("trainer.commands.prepare", "cut ISPRS Potsdam/Vaihingen or a folder into tiles"),
    "train": ("trainer.commands.train", "train one phase from a TOML config (torchrun-ready)"),
    "phases": ("trainer.commands.phases", "list the phase configs and the phase each starts from"),
    "chain": (
        "trainer.commands.chain",
        "train a chain of phases, each from its parent's best; resumable",
    ),
    "report": (
        "trainer.commands.report",
        "a table of runs beside the study's, the paper's and the state of the art",
    ),
    "evaluate": ("trainer.commands.evaluate", "score a model on the test split's whole images"),
    "models": ("trainer.commands.models", "parameters and GFLOPs per tile of each architecture"),
    "finetune": (
        "trainer.commands.finetune",
        "teach a model your imagery from a few labelled polygons (minutes on a CPU)",
    ),
    "export": ("trainer.commands.export", "export a training checkpoint to ONNX with its metadata"),
    "rebuild": (
        "trainer.commands.rebuild",
        "a checkpoint rebuilt from an exported ONNX model, to train it further",
    ),
    "card": ("trainer.commands.card", "write an exported model's card from its metadata"),
    "quantize": (
        "trainer.commands.quantize",
        "write an INT8 copy of an ONNX model, calibrated on tiles of real rasters",
    ),
    "synth": ("trainer.commands.synth", "write synthetic scenes in the ISPRS Potsdam file format"),
    "colour-baseline": (
        "trainer.commands.colour_baseline",
        "score a per-pixel RGB k-NN classifier on a prepared dataset's test scenes",
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer",
        description="Prepare data, train, evaluate and export the plugin's segmentation models.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Only the chosen command's module is imported: `models` need not import the data code.
        if name == command:
            importlib.import_module(module_name).add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    # What was run, for the manifest, the checkpoints and the model card.
    args.command_line = shlex.join(["python", "-m", "trainer", *argv])
    return importlib.import_module(COMMANDS[args.command][0]).run(args) or 0
