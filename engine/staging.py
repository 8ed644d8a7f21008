"""Outputs written under temporary names beside their final place and renamed together.

A run may write several files (class map, confidence, polygons, statistics, and the
sidecars GDAL and QGIS read: ``.aux.xml``, ``.qml``). Each is written as
``.<name>.partial-<random><suffix>`` in the final folder, so a crash, a cancel or a full
disk never leaves a file that looks finished; :meth:`Staging.commit` renames every one into
place once all of them are complete, :meth:`Staging.abort` removes every trace.
"""

from __future__ import annotations

import glob
import os
import uuid
from pathlib import Path

from .errors import OutputError


def temp_path(final: Path, suffix: str | None = None) -> Path:
    """A hidden temporary name in ``final``'s folder (same disk: the rename is atomic)."""
    suffix = final.suffix if suffix is None else suffix
    return final.with_name(f".{final.stem}.partial-{uuid.uuid4().hex[:8]}{suffix}")


def partial_files(final: str | os.PathLike) -> list[Path]:
    """Temporary files of ``final`` left by a writer that never finished (its process was
    killed: nothing ran to remove them)."""
    final = Path(final)
    return sorted(final.parent.glob(f".{glob.escape(final.stem)}.partial-*"))


class Staging:
    """Temporary files and where each goes once the run is complete."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path | None]] = []  # (temporary, final or None)

    def add(self, final: str | os.PathLike, suffix: str | None = None) -> Path:
        """A temporary path that :meth:`commit` renames to ``final``."""
        final = Path(final)
        temp = temp_path(final, suffix)
        self.pending.append((temp, final))
        return temp

    def companion(self, temp: Path, final: Path) -> None:
        """A file a library wrote beside a temporary one (GDAL's ``.aux.xml``): renamed to
        ``final`` if it exists at commit time; a stale ``final`` from an earlier run goes."""
        self.pending.append((temp, final))

    def scratch(self, near: str | os.PathLike, suffix: str) -> Path:
        """A temporary file that is removed at commit or abort (an intermediate raster)."""
        temp = temp_path(Path(near), suffix)
        self.pending.append((temp, None))
        return temp

    def forget(self, temp: Path) -> None:
        """``temp`` was removed or replaced by its writer."""
        self.pending = [(t, f) for t, f in self.pending if t != temp]

    def commit(self) -> None:
        """Rename every complete file into place; scratch files are removed."""
        for temp, final in self.pending:
            if final is None:
                _remove(temp)
                continue
            try:
                if temp.exists():
                    os.replace(temp, final)
                elif final.exists():
                    final.unlink()  # a sidecar of an earlier run that this run has not
            except OSError as error:  # Windows refuses to replace a file another program holds
                self.abort()
                raise OutputError(
                    f"cannot replace {final}: {error.strerror or error} (is it open elsewhere?)"
                ) from None
        self.pending = []

    def abort(self) -> None:
        """Remove every temporary file (those already renamed stay: they are complete)."""
        for temp, _ in self.pending:
            _remove(temp)
            # GDAL's side file, and SQLite's files beside a GeoPackage
            for extra in (".aux.xml", "-journal", "-wal", "-shm"):
                _remove(temp.with_name(temp.name + extra))
        self.pending = []


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # never created (a read-only folder), or already gone
        pass
