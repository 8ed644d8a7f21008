"""Training configuration: one TOML file per phase, read with tomllib into dataclasses.

Unknown keys are errors (a typo must not silently train with a default). ``--set
section.key=value`` overrides any key from the command line, the value written as in TOML.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .losses import LossConfig
from .transforms import AugmentConfig

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


@dataclass
class RunConfig:
    name: str = "run"
    out_dir: str = "runs/run"
    seed: int = 0
    init: str = ""  # warm start: the previous phase's best checkpoint
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


@dataclass
class ModelConfig:
    architecture: str = "cse_unet"
    base_width: int = 64
    args: dict = field(default_factory=dict)  # more architecture arguments
    encoder_weights: str = ""  # e.g. torchvision's resnet34 ImageNet .pth


@dataclass
class OptimConfig:
    name: str = "adamw"  # adamw | sgd
    lr: float | list[float] = 1e-4  # a number, or [lo, hi]: the study's slice(lo, hi)
    layer_groups: int = 3
    weight_decay: float = 5e-4
    momentum: float = 0.9  # SGD
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    accumulate: int = 1  # gradient accumulation: effective batch = batch × accumulate × ranks
    grad_clip: float = 0.0
    schedule: str = "one_cycle"  # one_cycle | cosine | constant
    pct_start: float = 0.25
    div_factor: float = 25.0
    final_div_factor: float = 1e5
    warmup_epochs: float = 0.0  # cosine only


@dataclass
class TrainConfig:
    epochs: int = 50
    amp: bool = True  # CUDA only: bf16 where supported, else fp16 with a grad scaler
    channels_last: bool = True
    compile: bool = False
    monitor: str = "validation_miou5"
    monitor_mode: str = "max"
    patience: int = 0  # early stopping after this many epochs without improvement; 0 = off
    plot_samples: int = 4


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
TEST_SPLIT = "test"


def _section(cls: type, values: dict, where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - names
    renamed = [f"{k} is now {RENAMED_KEYS[k]}" for k in sorted(unknown) if k in RENAMED_KEYS]
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
    if config.train.monitor_mode not in ("max", "min"):
        raise ValueError(f"{where}: [train] monitor_mode must be max or min")
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


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    path = Path(path)
    if not path.is_file() and (CONFIG_DIR / path.name).is_file():
        path = CONFIG_DIR / path.name
    with path.open("rb") as f:
        data = tomllib.load(f)
    return from_dict(apply_overrides(data, overrides or []), str(path))


def shipped_configs() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.toml"))
