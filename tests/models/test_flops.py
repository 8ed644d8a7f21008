"""FLOPs are counted from the modules and agree with the science notes' figures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.models import build_model
from engine.models.flops import architecture_cost, count_flops
from trainer.cli import main


def test_conv_and_linear_flops_follow_the_formula():
    conv = nn.Conv2d(4, 8, 3, padding=1, groups=2)
    # 2 FLOPs × outputs (8 × 10 × 12) × inputs per output (4/2 × 3 × 3)
    assert count_flops(conv, (1, 4, 10, 12)) == 2 * 8 * 10 * 12 * 2 * 9
    strided = nn.Sequential(nn.Conv2d(3, 5, 2, stride=2), nn.Flatten(), nn.Linear(5 * 4 * 4, 7))
    assert count_flops(strided, (2, 3, 8, 8)) == 2 * (2 * 5 * 4 * 4 * 3 * 4) + 2 * (2 * 7 * 80)


def test_meta_device_count_equals_a_real_run():
    torch.manual_seed(0)
    real = build_model("cse_unet_study", base_width=4)
    with torch.device("meta"):
        meta = build_model("cse_unet_study", base_width=4)
    assert count_flops(real, (1, 3, 64, 96)) == count_flops(meta, (1, 3, 64, 96)) > 0


@pytest.mark.parametrize(("width", "gflops"), [(64, 652), (32, 164), (16, 41)])
@pytest.mark.parametrize("classes", [6, 7])
def test_study_variant_costs_what_the_science_notes_say(width, gflops, classes):
    cost = architecture_cost("cse_unet_study", 512, classes=classes, base_width=width)
    assert abs(cost.gflops - gflops) < 0.6


def test_models_command_prints_one_line_per_architecture(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {tuple(line.split()[:3]): line.split() for line in lines[1:] if line.split()}
    assert rows[("cse_unet_study", "3", "7")][3:] == ["64", "36,988,807", "652.5"]
    assert rows[("resnet34_unet", "3", "7")][4] == "41,221,668"
    assert {key[0] for key in rows if key[2] == "6"} == {
        "cse_unet",
        "cse_unet_study",
        "resnet34_unet",
    }


def test_models_command_explains_an_impossible_tile_size(capsys):
    assert main(["models", "--tile-size", "500"]) == 2
    assert "divisible by 16" in capsys.readouterr().err
