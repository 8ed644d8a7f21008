"""The per-channel mean and std a run standardises its input with.

By default a run uses its own dataset's statistics (``prepare`` measures them). A warm start
on another dataset then feeds its parent's first layer inputs shifted by the difference of
the two datasets' statistics (about 0.2 std per channel between two synthetic scene sets), so
the phase begins by undoing that shift. ``[data] standardisation = "warm_start"`` keeps the
statistics of the checkpoint the run starts from instead: the run starts from its parent's
own function of the raw pixels (exactly in eval mode; in training mode batch statistics stand
in for the stored ones), and the exported metadata carries the statistics the weights were
trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATASET = "dataset"
WARM_START = "warm_start"
CHOICES = (DATASET, WARM_START)


@dataclass(frozen=True)
class Standardisation:
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str  # where the numbers come from, for the run's notes


def input_standardisation(choice: str, manifest: dict, checkpoint: Path | None) -> Standardisation:
    """The dataset's statistics, or those stored in ``checkpoint``'s metadata (the warm start,
    or a resumed run's own last checkpoint)."""
    dataset = Standardisation(
        tuple(float(v) for v in manifest["mean"]),
        tuple(float(v) for v in manifest["std"]),
        "the dataset's own statistics",
    )
    if choice == DATASET:
        return dataset
    if checkpoint is None:
        raise ValueError(
            '[data] standardisation = "warm_start" needs a warm start: give [run] parent, '
            "[run] init or --init, or standardise with the dataset's statistics"
        )
    from engine.metadata import from_onnx_props

    from .checkpoint import load_checkpoint

    props = load_checkpoint(checkpoint).get("metadata")
    if not props:
        raise ValueError(
            f"{checkpoint} carries no metadata, so not the statistics it was trained with: "
            "warm-start from a trainer checkpoint or a rebuilt model (`trainer rebuild`)"
        )
    meta = from_onnx_props(props)
    if len(meta.mean) != len(dataset.mean):
        raise ValueError(
            f"{checkpoint} standardises {len(meta.mean)} bands, the dataset has {len(dataset.mean)}"
        )
    return Standardisation(
        tuple(float(v) for v in meta.mean),
        tuple(float(v) for v in meta.std),
        f"the statistics of {checkpoint}",
    )
