"""Class probabilities from what a model outputs, and D4 test-time augmentation on them.

Test-time augmentation runs each batch in the 8 orientations of the dihedral group D4 (4
rotations, each with and without a mirror), turns every view's output into class
probabilities, maps it back and averages: a model that is not rotation-invariant (none
trained on aerial views is, exactly) gets a steadier decision at 8x the model time. The
average is taken per batch, in buffers allocated once, so memory stays that of a batch.
"""

from __future__ import annotations

import numpy as np

VIEWS = 8


def to_probabilities(scores: np.ndarray, output_kind: str) -> np.ndarray:
    """``scores`` ``[N, C, H, W]`` float32 as probabilities, in place (softmax over classes
    for multi-class logits, a sigmoid for one logit channel; probabilities are kept)."""
    if output_kind != "logits":
        return scores
    if scores.shape[1] == 1:
        np.negative(scores, out=scores)
        np.exp(scores, out=scores)
        scores += 1
        np.reciprocal(scores, out=scores)
        return scores
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def view(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k``-th D4 orientation of square images ``[..., H, W]`` (a numpy view):
    ``k`` quarter turns, the image mirrored first for ``k >= 4``."""
    if k >= 4:
        x = x[..., ::-1]
    return np.rot90(x, k % 4, axes=(-2, -1))


def unview(x: np.ndarray, k: int) -> np.ndarray:
    """The inverse of :func:`view`: back to the original orientation."""
    x = np.rot90(x, -(k % 4), axes=(-2, -1))
    return x[..., ::-1] if k >= 4 else x


class D4Averager:
    """Runs a model on the 8 views of a batch and averages the class probabilities.

    ``run(batch, out)`` writes into ``out`` (one ``[N, C, H, W]`` float32 array per head, the
    run's pooled output buffers); the rotated input and each view's output go through
    buffers allocated here once.
    """

    def __init__(self, model, batch_shape: tuple[int, int, int, int], output_kind: str):
        if batch_shape[2] != batch_shape[3]:
            raise ValueError("D4 test-time augmentation needs square tiles")
        self.model = model
        self.output_kind = output_kind
        self.rotated = np.empty(batch_shape, dtype=np.float32)
        shapes = model.output_shapes(batch_shape[2])
        self.view_scores = [np.empty((batch_shape[0], *s), dtype=np.float32) for s in shapes]

    def run(self, batch: np.ndarray, out: list[np.ndarray]) -> list[np.ndarray]:
        n = batch.shape[0]
        out = [o[:n] for o in out]
        for k in range(VIEWS):
            rotated = self.rotated[:n]
            np.copyto(rotated, view(batch, k))
            scores = self.model.run_heads(rotated, out=[s[:n] for s in self.view_scores])
            for total, head in zip(out, scores):
                probabilities = to_probabilities(head, self.output_kind)
                if k == 0:
                    np.copyto(total, unview(probabilities, k))
                else:
                    total += unview(probabilities, k)
        for total in out:
            total *= 1.0 / VIEWS
        return out
