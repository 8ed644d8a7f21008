"""The published numbers a run is compared with: the AGH study's table, the CSE-UNet paper's
Potsdam result and the state of the art on the ISPRS Potsdam benchmark.

They come from different protocols, and the report says so beside them: the study scored
its own validation tiles over 7 codes (6 classes and "undefined", fastai's
JaccardCoeffMulti); the paper and the state of the art score held-out test tiles over the 5
classes without clutter (mIoU, %).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StudyPhase:
    name: str
    change: str
    loss: str
    valid_loss: float
    accuracy: float | None  # fastai's pixel accuracy over the 7 codes
    jaccard: float  # JaccardCoeffMulti over the 7 codes


# The study's summary table (experiments/new-ds/experiment_summary.md of its repository),
# best first, as it printed it.
STUDY_PHASES = (
    StudyPhase("cse_phase_4_1", "lr ×0.1 from phase 2, effective batch 16", "CE", 0.434, 0.864,
               0.681),
    StudyPhase("baseline_34_pretrained", "ResNet34-UNet, ImageNet weights", "CE", 0.485, None,
               0.678),
    StudyPhase("cse_phase_2", "+ lower lr slice(1e-6, 1e-4)", "CE", 0.508, 0.868, 0.671),
    StudyPhase("cse_phase_4_1_combined_loss", "from 4_1, lr ×0.1", "CE + Dice", 0.530, 0.860,
               0.669),
    StudyPhase("cse_phase_3", "CE + Dice, low lr", "CE + Dice", 0.529, 0.855, 0.652),
    StudyPhase("cse_phase_4_2_combined_loss", "batch 8, no accumulation", "CE + Dice", 0.454,
               0.834, 0.646),
    StudyPhase("cse_phase_1", "CSE-UNet from scratch", "CE", 0.548, 0.846, 0.634),
    StudyPhase("baseline_34", "ResNet34-UNet from scratch", "CE", 0.481, 0.825, 0.633),
    StudyPhase("cse_phase_4_3_focal_loss", "batch 8, focal loss", "Focal", 0.295, 0.818, 0.613),
    StudyPhase("cse_combined_loss", "CE + Dice from the start", "CE + Dice", 0.677, 0.774,
               0.535),
)  # fmt: skip
# The study called its phase 1 run "cse".
STUDY_ALIASES = {"cse": "cse_phase_1"}


@dataclass(frozen=True)
class PublishedResult:
    model: str
    miou5: float  # mIoU without clutter, %
    source: str


# Test split, 5 classes (clutter left out), mIoU %.
PAPER_RESULTS = (
    PublishedResult("CSE-UNet", 76.22, "Wang & Xie 2020, Potsdam (paper split)"),
    PublishedResult("UNet", 75.88, "Wang & Xie 2020, Potsdam (paper split)"),
)
STATE_OF_THE_ART = (
    PublishedResult("UNetFormer", 86.5, "≈, pretrained backbone, Potsdam benchmark split"),
    PublishedResult("FT-UNetFormer", 87.5, "≈, pretrained backbone, Potsdam benchmark split"),
)


def study_phase(name: str) -> StudyPhase | None:
    name = STUDY_ALIASES.get(name, name)
    return next((p for p in STUDY_PHASES if p.name == name), None)
