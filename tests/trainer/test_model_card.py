"""Model cards and metadata written from the run: the card's numbers are the file's numbers,
which are a fresh ``evaluate``'s numbers; nothing on the card is typed by hand."""

from __future__ import annotations

import json
import re

import pytest
import torch

from engine.metadata import read_onnx_metadata
from trainer.cli import main
from trainer.machine import describe_machine, machine_line
from trainer.model_record import KEY_EVALUATION, KEY_EXPORT, KEY_TRAINING_RUN, read_records


def card_row(card: str, label: str) -> list[str]:
    """The cells of the card's table row that starts with ``label``."""
    (line,) = [row for row in card.splitlines() if row.startswith(f"| {label} |")]
    return [cell.strip().strip("*") for cell in line.strip("|").split("|")][1:]


def pct(value: float) -> str:
    return f"{100 * value:.1f}"


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "tiny.onnx"
    assert main(["export", str(trained / "checkpoints" / "best.pt"), "--out", str(path),
                 "--card"]) == 0  # fmt: skip
    return path


def test_export_writes_the_run_record_and_a_card_from_it(exported, trained, potsdam_prepared):
    card = exported.with_suffix(".md").read_text(encoding="utf-8")
    meta, records = read_records(exported)
    best = torch.load(trained / "checkpoints" / "best.pt", weights_only=True)
    phase = records[KEY_TRAINING_RUN]["phases"][-1]
    assert phase["history"] == best["history"] and phase["best_epoch"] == best["best_epoch"]
    assert records[KEY_EXPORT]["epoch"] == best["epoch"] and records[KEY_EVALUATION] is None
    assert card.startswith("# tiny\n\n> A tiny CSE-UNet for the tests.")
    # The data as the manifest has it: GSD, split sizes, how validation was carved.
    manifest = json.loads((potsdam_prepared / "manifest.json").read_text())
    for split, entry in manifest["splits"].items():
        assert card_row(card, split) == [str(len(entry["scenes"])), str(entry["count"])]
    assert f"Works at {manifest['resolution_cm']:g} cm per pixel" in card
    assert f"scenes {manifest['validation_carve']['scenes']}" in card
    # The best epoch's validation scores, as metadata and card both state them.
    row = next(r for r in best["history"] if r["epoch"] == best["best_epoch"])
    assert meta.metrics == {k: v for k, v in row.items() if k.startswith("validation_")}
    assert f"`validation_miou6` {pct(row['validation_miou6'])}" in card
    assert f"Best epoch {best['best_epoch']} by `validation_miou5`" in card
    # The machine is probed, the commands are the ones that ran.
    assert f"Machine: {machine_line(describe_machine())}" in card
    assert "python -m trainer prepare" not in card  # the fixture prepared from Python
    assert re.search(r"python -m trainer train --config \S+tiny\.toml", card)
    assert "Not evaluated yet" in card


def test_card_numbers_equal_the_metadata_and_a_fresh_evaluate(exported, potsdam_prepared, tmp_path):
    args = ["evaluate", str(exported), "--data", str(potsdam_prepared)]
    assert main([*args, "--out", str(tmp_path / "stamp"), "--update-card",
                 "--colour-baseline", "--colour-baseline-samples", "3000"]) == 0  # fmt: skip
    # A fresh evaluation, and a fresh colour baseline, after the file was stamped.
    assert main([*args, "--out", str(tmp_path / "fresh")]) == 0
    fresh = json.loads((tmp_path / "fresh" / "metrics.json").read_text())
    baseline_json = tmp_path / "baseline.json"
    assert main(["colour-baseline", "--data", str(potsdam_prepared), "--samples", "3000",
                 "--out", str(baseline_json)]) == 0  # fmt: skip
    baseline = json.loads(baseline_json.read_text())

    meta = read_onnx_metadata(exported)
    m = meta.metrics
    assert fresh["split"] == "test"
    assert (m["test_miou6"], m["test_oa6"], m["test_mf1_6"]) == (
        fresh["miou_all"], fresh["oa_all"], fresh["mf1_all"],
    )  # fmt: skip
    assert (m["test_miou5"], m["test_oa5"]) == (fresh["miou_no_clutter"], fresh["oa_no_clutter"])
    assert m["colour_baseline_test_miou6"] == baseline["miou_all"]
    assert any(k.startswith("validation_") for k in m)  # the validation scores stay
    _, records = read_records(exported)
    evaluation = records[KEY_EVALUATION]
    assert evaluation["scenes"] == list(fresh["per_scene"]) == ["top_potsdam_2_12"]
    assert evaluation["scores"]["classes"] == fresh["classes"]

    card = exported.with_suffix(".md").read_text(encoding="utf-8")
    assert card_row(card, "mIoU, all classes") == [
        pct(fresh["miou_all"]),
        "",
        pct(baseline["miou_all"]),
    ]
    assert card_row(card, "OA, clutter left out")[0] == pct(fresh["oa_no_clutter"])
    for name, values in fresh["classes"].items():
        cells = card_row(card, name)
        assert cells[0] == pct(values["iou"]) and cells[2] == pct(baseline["classes"][name]["iou"])
    assert f"{fresh['pixels']:,} pixels scored" in card and "Not evaluated yet" not in card
    assert "--update-card --colour-baseline" in card  # the command is on the card
    # `card` writes the same card again from the file alone.
    before = card
    exported.with_suffix(".md").unlink()
    assert main(["card", str(exported)]) == 0
    assert exported.with_suffix(".md").read_text(encoding="utf-8") == before


def test_update_card_wants_an_exported_model_and_the_test_split(
    trained, exported, potsdam_prepared, capsys
):
    data = ["--data", str(potsdam_prepared)]
    best = str(trained / "checkpoints" / "best.pt")
    assert main(["evaluate", best, *data, "--update-card"]) == 2
    assert "needs an exported .onnx model" in capsys.readouterr().out
    assert main(["evaluate", str(exported), *data, "--split", "validation", "--update-card"]) == 2
    assert "leave --split at test" in capsys.readouterr().out


def test_a_file_without_a_training_record_says_so(trained, tmp_path):
    checkpoint = torch.load(trained / "checkpoints" / "best.pt", weights_only=True)
    del checkpoint["run_record"]
    torch.save(checkpoint, tmp_path / "old.pt")
    assert main(["export", str(tmp_path / "old.pt"), "--out", str(tmp_path / "old.onnx"),
                 "--card"]) == 0  # fmt: skip
    card = (tmp_path / "old.md").read_text(encoding="utf-8")
    assert "carries no training record" in card and "## Test scores" in card


def test_the_card_says_the_scenes_own_gsd_when_they_differ(potsdam_prepared):
    from trainer.model_card import _resolution_text

    manifest = json.loads((potsdam_prepared / "manifest.json").read_text())
    assert "scene_resolution_cm" not in manifest  # Potsdam's own 5 cm
    assert _resolution_text(manifest) == "5 cm"
    mixed = {"resolution_cm": 5.0, "scene_resolution_cm": [3.2, 19.8]}
    assert _resolution_text(mixed) == "each scene's own GSD (3.2-19.8 cm)"


def test_the_card_names_the_loss_and_its_class_weights():
    from trainer.model_card import _loss_text

    assert _loss_text({"name": "ce_dice"}) == "`ce_dice`"
    weighted = {"name": "ce_dice", "class_weights": [1.0, 1.0, 1.0, 1.0, 1.0, 3.0]}
    assert _loss_text(weighted) == "`ce_dice` with class weights [1, 1, 1, 1, 1, 3]"
