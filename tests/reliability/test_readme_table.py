"""README.md's "What happens when…" table is the suite's case table, generated."""

from __future__ import annotations

from devtools.what_happens import README, main, table, with_table
from tests.reliability.cases import CANCEL_CASE, CASES, PLACES


def test_the_readme_table_is_generated_from_the_cases():
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, "run python -m devtools.what_happens"
    assert main(["--check"]) == 0


def test_the_table_has_a_row_per_case_and_at_least_25_cases_in_several_places():
    rows = table().splitlines()[2:]
    assert len(rows) == len(CASES) + 1 and len(CASES) >= 25
    assert all(case.when in row for case, row in zip([*CASES, CANCEL_CASE], rows))
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(len(c.expect) for c in CASES) >= 100 and all(
        set(c.expect) <= set(PLACES) and c.expect for c in CASES
    )
