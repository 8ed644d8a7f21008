"""A model card written from the model file alone: its metadata and the records beside it.

Nothing here is typed by hand: the model's facts come from ``engine.metadata`` and the graph,
the data and training from the training record, the test scores and the colour baseline
from the evaluation record (``model_record.py``). A number on the card is the number in the
file, so regenerating the card after a new evaluation keeps the two equal.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from engine.metadata import ModelMetadata

from .losses import class_weights_text
from .machine import machine_line
from .model_record import (
    KEY_EVALUATION,
    KEY_EXPORT,
    KEY_FINETUNE,
    KEY_QUANTIZATION,
    KEY_TRAINING_RUN,
    read_records,
)
from .run_record import best_row

MISSING = "–"


def _pct(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{100 * value:.1f}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {rest:02d} s"


def _graph_shapes(path: Path) -> tuple[list, list]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph

    def dims(value) -> list:
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    return dims(graph.input[0]), [dims(o) for o in graph.output]


def _model_section(path: Path, meta: ModelMetadata) -> list[str]:
    inputs, outputs = _graph_shapes(path)
    static = all(isinstance(d, int) and d > 0 for d in inputs[1:])
    lines = ["## Model"]
    if meta.architecture:
        arguments = ", ".join(f"`{k}={v}`" for k, v in meta.architecture_args.items())
        lines.append(f"- Architecture: `{meta.architecture}` ({arguments})")
        try:
            from engine.models.flops import architecture_cost

            tile = meta.tile_size or 512
            cost = architecture_cost(meta.architecture, tile_size=tile, **meta.architecture_args)
            lines.append(
                f"- Parameters: {cost.parameters:,}; {cost.gflops:.3g} GFLOP per "
                f"{len(meta.input_bands)}×{tile}×{tile} tile (convolutions, 2 FLOPs per MAC)"
            )
        except (ImportError, ValueError, TypeError):
            pass
    size = "fixed tile size" if static else "dynamic height and width: not for Deepness"
    lines += [
        f"- File: `{path.name}`, {path.stat().st_size / 1e6:.1f} MB, ONNX; input {inputs} "
        f"({size}), output {outputs} as `{meta.output_kind}`",
        f"- Input: bands {list(meta.input_bands)}, divided by {meta.pixel_scale:g}, "
        f"standardised with mean {[round(v, 4) for v in meta.mean]} and std "
        f"{[round(v, 4) for v in meta.std]}",
        f"- Works at {meta.resolution_cm:g} cm per pixel"
        if meta.resolution_cm
        else "- Resolution: not stated",
        f"- Tiles: {meta.tile_size} px with {meta.tile_overlap_pct:g} % overlap",
        "- Classes: "
        + ", ".join(f"{c.index} {c.name} (rgb{tuple(c.color)})" for c in meta.classes),
    ]
    return lines


def _data_lines(data: dict, phases: list[str]) -> list[str]:
    resolution = f"{data['resolution_cm']:g} cm" if data.get("resolution_cm") else "unknown GSD"
    labels = ", ".join(f"{k}: {v}" for k, v in data.get("labels", {}).items())
    lines = [
        f"### `{data.get('dir') or data['dataset']}` ({', '.join(phases)})",
        f"- Dataset `{data['dataset']}`, {resolution}, {data['split_scheme']} split, "
        f"{data['tile_size']} px tiles (stride {data.get('stride', data['tile_size'])}); "
        f"labels {labels}",
        "",
        "| split | scenes | tiles |",
        "|---|---|---|",
    ]
    for name, counts in data["splits"].items():
        lines.append(f"| {name} | {counts['scenes']} | {counts['tiles']} |")
    lines.append("")
    carve = data.get("validation_carve", {})
    if carve.get("method") == "given":
        lines.append("- Validation: the dataset's own validation scenes")
    elif carve:
        detail = ", ".join(f"{k} {v}" for k, v in carve.items() if k != "method")
        lines.append(f"- Validation carved from the training scenes by {carve['method']}: {detail}")
    lines.append(
        "- The test split never trained the model nor chose its epoch; validation did the choosing."
    )
    return [*lines, ""]


def _loss_text(loss: dict) -> str:
    weights = loss.get("class_weights")
    return f"`{loss['name']}`" + (f" with {class_weights_text(weights)}" if weights else "")


def _phase_lines(index: int, phase: dict) -> list[str]:
    config = phase["config"]
    train, data, optim = config["train"], config["data"], config["optim"]
    monitor = phase["monitor"]
    best = best_row(phase)
    history = ", ".join(
        f"{row['epoch']}: {_pct(row.get(monitor))}" for row in phase["history"]
    )  # fmt: skip
    source = phase.get("warm_start") or config["run"].get("init")
    start = f"warm start from `{source}`" if source else "from scratch"
    lines = [
        f"### Phase {index + 1}: {phase['name']}",
        f"- {phase.get('description') or config['run'].get('description', '')}".rstrip(),
        f"- {start}; {phase['epochs_run']} of {train['epochs']} epochs, batch "
        f"{data['batch_size']} × accumulate {optim.get('accumulate', 1)}, {optim['name']} lr "
        f"{optim['lr']} ({optim['schedule']}), weight decay {optim.get('weight_decay')}, loss "
        f"{_loss_text(config['loss'])}, augment {config.get('augment', {})}",
        f"- Best epoch {phase['best_epoch']} by `{monitor}` ({phase['monitor_mode']}) on the "
        f"validation split: "
        + ", ".join(
            f"{k} {_pct(v) if 'loss' not in k else f'{v:.4f}'}"
            for k, v in best.items()
            if k.startswith("validation_")
        ),
        f"- `{monitor}` per epoch (%): {history}",
        f"- Time: {_duration(phase['seconds'])} of epochs, {phase['started']} to "
        f"{phase['finished']}",
        *[f"- Machine: {machine_line(m)}" for m in phase.get("machines", [])],
        f"- Data: `{phase['data'].get('dir') or phase['data']['dataset']}`",
    ]
    return [line for line in lines if line != "-"]


def _score_rows(scores: dict, baseline: dict | None) -> list[str]:
    header = "| class | model IoU | model F1 |" + (" colour k-NN IoU |" if baseline else "")
    lines = [header, "|---|---|---|" + ("---|" if baseline else "")]
    for name, values in scores["classes"].items():
        extra = f" {_pct(baseline['classes'][name]['iou'])} |" if baseline else ""
        lines.append(f"| {name} | {_pct(values['iou'])} | {_pct(values['f1'])} |{extra}")
    for suffix, label in (("all", "all classes"), ("no_clutter", "clutter left out")):
        if f"miou_{suffix}" not in scores:
            continue
        for metric, name in (("miou", "mIoU"), ("oa", "OA"), ("mf1", "mF1")):
            value = _pct(scores[f"{metric}_{suffix}"])
            value = f"**{value}**" if metric == "miou" else value
            extra = f" {_pct(baseline[f'{metric}_{suffix}'])} |" if baseline else ""
            lines.append(f"| {name}, {label} | {value} | |{extra}")
    return lines


def _resolution_text(data: dict) -> str:
    """'5 cm', or the scenes' own GSDs when they differ (synthetic scenes in Potsdam's layout)."""
    own = data.get("scene_resolution_cm")
    if own:
        return f"each scene's own GSD ({own[0]:g}-{own[1]:g} cm)"
    return f"{data.get('resolution_cm') or 0:g} cm"


def _test_section(evaluation: dict | None, file_name: str) -> list[str]:
    lines = ["## Test scores"]
    if not evaluation:
        return [
            *lines,
            f"Not evaluated yet: `python -m trainer evaluate {file_name} --data DATASET "
            "--update-card` scores the test split and fills this in.",
        ]
    data = evaluation["data"]
    baseline = evaluation.get("colour_baseline")
    tta = " with D4 test-time augmentation" if evaluation.get("tta") else ""
    lines += [
        f"`python -m trainer evaluate` on the {evaluation['split']} split of `{data['dataset']}` "
        f"({_count(len(evaluation['scenes']), 'scene')}: {', '.join(evaluation['scenes'])}) at "
        f"{_resolution_text(data)}, whole images "
        f"through the engine{tta}, labels {data.get('labels', {}).get(evaluation['split'], '')}"
        f"; {evaluation['scores']['pixels']:,} pixels scored.",
    ]
    if baseline:
        lines.append(
            f"Beside it, the colour baseline (`python -m trainer colour-baseline`: "
            f"{baseline['method']}), fitted on training pixels and scored on the same pixels."
        )
    lines += ["", *_score_rows(evaluation["scores"], baseline), ""]
    lines += [
        f"Evaluated {evaluation['evaluated']} in {_duration(evaluation['seconds'])} on "
        f"{evaluation['device']}: {machine_line(evaluation['machine'])}",
    ]
    return lines


def _quantization_section(record: dict) -> list[str]:
    """How an INT8 copy was made; its scores below are those of the model it copies."""
    calibration = record["calibration"]
    agreement = record["agreement_with_source"]
    rasters = ", ".join(f"`{name}`" for name in calibration["rasters"][:8])
    if len(calibration["rasters"]) > 8:
        rasters += f" and {len(calibration['rasters']) - 8} more"
    return [
        "## INT8 quantisation",
        f"- An INT8 copy of `{record['source']['file']}` (sha256 "
        f"`{record['source']['sha256'][:16]}…`), made {record['quantized']} with onnxruntime "
        f"{record['onnxruntime']}: {record['format']} format, weights {record['weights']}, "
        f"activations {record['activations']}.",
        f"- Activation ranges calibrated ({calibration['method']}) on "
        f"{_count(calibration['tiles'], 'tile')} of {calibration['tile_size']} px cut by the "
        f"engine from {rasters}.",
        f"- Its classes agree with the original's on {100 * agreement['pixels']:.2f} % of the "
        f"pixels of {agreement['on']}.",
        "- The training record and test scores below are those of the original model.",
    ]


def _finetune_section(record: dict, meta: ModelMetadata) -> list[str]:
    """How the model was taught the analyst's imagery, and what it gained on held-out polygons."""
    base, history = record["base_model"], record["history"]
    first = history[0]
    best = next(r for r in history if r["epoch"] == record["best_epoch"])
    polygons, grid, plan = record["polygons"], record["grid"], record["plan"]
    new = record["classes"]["new"]
    kept = record["classes"]["from_base"]
    resolution = (
        f"{grid['resolution_cm']:g} cm" if grid.get("resolution_cm") else "the image's pixel size"
    )
    resampling = (
        f" (the image's {grid['raster_resolution_cm']:.3g} cm resampled to it)"
        if grid.get("resampled")
        else ""
    )
    lines = [
        "## Fine-tuning",
        f"- From `{base['name']}` ({base.get('architecture')}; {base.get('training_data')})",
        f"- Image `{record['image']}`; labels: {record['labels']}; "
        f"{polygons['train']} polygons trained, {polygons['holdout']} held out (whole "
        f"polygons, from one side of the labelled area)",
        f"- Classes kept from the base model: {', '.join(kept) or 'none'}; new: "
        f"{', '.join(new) or 'none'}",
        f"- Trained at {resolution}{resampling}, {plan['crop']} px crops drawn class-evenly "
        f"around labelled pixels, batch {plan['batch_size']}, AdamW lr {plan['learning_rate']:g} "
        f"(warm-up, cosine), BatchNorm statistics frozen",
        f"- {history[-1]['epoch']} epochs of {plan['steps_per_epoch']} steps in "
        f"{_duration(record['seconds'])} on {record['device']} "
        f"({record.get('precision', 'fp32')}), stopped by the "
        f"{record['stopped_by']} budget; kept epoch {record['best_epoch']}, the best on the "
        "held-out polygons",
        f"- Machine: {machine_line(record['machine'])}",
    ]
    if polygons.get("classes_without_holdout"):
        lines.append(
            "- Not scored (a single polygon, which trained): "
            + ", ".join(polygons["classes_without_holdout"])
        )
    if first.get("holdout_miou") is None:
        return [*lines, "- No held-out score: no class had two or more polygons.", ""]
    lines += [
        "",
        "| class | held-out IoU before | after |",
        "|---|---|---|",
        *[
            f"| {c.name} | {_pct(first['holdout_iou'].get(c.name))} | "
            f"{_pct(best['holdout_iou'].get(c.name))} |"
            for c in meta.classes
        ],
        f"| **mIoU** | **{_pct(first['holdout_miou'])}** | **{_pct(best['holdout_miou'])}** |",
        "",
        "Before: the base model with its head fitted to these classes (epoch 0). "
        "Held-out mIoU per epoch (%): "
        + ", ".join(f"{r['epoch']}: {_pct(r['holdout_miou'])}" for r in history),
        "",
    ]
    return lines


