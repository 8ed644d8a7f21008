"""``python -m trainer finetune --image R --labels L --model BASE --out NEW.onnx``.

Teaches a model the analyst's imagery from a few labelled polygons, in minutes on a CPU.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from trainer.finetune.request import DEFAULT_HOLDOUT_FRACTION, TrainingPlan

    plan = TrainingPlan()
    parser.add_argument("--image", required=True, help="the orthophoto (any raster GDAL opens)")
    parser.add_argument(
        "--labels",
        required=True,
        help="polygons (GeoPackage, Shapefile, GeoJSON; 'file.gpkg|layername=x' picks a layer) "
        "or a class-index raster (255 = unlabelled)",
    )
    parser.add_argument(
        "--class-field", default="class", help="field holding class names or indices (class)"
    )
    parser.add_argument(
        "--model", required=True, help="base model: a bundled name, an .onnx, or a checkpoint"
    )
    parser.add_argument("--out", required=True, help="the new .onnx model to write")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument(
        "--minutes", type=float, help=f"training time budget in minutes ({plan.minutes:g})"
    )
    budget.add_argument("--epochs", type=int, help="train this many epochs instead")
    parser.add_argument("--steps-per-epoch", type=int, default=plan.steps_per_epoch)
    parser.add_argument("--batch-size", type=int, default=plan.batch_size)
    parser.add_argument("--crop", type=int, default=plan.crop, help="training crop in pixels")
    parser.add_argument("--lr", type=float, default=plan.learning_rate, help="peak learning rate")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=plan.seed)
    parser.add_argument(
        "--native-gsd",
        action="store_true",
        help="train at the image's own pixel size instead of the base model's",
    )
    parser.add_argument(
        "--holdout",
        type=float,
        default=DEFAULT_HOLDOUT_FRACTION,
        help=f"fraction of each class's polygons held out ({DEFAULT_HOLDOUT_FRACTION:g})",
    )
    parser.add_argument(
        "--keep-base-classes",
        action="store_true",
        help="keep every class of the base model, not only the classes labelled",
    )
    parser.add_argument(
        "--fp32",
        action="store_true",
        help="train in fp32 even where the CPU or GPU has native bf16 (mixed precision)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    parser.add_argument("--threads", type=int, help="CPU threads for torch")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.jobs import CLI, run_job
    from trainer.finetune.request import DEFAULT_MINUTES, FinetuneJob, FinetuneRequest, TrainingPlan

    plan = TrainingPlan(
        minutes=None if args.epochs else (args.minutes or DEFAULT_MINUTES),
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        crop=args.crop,
        learning_rate=args.lr,
        seed=args.seed,
        mixed_precision=not args.fp32,
    )
    request = FinetuneRequest(
        image=args.image,
        labels=args.labels,
        base_model=args.model,
        output=args.out,
        class_field=args.class_field,
        plan=plan,
        device=args.device,
        native_gsd=args.native_gsd,
        holdout_fraction=args.holdout,
        keep_base_classes=args.keep_base_classes,
        overwrite=args.overwrite,
        threads=args.threads,
        command=getattr(args, "command_line", ""),
    )
    bar = tqdm(total=1000, unit="‰", bar_format="{l_bar}{bar}| {elapsed}<{remaining} {postfix}")

    def progress(fraction: float, message: str) -> None:
        bar.n = round(1000 * fraction)
        bar.set_postfix_str(message, refresh=True)

    try:
        outcome = run_job(FinetuneJob(request), CLI, progress)
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: no model was written", file=sys.stderr)
        return 130
    bar.close()
    if not outcome.ok:
        print(f"error: {outcome.message}", file=sys.stderr)
        if outcome.traceback:
            print(outcome.traceback, file=sys.stderr)
        return 1 if outcome.status == "cancelled" else 2
    result = outcome.result
    print(f"wrote {result.path} and {result.card.name}")
    print(f"  classes: {', '.join(result.classes)}", end="")
    print(f" (new: {', '.join(result.new_classes)})" if result.new_classes else "")
    if result.holdout_miou is not None:
        print(
            f"  held-out mIoU {result.base_holdout_miou:.3f} before, {result.holdout_miou:.3f} "
            f"after (epoch {result.best_epoch} of {result.epochs}, "
            f"{result.train_seconds / 60:.1f} min on {result.device})"
        )
        for name, iou in result.holdout_iou.items():
            print(f"    {name:<24} IoU {iou:.3f}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0
