"""The validation scenes of the bundled model's scene sets, without the rest of each set.

Choosing between phases scores every phase's best checkpoint on every phase's validation
scenes. Those are carved from a set's training scenes by ``prepare folder``, and the carve
depends only on the scenes' names and the seed; each scene draws from its own generator
(seed, row, col). So the validation scenes of a set can be written alone, in minutes rather
than the hour the whole sets take, and score exactly as they do inside the full dataset.

    python -m devtools.validation_sets --work runs/bundled "scenes_b 100 1000 2027 0.06" ...

writes ``<work>/<folder>_validation`` (the scenes), ``<folder>_validation_20cm`` (the 20 cm
copy, validation under ``validation/`` beside one training scene that ``prepare`` needs) and
``dataset<suffix>_validation_20cm``, for ``devtools.bundled_model choose --data``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from trainer.data.splits import TRAIN, VALIDATION, ValidationCarve, carve_validation

# What devtools/train_bundled.sh gives synth and prepare besides each set's own numbers.
GSD_CM = (3.0, 20.0)
RESOLUTION_CM = 20.0
TILE = 256
CARVE = ValidationCarve(fraction=0.15, seed=0)


@dataclass(frozen=True)
class SceneSet:
    """One line of SCENE_SETS in devtools/train_bundled.sh."""

    folder: str
    scenes: int
    size: int
    seed: int
    test_fraction: float

    @classmethod
    def parse(cls, text: str) -> SceneSet:
        folder, scenes, size, seed, test_fraction = text.split()
        return cls(folder, int(scenes), int(size), int(seed), float(test_fraction))

    @property
    def dataset(self) -> str:
        return f"dataset{self.folder.removeprefix('scenes')}_validation_20cm"


def validation_tiles(scene_set: SceneSet, tile: int = TILE) -> tuple[list[str], str]:
    """The tile ids ``prepare folder`` carves as validation from the set's training scenes,
    and one training tile id left for training."""
    from trainer.data.synthetic import tile_ids

    tiles = tile_ids(scene_set.scenes, scene_set.test_fraction)
    names = {f"top_potsdam_{t}": split for t, split in tiles}
    sizes = dict.fromkeys(names, (1, 1))  # whole scenes: sizes do not choose them
    regions, summary = carve_validation(names, sizes, tile, CARVE)
    if summary["method"] != "scenes":
        raise ValueError(f"{scene_set.folder}: validation is carved as blocks, not whole scenes")
    chosen = [r.scene for r in regions if r.split == VALIDATION]
    training = next(r.scene for r in regions if r.split == TRAIN)
    strip = len("top_potsdam_")
    return [n[strip:] for n in chosen], training[strip:]


def write_validation_set(
    scene_set: SceneSet, work: Path, workers: int = 2, tile: int = TILE
) -> Path:
    """The set's validation scenes, their 20 cm copy and its prepared dataset."""
    from trainer.data.synthetic import SceneOptions, write_resampled_folder
    from trainer.data.synthetic.isprs_io import synthesize_tiles

    validation, training = validation_tiles(scene_set, tile)
    scenes = work / f"{scene_set.folder}_validation"
    copy = work / f"{scene_set.folder}_validation_20cm"
    dataset = work / scene_set.dataset
    for folder in (scenes, copy, dataset):
        shutil.rmtree(folder, ignore_errors=True)
    jobs = [(t, TRAIN) for t in [*validation, training]]
    written = list(
        synthesize_tiles(scenes, jobs, scene_set.size, scene_set.seed,
                         SceneOptions(gsd_cm=GSD_CM), workers)
    )  # fmt: skip
    write_resampled_folder(written, copy, RESOLUTION_CM)
    for kind in ("images", "masks"):
        (copy / kind / VALIDATION).mkdir()
        for tile_id in validation:
            name = f"top_potsdam_{tile_id}.tif"
            (copy / kind / TRAIN / name).rename(copy / kind / VALIDATION / name)
    subprocess.run(
        [sys.executable, "-m", "trainer", "prepare", "folder", "--src", str(copy),
         "--out", str(dataset), "--tile", str(tile)],
        check=True,
    )  # fmt: skip
    return dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/bundled"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("sets", nargs="+", help='"folder scenes size seed test-fraction"')
    args = parser.parse_args(argv)
    for text in args.sets:
        print(write_validation_set(SceneSet.parse(text), args.work, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
