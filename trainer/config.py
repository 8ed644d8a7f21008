"""Training configuration: one TOML file per phase, read with tomllib into dataclasses.

Unknown keys are errors (a typo must not silently train with a default). ``--set
section.key=value`` overrides any key from the command line, the value written as in TOML.
A shipped config can be named without its folder and ``.toml`` (``cse_phase_1``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .losses import LossConfig
from .standardisation import CHOICES as STANDARDISATIONS
from .transforms import AugmentConfig

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


@dataclass
class RunConfig:
    name: str = "run"
    out_dir: str = "runs/run"  # the run folder; the folder holding it is the runs folder
    seed: int = 0
    # Warm start: ``parent`` names the config whose run (in the same runs folder) this one
    # starts from, at its best checkpoint; ``init`` is a checkpoint path, relative to the runs
    # folder unless absolute. ``--init`` on the command line overrides both.
    parent: str = ""
    init: str = ""
    device: str = "auto"  # auto | cpu | cuda
    deterministic: bool = False
    description: str = ""


@dataclass
class DataConfig:
    dir: str = "data/potsdam"
    train_split: str = "train"
    validation_split: str = "validation"  # picks the best epoch; never the test split
    batch_size: int = 4
    validation_batch_size: int = 8
    num_workers: int = 2
    max_train_tiles: int = 0  # 0 = all; small numbers for smoke runs
    max_validation_tiles: int = 0
    # dataset: standardise with the dataset's mean and std; warm_start: with those of the
    # checkpoint the run starts from (see standardisation.py)
    standardisation: str = "dataset"


@dataclass
class ModelConfig:
    architecture: str = "cse_unet"
    base_width: int = 64
    args: dict = field(default_factory=dict)  # more architecture arguments
    encoder_weights: str = ""  # e.g. torchvision's resnet34 ImageNet .pth


@dataclass
class OptimConfig:
    name: str = "adamw"  # adamw | sgd
    # A number (every parameter group at it), or [lo, hi]: fastai's slice(lo, hi), spread
    # geometrically over the architecture's parameter groups (one group: hi). See optim.py.
    lr: float | list[float] = 1e-4
    weight_decay: float = 5e-4
    norm_bias_decay: bool = True  # false: no weight decay on norm layers and biases (fastai)
    momentum: float = 0.9  # SGD
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    eps: float = 1e-8  # AdamW's epsilon (fastai's Adam: 1e-5)
    accumulate: int = 1  # gradient accumulation: effective batch = batch × accumulate × ranks
    grad_clip: float = 0.0
    schedule: str = "one_cycle"  # one_cycle | cosine | constant
    # One-cycle as fastai's fit_one_cycle: cosine warm-up from lr/div_factor to lr over
    # pct_start of the steps, cosine down to lr/final_div_factor; momentum (beta1) cycles
    # moms[0] -> moms[1] -> moms[2] the opposite way.
    pct_start: float = 0.25
    div_factor: float = 25.0
    final_div_factor: float = 1e5
    moms: list[float] = field(default_factory=lambda: [0.95, 0.85, 0.95])
    warmup_epochs: float = 0.0  # cosine only


@dataclass
class TrainConfig:
    epochs: int = 50  # the schedule's length; early stopping may end the run before
    # Mixed precision: on CUDA bf16 where supported, else fp16 with a grad scaler; on a CPU
    # bf16 where it is native (AVX512-BF16, AMX), else fp32 (trainer/precision.py).
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    monitor: str = "validation_miou5"  # what picks best.pt
    monitor_mode: str = "max"
    # Early stopping after `patience` epochs (0 = off) in which `early_stop_monitor` (default:
    # the monitor) did not improve by more than min_delta, as fastai's EarlyStoppingCallback.
    patience: int = 0
    early_stop_monitor: str = ""
    early_stop_mode: str = ""  # default: min for a loss, else monitor_mode
    min_delta: float = 0.0
    plot_samples: int = 4
    tensorboard: bool = False  # log to <run>/tensorboard (needs the tensorboard package)


@dataclass
class Config:
    run: RunConfig = field(default_factory=RunConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# Keys of older configs, and what they are called now.
RENAMED_KEYS = {
    "val_split": "validation_split",
    "val_batch_size": "validation_batch_size",
    "max_val_tiles": "max_validation_tiles",
}
# Keys that are gone, and why.
REMOVED_KEYS = {
    "layer_groups": "parameter groups follow fastai's split of the architecture (one group "
    "for CSE-UNet, fastai's three for ResNet34-UNet): delete the key",
}
TEST_SPLIT = "test"


def _section(cls: type, values: dict, where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    renamed = [f"{k} is now {RENAMED_KEYS[k]}" for k in sorted(unknown) if k in RENAMED_KEYS]
    renamed += [f"{k} is gone: {REMOVED_KEYS[k]}" for k in sorted(unknown) if k in REMOVED_KEYS]
    if renamed:
        raise ValueError(f"{where}: {'; '.join(renamed)}")
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(names)}")
    return cls(**values)


def from_dict(data: dict, where: str = "config") -> Config:
    sections = {f.name: f.type for f in dataclasses.fields(Config)}
    unknown = set(data) - set(sections)
    if unknown:
        raise ValueError(f"{where}: unknown section(s) {sorted(unknown)}")
    kwargs = {}
    for f in dataclasses.fields(Config):
        cls = type(f.default_factory())
        kwargs[f.name] = _section(cls, data.get(f.name, {}), f"{where} [{f.name}]")
    config = Config(**kwargs)
    validate(config, where)
    return config


def validate(config: Config, where: str) -> None:
    lr = config.optim.lr
    if isinstance(lr, list) and (len(lr) != 2 or lr[0] > lr[1]):
        raise ValueError(f"{where}: [optim] lr as a list is [lo, hi] with lo <= hi, got {lr}")
    if config.optim.schedule not in ("one_cycle", "cosine", "constant"):
        raise ValueError(f"{where}: [optim] schedule must be one_cycle, cosine or constant")
    if config.optim.name not in ("adamw", "sgd"):
        raise ValueError(f"{where}: [optim] name must be adamw or sgd")
    if config.augment.flips not in ("d4", "hflip", "none"):
        raise ValueError(f"{where}: [augment] flips must be d4, hflip or none")
    if config.data.standardisation not in STANDARDISATIONS:
        raise ValueError(f"{where}: [data] standardisation must be dataset or warm_start")
    if config.train.monitor_mode not in ("max", "min"):
        raise ValueError(f"{where}: [train] monitor_mode must be max or min")
    if config.train.early_stop_mode not in ("", "max", "min"):
        raise ValueError(f"{where}: [train] early_stop_mode must be max or min")
    if config.run.parent and config.run.init:
        raise ValueError(f"{where}: [run] give parent (a phase) or init (a checkpoint), not both")
    if len(config.optim.moms) != 3:
        raise ValueError(f"{where}: [optim] moms is [start, middle, end], got {config.optim.moms}")
    if config.optim.accumulate < 1:
        raise ValueError(f"{where}: [optim] accumulate must be >= 1")
    if TEST_SPLIT in (config.data.validation_split, config.data.train_split):
        raise ValueError(
            f"{where}: [data] the test split neither trains nor chooses the epoch; validate on "
            "'validation' (carved from the training scenes by prepare)"
        )
    if config.train.monitor.startswith("val_"):
        raise ValueError(
            f"{where}: [train] monitor '{config.train.monitor}': validation metrics are named "
            f"validation_* now, e.g. 'validation_{config.train.monitor[4:]}'"
        )


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """``section.key=value`` (value in TOML syntax; bare words are taken as strings)."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or "." not in key:
            raise ValueError(f"--set {item!r}: write section.key=value")
        section, name = key.strip().split(".", 1)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        data.setdefault(section, {})[name] = value
    return data


def config_path(name: str | Path) -> Path:
    """A config file by path, or a shipped config by name (with or without ``.toml``)."""
    path = Path(name)
    if path.is_file():
        return path
    for candidate in (CONFIG_DIR / path.name, CONFIG_DIR / f"{path.name}.toml"):
        if candidate.is_file():
            return candidate
    names = ", ".join(p.stem for p in shipped_configs())
    raise FileNotFoundError(
        f"config '{name}' not found: give a TOML file's path or a shipped config's name "
        f"({names}); `python -m trainer phases` lists them"
    )


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    path = config_path(path)
    with path.open("rb") as f:
        data = tomllib.load(f)
    return from_dict(apply_overrides(data, overrides or []), str(path))


def shipped_configs() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.toml"))
