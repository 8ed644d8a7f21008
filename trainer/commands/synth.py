"""``python -m trainer synth``: synthetic scenes in the ISPRS Potsdam file format."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write the scenes to")
    parser.add_argument("--scenes", type=int, default=8, help="number of scenes (default 8)")
    parser.add_argument(
        "--size", type=int, default=2000, help="scene width and height in pixels at 5 cm"
    )
    parser.add_argument("--seed", type=int, default=0, help="same seed, same scenes")
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.25,
        help="share of scenes given the benchmark split's test tile ids (default 0.25)",
    )
    parser.add_argument(
        "--resampled-copy",
        type=Path,
        default=None,
        help="also write a coarser copy in the trainer's folder format here (for prepare folder)",
    )
    parser.add_argument(
        "--resampled-cm", type=float, default=10.0, help="pixel size of that copy in cm (10)"
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from trainer.data.synthetic import synthesize, tile_ids, write_resampled_folder

    if args.scenes < 1 or args.size < 64:
        raise SystemExit("synth: --scenes must be at least 1 and --size at least 64 pixels")
    try:
        total = len(tile_ids(args.scenes, args.test_fraction))
    except ValueError as exc:
        raise SystemExit(f"synth: {exc}") from None
    start = time.perf_counter()
    counts = {"train": 0, "test": 0}
    written_scenes = []
    for written in tqdm(
        synthesize(args.out, args.scenes, args.size, args.seed, args.test_fraction),
        total=total,
        unit="scene",
        desc="synth",
    ):
        counts[written.split] += 1
        written_scenes.append(written)
    if args.resampled_copy:
        write_resampled_folder(written_scenes, args.resampled_copy, args.resampled_cm)
        print(
            f"{args.resampled_cm:g} cm copy for training in {args.resampled_copy} "
            f"(prepare folder --src {args.resampled_copy})"
        )
    print(
        f"{total} scenes ({counts['train']} with training tile ids, {counts['test']} with the "
        f"benchmark's test ids) of {args.size}x{args.size} px at 5 cm, EPSG:25833, in "
        f"{args.out} ({time.perf_counter() - start:.1f} s).\n"
        f"Next: python -m trainer prepare potsdam --src {args.out} --out DATASET --split benchmark"
    )
    return 0
