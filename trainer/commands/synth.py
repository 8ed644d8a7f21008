"""``python -m trainer synth``: synthetic scenes in the ISPRS Potsdam file format."""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="folder to write the scenes to")
    parser.add_argument("--scenes", type=int, default=8, help="number of scenes (default 8)")
    parser.add_argument(
        "--size", type=int, default=2000, help="scene width and height in pixels (default 2000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="same seed, same scenes")
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.25,
        help="share of scenes given the benchmark split's test tile ids (default 0.25)",
    )
    parser.add_argument(
        "--gsd-cm",
        metavar="MIN:MAX",
        default="3:30",
        help="ground sampling distance of each scene, drawn log-uniformly from MIN to MAX cm "
        "(default 3:30); one number for a fixed GSD, e.g. 5",
    )
    parser.add_argument(
        "--kinds",
        default="all",
        help="comma-separated scene kinds to draw from: town_centre, suburb, rural, "
        "forest_edge (default all)",
    )
    parser.add_argument(
        "--seasons",
        default="all",
        help="comma-separated seasons to draw from: spring, summer, dry_summer, autumn, "
        "winter (default all)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processes generating scenes in parallel (default: up to 2); same files either way",
    )
    parser.add_argument(
        "--resampled-copy",
        metavar="CM:DIR",
        action="append",
        default=[],
        help="also write the scenes resampled to CM cm per pixel into DIR, in the trainer's "
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


def _parse_gsd(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition(":")
    try:
        values = (float(lo), float(hi if sep else lo))
    except ValueError:
        raise SystemExit(
            f"synth: --gsd-cm takes MIN:MAX or one number, e.g. 3:30; got {text!r}"
        ) from None
    return values


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from trainer.data.synthetic import (
        SCENE_KINDS,
        SEASONS,
        SceneOptions,
        synthesize,
        tile_ids,
        write_resampled_folder,
    )

    def names(text: str, every: tuple[str, ...]) -> tuple[str, ...]:
        return every if text == "all" else tuple(n.strip() for n in text.split(",") if n.strip())

    if args.scenes < 1 or args.size < 64:
        raise SystemExit("synth: --scenes must be at least 1 and --size at least 64 pixels")
    try:
        total = len(tile_ids(args.scenes, args.test_fraction))
        options = SceneOptions(
            gsd_cm=_parse_gsd(args.gsd_cm),
            kinds=names(args.kinds, SCENE_KINDS),
            seasons=names(args.seasons, SEASONS),
        )
    except ValueError as exc:
        raise SystemExit(f"synth: {exc}") from None
    copies = [_parse_copy(item) for item in args.resampled_copy]
    start = time.perf_counter()
    counts: Counter = Counter()
    written_scenes = []
    for written in tqdm(
        synthesize(
            args.out, args.scenes, args.size, args.seed, args.test_fraction, options, args.workers
        ),
        total=total,
        unit="scene",
        desc="synth",
    ):
        counts[written.split] += 1
        written_scenes.append(written)
    generated = time.perf_counter() - start
    for cm, folder in copies:
        write_resampled_folder(written_scenes, folder, cm)
        print(f"{cm:g} cm copy for training in {folder} (prepare folder --src {folder})")
    kinds = Counter(w.kind for w in written_scenes)
    seasons = Counter(w.season for w in written_scenes)
    gsds = [w.gsd_m * 100 for w in written_scenes]
    print(
        f"{total} scenes ({counts['train']} with training tile ids, {counts['test']} with the "
        f"benchmark's test ids) of {args.size}x{args.size} px at {min(gsds):.1f}-{max(gsds):.1f} "
        f"cm, EPSG:25833, in {args.out} ({generated:.1f} s with {args.workers} worker(s), "
        f"{time.perf_counter() - start:.1f} s in all).\n"
        f"Kinds: {dict(sorted(kinds.items()))}; seasons: {dict(sorted(seasons.items()))}; "
        f"details in {args.out / 'synthetic_scenes.json'}.\n"
        f"Next: python -m trainer prepare potsdam --src {args.out} --out DATASET --split benchmark"
    )
    return 0
