"""Style adaptation from unlabelled real imagery (the UAV orthophoto in tests/data): FDA moves
a tile's low frequencies to the reference's and keeps its shapes, histogram matching takes
the reference's value distribution, labels stay untouched, only training batches change."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from trainer.config import from_dict
from trainer.data.style import StyleBank, fda, low_frequency_mask, match_histograms
from trainer.data.synthetic import ScenePlan, generate_scene
from trainer.loop import Trainer
from trainer.transforms import AugmentConfig, augment, normalise

ORTHOPHOTO = (
    Path(__file__).resolve().parents[1] / "data" / "deepness" / "uav_orthophoto_2cm_rgba.tif"
)


@pytest.fixture(scope="module")
def style_dir(tmp_path_factory) -> Path:
    """A user's folder of unlabelled imagery: the real orthophoto, and a file that is no raster."""
    folder = tmp_path_factory.mktemp("my_orthophotos")
    shutil.copy(ORTHOPHOTO, folder / ORTHOPHOTO.name)
    (folder / "notes.txt").write_text("flight of 12 June")
    return folder


@pytest.fixture(scope="module")
def tile() -> torch.Tensor:
    """A synthetic town tile, C x H x W in [0, 1]."""
    scene = generate_scene(128, np.random.default_rng(4), plan=ScenePlan("suburb", "summer", 0.1))
    return torch.from_numpy(scene.image).permute(2, 0, 1).float() / 255


def test_references_are_read_at_the_training_gsd(style_dir):
    native = StyleBank.from_folder(style_dir)
    coarse = StyleBank.from_folder(style_dir, gsd_m=0.2)
    assert len(native.references) == len(coarse.references) == 1  # notes.txt is skipped
    assert tuple(native.references[0].shape) == (3, 841, 1024)  # a window of at most 1024 px
    assert tuple(coarse.references[0].shape) == (3, 84, 124)  # 2 cm -> 20 cm, averaged
    ref = coarse.references[0]
    assert 0 <= float(ref.min()) and float(ref.max()) <= 1
    # The maize field is green: more green than blue on average.
    assert float(ref[1].mean()) > float(ref[2].mean())


def test_a_folder_without_rasters_is_a_clear_error(tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(ValueError, match="no readable RGB rasters"):
        StyleBank.from_folder(tmp_path)


def test_fda_takes_the_references_low_frequencies_and_keeps_the_tiles_shapes(style_dir, tile):
    ref = StyleBank.from_folder(style_dir, gsd_m=0.1).references[0][:, :128, :128]
    beta = 0.05
    styled = fda(tile, ref, beta)
    low = low_frequency_mask(128, 128, beta)
    assert int(low.sum()) == (2 * 6 + 1) ** 2

    def amplitude(x):
        return torch.fft.fft2(x).abs()

    before = (amplitude(tile) - amplitude(ref))[:, low].abs().mean()
    after = (amplitude(styled) - amplitude(ref))[:, low].abs().mean()
    assert after < 0.25 * before
    # The mean colour moves most of the way to the reference's.
    gap_before = (tile.mean((1, 2)) - ref.mean((1, 2))).abs().sum()
    gap_after = (styled.mean((1, 2)) - ref.mean((1, 2))).abs().sum()
    assert gap_after < 0.3 * gap_before
    # Shapes stay: the high frequencies (edges, texture) are the tile's.
    high = ~low
    kept = torch.corrcoef(
        torch.stack([amplitude(tile)[:, high].ravel(), amplitude(styled)[:, high].ravel()])
    )
    assert kept[0, 1] > 0.9


def test_histogram_matching_takes_the_references_quantiles(style_dir, tile):
    ref = StyleBank.from_folder(style_dir, gsd_m=0.1).references[0][:, :128, :128]
    matched = match_histograms(tile, ref)
    q = torch.tensor([0.1, 0.5, 0.9])
    for c in range(3):
        assert torch.allclose(
            torch.quantile(matched[c], q), torch.quantile(ref[c].ravel(), q), atol=0.02
        )
    # Order within each channel is kept: brighter stays brighter.
    assert torch.corrcoef(torch.stack([tile[0].ravel(), matched[0].ravel()]))[0, 1] > 0.8


@pytest.mark.parametrize("method", ["fda", "histogram"])
def test_augment_styles_images_only_and_is_deterministic(style_dir, tile, method):
    bank = StyleBank.from_folder(style_dir, method=method, probability=1.0, beta=0.02, gsd_m=0.1)
    config = AugmentConfig(flips="none", scale=[], brightness=0.0, contrast=0.0)
    images = torch.stack([tile, tile.flip(-1)])
    labels = torch.randint(0, 6, (2, 128, 128), generator=torch.Generator().manual_seed(0))

    def run(seed):
        return augment(images, labels, config, torch.Generator().manual_seed(seed), bank)

    a_images, a_labels = run(1)
    b_images, _ = run(1)
    c_images, _ = run(2)
    assert torch.equal(a_labels, labels)
    assert torch.equal(a_images, b_images)
    assert not torch.equal(a_images, images)
    assert not torch.equal(a_images, c_images)  # another crop of the reference
    never = StyleBank(bank.references, method, probability=0.0)
    assert torch.equal(augment(images, labels, config, torch.Generator(), never)[0], images)


def test_config_keys_are_checked():
    with pytest.raises(ValueError, match="style_method"):
        from_dict({"augment": {"style_method": "cyclegan"}})
    with pytest.raises(ValueError, match="style_probability"):
        from_dict({"augment": {"style_probability": 1.5}})
    assert from_dict({"augment": {"style_dir": "x", "style_beta": 0.05}}).augment.style_beta == 0.05


def test_training_batches_are_styled_validation_batches_never(
    potsdam_prepared, style_dir, tmp_path, kit
):
    augment_section = {
        "flips": "none", "scale": [], "brightness": 0.0, "contrast": 0.0,
        "style_dir": str(style_dir), "style_method": "histogram", "style_probability": 1.0,
    }  # fmt: skip
    config = kit.tiny_config(
        potsdam_prepared, tmp_path / "out", augment=augment_section, train={"epochs": 1}
    )
    trainer = Trainer(from_dict(config))
    assert trainer.style is not None
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 6, (2, 32, 32), dtype=torch.uint8)
    plain = normalise(images.float() / 255, trainer.mean, trainer.std)
    val_images, val_labels = trainer._prepare_batch(images, labels)
    train_images, train_labels = trainer._prepare_batch(
        images, labels, torch.Generator().manual_seed(0)
    )
    assert torch.allclose(val_images, plain)
    assert not torch.allclose(train_images, plain)
    assert torch.equal(val_labels, labels.long()) and torch.equal(train_labels, labels.long())
    history = trainer.fit()
    assert len(history) == 1 and np.isfinite(history[0]["train_loss"])
