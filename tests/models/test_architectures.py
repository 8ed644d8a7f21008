"""The architectures match the paper, the AGH study's counts, and keep the input's shape."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.models import available_architectures, build_model, resolve_arguments
from engine.models.cse_unet import CSEUNet
from engine.models.flops import count_parameters

ARCHITECTURES = ["cse_unet", "cse_unet_study", "resnet34_unet"]


def test_registry_lists_every_architecture():
    assert available_architectures() == ARCHITECTURES


def test_study_variant_has_the_studys_exact_parameter_count():
    with torch.device("meta"):  # counting needs no weights
        model = build_model("cse_unet_study", in_channels=3, classes=7, base_width=64)
    assert count_parameters(model) == 36_988_807


def test_resnet34_unet_has_the_studys_fastai_parameter_count():
    with torch.device("meta"):
        model = build_model("resnet34_unet", in_channels=3, classes=7)
    assert count_parameters(model) == 41_221_668
    # The encoder is torchvision's resnet34 (21,797,672 parameters) without its classifier.
    assert count_parameters(model.encoder) == 21_797_672 - (512 * 1000 + 1000)


def test_paper_model_has_its_own_count_and_default_widths():
    with torch.device("meta"):
        model = build_model("cse_unet", classes=6)
    assert model.encoder.out_channels == (64, 128, 256, 512, 1024)
    # Sequential RFB (no concatenation) and a coarse-resolution 1×1: fewer than the study's.
    assert count_parameters(model) == 34_570_886


@pytest.mark.parametrize("name", ARCHITECTURES)
@pytest.mark.parametrize("height,width", [(512, 512), (384, 640)])
def test_output_has_input_size_and_one_channel_per_class(small_model, name, height, width):
    model = small_model(name, classes=5, base_width=4)
    with torch.no_grad():
        out = model(torch.randn(1, 3, height, width))
    assert out.shape == (1, 5, height, width)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_other_band_counts_work(small_model, name):
    model = small_model(name, in_channels=4, classes=3)
    with torch.no_grad():
        assert model(torch.randn(2, 4, 64, 96)).shape == (2, 3, 64, 96)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_tile_size_not_divisible_gives_a_clear_error(small_model, name):
    model = small_model(name)
    with pytest.raises(ValueError, match="divisible by"):
        model(torch.randn(1, 3, 64, 72))


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("variant", ["paper", "study"])
def test_auxiliary_path_kernels_strides_and_widths(variant):
    model = CSEUNet(in_channels=3, classes=6, base_width=8, variant=variant)
    aux = [_convs(link)[0] for link in model.encoder.aux]
    assert [c.kernel_size for c in aux] == [(7, 7), (5, 5), (3, 3), (2, 2)]
    assert [c.stride for c in aux] == [(2, 2)] * 4
    assert [c.out_channels for c in aux] == [8, 16, 32, 64]
    # Paper: the chain starts from level 1's output; study: from the raw image.
    assert aux[0].in_channels == (8 if variant == "paper" else 3)
    # Each link is conv + BatchNorm with no ReLU: the ReLU comes after the fusing addition.
    assert [type(m) for m in model.encoder.aux[0]] == [nn.Conv2d, nn.BatchNorm2d]


@pytest.mark.parametrize("variant", ["paper", "study"])
def test_rfb_skip_dilations_and_stacks(variant):
    model = CSEUNet(base_width=8, variant=variant)
    dilated = [skip.dilated[0] for skip in model.skips]
    assert [c.dilation for c in dilated] == [(7, 7), (5, 5), (3, 3), (1, 1)]
    assert [c.kernel_size for c in dilated] == [(3, 3)] * 4
    assert [c.padding for c in dilated] == [(7, 7), (5, 5), (3, 3), (1, 1)]
    depths = [len(skip.stack) for skip in model.skips]
    kernels = [[c.kernel_size[0] for c in _convs(skip.stack)] for skip in model.skips]
    assert depths == [3, 2, 1, 1]
    if variant == "paper":
        assert kernels == [[3, 3, 3], [3, 3], [3], [1]]
        assert model.skips.out_channels == (8, 16, 32, 64)
    else:  # the study's level-3 stack is a single 1×1 conv
        assert kernels == [[3, 3, 3], [3, 3], [1], [1]]
        assert model.skips.out_channels == (16, 32, 64, 128)


def test_paper_rfb_applies_the_dilated_conv_after_the_stack():
    model = CSEUNet(base_width=8, variant="paper").eval()
    skip = model.skips[1]
    x = torch.randn(1, 16, 16, 16)
    with torch.no_grad():
        assert torch.allclose(skip(x), skip.dilated(skip.stack(x)))


def test_study_rfb_concatenates_stack_and_dilated_branch():
    model = CSEUNet(base_width=8, variant="study").eval()
    skip = model.skips[0]
    x = torch.randn(1, 8, 16, 16)
    with torch.no_grad():
        out = skip(x)
        assert torch.allclose(out[:, :8], skip.stack(x))
        assert torch.allclose(out[:, 8:], skip.dilated(x))


def _record_inputs(modules: list[nn.Module]) -> tuple[list, list]:
    seen: list[torch.Tensor] = []
    handles = [
        m.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0])) for m in modules
    ]
    return seen, handles


def test_study_auxiliary_convs_read_the_image_then_the_fused_maps(small_model):
    model = small_model("cse_unet_study")
    aux_in, handles = _record_inputs(list(model.encoder.aux))
    level_in, more = _record_inputs(list(model.encoder.levels))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        model(x)
    for handle in handles + more:
        handle.remove()
    assert torch.equal(aux_in[0], x)
    for k in (1, 2, 3):  # the fused map of level k feeds both level k+1 and aux link k+1
        assert torch.equal(aux_in[k], level_in[k])


def test_paper_auxiliary_chain_runs_on_its_own(small_model):
    model = small_model("cse_unet")
    aux_in, handles = _record_inputs(list(model.encoder.aux))
    aux_out: list[torch.Tensor] = []
    handles += [m.register_forward_hook(lambda *a: aux_out.append(a[2])) for m in model.encoder.aux]
    level_out: list[torch.Tensor] = []
    handles.append(model.encoder.levels[0].register_forward_hook(lambda *a: level_out.append(a[2])))
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
    for handle in handles:
        handle.remove()
    assert torch.equal(aux_in[0], level_out[0])
    for k in (1, 2, 3):
        assert torch.equal(aux_in[k], torch.relu(aux_out[k - 1]))


def test_study_defaults_and_fixed_variant():
    model = build_model("cse_unet_study", base_width=4)
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout2d)]
    assert len(dropouts) == 9 and {m.p for m in dropouts} == {0.2}  # 4 + bridge + 4 decoder
    assert model.variant == "study"
    assert not any(isinstance(m, nn.Dropout2d) for m in build_model("cse_unet").modules())
    decoder_conv = model.decoder.blocks[0].reduce
    assert decoder_conv.kernel_size == (1, 1) and decoder_conv.bias is not None


def test_registry_rejects_unknown_names_and_arguments():
    with pytest.raises(ValueError, match="available: cse_unet, cse_unet_study, resnet34_unet"):
        build_model("unet++")
    with pytest.raises(ValueError, match="variant"):
        build_model("cse_unet", variant="study")  # the variant is the name's, not an argument
    with pytest.raises(ValueError, match="pretrained"):
        build_model("resnet34_unet", pretrained=True)


def test_registry_fills_defaults_and_keeps_overrides():
    assert resolve_arguments("cse_unet_study", base_width=16) == {
        "in_channels": 3,
        "classes": 6,
        "base_width": 16,
        "dropout": 0.2,
    }
    plain = build_model("cse_unet_study", base_width=4, dropout=0.0)
    assert not any(isinstance(m, nn.Dropout2d) for m in plain.modules())


@pytest.mark.parametrize("variant", ["paper", "study"])
def test_decoder_order_of_upsampling_and_1x1_conv(variant):
    model = CSEUNet(base_width=4, variant=variant).eval()
    seen = []
    block = model.decoder.blocks[0]  # from the bottleneck (1/16) to level 4 (1/8)
    handle = block.reduce.register_forward_hook(lambda m, i, o: seen.append(i[0].shape))
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
    handle.remove()
    # Paper: 1×1 conv at the coarse resolution, then upsampling; study: the other way round.
    assert seen == [(1, 64, 4, 4) if variant == "paper" else (1, 64, 8, 8)]


def test_resnet_encoder_features_strides_and_widths():
    model = build_model("resnet34_unet", base_width=4).eval()
    assert model.encoder.out_channels == (3, 4, 4, 8, 16, 32)
    with torch.no_grad():
        features = model.encoder(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[1:]) for f in features] == [
        (c, 64 // s, 96 // s) for c, s in zip(model.encoder.out_channels, (1, 2, 4, 8, 16, 32))
    ]
