"""The same raster and model give the same output file, byte for byte, on the CPU: run after
run, whatever the batch size and the number of inference threads."""

from __future__ import annotations

import hashlib

import numpy as np

from engine.model_file import load_model
from engine.pipeline import SegmentationOptions, segment

# (batch size, onnxruntime threads): None is onnxruntime's own choice (every core).
SETTINGS = [(1, 1), (4, 1), (3, 2), (8, None), (1, 1)]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_are_byte_identical_across_runs_batch_sizes_and_threads(
    labelled_scene, finetune_base, tmp_path
):
    # A trained CSE-UNet with float weights and a softmax: sums whose order could matter.
    digests, scores = set(), []
    for i, (batch, threads) in enumerate(SETTINGS):
        out = tmp_path / f"run{i}.tif"
        options = SegmentationOptions(device="cpu", batch_size=batch, num_threads=threads)
        segment(labelled_scene.image, finetune_base, out, options)
        digests.add(_digest(out))
    assert len(digests) == 1, f"{len(digests)} different outputs from {len(SETTINGS)} runs"
    # The probabilities themselves, not only their argmax, agree bit for bit.
    batch = np.random.default_rng(0).normal(size=(4, 3, 64, 64)).astype(np.float32)
    for threads in (1, 2, None):
        model = load_model(finetune_base, device="cpu", num_threads=threads)
        scores.append(np.concatenate([model.run(batch[i : i + 1]) for i in range(4)]))
        scores.append(model.run(batch))
    for other in scores[1:]:
        assert np.array_equal(scores[0], other)


def test_the_bundled_model_scores_the_same_with_one_or_two_threads_and_any_batch():
    """The shipped CSE-UNet: onnxruntime's CPU kernels split work by output, not along a sum,
    so neither the thread count nor the batch changes a bit."""
    from engine.jobs.model_catalog import resolve_model

    path = resolve_model("cse_unet_synthetic").path
    one = load_model(path, device="cpu", num_threads=1)
    two = load_model(path, device="cpu", num_threads=2)
    tile = one.metadata.tile_size
    batch = np.random.default_rng(1).normal(size=(2, 3, tile, tile)).astype(np.float32)
    reference = one.run(batch)
    assert np.array_equal(reference, two.run(batch))
    assert np.array_equal(reference, np.concatenate([two.run(batch[:1]), two.run(batch[1:])]))
