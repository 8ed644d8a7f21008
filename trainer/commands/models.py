"""``python -m trainer models``: each architecture's parameters and GFLOPs per tile."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tile-size", type=int, default=512, help="square tile side (px)")
    parser.add_argument("--bands", type=int, default=3, help="input bands")
    parser.add_argument("--classes", type=int, default=6, help="output classes")
    parser.add_argument(
        "--base-width",
        type=int,
        nargs="+",
        default=[64],
        help="base width(s) to list (64 is the published size)",
    )


# The AGH study counted its models with 7 outputs (6 classes + "undefined"); listing them at 7
# too lets its parameter counts (36,988,807 and 41,221,668) be checked against ours.
STUDY_OUTPUTS = {"cse_unet_study": 7, "resnet34_unet": 7}


def cost_rows(args: argparse.Namespace) -> list[tuple[str, int, int, int, int, float]]:
    """(architecture, bands, classes, base width, parameters, GFLOP) per line to print."""
    from engine.models import available_architectures
    from engine.models.flops import architecture_cost

    rows = []
    for name in available_architectures():
        class_counts = [args.classes] + ([STUDY_OUTPUTS[name]] if name in STUDY_OUTPUTS else [])
        for width in args.base_width:
            for classes in dict.fromkeys(class_counts):
                cost = architecture_cost(
                    name, args.tile_size, in_channels=args.bands, classes=classes, base_width=width
                )
                rows.append((name, args.bands, classes, width, cost.parameters, cost.gflops))
    return rows


def run(args: argparse.Namespace) -> int:
    try:
        rows = cost_rows(args)
    except ValueError as error:  # e.g. a tile size the models cannot halve often enough
        print(f"models: {error}", file=sys.stderr)
        return 2
    tile = f"{args.bands}x{args.tile_size}x{args.tile_size}"
    print(f"{'architecture':<16} {'bands':>5} {'classes':>7} {'base':>4} {'parameters':>12} "
          f"{'GFLOP/tile':>10}")  # fmt: skip
    for name, bands, classes, width, parameters, gflops in rows:
        print(f"{name:<16} {bands:>5} {classes:>7} {width:>4} {parameters:>12,} {gflops:>10.1f}")
    print(
        f"GFLOP per {tile} tile, batch 1: 2 FLOPs per multiply-accumulate of every\n"
        "convolution and linear layer, counted by forward hooks on the meta device."
    )
    return 0
