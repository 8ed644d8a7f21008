"""Every case of the table in every place it names: the status and message the user gets,
and nothing left behind (no output, no temporary file, no layer) when the run did not go
through. A traceback, a leftover file or a command-line flag inside QGIS fails the case."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.reliability.cases import CASES, FINETUNE, OK, PANEL, PROCESSING, case
from tests.reliability.places import QgisSide, option_words, run_case

RUNS = [(c.id, place) for c in CASES for place in c.expect]


def command_line_flags() -> set[str]:
    """Every flag of the command lines: none may appear in a message inside QGIS."""
    from engine.jobs.segment import segmentation_specs
    from trainer.finetune.request import FINETUNE_SPECS

    specs = [*segmentation_specs().values(), *FINETUNE_SPECS.values()]
    return {s.cli for s in specs if s.cli and s.cli.startswith("--")}


def hide_packages(names, monkeypatch) -> None:
    """A Python in which ``names`` cannot be imported (and nothing imported from them stays)."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)
        if name == "torch":
            for module in [m for m in sys.modules if m.startswith("trainer.finetune.runner")]:
                monkeypatch.delitem(sys.modules, module)


def leftovers(folder: Path) -> list[str]:
    return (
        sorted(p.name for p in folder.iterdir() if ".partial-" in p.name) if folder.is_dir() else []
    )


@pytest.fixture()
def qgis_side(request):
    """The QGIS fixtures, set up only for the Processing and panel runs."""
    place = request.node.callspec.params["place"]
    if place not in (PROCESSING, PANEL):
        return None
    request.getfixturevalue("provider")
    return QgisSide(
        request.getfixturevalue("clean_project"),
        request.getfixturevalue("plugin_iface"),
        request.getfixturevalue("make_dock"),
    )


@pytest.mark.parametrize(("case_id", "place"), RUNS, ids=[f"{c}-{p}" for c, p in RUNS])
def test_case_in_place(case_id, place, world, qgis_side, monkeypatch):
    chosen = case(case_id)
    expected = chosen.expect[place]
    inputs = chosen.build(world)
    hide_packages(inputs.missing, monkeypatch)

    seen = run_case(chosen, place, inputs, qgis_side)

    assert seen.status == expected.status, seen.message
    for piece in expected.says:  # QGIS starts a message with a capital
        assert piece in seen.message or piece[:1].upper() + piece[1:] in seen.message, seen.message
    if expected.option:
        assert option_words(place, expected.option, chosen.job) in seen.message, seen.message
    assert "Traceback" not in seen.message and "Unexpected error" not in seen.message
    if place in (PROCESSING, PANEL):
        flags = [flag for flag in command_line_flags() if flag in seen.message]
        assert not flags, f"command-line flags inside QGIS: {flags}: {seen.message}"
    output = Path(inputs.output)
    if inputs.output:
        assert leftovers(output.parent) == []
    if inputs.sentinel:
        assert not Path(inputs.sentinel).exists(), "the pickled payload ran"
    if seen.status == OK:
        assert output.is_file()
        if inputs.check and seen.result is not None and chosen.job != FINETUNE:
            inputs.check(seen.result)
        return
    if inputs.existing:
        assert output.read_bytes() == world.existing_bytes, "an existing file was changed"
    elif inputs.output:
        assert not output.exists(), "a run that did not go through left its output"
    if qgis_side:  # no result layer (the one the case opened itself stays)
        shown = [
            lay for lay in qgis_side.project.mapLayers().values() if lay.source() == str(output)
        ]
        assert len(shown) == int(inputs.output_layer) + int(
            inputs.output == inputs.raster and place == PANEL
        )
