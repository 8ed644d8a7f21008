"""The tile grid: full coverage, nearest-centre ownership, edge tiles inside the raster."""

from __future__ import annotations

import numpy as np
import pytest

from engine.stitching import labels_from_scores
from engine.tiling import axis_tiles, make_grid, stride_for


def _owner_map(tiles, size):
    owner = np.full(size, -1)
    for k, t in enumerate(tiles):
        assert (owner[t.start : t.stop] == -1).all(), "two tiles own a pixel"
        owner[t.start : t.stop] = k
    return owner


@pytest.mark.parametrize(
    ("start", "length", "size", "tile", "output", "overlap"),
    [
        (0, 1000, 1000, 128, 128, 32),
        (0, 1001, 1001, 128, 128, 0),
        (0, 130, 130, 128, 128, 32),
        (0, 50, 50, 128, 128, 32),  # smaller than a tile: padded
        (300, 200, 1000, 128, 128, 32),  # an extent in the middle
        (0, 700, 700, 512, 484, 80),  # output covers the tile's centre
    ],
)
def test_axis_tiles_cover_region_once_with_nearest_centre(
    start, length, size, tile, output, overlap
):
    stride = stride_for(tile, output, overlap)
    tiles = axis_tiles(start, length, size, tile, output, stride)
    margin = (tile - output) // 2
    owner = _owner_map(tiles, start + length + tile)
    assert (owner[start : start + length] >= 0).all()
    assert (owner[:start] == -1).all() and (owner[start + length :] == -1).all()
    centres = np.array([t.origin + tile / 2 for t in tiles])
    for k, t in enumerate(tiles):
        # the owned pixels lie inside the model's output...
        assert t.origin + margin <= t.start and t.stop <= t.origin + margin + output
        # ...and the tile is never shifted off the raster when the raster is big enough
        if size >= output:
            assert t.origin + margin >= 0 and t.origin + margin + output <= size
        # nearest centre (ties may go either way)
        for pixel in range(t.start, t.stop):
            distances = np.abs(centres - (pixel + 0.5))
            assert distances[k] <= distances.min() + 0.5


def test_tiles_keep_half_the_overlap_of_context_inside_the_raster():
    tiles = axis_tiles(0, 1000, 1000, 128, 128, stride_for(128, 128, 32))
    for t in tiles:
        left = t.start - t.origin if t.start > 0 else 16
        right = t.origin + 128 - t.stop if t.stop < 1000 else 16
        assert left >= 16 and right >= 16


def test_grid_counts_rows_and_columns():
    grid = make_grid((0, 0, 300, 200), (300, 200), 64, 64, 16)
    assert grid.count == len(grid.rows) * len(grid.cols)
    assert len(grid.cols) == 6 and len(grid.rows) == 4  # ceil((300 - 64) / 48) + 1, ...


def test_labels_from_scores_argmax_and_sigmoid_threshold():
    scores = np.array([[[[0.1, 0.9]], [[0.8, 0.2]], [[0.5, 0.9]]]], dtype=np.float32)
    assert labels_from_scores(scores, "probabilities", 0.5).tolist() == [[[1, 0]]]
    sig = np.array([[[[0.3, 0.7]]]], dtype=np.float32)
    assert labels_from_scores(sig, "sigmoid", 0.5).tolist() == [[[0, 1]]]
    assert labels_from_scores(sig, "sigmoid", 0.8).tolist() == [[[0, 0]]]
    logits = np.array([[[[-0.1, 0.1]]]], dtype=np.float32)
    assert labels_from_scores(logits, "logits", 0.5).tolist() == [[[0, 1]]]
    assert labels_from_scores(sig, "sigmoid", 0.7).tolist() == [[[0, 1]]]  # from seg_thresh up
    # Deepness' multi-class rule: the best score must reach seg_thresh, else class 0.
    assert labels_from_scores(scores, "probabilities", 0.85, True).tolist() == [[[0, 0]]]
    assert labels_from_scores(scores, "probabilities", 0.8, True).tolist() == [[[1, 0]]]


@pytest.mark.parametrize(("channels", "kind"), [(6, "logits"), (1, "sigmoid"), (1, "logits")])
@pytest.mark.parametrize("threshold_all", [False, True])
def test_class_decider_writes_the_same_classes_in_place(channels, kind, threshold_all):
    from engine.stitching import ClassDecider

    scores = np.random.default_rng(channels).normal(size=(1, channels, 30, 40)).astype(np.float32)
    if kind == "sigmoid":
        scores = 1 / (1 + np.exp(-scores))
    strip = np.full((50, 60), 255, np.uint8)
    decider = ClassDecider(kind, 0.6, 50 * 60, threshold_all)
    decider.decide(scores[0], strip[5:35, 10:50])
    expected = labels_from_scores(scores, kind, 0.6, threshold_all)[0]
    np.testing.assert_array_equal(strip[5:35, 10:50], expected)
    assert (strip[:5] == 255).all() and (strip[:, :10] == 255).all()
