"""``python -m trainer prepare potsdam|vaihingen|folder --src DIR --out DIR``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=["potsdam", "vaihingen", "folder"])
    parser.add_argument("--src", type=Path, required=True, help="the unzipped dataset folder")
    parser.add_argument("--out", type=Path, required=True, help="where tiles + manifest go")
    parser.add_argument("--tile", type=int, default=512, help="tile side in pixels (512)")
    parser.add_argument("--stride", type=int, default=None, help="default: the tile size")
    parser.add_argument(
        "--split",
        choices=["paper", "benchmark"],
        default=None,
        help="which official tiles are the test set: paper (CSE-UNet's five; Potsdam default) "
        "or benchmark (the common test tiles)",
    )
    parser.add_argument(
        "--test-labels",
        choices=["full", "eroded"],
        default=None,
        help="labels of the test tiles, which evaluation scores against: full or eroded "
        "(noBoundary); default full for paper, eroded for benchmark",
    )
    parser.add_argument(
        "--train-labels",
        choices=["full", "eroded"],
        default="full",
        help="labels of the training tiles and the validation carved from them (full)",
    )
    parser.add_argument(
        "--image-kind",
        default="RGB",
        choices=["RGB", "RGBIR", "IRRG"],
        help="which Potsdam orthophotos to use",
    )
    parser.add_argument(
        "--test-every", type=int, default=5, help="folder without sub-folders: every n-th image "
        "is a test image (5; 0 = none)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-unreadable", action="store_true",
        help="leave out scenes whose image or label cannot be read whole (listed in the "
        "manifest); without it a damaged file stops prepare",
    )  # fmt: skip
    carve = parser.add_argument_group("validation, carved from the training scenes")
    carve.add_argument(
        "--validation-fraction", type=float, default=0.15,
        help="share of the training scenes (or blocks) that validate (0.15)",
    )  # fmt: skip
    carve.add_argument(
        "--validation-by", choices=["auto", "scenes", "blocks"], default="auto",
        help="whole training scenes, or blocks inside them; auto: scenes when there are "
        "enough (default)",
    )  # fmt: skip
    carve.add_argument("--validation-seed", type=int, default=0, help="which scenes/blocks (0)")
    carve.add_argument(
        "--validation-block", type=int, default=None, help="block side in px (4 tiles)"
    )
    carve.add_argument(
        "--validation-gap", type=int, default=None,
        help="pixels left unused between validation blocks and training tiles (half a tile)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from trainer.data.folder import prepare_folder
    from trainer.data.potsdam import prepare_potsdam
    from trainer.data.splits import ValidationCarve
    from trainer.data.vaihingen import prepare_vaihingen

    carve = ValidationCarve(
        fraction=args.validation_fraction,
        seed=args.validation_seed,
        by=args.validation_by,
        block=args.validation_block,
        gap=args.validation_gap,
    )
    common = {
        "tile": args.tile,
        "stride": args.stride,
        "carve": carve,
        "command": getattr(args, "command_line", ""),
        "skip_unreadable": args.skip_unreadable,
    }
    try:
        if args.dataset == "potsdam":
            manifest = prepare_potsdam(
                args.src, args.out, split=args.split or "paper", test_labels=args.test_labels,
                train_labels=args.train_labels, kind=args.image_kind, **common,
            )  # fmt: skip
        elif args.dataset == "vaihingen":
            manifest = prepare_vaihingen(
                args.src, args.out, split=args.split or "benchmark",
                test_labels=args.test_labels, train_labels=args.train_labels, **common,
            )  # fmt: skip
        else:
            manifest = prepare_folder(args.src, args.out, test_every=args.test_every, **common)
    except (FileNotFoundError, ValueError) as error:
        print(f"prepare: {error}")
        return 2
    counts = ", ".join(
        f"{k}: {len(v['scenes'])} scenes, {v['count']} tiles" for k, v in manifest["splits"].items()
    )
    print(f"prepared {manifest['dataset']} into {args.out} ({counts})")
    carved = manifest["validation_carve"]
    if carved["method"] != "given":
        print(f"validation carved from the training scenes by {carved['method']}: {carved}")
    if "test" not in manifest["splits"]:
        print("no test split: `evaluate` will have nothing to score")
    print(f"mean {manifest['mean']} std {manifest['std']}")
    for skipped in manifest["skipped_scenes"]:
        print(f"WARNING: skipped {skipped['scene']}: {skipped['file']} cannot be read "
              f"({skipped['reason']})")  # fmt: skip
    unknown = manifest["_unknown"]
    if unknown.total:
        print(
            f"WARNING: {unknown.total} label pixels have a colour that is no class; they are "
            f"ignored in training and metrics (ignore index 255): {unknown.describe()}"
        )
        for scene, values in manifest["unknown_label_values"]["by_scene"].items():
            print(f"  {scene}: {sum(v['pixels'] for v in values)} px")
    return 0