def _commands(
    training: dict | None,
    export: dict | None,
    evaluation: dict | None,
    finetune: dict | None,
    quantization: dict | None = None,
) -> list[str]:
    commands = []
    for phase in (training or {}).get("phases", []):
        prepare = phase["data"].get("prepare_command")
        if prepare and prepare not in commands:
            commands.append(prepare)
        if phase.get("command"):
            commands.append(phase["command"])
    for record in (finetune, export, evaluation, quantization):
        if record and record.get("command"):
            commands.append(record["command"])
    if not commands:
        return []
    return ["## Commands that made this file", "```bash", *commands, "```"]


def render_card(path: str | os.PathLike) -> str:
    """The card of the model file at ``path``, as Markdown."""
    path = Path(path)
    meta, records = read_records(path)
    training = records[KEY_TRAINING_RUN]
    export = records[KEY_EXPORT]
    evaluation = records[KEY_EVALUATION]
    finetune = records[KEY_FINETUNE]
    quantization = records[KEY_QUANTIZATION]
    lines = [f"# {path.stem}", ""]
    if meta.description:
        lines += [f"> {meta.description}", ""]
    lines += [*_model_section(path, meta), ""]
    if quantization:
        lines += [*_quantization_section(quantization), ""]
    if training:
        lines += ["## Training data", f"- {meta.training_data}", ""]
        datasets: dict[str, tuple[dict, list[str]]] = {}
        for phase in training["phases"]:
            key = phase["data"].get("dir") or phase["data"]["dataset"]
            datasets.setdefault(key, (phase["data"], []))[1].append(phase["name"])
        for data, phases in datasets.values():
            lines += _data_lines(data, phases)
        lines.append("## Training")
        for index, phase in enumerate(training["phases"]):
            lines += ["", *_phase_lines(index, phase)]
        total = sum(p["seconds"] for p in training["phases"])
        lines += ["", f"Total training time: {_duration(total)}."]
    elif finetune:
        lines += _finetune_section(finetune, meta)
    else:
        lines += [
            "## Training",
            "- This file carries no training record (it was exported before records were "
            "kept): its data, phases and timings are not known from it. What its metadata "
            f"says, unchecked: {meta.training_data}",
        ]
    validation = {k: v for k, v in meta.metrics.items() if k.startswith("validation_")}
    if validation:
        lines += [
            "",
            "Validation scores of the exported epoch: "
            + ", ".join(f"`{k}` {_pct(v)}" for k, v in validation.items() if "loss" not in k),
        ]
    if export:
        lines += [
            "",
            f"Exported {export['exported']} from `{export['checkpoint']}` (epoch "
            f"{export['epoch']}), opset {export['opset']}.",
        ]
    if evaluation or not finetune:
        lines += ["", *_test_section(evaluation, path.name), ""]
    lines += _commands(training, export, evaluation, finetune, quantization)
    lines += [
        "",
        f"*Written by `python -m trainer` from the metadata of `{path.name}`; "
        f"`python -m trainer card {path.name}` writes it again.*",
        "",
    ]
    return "\n".join(lines)


def write_card(path: str | os.PathLike) -> Path:
    """Write the card beside the model (``M.onnx`` → ``M.md``) via a temporary file."""
    path = Path(path)
    card = path.with_suffix(".md")
    partial = card.with_name(card.name + ".part")
    partial.write_text(render_card(path), encoding="utf-8")
    partial.replace(card)
    return card
