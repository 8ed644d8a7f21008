"""Pictures of synthetic scenes for the README: one scene of each kind (image over labels).

    .venv/bin/python -m devtools.synthetic_gallery --out docs/images/synthetic_scenes.jpg

Scenes are drawn from fixed plans and seeds, so the picture is reproducible.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from trainer.data.synthetic import ScenePlan, generate_scene, label_colours

PLANS = (
    (ScenePlan("town_centre", "autumn", 0.08), 21),
    (ScenePlan("suburb", "winter", 0.06), 22),
    (ScenePlan("rural", "summer", 0.12), 23),
    (ScenePlan("forest_edge", "spring", 0.1), 24),
)


def gallery(size: int, plans=PLANS) -> np.ndarray:
    """Scenes side by side, their labels under them (uint8 RGB)."""
    images, labels = [], []
    for plan, seed in plans:
        scene = generate_scene(size, np.random.default_rng(seed), plan=plan)
        images.append(scene.image)
        labels.append(label_colours()[scene.labels])
    gap = np.full((size, 8, 3), 255, np.uint8)

    def row(tiles: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([x for t in tiles for x in (t, gap)][:-1], axis=1)

    strip = np.full((8, row(images).shape[1], 3), 255, np.uint8)
    return np.concatenate([row(images), strip, row(labels)], axis=0)


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 85) -> None:
    from osgeo import gdal

    gdal.UseExceptions()
    h, w, _ = rgb.shape
    mem = gdal.GetDriverByName("MEM").Create("", w, h, 3, gdal.GDT_Byte)
    for b in range(3):
        mem.GetRasterBand(b + 1).WriteArray(rgb[..., b])
    path.parent.mkdir(parents=True, exist_ok=True)
    gdal.GetDriverByName("JPEG").CreateCopy(str(path), mem, options=[f"QUALITY={quality}"])
    Path(str(path) + ".aux.xml").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=460)
    args = parser.parse_args(argv)
    write_jpeg(args.out, gallery(args.size))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
