"""Small synthetic Potsdam folders, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.data.synthetic import synthesize


@pytest.fixture(scope="session")
def synthetic_potsdam(tmp_path_factory) -> tuple[Path, list]:
    """Four 320 px scenes: three with training tile ids, one with a test id."""
    out = tmp_path_factory.mktemp("synthetic_potsdam")
    written = list(synthesize(out, scenes=4, size=320, seed=3))
    return out, written
