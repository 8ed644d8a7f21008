"""Every shipped phase config parses, builds its model, and the warm starts form the chain;
parameter groups and rates are fastai's; every value of a study phase names its source."""

from __future__ import annotations

import re

import pytest
from torch import nn

from trainer.config import apply_overrides, from_dict, load_config, shipped_configs
from trainer.optim import build_optimizer, group_lrs, parameter_groups

STUDY_PHASES = {
    "cse_phase_1", "cse_combined_loss", "cse_phase_2", "cse_phase_3", "cse_phase_4_1",
    "cse_phase_4_1_combined_loss", "cse_phase_4_2_combined_loss", "cse_phase_4_3_focal_loss",
    "baseline_34", "baseline_34_pretrained", "paper",
}  # fmt: skip
# What each phase starts from: the study's "current best" when 4.1 began was phase 2 (0.671),
# not phase 3 (0.652); its code loads cse_phase_2.
CHAIN = {
    "cse_phase_2": "cse_phase_1",
    "cse_phase_3": "cse_phase_2",
    "cse_phase_4_1": "cse_phase_2",
    "cse_phase_4_1_combined_loss": "cse_phase_4_1",
    "cse_phase_4_2_combined_loss": "cse_phase_4_1",
    "cse_phase_4_3_focal_loss": "cse_phase_4_1",
    "bundled_synthetic_phase_2": "bundled_synthetic",
    "bundled_synthetic_phase_3": "bundled_synthetic_phase_2",
    "bundled_synthetic_phase_4": "bundled_synthetic_phase_3",
    "bundled_synthetic_phase_5": "bundled_synthetic_phase_4",
    "bundled_synthetic_phase_6": "bundled_synthetic_phase_5",
    "bundled_synthetic_phase_7": "bundled_synthetic_phase_6",
    "bundled_synthetic_phase_8": "bundled_synthetic_phase_7",
    "bundled_synthetic_phase_9": "bundled_synthetic_phase_8",
    "bundled_synthetic_phase_10": "bundled_synthetic_phase_9",
    "bundled_synthetic_phase_11": "bundled_synthetic_phase_10",
    "bundled_synthetic_phase_12": "bundled_synthetic_phase_11",
    "bundled_synthetic_phase_13": "bundled_synthetic_phase_12",
    "bundled_synthetic_phase_14": "bundled_synthetic_phase_13",
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
    groups = parameter_groups(model, config.model.architecture, config.optim.lr)
    optimizer = build_optimizer(model, config.optim, groups)
    in_groups = [p for g in optimizer.param_groups for p in g["params"]]
    assert len(in_groups) == len({id(p) for p in in_groups}) == len(list(model.parameters()))
    assert CHAIN.get(name, "") == config.run.parent
    if name in STUDY_PHASES:
        assert config.run.init == ""


def _study_model(name: str) -> tuple[nn.Module, object]:
    from engine.models.registry import build_model

    config = load_config(CONFIGS[name])
    return build_model(config.model.architecture, classes=6, base_width=8), config


@pytest.mark.parametrize("name", sorted(n for n in STUDY_PHASES if n.startswith("cse")))
def test_cse_unet_trains_every_parameter_in_one_group_at_the_upper_rate(name):
    """The study built CSE-UNet's fastai Learner without a splitter: one group, so
    slice(lo, hi) trains every weight at hi."""
    model, config = _study_model(name)
    groups = parameter_groups(model, config.model.architecture, config.optim.lr)
    upper = config.optim.lr[1] if isinstance(config.optim.lr, list) else config.optim.lr
    assert len(groups) == 1 and groups[0].lr == upper
    assert {id(p) for p in groups[0].params} == {id(p) for p in model.parameters()}
    optimizer = build_optimizer(model, config.optim, groups)
    assert {g["max_lr"] for g in optimizer.param_groups} == {upper}


def _fastai_resnet_split(model: nn.Module) -> list[set[int]]:
    """fastai's _resnet_split written out on the modules: the encoder's children (the body
    fastai cuts from torchvision's resnet34) [:6] / [6:] / everything else."""
    body = list(model.encoder.children())
    first = {id(p) for m in body[:6] for p in m.parameters()}
    second = {id(p) for m in body[6:] for p in m.parameters()}
    rest = {id(p) for p in model.parameters()} - first - second
    return [first, second, rest]


def test_resnet34_unet_groups_are_fastais_split_and_a_slice_spreads_over_them():
    model, config = _study_model("baseline_34")
    names = [type(m).__name__ for m in model.encoder.children()]
    assert names[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] and len(names) == 8
    groups = parameter_groups(model, "resnet34_unet", [1e-6, 1e-4])
    assert [{id(p) for p in g.params} for g in groups] == _fastai_resnet_split(model)
    assert [g.lr for g in groups] == pytest.approx([1e-6, 1e-5, 1e-4])
    # The study's baseline passed one number (the lr finder's), so every group trains at it.
    assert [g.lr for g in parameter_groups(model, "resnet34_unet", config.optim.lr)] == [1.9e-4] * 3


def test_norm_and_bias_parameters_skip_weight_decay_as_in_fastai():
    model, config = _study_model("cse_phase_2")
    optimizer = build_optimizer(model, config.optim, parameter_groups(model, "x", 1e-3))
    decayed = [g for g in optimizer.param_groups if g["weight_decay"] > 0]
    plain = [g for g in optimizer.param_groups if g["weight_decay"] == 0]
    assert decayed[0]["weight_decay"] == 5e-4
    plain_ids = {id(p) for g in plain for p in g["params"]}
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert id(module.weight) in plain_ids
        elif isinstance(module, nn.Conv2d):
            assert id(module.weight) not in plain_ids
            assert module.bias is None or id(module.bias) in plain_ids


def test_phase_recipes_follow_the_study():
    for name in ("cse_phase_2", "cse_phase_4_1"):
        config = load_config(CONFIGS[name])
        assert (config.data.batch_size, config.optim.accumulate) == (4, 4)
    for name in ("cse_phase_4_2_combined_loss", "cse_phase_4_3_focal_loss"):
        config = load_config(CONFIGS[name])
        assert (config.data.batch_size, config.optim.accumulate) == (8, 1)
    p4 = load_config(CONFIGS["cse_phase_4_1"])
    assert p4.optim.lr == [1e-7, 1e-5] and p4.run.parent == "cse_phase_2"
    assert load_config(CONFIGS["cse_phase_2"]).optim.lr == [1e-6, 1e-4]
    phase_3 = load_config(CONFIGS["cse_phase_3"])
    loss = phase_3.loss
    assert (loss.name, loss.ce_weight, loss.dice_weight, loss.dice_mode) == (
        "ce_dice",
        0.5,
        0.5,
        "fastai",
    )
    focal = load_config(CONFIGS["cse_phase_4_3_focal_loss"])
    assert focal.loss.name == "focal" and focal.loss.class_weights[4] == 2.0
    for name in STUDY_PHASES - {"paper"}:
        config = load_config(CONFIGS[name])
        assert config.train.monitor == "validation_jaccard7"
        assert config.train.early_stop_monitor == "validation_loss"
        assert config.optim.schedule == "one_cycle" and config.optim.eps == 1e-5
    paper = load_config(CONFIGS["paper"])
    assert (paper.optim.name, paper.optim.momentum, paper.optim.lr) == ("sgd", 0.99, 1e-3)
    assert paper.augment.scale == [0.5, 2.0] and paper.loss.ignore_classes == [5]
    assert paper.model.architecture == "cse_unet" and paper.train.epochs == 200


def test_discriminative_lrs_are_geometric_like_fastai():
    assert group_lrs([1e-6, 1e-4], 3) == pytest.approx([1e-6, 1e-5, 1e-4])
    assert group_lrs([1e-6, 1e-4], 1) == [1e-4]
    assert group_lrs(1e-3, 2) == [1e-3, 1e-3]


SOURCES = ("study", "study code", "fastai", "assumption", "paper", "the paper", "this trainer")
KEY_LINE = re.compile(r"^(\w+) = (.+?)(?:  # (.*))?$")


@pytest.mark.parametrize("name", sorted(STUDY_PHASES - {"paper"}))
def test_every_value_of_a_study_phase_says_where_it_comes_from(name):
    """A value without `# study ...`, `# fastai ...` or `# assumption: why` is one nobody
    checked against the study."""
    unsourced = []
    for line in CONFIGS[name].read_text().splitlines():
        match = KEY_LINE.match(line)
        if not match or match[1] in ("name", "description"):
            continue
        comment = match[3] or ""
        if not comment.startswith(SOURCES):
            unsourced.append(line)
    assert not unsourced


def test_removed_keys_and_configs_by_name():
    with pytest.raises(ValueError, match="layer_groups is gone: parameter groups follow fastai"):
        from_dict({"optim": {"layer_groups": 3}})
    assert load_config("cse_phase_1").run.name == "cse_phase_1"
    assert load_config("cse_phase_1.toml").run.name == "cse_phase_1"
    with pytest.raises(FileNotFoundError, match="trainer phases` lists them"):
        load_config("cse_phase_9")


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
