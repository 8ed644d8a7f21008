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
        metavar="CM:DIR",
        action="append",
        default=[],
        help="also write the scenes averaged to CM cm per pixel into DIR, in the trainer's "
        "folder format (for prepare folder); repeatable, e.g. 10:runs/scenes_10cm",
    )


def _parse_copy(item: str) -> tuple[float, Path]:
    cm, _, folder = item.partition(":")
    try:
        value = float(cm)
    except ValueError:
        value = 0.0
    if value <= 0 or not folder:
        raise SystemExit(f"synth: --resampled-copy takes CM:DIR, e.g. 10:out_10cm; got {item!r}")
    return value, Path(folder)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from trainer.data.synthetic import synthesize, tile_ids, write_resampled_folder

    if args.scenes < 1 or args.size < 64:
        raise SystemExit("synth: --scenes must be at least 1 and --size at least 64 pixels")
    try:
        total = len(tile_ids(args.scenes, args.test_fraction))
    except ValueError as exc:
        raise SystemExit(f"synth: {exc}") from None
    copies = [_parse_copy(item) for item in args.resampled_copy]
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
    for cm, folder in copies:
        write_resampled_folder(written_scenes, folder, cm)
        print(f"{cm:g} cm copy for training in {folder} (prepare folder --src {folder})")
    print(
        f"{total} scenes ({counts['train']} with training tile ids, {counts['test']} with the "
        f"benchmark's test ids) of {args.size}x{args.size} px at 5 cm, EPSG:25833, in "
        f"{args.out} ({time.perf_counter() - start:.1f} s).\n"
        f"Next: python -m trainer prepare potsdam --src {args.out} --out DATASET --split benchmark"
    )
    return 0
