"""What a model calls the real UAV orthophoto in tests/data (a maize field, a ploughed strip).

No labelled real aerial imagery can be downloaded where this project is built; this crop of
a real UAV orthophoto (Deepness' test data, ~2 cm) is the one real image at hand. Nearly all
of it is vegetation (maize, weeds) or bare soil, so a model that transfers should call most
of its valid pixels low vegetation or tree, and none of it building or car. Prints each
class's share of the valid pixels (alpha > 0) and the vegetation share, per model; then the
vegetation share of each kind of ground apart: the maize, the pale strip, and the marks
painted onto the image (saturated red, blue and green strokes, a tenth of it: paint, not
ground, so no class of the model is right for them; clutter is the nearest).

``--strip`` asks what the model reads the pale ploughed strip by: it segments edited copies
of the image (the strip tinted brown, darkened, its texture doubled or flattened) and prints
the share of the strip's pixels called vegetation in each. A diagnosis, never a score to
choose a model by.

``--picture DIR`` also draws, per model, the orthophoto beside what the model calls it.

    .venv/bin/python bench/real_orthophoto.py [--model M.onnx ...] [--tta] [--strip]
        [--picture DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402

from engine.model_file import load_model  # noqa: E402
from engine.pipeline import SegmentationOptions, segment  # noqa: E402

ORTHOPHOTO = ROOT / "tests" / "data" / "deepness" / "uav_orthophoto_2cm_rgba.tif"
BUNDLED = ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"
VEGETATION = ("low vegetation", "tree")
STRIP_COLUMNS = 240  # the strip fills the image's left 4.8 m (2 cm pixels) and a little more


@dataclass
class Shares:
    """Each class's share of the valid pixels, the vegetation classes' together, and per kind
    of pixel (:func:`ground_kinds`) its share of the image and the vegetation share in it."""

    classes: dict[str, float]
    vegetation: float
    by_kind: dict[str, tuple[float, float]]
    class_map: np.ndarray  # the class of each pixel, as the output GeoTIFF holds it
    colours: dict[int, tuple[str, tuple[int, int, int]]]  # class index -> name, colour


def class_shares(model: Path, tta: bool = False, threads: int = 2) -> Shares:
    loaded = load_model(model, device="cpu", num_threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        result = segment(ORTHOPHOTO, loaded, Path(tmp) / "classes.tif",
                         SegmentationOptions(tta=tta))  # fmt: skip
        called = gdal.Open(str(Path(tmp) / "classes.tif")).ReadAsArray()
    total = sum(a.pixels for a in result.class_areas) or 1
    shares = {a.name: a.pixels / total for a in result.class_areas}
    vegetation = np.isin(called, [a.index for a in result.class_areas
                                  if a.name.lower() in VEGETATION])  # fmt: skip
    by_kind = {name: (float(where.mean()), float(vegetation[where].mean()))
               for name, where in ground_kinds().items()}  # fmt: skip
    together = sum(v for k, v in shares.items() if k.lower() in VEGETATION)
    colours = {a.index: (a.name, a.color) for a in result.class_areas}
    return Shares(shares, together, by_kind, called, colours)


def draw(shares: Shares, title: str, path: Path) -> None:
    """The orthophoto beside its class map, with the legend and the shares by kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rgb = gdal.Open(str(ORTHOPHOTO)).ReadAsArray()[:3].transpose(1, 2, 0)
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index, (_, colour) in shares.colours.items():
        palette[index] = colour
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.6))
    panels = ((rgb, "the orthophoto (2 cm)"), (palette[shares.class_map], "the model calls it"))
    for ax, (image, caption) in zip(axes, panels):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(caption, fontsize=10)
        ax.axis("off")
    legend = [Patch(facecolor=np.asarray(colour) / 255, edgecolor="0.4",
                    label=f"{name} {100 * shares.classes[name]:.1f} %")
              for name, colour in shares.colours.values()]  # fmt: skip
    axes[1].legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    kinds = "; ".join(f"{name} {100 * share:.0f} %" for name, (_, share) in shares.by_kind.items())
    fig.suptitle(f"{title}: low vegetation + tree {100 * shares.vegetation:.1f} % of the valid "
                 f"pixels\n(by kind of pixel: {kinds})", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


MARK_PIXELS = 1000  # painted dots are 2000-2500 pixels, specks of sunlit leaf 430 at most
FRINGE_PIXELS = 20  # 40 cm: two of the model's 20 cm working pixels round a mark


def _painted(rgb: np.ndarray) -> np.ndarray:
    """Marks painted onto the image: saturated colour (no soil or plant is this colourful)
    in patches of at least MARK_PIXELS (specks of sunlit leaf sieved out)."""
    saturated = (rgb.max(axis=0) - rgb.min(axis=0) > 90).astype(np.uint8)
    mask = _in_memory(saturated)
    band = mask.GetRasterBand(1)
    gdal.SieveFilter(band, None, band, MARK_PIXELS, 8)
    return band.ReadAsArray() > 0


def _within(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Pixels at most ``pixels`` from one of ``mask``'s (the mask's own included)."""
    source = _in_memory(mask.astype(np.uint8))
    distance = _in_memory(np.zeros(mask.shape, dtype=np.float32))
    gdal.ComputeProximity(source.GetRasterBand(1), distance.GetRasterBand(1),
                          ["VALUES=1", "DISTUNITS=PIXEL"])  # fmt: skip
    return distance.GetRasterBand(1).ReadAsArray() <= pixels


def _in_memory(array: np.ndarray) -> gdal.Dataset:
    """A one-band in-memory raster holding ``array`` (keep it: its band dies with it)."""
    kind = gdal.GDT_Float32 if array.dtype == np.float32 else gdal.GDT_Byte
    dataset = gdal.GetDriverByName("MEM").Create("", array.shape[1], array.shape[0], 1, kind)
    dataset.GetRasterBand(1).WriteArray(array)
    return dataset


def ground_kinds() -> dict[str, np.ndarray]:
    """Masks of the valid pixels by kind: the maize (near the marks and away from them),
    the pale strip, the painted marks."""
    bands = gdal.Open(str(ORTHOPHOTO)).ReadAsArray().astype(np.float32)
    painted = _painted(bands[:3])
    fringe = _within(painted, FRINGE_PIXELS)
    valid = bands[3] > 0
    strip = np.zeros_like(valid)
    strip[:, :STRIP_COLUMNS] = True
    maize = valid & ~painted & ~strip
    return {
        "maize, all": maize,
        "maize, 40 cm round marks": maize & fringe,
        "maize, farther": maize & ~fringe,
        "pale strip (unpainted)": valid & ~painted & strip,
        "unpainted, both": valid & ~painted,
        "painted marks": valid & painted,
    }


StripEdit = Callable[[np.ndarray], np.ndarray]  # float RGB [3, h, w] of the strip -> edited

STRIP_EDITS: dict[str, StripEdit] = {
    "as it is": lambda rgb: rgb,
    "tinted brown": lambda rgb: rgb * np.array([0.95, 0.85, 0.7])[:, None, None],
    "darkened by a quarter": lambda rgb: rgb * 0.75,
    "texture doubled": lambda rgb: _contrast(rgb, 2.0),
    "texture flattened": lambda rgb: _contrast(rgb, 0.3),
}


def _contrast(rgb: np.ndarray, factor: float) -> np.ndarray:
    mean = rgb.mean(axis=(1, 2), keepdims=True)
    return mean + factor * (rgb - mean)


def strip_vegetation(model: Path, threads: int = 2) -> dict[str, float]:
    """Share of the strip's pixels (left columns, painted marks left out) called vegetation,
    for each edit of the strip."""
    loaded = load_model(model, device="cpu", num_threads=threads)
    source = gdal.Open(str(ORTHOPHOTO))
    bands = source.ReadAsArray().astype(np.float32)
    rgb, alpha = bands[:3, :, :STRIP_COLUMNS], bands[3, :, :STRIP_COLUMNS] > 0
    strip = alpha & ~_painted(rgb)
    shares = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, edit) in enumerate(STRIP_EDITS.items()):
            edited = bands.copy()
            edited[:3, :, :STRIP_COLUMNS] = np.where(strip, np.clip(edit(rgb), 0, 255), rgb)
            path, out = Path(tmp) / f"edited_{k}.tif", Path(tmp) / f"classes_{k}.tif"
            copy = gdal.GetDriverByName("GTiff").CreateCopy(str(path), source)
            copy.WriteArray(edited.round().astype(np.uint8))
            copy = None
            result = segment(path, loaded, out, SegmentationOptions())
            vegetation = [a.index for a in result.class_areas if a.name.lower() in VEGETATION]
            called = gdal.Open(str(out)).ReadAsArray()[:, :STRIP_COLUMNS][strip]
            shares[name] = float(np.isin(called, vegetation).mean())
    return shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", help="default: the bundled")
    parser.add_argument("--tta", action="store_true", help="test-time augmentation too")
    parser.add_argument("--strip", action="store_true", help="what the strip is read by")
    parser.add_argument("--picture", type=Path, metavar="DIR", help="draw each result here")
    args = parser.parse_args(argv)
    for model in args.model or [BUNDLED]:
        for tta in (False, True) if args.tta else (False,):
            shares = class_shares(model, tta=tta)
            title = f"{model.name}{' (TTA)' if tta else ''}"
            print(f"{title}: low vegetation + tree "
                  f"{100 * shares.vegetation:.1f} % of the valid pixels")  # fmt: skip
            for name, share in shares.classes.items():
                print(f"  {name:<22} {100 * share:5.1f} %")
            print("  low vegetation + tree by kind of pixel (its share of the image):")
            for name, (size, share) in shares.by_kind.items():
                print(f"    {name:<24} {100 * share:5.1f} %  ({100 * size:4.1f} %)")
            if args.picture:
                args.picture.mkdir(parents=True, exist_ok=True)
                picture = args.picture / f"{model.stem}{'_tta' if tta else ''}.png"
                draw(shares, title, picture)
                print(f"  drawn: {picture}")
        if args.strip:
            print(f"{model.name}: the pale strip's pixels called vegetation, per edit")
            for name, share in strip_vegetation(model).items():
                print(f"  {name:<22} {100 * share:5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
