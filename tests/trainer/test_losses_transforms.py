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
