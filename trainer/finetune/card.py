"""A short model card beside a fine-tuned model, written from the run's own record."""

from __future__ import annotations

from pathlib import Path

from engine.metadata import ModelMetadata


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def write_card(model_path: Path, meta: ModelMetadata, facts: dict) -> Path:
    history = facts["history"]
    best = next(r for r in history if r.epoch == facts["best_epoch"])
    base = history[0]
    plan = facts["plan"]
    lines = [
        f"# {model_path.stem}",
        "",
        f"{meta.training_data}.",
        "",
        "## Classes",
        "",
        "| index | class | colour | held-out IoU before | after |",
        "|---|---|---|---|---|",
    ]
    for info in meta.classes:
        hex_color = "#{:02x}{:02x}{:02x}".format(*info.color)
        before = base.holdout_iou.get(info.name)
        after = best.holdout_iou.get(info.name)
        lines.append(
            f"| {info.index} | {info.name} | `{hex_color}` | {_pct(before)} | {_pct(after)} |"
        )
    lines += [
        "",
        f"- Held-out mIoU: {_pct(base.holdout_miou)} before fine-tuning (the base model "
        f"with its head fitted), {_pct(best.holdout_miou)} after (epoch {best.epoch} of "
        f"{history[-1].epoch}, the best on the held-out polygons).",
        f"- Base model: {facts['base_model']} ({meta.architecture}, "
        f"{meta.architecture_args.get('base_width', '?')} base width).",
        f"- Image: {facts['image']}; labels: {facts['labels']}.",
        f"- Works at {meta.resolution_cm:g} cm per pixel, {meta.tile_size} px tiles."
        if meta.resolution_cm
        else f"- Works at the image's own pixel size, {meta.tile_size} px tiles.",
        f"- Training: {history[-1].steps} steps of {plan.batch_size} crops of {plan.crop} px, "
        f"AdamW lr {plan.learning_rate:g}, stopped by the {facts['stopped_by']} budget after "
        f"{history[-1].seconds / 60:.1f} min ({facts['total_seconds'] / 60:.1f} min in all) "
        f"on {facts['machine']}.",
        "",
        "| epoch | steps | minutes | train loss | held-out mIoU |",
        "|---|---|---|---|---|",
    ]
    for record in history:
        loss = "–" if record.train_loss is None else f"{record.train_loss:.3f}"
        lines.append(
            f"| {record.epoch} | {record.steps} | {record.seconds / 60:.1f} | {loss} | "
            f"{_pct(record.holdout_miou)} |"
        )
    path = model_path.with_suffix(".md")
    partial = path.with_name(f".{path.name}.part")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
