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
        help="paper: CSE-UNet's (Potsdam default); benchmark: the common test split",
    )
    parser.add_argument(
        "--labels",
        choices=["full", "eroded"],
        default=None,
        help="labels of the held-out tiles that evaluation scores against: full or eroded "
        "(noBoundary); default full for paper, eroded for benchmark",
    )
    parser.add_argument(
        "--train-labels",
        choices=["full", "eroded"],
        default="full",
        help="labels of the training tiles (full)",
    )
    parser.add_argument(
        "--image-kind",
        default="RGB",
        choices=["RGB", "RGBIR", "IRRG"],
        help="which Potsdam orthophotos to use",
    )
    parser.add_argument("--val-every", type=int, default=5, help="folder: every n-th image is val")


def run(args: argparse.Namespace) -> int:
    from trainer.data.folder import prepare_folder
    from trainer.data.potsdam import prepare_potsdam
    from trainer.data.vaihingen import prepare_vaihingen

    try:
        if args.dataset == "potsdam":
            manifest = prepare_potsdam(
                args.src, args.out, tile=args.tile, stride=args.stride,
                split=args.split or "paper", labels=args.labels,
                train_labels=args.train_labels, kind=args.image_kind,
            )  # fmt: skip
        elif args.dataset == "vaihingen":
            manifest = prepare_vaihingen(
                args.src, args.out, tile=args.tile, stride=args.stride,
                split=args.split or "benchmark", labels=args.labels,
            )  # fmt: skip
        else:
            manifest = prepare_folder(
                args.src, args.out, tile=args.tile, stride=args.stride, val_every=args.val_every
            )
    except (FileNotFoundError, ValueError) as error:
        print(f"prepare: {error}")
        return 2
    counts = ", ".join(f"{k}: {v['count']} tiles" for k, v in manifest["splits"].items())
    print(f"prepared {manifest['dataset']} into {args.out} ({counts})")
    print(f"mean {manifest['mean']} std {manifest['std']}")
    unknown = manifest["_unknown"]
    if unknown.total:
        print(
            f"WARNING: {unknown.total} label pixels have a colour that is no class; they are "
            f"ignored in training and metrics (ignore index 255): {unknown.describe()}"
        )
        for scene, values in manifest["unknown_label_values"]["by_scene"].items():
            print(f"  {scene}: {sum(v['pixels'] for v in values)} px")
    return 0
