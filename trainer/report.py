"""A table of training runs beside the study's table, the paper and the state of the art.

Each run folder gives its best epoch's validation scores (``metrics.csv``, the config's
monitor), and the test scores of ``evaluate`` when it wrote them into the folder
(``eval_best/metrics.json``). Nothing is typed in: the published numbers come from
``study.py``, the runs' from their files.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .study import PAPER_RESULTS, STATE_OF_THE_ART, STUDY_PHASES, study_phase


@dataclass
class RunSummary:
    folder: Path
    name: str
    start: str
    loss: str
    epochs: str
    best: dict = field(default_factory=dict)  # the best epoch's metrics.csv row
    test: dict = field(default_factory=dict)  # evaluate's metrics.json, if any

    def value(self, key: str) -> float:
        value = self.best.get(key, "")
        return float(value) if value not in ("", None) else math.nan


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def read_run(folder: Path) -> RunSummary:
    folder = Path(folder)
    if not (folder / "metrics.csv").is_file():
        raise FileNotFoundError(f"{folder} holds no metrics.csv: is it a run folder?")
    config = json.loads((folder / "config.resolved.json").read_text())
    run, train = config["run"], config["train"]
    history = _rows(folder / "metrics.csv")
    monitor = train["monitor"] if train["monitor"] in history[0] else None
    sign = -1 if train.get("monitor_mode") == "min" else 1
    best = max(history, key=lambda r: sign * float(r[monitor])) if monitor else history[-1]
    test_file = folder / "eval_best" / "metrics.json"
    loss = config["loss"]["name"]
    return RunSummary(
        folder=folder,
        name=run["name"],
        start=run.get("parent") or ("init" if run.get("init") else "scratch"),
        loss={"ce": "CE", "ce_dice": "CE + Dice", "focal": "Focal"}.get(loss, loss),
        epochs=f"{len(history)} ({best['epoch']})",
        best=best,
        test=json.loads(test_file.read_text()) if test_file.is_file() else {},
    )


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.2f}"


def codes_of(run: RunSummary) -> int:
    return next((int(k[len("validation_jaccard") :]) for k in run.best
                 if k.startswith("validation_jaccard")), 0)  # fmt: skip


def runs_table(runs: list[RunSummary]) -> list[list[str]]:
    header = ["run", "starts from", "loss", "epochs (best)", "valid loss",
              "valid accuracy (7 codes)", "Jaccard (7 codes)", "study's Jaccard",
              "mIoU 6 classes %", "mIoU 5 classes %", "test mIoU 5 classes %"]  # fmt: skip
    rows = [header]
    for run in runs:
        codes = codes_of(run)
        study = study_phase(run.name)
        n = codes - 1
        rows.append([
            run.name, run.start, run.loss, run.epochs, _f(run.value("validation_loss")),
            _f(run.value(f"validation_accuracy{codes}")),
            _f(run.value(f"validation_jaccard{codes}")), _f(study.jaccard) if study else "–",
            _pct(run.value(f"validation_miou{n}")), _pct(run.value(f"validation_miou{n - 1}")),
            _pct(run.test.get("miou_no_clutter")),
        ])  # fmt: skip
    return rows


def study_table() -> list[list[str]]:
    rows = [["study phase", "change", "loss", "valid loss", "valid accuracy", "Jaccard (7 codes)"]]
    for p in STUDY_PHASES:
        rows.append([p.name, p.change, p.loss, _f(p.valid_loss), _f(p.accuracy), _f(p.jaccard)])
    return rows


def published_table(runs: list[RunSummary]) -> list[list[str]]:
    rows = [["model", "test mIoU 5 classes %", "source"]]
    for result in (*PAPER_RESULTS, *STATE_OF_THE_ART):
        rows.append([result.model, f"{result.miou5:.2f}", result.source])
    for run in runs:
        if run.test:
            split = run.test.get("dataset", {}).get("split_scheme", "?")
            where = f"evaluate, {split} split, {run.test.get('scenes')} test scenes"
            rows.append([f"{run.name} (this run)", _pct(run.test.get("miou_no_clutter")), where])
    return rows


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


CAVEAT = (
    "The study's Jaccard is fastai's JaccardCoeffMulti over 7 codes (6 classes and "
    "'undefined') on its own validation tiles; the runs' 7-code columns compute the same on "
    "theirs (pixels labelled without class as the undefined code). The paper and the state "
    "of the art score held-out test tiles over 5 classes (clutter left out): compare them "
    "with the test column, which `trainer evaluate RUN/checkpoints/best.pt --data DATA` "
    "fills in."
)


def write_report(runs: list[RunSummary], out: Path) -> tuple[Path, Path]:
    """``out``.md and ``out``.png: the runs, the study's table, the published results."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join([
        "# Runs beside the study, the paper and the state of the art",
        "## Runs (best epoch by each run's monitor, validation split)",
        markdown(runs_table(runs)),
        "## The AGH study (its validation split, 7 codes)",
        markdown(study_table()),
        "## The paper and the state of the art (test split, clutter left out)",
        markdown(published_table(runs)),
        CAVEAT,
    ])  # fmt: skip
    md = out.with_suffix(".md")
    md.write_text(text + "\n")
    png = out.with_suffix(".png")
    draw_tables([("Runs", runs_table(runs)), ("AGH study", study_table()),
                 ("Published, test split", published_table(runs))], png)  # fmt: skip
    return md, png


def draw_tables(tables: list[tuple[str, list[list[str]]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heights = [len(rows) + 1.5 for _, rows in tables]
    fig, axes = plt.subplots(len(tables), 1, figsize=(16, 0.32 * sum(heights) + 0.5),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)  # fmt: skip
    for ax, (title, rows) in zip(axes[:, 0], tables):
        ax.axis("off")
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
        table = ax.table(cellText=rows[1:], colLabels=rows[0], loc="upper left",
                         cellLoc="left")  # fmt: skip
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.auto_set_column_width(list(range(len(rows[0]))))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
