"""A fine-tuning request and its job: plain data and the job contract, no torch.

The command line, the Processing algorithm and the panel fill one :class:`FinetuneRequest`
and run one :class:`FinetuneJob` through ``engine.jobs.run_job``, so progress, cancel and
errors (worded for the place the user is in) work as for segmentation. Importing this
module costs nothing: torch loads when the job runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.cancel import CancelToken
from engine.errors import EngineError
from engine.jobs.base import Job, Progress
from engine.options import OptionSpec

DEFAULT_MINUTES = 3.0
DEFAULT_HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class TrainingPlan:
    minutes: float | None = DEFAULT_MINUTES  # training time budget (None: epochs only)
    epochs: int | None = None  # stop after this many epochs (None: the time budget only)
    steps_per_epoch: int = 20
    batch_size: int = 4
    crop: int = 256
    learning_rate: float = 5e-4
    # The encoder's rate relative to the rest (0: frozen, which also skips its backward pass).
    encoder_lr_scale: float = 1.0
    weight_decay: float = 1e-4
    seed: int = 0
    mixed_precision: bool = True  # bf16 where the CPU or GPU does it natively (1.7x on CPUs)


@dataclass(frozen=True)
class FinetuneRequest:
    image: str
    labels: str  # polygon file (``path|layername=x``) or class-index raster
    base_model: str  # bundled name, .onnx, or checkpoint
    output: str  # .onnx to write
    class_field: str = "class"
    plan: TrainingPlan = field(default_factory=TrainingPlan)
    device: str = "auto"  # auto | cpu | cuda
    native_gsd: bool = False  # train at the raster's own GSD instead of the model's
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION
    keep_base_classes: bool = False  # keep every base class, not only those labelled
    class_colors: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    overwrite: bool = False
    threads: int | None = None
    command: str = ""  # the command line, for the model card (empty inside QGIS)
    image_name: str = ""  # how the analyst knows the image (a layer name); default: file name
    labels_name: str = ""  # how the analyst knows the labels (a layer); default: the file's


# How each option a fine-tuning error may name reads in each place.
FINETUNE_SPECS: dict[str, OptionSpec] = {
    "image": OptionSpec("path", "Raster layer", "the orthophoto to learn from",
                        cli="--image", processing="INPUT"),
    "labels": OptionSpec("path", "Label polygons", "polygons over a few areas of each class",
                         cli="--labels", processing="LABELS"),
    "class_field": OptionSpec("choice", "Class field", "the field holding class names",
                              cli="--class-field", processing="CLASS_FIELD"),
    "base_model": OptionSpec("path", "Base model", "the model to start from",
                             cli="--model", processing="MODEL"),
    "output": OptionSpec("path", "New model", "the .onnx model to write",
                         cli="--out", processing="OUTPUT"),
    "minutes": OptionSpec("float", "Training time (min)", "minutes of training",
                          cli="--minutes", processing="MINUTES"),
    "device": OptionSpec("choice", "Device", "where to train", cli="--device",
                         processing="DEVICE"),
    "batch_size": OptionSpec("int", "Batch size", "crops per step", cli="--batch-size",
                             processing=None, panel=False),
}  # fmt: skip


class FinetuneJob(Job):
    """Teach a base model the analyst's imagery from labelled polygons; write a new model."""

    cancelled_message = "Fine-tuning cancelled; no model was written."

    def __init__(self, request: FinetuneRequest):
        from pathlib import Path

        self.request = request
        self.specs = FINETUNE_SPECS
        name = request.image_name or Path(request.image).name
        self.title = f"Teaching a model {name}"

    def out_of_memory(self) -> EngineError:
        return EngineError(
            "out of memory while training: close other programs, or lower {option}",
            option="batch_size",
        )

    def run(self, progress: Progress, cancel: CancelToken):
        try:
            from .runner import run_finetune  # torch: only once the job runs
        except ImportError as error:  # a Python without torch (or onnx): said, not a trace
            missing = error.name or "torch"
            raise EngineError(
                f"fine-tuning needs the Python package '{missing}', which is not installed "
                "here: install torch and onnx into this Python"
            ) from None
        return run_finetune(self.request, progress, cancel)
