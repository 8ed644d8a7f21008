"""Test helpers in one importable place: generated rasters and models, and the fixtures that
the root conftest registers for every test folder (``from tests.helpers import ...``)."""
