"""The study's phases as a chain: which config warm-starts from which, and where runs live.

A config names its ``parent`` phase (another config); a phase's run folder is named after
it, and the parent's sits in the same runs folder (the folder that holds the run folder),
so a chain works wherever the runs are kept (``--runs DIR``). ``init`` paths in a config are
relative to that runs folder too; ``--init`` on the command line is a path as the shell
gives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_DIR, Config, load_config

BEST = Path("checkpoints") / "best.pt"


@dataclass
class Phase:
    name: str  # the config's file name without .toml
    path: Path
    config: Config

    @property
    def parent(self) -> str:
        return self.config.run.parent


class WarmStartMissingError(FileNotFoundError):
    """The checkpoint a run should start from is not there."""


def load_phases(folder: Path = CONFIG_DIR, overrides: list[str] | None = None) -> dict:
    """Every config of ``folder`` by name."""
    return {
        p.stem: Phase(p.stem, p, load_config(p, overrides))
        for p in sorted(Path(folder).glob("*.toml"))
    }


def runs_folder(config: Config) -> Path:
    return Path(config.run.out_dir).parent


def place_in(config: Config, runs: str | Path) -> None:
    """Move the run folder into ``runs`` (keeping its name)."""
    config.run.out_dir = str(Path(runs) / Path(config.run.out_dir).name)


def warm_start_source(config: Config, init: str = "") -> Path | None:
    """The checkpoint this run starts from: ``--init``, else [run] init (relative to the
    runs folder), else the parent phase's best checkpoint; None from scratch."""
    if init:
        return Path(init)
    if config.run.init:
        path = Path(config.run.init)
        return path if path.is_absolute() else runs_folder(config) / path
    if config.run.parent:
        return runs_folder(config) / config.run.parent / BEST
    return None


def check_warm_start(config: Config, source: Path | None, from_cli: bool) -> None:
    if source is None or source.is_file():
        return
    if from_cli:
        raise WarmStartMissingError(f"--init {source}: no such checkpoint")
    how = (
        f"the best checkpoint of its parent phase '{config.run.parent}'"
        if config.run.parent
        else f"[run] init, relative to the runs folder {runs_folder(config)}"
    )
    raise WarmStartMissingError(
        f"warm start {source} not found ({how}): train the parent first (`python -m trainer "
        f"chain` runs a whole chain), keep the runs in one runs folder (--runs DIR), or give "
        f"a checkpoint with --init PATH"
    )


def chain(phases: dict[str, Phase], target: str) -> list[Phase]:
    """The phases named ``target`` or ``target_*`` and their ancestors, parents first."""
    members = [p for name, p in phases.items() if name == target or name.startswith(target + "_")]
    if not members:
        raise KeyError(f"no phase is named '{target}' or '{target}_*' ({', '.join(phases)})")
    ordered: list[Phase] = []

    def visit(phase: Phase, seen: tuple[str, ...] = ()) -> None:
        if phase.name in seen:
            raise ValueError(f"phases {' -> '.join((*seen, phase.name))} form a loop")
        if phase in ordered:
            return
        if phase.parent:
            if phase.parent not in phases:
                raise KeyError(f"{phase.name}: parent '{phase.parent}' is no config")
            visit(phases[phase.parent], (*seen, phase.name))
        ordered.append(phase)

    for phase in members:
        visit(phase)
    return ordered
