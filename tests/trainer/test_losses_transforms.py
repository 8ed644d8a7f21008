"""Losses respect the ignore index; augmentations are seeded and keep image and label aligned."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from trainer.losses import LossConfig, SegmentationLoss, dice_loss
from trainer.transforms import AugmentConfig, augment, d4, d4_inverse


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 6, 8, 8, generator=g)
    target = torch.randint(0, 6, (2, 8, 8), generator=g)
    target[0, :3] = 255
    return logits, target


@pytest.mark.parametrize("name", ["ce", "ce_dice", "focal"])
def test_ignored_pixels_do_not_change_the_loss(name):
    loss = SegmentationLoss(LossConfig(name=name))
    logits, target = _batch()
    changed = logits.clone()
    changed[0, :, :3] = torch.randn_like(changed[0, :, :3]) * 50
    assert loss(logits, target) == pytest.approx(float(loss(changed, target)), rel=1e-6)


def test_focal_with_gamma_zero_is_cross_entropy_and_down_weights_easy_pixels():
    logits, target = _batch(1)
    ce = F.cross_entropy(logits, target, ignore_index=255)
    focal0 = SegmentationLoss(LossConfig(name="focal", focal_gamma=0.0))(logits, target)
    focal2 = SegmentationLoss(LossConfig(name="focal", focal_gamma=2.0))(logits, target)
    assert float(focal0) == pytest.approx(float(ce), rel=1e-5)
    assert float(focal2) < float(ce)


def test_dice_is_zero_for_a_confident_correct_prediction_and_ce_dice_adds_it():
    _, target = _batch(2)
    perfect = F.one_hot(target.clamp(max=5), 6).permute(0, 3, 1, 2).float() * 100
    assert float(dice_loss(perfect, target)) == pytest.approx(0.0, abs=1e-4)
    logits, _ = _batch(3)
    ce = SegmentationLoss(LossConfig(name="ce"))(logits, target)
    both = SegmentationLoss(LossConfig(name="ce_dice", dice_weight=0.5))(logits, target)
    assert float(both) == pytest.approx(float(ce) + 0.5 * float(dice_loss(logits, target)))


def test_ignore_classes_turn_a_class_into_ignore_for_the_paper_recipe():
    logits, target = _batch(4)
    target[:] = 5  # all clutter
    target[1, 0, 0] = 2
    loss = SegmentationLoss(LossConfig(name="ce", ignore_classes=[5]))(logits, target)
    only = F.cross_entropy(logits[1:2, :, :1, :1], target[1:2, :1, :1])
    assert float(loss) == pytest.approx(float(only), rel=1e-5)


def test_d4_inverse_undoes_each_of_the_eight_elements():
    x = torch.arange(2 * 4 * 4).reshape(2, 4, 4)
    outputs = {tuple(d4(x, k).flatten().tolist()) for k in range(8)}
    assert len(outputs) == 8
    for k in range(8):
        assert torch.equal(d4_inverse(d4(x, k), k), x)


def test_augment_is_seeded_and_keeps_labels_on_their_pixels():
    blocks = torch.randint(0, 6, (3, 4, 4), generator=torch.Generator().manual_seed(5))
    labels = blocks.repeat_interleave(8, 1).repeat_interleave(8, 2)  # 32 px, 8 px blocks
    # Band 0 of the image encodes the label, so misalignment would show.
    images = torch.stack([labels.float() / 10, torch.rand(3, 32, 32), torch.rand(3, 32, 32)], 1)
    config = AugmentConfig(flips="d4", scale=[0.5, 2.0], brightness=0.0, contrast=0.0)
    a = augment(images, labels, config, torch.Generator().manual_seed(1))
    b = augment(images, labels, config, torch.Generator().manual_seed(1))
    c = augment(images, labels, config, torch.Generator().manual_seed(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    out_images, out_labels = a
    assert out_images.shape == images.shape and out_labels.shape == labels.shape
    for image, label in zip(out_images, out_labels):
        valid = label != 255
        # Nearest for labels, bilinear for images: at a scale change borders blur, so most
        # (not all) labelled pixels keep the image value of their class.
        agree = (image[0][valid] * 10).round() == label[valid].float()
        assert agree.float().mean() > 0.8
    # Flips and rotations alone are exact.
    flips = AugmentConfig(flips="d4", scale=[], brightness=0.0, contrast=0.0)
    out_images, out_labels = augment(images, labels, flips, torch.Generator().manual_seed(3))
    assert torch.equal((out_images[:, 0] * 10).round().long(), out_labels)


def test_brightness_and_contrast_stay_in_range():
    images = torch.rand(2, 3, 8, 8)
    labels = torch.zeros(2, 8, 8, dtype=torch.long)
    config = AugmentConfig(flips="none", scale=[], brightness=0.5, contrast=0.5)
    out, _ = augment(images, labels, config, torch.Generator().manual_seed(0))
    assert out.min() >= 0 and out.max() <= 1 and not torch.equal(out, images)


def test_grayscale_removes_colour_and_keeps_luminance_and_labels():
    images = torch.rand(8, 4, 16, 16)  # RGB + a fourth band that must stay as it is
    labels = torch.randint(0, 6, (8, 16, 16))
    config = AugmentConfig(flips="none", scale=[], brightness=0.0, contrast=0.0, grayscale=1.0)
    out, out_labels = augment(images, labels, config, torch.Generator().manual_seed(0))
    luma = 0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]
    for band in range(3):
        assert torch.allclose(out[:, band], luma, atol=1e-6)
    assert torch.equal(out[:, 3], images[:, 3]) and torch.equal(out_labels, labels)


def test_saturation_scales_colour_around_luminance_within_its_range():
    images = torch.rand(16, 3, 8, 8) * 0.5 + 0.25
    labels = torch.zeros(16, 8, 8, dtype=torch.long)
    config = AugmentConfig(flips="none", scale=[], brightness=0.0, contrast=0.0, saturation=0.5)
    out, _ = augment(images, labels, config, torch.Generator().manual_seed(0))
    luma = (images * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    # Each tile's chroma is the input's times one factor drawn from [0.5, 1.5].
    factors = ((out - luma).flatten(1) / (images - luma).flatten(1)).median(dim=1).values
    assert factors.min() >= 0.5 - 1e-4 and factors.max() <= 1.5 + 1e-4
    assert factors.max() - factors.min() > 0.3  # drawn per tile, not once per batch
    assert out.min() >= 0 and out.max() <= 1


def test_white_balance_casts_each_tile_warm_or_cool_within_its_range():
    images = torch.rand(32, 4, 8, 8) * 0.5 + 0.25  # RGB + a band the cast must leave alone
    labels = torch.zeros(32, 8, 8, dtype=torch.long)
    config = AugmentConfig(flips="none", scale=[], brightness=0.0, contrast=0.0,
                           white_balance=0.2)  # fmt: skip
    out, out_labels = augment(images, labels, config, torch.Generator().manual_seed(0))
    gains = (out[:, :3] / images[:, :3]).flatten(2).mean(2)  # one gain per tile and band
    assert torch.allclose(out[:, :3], images[:, :3] * gains[:, :, None, None], atol=1e-5)
    warm = gains[:, 0] - 1
    assert torch.allclose(gains[:, 2], 1 - warm, atol=1e-5)  # red up, blue down, or back
    assert warm.abs().max() <= 0.2 + 1e-5 and (gains[:, 1] - 1).abs().max() <= 0.1 + 1e-5
    assert warm.max() > 0.1 and warm.min() < -0.1  # both ways, drawn per tile
    assert torch.equal(out[:, 3], images[:, 3]) and torch.equal(out_labels, labels)


@pytest.mark.parametrize("option", ["saturation", "grayscale", "white_balance"])
def test_colour_options_outside_their_range_are_refused(option):
    with pytest.raises(ValueError, match=option):
        AugmentConfig(**{option: 1.5})


def _aligned_batch(n=4, size=32):
    blocks = torch.randint(0, 6, (n, 4, 4), generator=torch.Generator().manual_seed(7))
    labels = blocks.repeat_interleave(size // 4, 1).repeat_interleave(size // 4, 2)
    images = torch.stack(
        [labels.float() / 10, torch.rand(n, size, size), torch.rand(n, size, size)], 1
    )
    return images, labels


def test_fastai_rotation_zoom_and_warp_move_image_and_label_together():
    from trainer.fastai_affine import affine_batch

    images, labels = _aligned_batch()
    config = AugmentConfig(rotate=10.0, zoom=[0.9, 1.1], warp=0.2, p_affine=1.0)
    out_images, out_labels = affine_batch(images, labels, config, torch.Generator().manual_seed(1))
    again = affine_batch(images, labels, config, torch.Generator().manual_seed(1))
    assert torch.equal(out_images, again[0]) and torch.equal(out_labels, again[1])
    assert not torch.equal(out_labels, labels)  # the geometry did change
    assert set(out_labels.unique().tolist()) <= set(labels.unique().tolist())  # nearest, no blends
    # Reflection padding leaves no pixel unlabelled, and each label sits on its image value
    # (bilinear blurs the block borders a little).
    agree = (out_images[:, 0] * 10).round().long() == out_labels
    assert agree.float().mean() > 0.85
    # With no chance to apply, the resampling is the identity.
    off = AugmentConfig(rotate=10.0, zoom=[0.9, 1.1], warp=0.2, p_affine=0.0)
    same_images, same_labels = affine_batch(images, labels, off, torch.Generator().manual_seed(1))
    assert torch.equal(same_labels, labels) and torch.allclose(same_images, images, atol=1e-5)


def test_warp_is_a_perspective_that_moves_the_corners_by_the_drawn_shift():
    from trainer.fastai_affine import perspective

    corners = torch.tensor([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]).double()
    moved = corners + torch.tensor([[-0.1, 0.2], [0.1, -0.2], [0.05, 0.0], [0.0, 0.1]]).double()
    h = perspective(corners, moved)
    mapped = torch.cat([corners, torch.ones(4, 1).double()], 1) @ h.T
    assert torch.allclose(mapped[:, :2] / mapped[:, 2:], moved)


def test_fastai_lighting_works_in_logit_space_and_keeps_pixels_in_range():
    from trainer.fastai_affine import lighting_batch

    images = torch.rand(8, 3, 8, 8) * 0.98 + 0.01
    out = lighting_batch(images, 0.4, 1.0, torch.Generator().manual_seed(0))
    assert out.min() > 0 and out.max() < 1 and not torch.allclose(out, images)
    # Brightness is a shift and contrast a gain of the logits, the same for every pixel.
    logit_in, logit_out = torch.logit(images), torch.logit(out)
    gain = (logit_out[:, :, 0, 1] - logit_out[:, :, 0, 0]) / (
        logit_in[:, :, 0, 1] - logit_in[:, :, 0, 0]
    )
    shift = logit_out - logit_in * gain[:, :1, None, None]
    assert torch.allclose(shift, shift[:, :1, :1, :1].expand_as(shift), atol=1e-3)
    # fastai's contrast range for max_lighting 0.4: gain in [0.6, 1/0.6].
    assert gain.min() >= 0.6 - 1e-4 and gain.max() <= 1 / 0.6 + 1e-4
    unchanged = lighting_batch(images, 0.4, 0.0, torch.Generator().manual_seed(0))
    assert torch.allclose(unchanged, images, atol=1e-5)


def test_the_studys_augment_config_runs_through_augment():
    images, labels = _aligned_batch(n=3)
    study = AugmentConfig(
        flips="d4", flips_p=0.5, hflip_p=0.5, rotate=10.0, zoom=[0.9, 1.1], warp=0.2,
        p_affine=0.75, lighting=0.4, p_lighting=0.8, scale=[], brightness=0.0, contrast=0.0,
    )  # fmt: skip
    out_images, out_labels = augment(images, labels, study, torch.Generator().manual_seed(4))
    assert out_images.shape == images.shape and out_labels.shape == labels.shape
    assert out_images.min() > 0 and out_images.max() < 1


def test_the_studys_combined_loss_is_weighted_ce_and_fastais_per_image_dice():
    from trainer.losses import fastai_dice_loss

    logits, target = _batch()
    target = target.masked_fill(target == 255, 0)
    probs = F.softmax(logits, dim=1)
    onehot = F.one_hot(target, 6).permute(0, 3, 1, 2).float()
    # fastai's DiceLoss by hand: per image and class, every class, smooth 1e-6, then the mean.
    by_hand = [
        1
        - (2 * (probs[i, c] * onehot[i, c]).sum() + 1e-6)
        / ((probs[i, c] + onehot[i, c]).sum() + 1e-6)
        for i in range(2)
        for c in range(6)
    ]
    assert fastai_dice_loss(logits, target) == pytest.approx(float(sum(by_hand) / 12), rel=1e-5)
    combined = SegmentationLoss(
        LossConfig("ce_dice", ce_weight=0.6, dice_weight=0.4, dice_mode="fastai")
    )
    expected = 0.6 * F.cross_entropy(logits, target) + 0.4 * fastai_dice_loss(logits, target)
    assert combined(logits, target) == pytest.approx(float(expected), rel=1e-5)
