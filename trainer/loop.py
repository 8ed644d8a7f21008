"""The training loop: one code path for CPU, one GPU and torchrun's many.

Before the first step the run prints its header (``run_header.py``). Per epoch: train with
accumulation/AMP on augmented batches, validate on the validation split (carved from the
training scenes; the test split is never opened here) into one confusion matrix with an
extra code for unlabelled pixels (all-reduced across ranks), log a metrics.csv row, save
``last.pt`` (everything to resume) and, when the monitored metric improves, ``best.pt``
(weights and metadata only), stop early as configured, and update ``status.json``.
Checkpoints carry the run's record (``run_record.py``) for the model card. Only rank 0
writes.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, Sampler, Subset
from tqdm import tqdm

from . import plots, run_record
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state, unwrap
from .checkpoint import warm_start as load_warm_start
from .config import Config
from .data.style import style_bank
from .data.tiles import TileDataset
from .distributed import DistContext, all_reduce_sum, barrier, broadcast_flag
from .losses import SegmentationLoss
from .machine import describe_machine
from .metrics import confusion_metric, epoch_scores, with_undefined_code
from .optim import build_optimizer, build_scheduler, parameter_groups
from .phases import check_warm_start, warm_start_source
from .precision import autocast, autocast_dtype
from .run_folder import RunStatus, check_run_folder, clear_run, read_status, write_status
from .run_header import header_lines
from .standardisation import DATASET, Standardisation, input_standardisation
from .tracking import Tracker, default_mode
from .transforms import augment, normalise

log = logging.getLogger(__name__)


class TrainingDivergedError(ValueError):
    """The loss stopped being a number; the run stops with the last good checkpoint kept."""


class ShardSampler(Sampler[int]):
    """Every rank a disjoint share of the validation set, without DistributedSampler's
    padding (which would count some tiles twice in the metrics)."""

    def __init__(self, length: int, rank: int, world: int):
        self.indices = list(range(rank, length, world))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def build_model(config: Config, in_channels: int, classes: int) -> tuple[nn.Module, dict]:
    from engine.models.registry import build_model as registry_build
    from engine.models.registry import resolve_arguments

    args = {
        "in_channels": in_channels,
        "classes": classes,
        "base_width": config.model.base_width,
        **config.model.args,
    }
    # Every argument stored with the checkpoint, so the engine rebuilds exactly this model.
    args = resolve_arguments(config.model.architecture, **args)
    return registry_build(config.model.architecture, **args), args


def load_encoder_weights(model: nn.Module, path: str) -> str:
    """ImageNet weights for the baseline: a torchvision-style state dict for ``model.encoder``.

    The engine's loader is strict (only the classifier may be left over), so a wrong file
    fails loudly instead of loading half-way.
    """
    from engine.models.resnet import load_torchvision_weights_file

    encoder = model.encoder
    dropped = load_torchvision_weights_file(encoder, path)
    count = len(encoder.state_dict())
    return f"encoder weights: {count}/{count} tensors from {Path(path).name} (dropped {dropped})"


def training_data_text(manifest: dict) -> str:
    """One line on the training data for the model file, from the manifest."""
    m = manifest
    splits = ", ".join(
        f"{name} {len(entry['scenes'])} scene{'s' * (len(entry['scenes']) != 1)} / "
        f"{entry['count']} tiles"
        for name, entry in m["splits"].items()
    )
    resolution = f" at {m['resolution_cm']:g} cm" if m.get("resolution_cm") else ""
    carve = m.get("validation_carve", {}).get("method", "")
    carved = f", validation carved by {carve}" if carve and carve != "given" else ""
    return (
        f"{m['dataset']}{resolution} ({m['split_scheme']} split: {splits}{carved}; "
        f"{m['tile_size']} px tiles)"
    )


@dataclass
class EpochResult:
    epoch: int
    row: dict
    confusion: np.ndarray
    samples: tuple | None = None


@dataclass
class Trainer:
    config: Config
    ctx: DistContext = field(default_factory=DistContext)
    resume: bool = False
    init: str = ""  # --init: a checkpoint path, overriding the config's warm start
    command: str = ""  # the command line that started the run, for the record
    on_epoch_end: list[Callable[[Trainer, EpochResult], None]] = field(default_factory=list)
    overwrite: bool = False  # replace a run already in the folder
    dry_run: bool = False  # build everything, load no weights, touch no file

    def __post_init__(self) -> None:
        c = self.config
        self.out = Path(c.run.out_dir)
        self.ckpt_dir = self.out / "checkpoints"
        self.device = self.ctx.device
        torch.manual_seed(c.run.seed)
        np.random.seed(c.run.seed % 2**32)
        if c.run.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
        elif self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True

        self.train_set = TileDataset(c.data.dir, c.data.train_split)
        self.validation_set = TileDataset(c.data.dir, c.data.validation_split)
        manifest = self.train_set.manifest
        self.manifest = manifest
        self.class_names = [k["name"] for k in manifest["classes"]]
        self.class_colors = [tuple(k["color"]) for k in manifest["classes"]]
        self.warm_start = None if self.resume else warm_start_source(c, self.init)
        if self.warm_start is not None and not self.dry_run:
            check_warm_start(c, self.warm_start, from_cli=bool(self.init))
        self.style = style_bank(c.augment, manifest.get("resolution_cm"))  # training only

        self.folder_state = self._check_folder()
        self.standardisation = self._standardisation()
        self.mean = torch.tensor(self.standardisation.mean, device=self.device)
        self.std = torch.tensor(self.standardisation.std, device=self.device)
        model, self.arch_args = build_model(c, manifest["channels"], len(self.class_names))
        self.notes: list[str] = [f"input standardised with {self.standardisation.source}"]
        if c.model.encoder_weights and not self.dry_run:
            self.notes.append(load_encoder_weights(model, c.model.encoder_weights))
        self.previous_record: dict | None = None
        self.warm_start_text = self._warm_start_text()
        if self.warm_start is not None and not self.dry_run:
            started_from = load_warm_start(model, self.warm_start, c.model.architecture)
            self.notes += [f"warm start from {self.warm_start}", *started_from.notes]
            self.previous_record = started_from.run_record
        model.to(self.device)
        if c.train.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model  # the plain module: what checkpoints store
        if self.ctx.enabled and self.device.type == "cuda":
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
            self.model = model
        net: nn.Module = model
        if self.ctx.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        if c.train.compile:
            net = torch.compile(net)
        self.net = net

        self.criterion = SegmentationLoss(c.loss).to(self.device)
        self.train_loader = self._loader(self.train_set, train=True)
        self.validation_loader = self._loader(self.validation_set, train=False)
        self.steps_per_epoch = math.ceil(len(self.train_loader) / c.optim.accumulate)
        self.groups = parameter_groups(self.model, c.model.architecture, c.optim.lr)
        self.optimizer = build_optimizer(self.model, c.optim, self.groups)
        self.scheduler = build_scheduler(
            self.optimizer, c.optim, c.train.epochs * self.steps_per_epoch, self.steps_per_epoch
        )
        self.amp_dtype = autocast_dtype(self.device, c.train.amp)
        self.scaler = torch.amp.GradScaler(
            self.device.type, enabled=self.amp_dtype == torch.float16
        )
        self.epoch = 0  # epochs completed
        self.step = 0  # optimiser steps taken
        self.history: list[dict] = []
        t = c.train
        self.best_tracker = Tracker(t.monitor, t.monitor_mode)
        stop_key = t.early_stop_monitor or t.monitor
        stop_mode = t.early_stop_mode or default_mode(stop_key, t.monitor_mode)
        self.stop_tracker = Tracker(stop_key, stop_mode, t.min_delta)
        self.stopped_early = False
        self.started = run_record.now()
        self.machines: list[dict] = []
        self.tensorboard = None
        if self.resume:
            self._resume()

    @property
    def best(self) -> float | None:
        return self.best_tracker.best

    @property
    def best_epoch(self) -> int:
        return self.best_tracker.best_epoch

    def _check_folder(self) -> str:
        """The run folder's state in words; a folder the run may not use is an error
        (reported, not raised, in a dry run)."""
        try:
            check_run_folder(self.out, self.resume, self.overwrite)
        except ValueError as error:
            if not self.dry_run:
                raise
            return f"REFUSED: {error}"
        status = read_status(self.out)
        if self.resume and status and status.state == "stopped early":
            return (
                f"stopped early after epoch {status.epoch}: a resume trains on only with "
                "more [train] patience"
            )
        if self.resume and status:
            return f"resumes after epoch {status.epoch}; {self.config.train.epochs} epochs now"
        if self.overwrite and status:
            return "replaces the run there (--overwrite)"
        return "new run"

    def _warm_start_text(self) -> str:
        if self.resume:
            return f"resumed from {self.ckpt_dir / 'last.pt'}"
        if self.warm_start is None:
            return "from scratch" + (
                f" (encoder: {self.config.model.encoder_weights})"
                if self.config.model.encoder_weights
                else ""
            )
        source = self.config.run.parent and f", best of parent phase {self.config.run.parent}"
        found = "" if self.warm_start.is_file() else " — MISSING"
        return f"{self.warm_start}{source or ''}{found}"

    def header(self) -> list[str]:
        return header_lines(self)

    # --- data ------------------------------------------------------------------------

    def _loader(self, dataset: TileDataset, train: bool) -> DataLoader:
        c = self.config.data
        limit = c.max_train_tiles if train else c.max_validation_tiles
        data = Subset(dataset, range(min(limit, len(dataset)))) if limit else dataset
        if train:
            sampler: Sampler = DistributedSampler(
                data, self.ctx.world_size, self.ctx.rank, shuffle=True, seed=self.config.run.seed
            )
        else:
            sampler = ShardSampler(len(data), self.ctx.rank, self.ctx.world_size)
        workers = c.num_workers
        return DataLoader(
            data,
            batch_size=c.batch_size if train else c.validation_batch_size,
            sampler=sampler,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=self.device.type == "cuda",
            # Equal batches in training (no odd last shape), every tile in validation.
            drop_last=train and len(data) >= c.batch_size * self.ctx.world_size,
            generator=torch.Generator().manual_seed(self.config.run.seed),
        )

    # --- checkpoints -----------------------------------------------------------------

    def _standardisation(self) -> Standardisation:
        """The input statistics: the dataset's, or (``[data] standardisation = "warm_start"``)
        the warm start's; a resumed run keeps those its own last checkpoint recorded."""
        choice = self.config.data.standardisation
        source = self.ckpt_dir / "last.pt" if self.resume else self.warm_start
        if self.dry_run and source is not None and not source.is_file():
            source = None  # a dry run loads no weights: the dataset's numbers stand in
            choice = DATASET
        return input_standardisation(choice, self.manifest, source)

    def metadata(self) -> dict[str, str]:
        from engine.metadata import make_metadata, to_onnx_props

        m, c = self.manifest, self.config
        best_row = next((h for h in self.history if h["epoch"] == self.best_epoch), {})
        meta = make_metadata(
            self.class_names,
            [tuple(x) for x in self.class_colors],
            resolution_cm=m.get("resolution_cm"),
            tile_size=m["tile_size"],
            tile_overlap_pct=15.0,
            mean=self.standardisation.mean,
            std=self.standardisation.std,
            pixel_scale=float(m.get("pixel_scale", 255.0)),
            input_bands=tuple(range(1, m["channels"] + 1)),
            output_kind="logits",
            architecture=c.model.architecture,
            architecture_args=self.arch_args,
            training_data=training_data_text(m),
            metrics={k: v for k, v in best_row.items() if k.startswith("validation_")},
            version=c.run.name,
            description=c.run.description,
        )
        return to_onnx_props(meta)

    def _save(self, name: str, confusion: torch.Tensor, resumable: bool) -> None:
        """``last.pt`` holds all a resume needs; ``best.pt`` only the weights and what
        describes them (a third of the size: no optimiser moments)."""
        n = len(self.class_names)
        content = dict(
            model=unwrap(self.model).state_dict(),
            architecture=self.config.model.architecture,
            architecture_args=self.arch_args,
            metadata=self.metadata(),
            epoch=self.epoch,
            step=self.step,
            config=self.config.to_dict(),
            history=self.history,
            best=self.best,
            best_epoch=self.best_epoch,
            validation_confusion=confusion[:n, :n],
            validation_confusion_codes=confusion,
            run_record=self.run_record(),
        )  # fmt: skip
        if resumable:
            content |= dict(
                optimizer=self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict(),
                scaler=self.scaler.state_dict(),
                rng=rng_state(),
                best_tracker=self.best_tracker.state(),
                stop_tracker=self.stop_tracker.state(),
            )  # fmt: skip
        save_checkpoint(self.ckpt_dir / name, **content)

    def run_record(self) -> dict:
        phase = run_record.phase_record(
            config=self.config.to_dict(),
            manifest=self.manifest,
            history=self.history,
            best_epoch=self.best_epoch,
            started=self.started,
            command=self.command,
            machines=self.machines,
            warm_start=str(self.warm_start or ""),
        )
        return run_record.extend(self.previous_record, phase)

    def _resume(self) -> None:
        path = self.ckpt_dir / "last.pt"
        ckpt = load_checkpoint(path, map_location=self.device)
        if "best_tracker" not in ckpt:
            raise ValueError(
                f"{path} was written by an older trainer (another schedule and trackers): "
                "start the run afresh with --overwrite"
            )
        unwrap(self.model).load_state_dict(ckpt["model"])
        # The config's rates and decay hold, should they have changed since the run began.
        configured = [(g["max_lr"], g["weight_decay"]) for g in self.optimizer.param_groups]
        self.optimizer.load_state_dict(ckpt["optimizer"])
        for group, (max_lr, decay) in zip(self.optimizer.param_groups, configured):
            group["max_lr"], group["weight_decay"] = max_lr, decay
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.scaler.load_state_dict(ckpt["scaler"])
        set_rng_state(ckpt["rng"])
        self.epoch, self.step = ckpt["epoch"], ckpt["step"]
        self.history = list(ckpt["history"])
        self.best_tracker.load(ckpt["best_tracker"])
        self.stop_tracker.load(ckpt["stop_tracker"])
        # Stopped early stays stopped, unless the config now allows more patience.
        patience = self.config.train.patience
        self.stopped_early = bool(patience) and self.stop_tracker.bad_epochs >= patience
        record = ckpt.get("run_record") or {"phases": [{}]}
        self.previous_record = {"phases": record["phases"][:-1]}
        self.started = record["phases"][-1].get("started", self.started)
        self.machines = list(record["phases"][-1].get("machines", []))
        self.notes.append(f"resumed from {path} after epoch {self.epoch}")

    # --- one epoch -------------------------------------------------------------------

    def _autocast(self):
        return autocast(self.device, self.amp_dtype)

    def _prepare_batch(self, images, labels, generator=None):
        images = images.to(self.device, non_blocking=True).float() / 255.0
        labels = labels.to(self.device, non_blocking=True).long()
        if generator is not None:
            images, labels = augment(images, labels, self.config.augment, generator, self.style)
        images = normalise(images, self.mean, self.std)
        if self.config.train.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return images, labels

    def train_epoch(self) -> float:
        c = self.config
        self.net.train()
        self.train_loader.sampler.set_epoch(self.epoch)
        seed = (c.run.seed * 1_000_003 + self.epoch * 7919 + self.ctx.rank) % 2**63
        generator = torch.Generator().manual_seed(seed)
        accumulate = c.optim.accumulate
        total, count = torch.zeros((), device=self.device), 0
        batches = len(self.train_loader)
        bar = tqdm(
            self.train_loader,
            desc=f"epoch {self.epoch + 1}/{c.train.epochs}",
            disable=not self.ctx.is_main,
            leave=False,
            dynamic_ncols=True,
        )
        self.optimizer.zero_grad(set_to_none=True)
        for i, (images, labels) in enumerate(bar):
            images, labels = self._prepare_batch(images, labels, generator)
            boundary = (i + 1) % accumulate == 0 or i + 1 == batches
            sync = contextlib.nullcontext()
            if self.ctx.enabled and not boundary:
                sync = self.net.no_sync()
            with sync:
                with self._autocast():
                    logits = self.net(images)
                    loss = self.criterion(logits, labels)
                self._check_finite(loss, i, batches)
                self.scaler.scale(loss / accumulate).backward()
            if boundary:
                if c.optim.grad_clip:
                    self.scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), c.optim.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                if self.tensorboard:
                    self.tensorboard.step(self.step, loss.item(), self.optimizer.param_groups)
                self.scheduler.step()
                self.step += 1
            total += loss.detach()
            count += 1
            if i % 10 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        stats = all_reduce_sum(torch.stack([total, torch.tensor(float(count), device=self.device)]))
        return float(stats[0] / stats[1].clamp_min(1))

    def _check_finite(self, loss: torch.Tensor, batch: int, batches: int) -> None:
        """Stop at the first NaN or infinite loss, before it reaches the weights: every rank
        at the same step (the flag is summed across ranks); the checkpoints on disk are the
        last good ones."""
        bad = (~torch.isfinite(loss.detach())).float()
        if not all_reduce_sum(bad).item():
            return
        last = self.ckpt_dir / "last.pt"
        kept = (
            f"{last} (epoch {self.epoch}) is the last good state"
            if self.epoch
            else "no checkpoint was written yet"
        )
        value = loss.item()
        shown = f"{value}" if not math.isfinite(value) else "NaN or infinite on another process"
        raise TrainingDivergedError(
            f"the loss became {shown} at optimiser step {self.step + 1} (epoch "
            f"{self.epoch + 1}, batch {batch + 1} of {batches}): training stopped and {kept}. "
            "Lower the learning rate (--set optim.lr=...) or check the data, then --resume"
        )

    @torch.no_grad()
    def validate(self, keep_samples: int = 0) -> tuple[float, torch.Tensor, tuple | None]:
        """Loss and confusion matrix on the validation split: what picks the best epoch.

        The matrix has one more code than there are classes, the last for pixels labelled
        without class: the study's "undefined" code (see metrics.py)."""
        self.net.eval()
        classes = len(self.class_names)
        metric = confusion_metric(classes + 1, ignore_index=None).to(self.device)
        total = torch.zeros(2, device=self.device)
        samples = None
        for images_u8, labels in self.validation_loader:
            images, labels = self._prepare_batch(images_u8, labels)
            with self._autocast():
                logits = self.net(images)
            logits = logits.float()
            loss = self.criterion(logits, labels)
            valid = (labels != self.config.loss.ignore_index).sum()
            total += torch.stack([loss * valid, valid.float()])
            predictions = logits.argmax(1)
            metric.update(predictions, with_undefined_code(labels, classes))
            if keep_samples and samples is None:
                samples = (
                    images_u8[:keep_samples].numpy(),
                    labels[:keep_samples].cpu().numpy().astype(np.uint8),
                    predictions[:keep_samples].cpu().numpy().astype(np.uint8),
                )
        total = all_reduce_sum(total)
        confusion = metric.compute()  # all-reduced across ranks by torchmetrics
        return float(total[0] / total[1].clamp_min(1)), confusion.cpu(), samples

    # --- the run ---------------------------------------------------------------------

    def _metric(self, row: dict, key: str) -> float:
        if key not in row:
            fallback = f"validation_miou{len(self.class_names)}"
            if key != "validation_loss" and fallback in row:
                key = fallback
            else:
                raise KeyError(f"[train] monitor '{key}' is none of {sorted(row)}")
        return row[key]

    def _begin(self) -> None:
        """Header, run folder and logs, once before the first epoch (rank 0 writes)."""
        c = self.config
        for line in self.header():
            log.info(line)
        if not self.ctx.is_main:
            return
        if self.overwrite:
            clear_run(self.out)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "config.resolved.json").write_text(json.dumps(c.to_dict(), indent=1))
        for note in self.notes:
            log.info(note)
        if c.train.tensorboard:
            from .tensorboard_log import TensorBoardLog

            names = [g.name for g in self.groups]
            self.tensorboard = TensorBoardLog(self.out / "tensorboard", names)

    def _epoch_row(self, train_loss: float, validation_loss: float, confusion, started) -> dict:
        return {
            "epoch": self.epoch,
            "step": self.step,
            "lr": self.optimizer.param_groups[-1]["lr"],
            "train_loss": train_loss,
            "validation_loss": validation_loss,
            **epoch_scores(confusion, self.class_names),
            "seconds": round(time.perf_counter() - started, 3),
        }

    def _status(self) -> RunStatus:
        done = self.epoch >= self.config.train.epochs
        state = "stopped early" if self.stopped_early else "finished" if done else "running"
        return RunStatus(
            self.config.run.name, state, self.epoch, self.config.train.epochs,
            self.best_epoch, self.config.train.monitor, self.best,
        )  # fmt: skip

    def fit(self) -> list[dict]:
        c = self.config
        if self.dry_run:
            raise RuntimeError("a dry run only describes the run: build the Trainer without it")
        self._begin()
        machine = describe_machine()
        if machine not in self.machines:
            self.machines.append(machine)
        while self.epoch < c.train.epochs and not self.stopped_early:
            started = time.perf_counter()
            train_loss = self.train_epoch()
            validation_loss, confusion, samples = self.validate(c.train.plot_samples)
            self.epoch += 1
            row = self._epoch_row(train_loss, validation_loss, confusion, started)
            self.history.append(row)
            value = self._metric(row, c.train.monitor)
            improved = self.best_tracker.update(value, self.epoch)
            self.stop_tracker.update(self._metric(row, self.stop_tracker.key), self.epoch)
            stopped = bool(c.train.patience) and self.stop_tracker.bad_epochs >= c.train.patience
            self.stopped_early = broadcast_flag(stopped, self.device)
            if self.ctx.is_main:
                self._record_epoch(row, confusion, samples, improved)
                log.info(
                    "epoch %d: train_loss %.4f validation_loss %.4f %s %.4f",
                    self.epoch, train_loss, validation_loss, c.train.monitor, value,
                )  # fmt: skip
            barrier()
            result = EpochResult(self.epoch, row, confusion.numpy(), samples)
            for callback in self.on_epoch_end:
                callback(self, result)
        if self.ctx.is_main and self.history:
            plots.learning_curves(self.history, self.out / "learning_curves.png")
            if self.stopped_early:
                log.info("early stop after epoch %d (best epoch %d)", self.epoch, self.best_epoch)
        if self.tensorboard:
            self.tensorboard.close()
        return self.history

    def _record_epoch(self, row: dict, confusion, samples, improved: bool) -> None:
        self._write_csv()
        self._save("last.pt", confusion, resumable=True)
        if improved:
            self._save("best.pt", confusion, resumable=False)
            self._plot_epoch(confusion[: len(self.class_names), : len(self.class_names)],
                             samples, "best")  # fmt: skip
        write_status(self.out, self._status())
        if self.tensorboard:
            self.tensorboard.epoch(self.epoch, row)
            if improved and samples is not None:
                self.tensorboard.samples(self.epoch, samples, self.class_colors)

    def _write_csv(self) -> None:
        keys = list(dict.fromkeys(k for row in self.history for k in row))
        partial = self.out / "metrics.csv.part"
        with partial.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.history)
        partial.replace(self.out / "metrics.csv")

    def _plot_epoch(self, confusion: torch.Tensor, samples: tuple | None, tag: str) -> None:
        plots.confusion_matrix(
            confusion.numpy(), self.class_names, self.out / f"confusion_{tag}.png",
            title=f"validation, epoch {self.epoch}",
        )  # fmt: skip
        if samples is not None:
            plots.sample_grid(*samples, self.class_colors, self.out / f"samples_{tag}.png")
