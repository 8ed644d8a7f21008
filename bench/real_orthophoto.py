"""What a model calls the real UAV orthophoto in tests/data (a maize field, a ploughed strip).

No labelled real aerial imagery can be downloaded where this project is built; this crop of
a real UAV orthophoto (Deepness' test data, ~2 cm) is the one real image at hand. Nearly all
of it is vegetation (maize, weeds) or bare soil, so a model that transfers should call most
of its valid pixels low vegetation or tree, and none of it building or car. Prints each
class's share of the valid pixels (alpha > 0) and the vegetation share, per model.

    .venv/bin/python bench/real_orthophoto.py [--model M.onnx ...] [--tta]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.model_file import load_model  # noqa: E402
from engine.pipeline import SegmentationOptions, segment  # noqa: E402

ORTHOPHOTO = ROOT / "tests" / "data" / "deepness" / "uav_orthophoto_2cm_rgba.tif"
BUNDLED = ROOT / "resources" / "models" / "cse_unet_synthetic.onnx"
VEGETATION = ("low vegetation", "tree")


@dataclass
class Shares:
    """Each class's share of the valid pixels, and the vegetation classes' together."""

    classes: dict[str, float]
    vegetation: float


def class_shares(model: Path, tta: bool = False, threads: int = 2) -> Shares:
    loaded = load_model(model, device="cpu", num_threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        result = segment(ORTHOPHOTO, loaded, Path(tmp) / "classes.tif",
                         SegmentationOptions(tta=tta))  # fmt: skip
    total = sum(a.pixels for a in result.class_areas) or 1
    shares = {a.name: a.pixels / total for a in result.class_areas}
    return Shares(shares, sum(v for k, v in shares.items() if k.lower() in VEGETATION))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", help="default: the bundled")
    parser.add_argument("--tta", action="store_true", help="test-time augmentation too")
    args = parser.parse_args(argv)
    for model in args.model or [BUNDLED]:
        for tta in (False, True) if args.tta else (False,):
            shares = class_shares(model, tta=tta)
            print(f"{model.name}{' (TTA)' if tta else ''}: low vegetation + tree "
                  f"{100 * shares.vegetation:.1f} % of the valid pixels")  # fmt: skip
            for name, share in shares.classes.items():
                print(f"  {name:<22} {100 * share:5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
