"""A run folder's state, and the rule that one run never silently replaces another.

``status.json`` says how far a run got (epoch, best epoch, finished or not); ``chain`` reads
it to skip finished phases and resume interrupted ones. A folder that holds a run is only
trained into again with ``--resume`` (continue) or ``--overwrite`` (start afresh): the next
phase warm-starts from its ``best.pt``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

STATUS = "status.json"
LAST = Path("checkpoints") / "last.pt"
# What a run writes into its folder: what --overwrite removes.
RUN_OUTPUTS = (
    "checkpoints", "metrics.csv", STATUS, "config.resolved.json", "learning_curves.png",
    "confusion_best.png", "samples_best.png", "tensorboard",
)  # fmt: skip


class RunFolderError(ValueError):
    """Training into this folder would lose or confuse a run."""


@dataclass
class RunStatus:
    name: str
    state: str  # running | finished | stopped early
    epoch: int
    epochs: int
    best_epoch: int
    monitor: str
    best: float | None

    @property
    def done(self) -> bool:
        return self.state != "running"


def read_status(out: Path) -> RunStatus | None:
    path = Path(out) / STATUS
    if not path.is_file():
        return None
    return RunStatus(**json.loads(path.read_text()))


def write_status(out: Path, status: RunStatus) -> None:
    partial = Path(out) / (STATUS + ".part")
    partial.write_text(json.dumps(asdict(status), indent=1))
    partial.replace(Path(out) / STATUS)


def holds_run(out: Path) -> bool:
    out = Path(out)
    return any((out / name).exists() for name in ("checkpoints", "metrics.csv", STATUS))


def check_run_folder(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse what would lose a run: training afresh into a run, resuming nothing."""
    out = Path(out)
    if resume and overwrite:
        raise RunFolderError("--resume continues a run, --overwrite replaces it: choose one")
    if resume and not (out / LAST).is_file():
        raise RunFolderError(f"nothing to resume in {out} (no {LAST}): start without --resume")
    if resume or overwrite or not holds_run(out):
        return
    status = read_status(out)
    progress = f" ({status.state}, epoch {status.epoch} of {status.epochs})" if status else ""
    raise RunFolderError(
        f"{out} already holds a run{progress}: --resume continues it, --overwrite deletes it "
        "and starts afresh, --out or --runs trains elsewhere"
    )


def clear_run(out: Path) -> None:
    """Remove a previous run's outputs (and its evaluations) from ``out``."""
    out = Path(out)
    for path in [out / name for name in RUN_OUTPUTS] + sorted(out.glob("eval_*")):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
