"""One fine-tuning run, from files to a model file (the heavy part of :class:`FinetuneJob`).

QGIS-free: the QGIS side passes the label layer as a file (or a temporary copy of the
selected features) and its categorized colours; progress is ``(fraction, message)`` and a
:class:`~engine.cancel.CancelToken` stops the run between steps, leaving no model file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import torch

from engine.cancel import CancelToken
from engine.errors import Cancelled
from engine.metadata import ModelMetadata, make_metadata

from .base_model import BaseModel, load_base_model
from .classes import ClassScheme, build_scheme
from .errors import FinetuneError
from .labels import LabelSet, read_labels
from .loop import HoldoutScorer, TrainingOutcome, train
from .network import fit_head, freeze_batchnorm
from .record import finetune_record
from .request import FinetuneRequest, TrainingPlan
from .sampling import CropSampler, Normalisation
from .scene import TrainingScene, build_scene
from .split import HoldoutSplit, split_polygons

Progress = Callable[[float, str], None]
# Share of the progress bar before and after training (reading, export).
PREPARE_SHARE, EXPORT_SHARE = 0.05, 0.05


@dataclass
class FinetuneResult:
    path: Path
    card: Path
    classes: list[str]
    new_classes: list[str]
    device: str
    holdout_miou: float | None  # of the written model
    base_holdout_miou: float | None  # of the base model (head fitted), before training
    holdout_iou: dict[str, float]
    best_epoch: int
    epochs: int
    train_seconds: float
    gsd_cm: float | None
    notes: list[str]


def pick_device(requested: str) -> tuple[torch.device, list[str]]:
    if requested not in ("auto", "cpu", "cuda"):
        raise FinetuneError(f"unknown device '{requested}': set {{option}} to auto, cpu or cuda",
                            option="device")  # fmt: skip
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda"), []
    notes = ["CUDA was asked for but torch sees no CUDA GPU: training on the CPU"]
    return torch.device("cpu"), notes if requested == "cuda" else []


def run_finetune(
    options: FinetuneRequest,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> FinetuneResult:
    report = progress or (lambda fraction, message: None)
    output = Path(options.output)
    if output.suffix.lower() != ".onnx":
        raise FinetuneError(
            f"the new model is an .onnx file: give {{option}} a name ending in .onnx, not "
            f"'{output.name}'",
            option="output",
        )
    if output.exists() and not options.overwrite:
        raise FinetuneError(
            f"{output} already exists: choose another file with {{option}}", option="output"
        )
    if not output.parent.is_dir():
        raise FinetuneError(
            f"the folder {output.parent} does not exist: choose another file with {{option}}",
            option="output",
        )
    threads = torch.get_num_threads()
    if options.threads:
        torch.set_num_threads(options.threads)
    try:
        return _run(options, output, report, cancel)
    finally:
        torch.set_num_threads(threads)


def _run(
    options: FinetuneRequest, output: Path, report: Progress, cancel: CancelToken | None
) -> FinetuneResult:
    report(0.0, "reading the base model")
    base = load_base_model(options.base_model)
    report(0.01, "reading the labels")
    labels = read_labels(options.labels, options.class_field)
    colors = {**labels.style_colors, **{k.lower(): v for k, v in options.class_colors.items()}}
    scheme = build_scheme(labels.values, base.metadata.classes, colors, options.keep_base_classes)
    split = split_polygons(labels, scheme, options.holdout_fraction, options.plan.seed)
    meta = base.metadata
    tile = int(meta.tile_size or options.plan.crop)
    report(0.02, "reading the image around the labels")
    scene = build_scene(
        options.image, labels, scheme, split,
        bands=tuple(meta.input_bands), model_gsd_cm=meta.resolution_cm,
        native_gsd=options.native_gsd, context_px=tile // 2,
    )  # fmt: skip
    _check_training_pixels(scene, scheme)
    device, notes = pick_device(options.device)
    module = fit_head(base.module, scheme, options.plan.seed)
    freeze_batchnorm(module)
    normalisation = Normalisation(meta.pixel_scale, tuple(meta.mean), tuple(meta.std))
    crop = _crop_size(scene, options.plan.crop, int(getattr(module, "size_divisor", 32)))
    plan = _with_crop(options.plan, crop)
    sampler = CropSampler(scene, len(scheme), crop, normalisation, plan.seed)
    scorer = HoldoutScorer(scene, normalisation, list(scheme.names))
    if not scorer.available:
        notes.append(
            "no polygons could be held out (each class needs two or more): the model of the "
            "last epoch is written and no held-out score is reported"
        )
    elif split.classes_without_holdout:
        notes.append(
            "classes with a single polygon are not scored: "
            + ", ".join(split.classes_without_holdout)
        )
    report(PREPARE_SHARE, f"training on {device.type}")

    def training_progress(fraction: float, message: str) -> None:
        span = 1 - PREPARE_SHARE - EXPORT_SHARE
        report(PREPARE_SHARE + span * fraction, message)

    outcome = train(module, sampler, scorer, plan, tile, device, training_progress, cancel)
    if cancel is not None and cancel.cancelled:
        raise Cancelled("fine-tuning cancelled; no model was written")
    module.load_state_dict(outcome.best_state)
    module.to("cpu").eval()
    report(1 - EXPORT_SHARE, "writing the model")
    new_meta = _metadata(options, base, labels, scheme, split, scene, outcome, device)
    record = finetune_record(
        base_name=base.name, base=meta, image=_image_name(options),
        label_source=_labels_name(options, labels), scheme=scheme, split=split, scene=scene,
        plan=plan, outcome=outcome, device=device.type, command=options.command,
    )  # fmt: skip
    from trainer.export import export_onnx
    from trainer.model_card import write_card
    from trainer.model_record import KEY_FINETUNE, dump

    export_onnx(module, new_meta, output, tile, extra_props={KEY_FINETUNE: dump(record)})
    card = write_card(output)
    report(1.0, "done")
    best = outcome.best
    return FinetuneResult(
        path=output,
        card=card,
        classes=list(scheme.names),
        new_classes=scheme.new_classes,
        device=device.type,
        holdout_miou=best.holdout_miou,
        base_holdout_miou=outcome.history[0].holdout_miou,
        holdout_iou=best.holdout_iou,
        best_epoch=outcome.best_epoch,
        epochs=outcome.history[-1].epoch,
        train_seconds=outcome.seconds,
        gsd_cm=scene.gsd_cm,
        notes=notes,
    )


def _image_name(options: FinetuneRequest) -> str:
    return options.image_name or Path(options.image).name


def _labels_name(options: FinetuneRequest, labels: LabelSet) -> str:
    return options.labels_name or labels.source


def _check_training_pixels(scene: TrainingScene, scheme: ClassScheme) -> None:
    counts = scene.class_pixels("train", len(scheme))
    if (counts > 0).sum() < 2:
        raise FinetuneError(
            "the label polygons cover fewer than two classes' pixels on the image (polygons "
            "smaller than a pixel at the model's resolution are lost): draw larger polygons "
            "of at least two classes"
        )


def _crop_size(scene: TrainingScene, crop: int, divisor: int) -> int:
    """The plan's crop, or less on images smaller than a crop (less padding to compute)."""
    largest = max(max(w.shape) for w in scene.windows)
    fitting = -(-largest // divisor) * divisor
    return max(divisor, min(crop - crop % divisor, fitting))


def _with_crop(plan: TrainingPlan, crop: int) -> TrainingPlan:
    return replace(plan, crop=crop)


def _metadata(
    options: FinetuneRequest,
    base: BaseModel,
    labels: LabelSet,
    scheme: ClassScheme,
    split: HoldoutSplit,
    scene: TrainingScene,
    outcome: TrainingOutcome,
    device: torch.device,
) -> ModelMetadata:
    meta = base.metadata
    best = outcome.best
    gsd = f"{scene.gsd_cm:g} cm" if scene.gsd_cm else "the image's own pixel size"
    metrics: dict = {
        "holdout_miou": best.holdout_miou,
        "holdout_iou": best.holdout_iou,
        "base_holdout_miou": outcome.history[0].holdout_miou,
        "best_epoch": outcome.best_epoch,
        "epochs": outcome.history[-1].epoch,
        "train_seconds": outcome.seconds,
        "holdout_polygons": split.holdout_polygons,
        "train_polygons": split.train_polygons,
    }
    return make_metadata(
        list(scheme.names),
        list(scheme.colors),
        resolution_cm=scene.gsd_cm,
        tile_size=meta.tile_size,
        tile_overlap_pct=meta.tile_overlap_pct,
        mean=tuple(meta.mean),
        std=tuple(meta.std),
        pixel_scale=meta.pixel_scale,
        input_bands=tuple(meta.input_bands),
        output_kind="probabilities",
        architecture=meta.architecture,
        architecture_args={**meta.architecture_args, "classes": len(scheme)},
        training_data=(
            f"fine-tuned from {base.name} on {_image_name(options)} with labels from "
            f"{_labels_name(options, labels)} ({split.train_polygons} polygons trained, "
            f"{split.holdout_polygons} held out) at {gsd}"
        ),
        metrics=metrics,
        version=f"finetune-{datetime.now(UTC):%Y%m%d-%H%M%S}",
        description=f"{base.name} fine-tuned on {device.type} for {outcome.seconds / 60:.1f} min",
    )
