"""Every shipped phase config parses, builds its model, and the warm starts form the chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.config import apply_overrides, from_dict, load_config, shipped_configs
from trainer.optim import build_optimizer, group_lrs

STUDY_PHASES = {
    "cse_phase_1", "cse_combined_loss", "cse_phase_2", "cse_phase_3", "cse_phase_4_1",
    "cse_phase_4_1_combined_loss", "cse_phase_4_2_combined_loss", "cse_phase_4_3_focal_loss",
    "baseline_34", "baseline_34_pretrained", "paper",
}  # fmt: skip
# What the study's table says each phase starts from.
CHAIN = {
    "cse_phase_2": "cse_phase_1",
    "cse_phase_3": "cse_phase_2",
    "cse_phase_4_1": "cse_phase_3",
    "cse_phase_4_1_combined_loss": "cse_phase_4_1",
    "cse_phase_4_2_combined_loss": "cse_phase_4_1",
    "cse_phase_4_3_focal_loss": "cse_phase_4_1",
}
CONFIGS = {p.stem: p for p in shipped_configs()}


def test_every_phase_of_the_study_is_shipped():
    assert STUDY_PHASES <= set(CONFIGS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_parses_and_builds_its_model(name):
    from engine.models.registry import build_model

    config = load_config(CONFIGS[name])
    if name in STUDY_PHASES:
        assert config.run.name == name and config.run.out_dir == f"runs/{name}"
    model = build_model(
        config.model.architecture, in_channels=3, classes=6, base_width=config.model.base_width,
        **config.model.args,
    )  # fmt: skip
    optimizer, lrs = build_optimizer(model, config.optim)
    assert len(optimizer.param_groups) == len(lrs) >= 1
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))
    expected = CHAIN.get(name)
    if expected:
        assert Path(config.run.init) == Path(f"runs/{expected}/checkpoints/best.pt")
    elif name in STUDY_PHASES:
        assert config.run.init == ""


def test_phase_recipes_follow_the_study():
    p4 = load_config(CONFIGS["cse_phase_4_1"])
    assert p4.optim.lr == [1e-7, 1e-5] and p4.data.batch_size * p4.optim.accumulate == 16
    assert load_config(CONFIGS["cse_phase_2"]).optim.lr == [1e-6, 1e-4]
    assert load_config(CONFIGS["cse_phase_3"]).loss.name == "ce_dice"
    focal = load_config(CONFIGS["cse_phase_4_3_focal_loss"])
    assert focal.loss.name == "focal" and focal.data.batch_size == 8
    assert focal.optim.accumulate == 1
    paper = load_config(CONFIGS["paper"])
    assert (paper.optim.name, paper.optim.momentum, paper.optim.lr) == ("sgd", 0.99, 1e-3)
    assert paper.augment.scale == [0.5, 2.0] and paper.loss.ignore_classes == [5]
    assert paper.model.architecture == "cse_unet" and paper.train.epochs == 200


def test_discriminative_lrs_are_geometric_like_fastai():
    assert group_lrs([1e-6, 1e-4], 3) == pytest.approx([1e-6, 1e-5, 1e-4])
    assert group_lrs(1e-3, 2) == [1e-3, 1e-3]


def test_typos_and_overrides():
    with pytest.raises(ValueError, match="unknown key"):
        from_dict({"optim": {"lr_max": 1}})
    with pytest.raises(ValueError, match="unknown section"):
        from_dict({"optimiser": {}})
    data = apply_overrides({}, ["train.epochs=3", "optim.lr=[1e-5, 1e-3]", "data.dir=/x/y"])
    config = from_dict(data)
    assert (config.train.epochs, config.optim.lr, config.data.dir) == (3, [1e-5, 1e-3], "/x/y")


def test_pretrained_encoder_weights_load_by_torchvision_names(tmp_path):
    import torch

    from engine.models.registry import build_model
    from trainer.loop import load_encoder_weights

    torch.manual_seed(0)
    source = build_model("resnet34_unet", base_width=8).encoder.state_dict()
    # A torchvision ImageNet file also holds the classifier, which the encoder lacks.
    torch.save({**source, "fc.weight": torch.zeros(10, 64), "fc.bias": torch.zeros(10)},
               tmp_path / "resnet34.pth")  # fmt: skip
    torch.manual_seed(1)
    model = build_model("resnet34_unet", base_width=8)
    note = load_encoder_weights(model, str(tmp_path / "resnet34.pth"))
    assert note.startswith(f"encoder weights: {len(source)}/{len(source)} tensors")
    assert all(torch.equal(model.encoder.state_dict()[k], v) for k, v in source.items())
    torch.save({"unrelated.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="missing"):
        load_encoder_weights(model, str(tmp_path / "other.pth"))
