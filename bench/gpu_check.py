"""The CUDA paths, checked on a machine with a GPU: the engine on CUDA against the CPU, a
training step with mixed precision (AMP), and a one-GPU DDP step over NCCL. Prints a table.

    .venv/bin/python bench/gpu_check.py                 # exits 0 with "no CUDA device" without one
    .venv/bin/python bench/gpu_check.py --device cpu    # the same checks on the CPU (gloo):
                                                        # tries the script itself anywhere

Everything is generated on the spot (a CSE-UNet, a random orthophoto, a tiny tile dataset)
in a temporary folder. Exit code 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AGREEMENT = 0.999  # share of pixels whose class must match between the devices
TILE = 64


@dataclass
class Row:
    check: str
    passed: bool | None  # None: could not run here (the figures say why)
    figures: str
    seconds: float


def cuda_state() -> dict:
    """What this Python sees: torch's CUDA devices and onnxruntime's providers."""
    import onnxruntime
    import torch

    return {
        "torch": torch.__version__,
        "torch_cuda": torch.cuda.is_available(),
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "nccl": torch.distributed.is_nccl_available() if torch.cuda.is_available() else False,
        "onnxruntime": onnxruntime.__version__,
        "providers": onnxruntime.get_available_providers(),
    }


# ---- inputs -----------------------------------------------------------------------------


def small_model(folder: Path) -> tuple[Path, Path]:
    """A CSE-UNet (width 8, random but BatchNorm-calibrated) as a checkpoint and as ONNX."""
    import torch

    from engine.metadata import make_metadata, to_onnx_props
    from engine.models import build_model, resolve_arguments
    from trainer.export import export_onnx

    torch.manual_seed(0)
    arguments = resolve_arguments("cse_unet_study", in_channels=3, classes=6, base_width=8,
                                  dropout=0.0)  # fmt: skip
    model = build_model("cse_unet_study", **arguments)
    model.train()
    with torch.no_grad():  # BatchNorm statistics from data, as training would leave them
        for _ in range(4):
            model(torch.randn(4, 3, TILE, TILE))
    model.eval()
    names = ["impervious", "building", "low vegetation", "tree", "car", "clutter"]
    meta = make_metadata(names, tile_size=TILE, mean=(0.5,) * 3, std=(0.25,) * 3,
                         architecture="cse_unet_study", architecture_args=arguments)  # fmt: skip
    onnx_path = folder / "model.onnx"
    export_onnx(model, meta, onnx_path, TILE)
    checkpoint = folder / "model.pt"
    torch.save({"model": model.state_dict(), "architecture": "cse_unet_study",
                "architecture_args": arguments, "metadata": to_onnx_props(meta)},
               checkpoint)  # fmt: skip
    return onnx_path, checkpoint


def orthophoto(folder: Path, size: int = 512) -> Path:
    from osgeo import gdal, osr

    gdal.UseExceptions()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (3, size // 8, size // 8), dtype=np.uint8)
    image = np.kron(image, np.ones((1, 8, 8), dtype=np.uint8))  # patches, not pure noise
    path = folder / "ortho.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), size, size, 3, gdal.GDT_Byte)
    dataset.SetGeoTransform((500000.0, 0.2, 0.0, 5800000.0, 0.0, -0.2))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.WriteArray(image)
    dataset = None
    return path


def tile_dataset(folder: Path) -> Path:
    """A folder dataset of 8 small scenes, prepared into tiles (what `trainer train` reads)."""
    from osgeo import gdal

    from trainer.data.folder import prepare_folder

    colours = [[128, 128, 128], [200, 0, 0], [0, 200, 0]]
    src = folder / "scenes"
    for sub in ("images", "masks"):
        (src / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        classes = np.kron(rng.integers(0, 3, (8, 8)), np.ones((16, 16), dtype=np.int64))
        image = np.stack([classes * 80, 255 - classes * 60, classes * 30]).astype(np.uint8)
        mask = np.asarray(colours, dtype=np.uint8)[classes].transpose(2, 0, 1)
        for sub, data in (("images", image), ("masks", mask)):
            out = gdal.GetDriverByName("GTiff").Create(str(src / sub / f"s{i}.tif"), 128, 128, 3)
            out.WriteArray(data)
            out = None
    names = ("road", "roof", "grass")
    (src / "classes.json").write_text(json.dumps(
        {"classes": [{"name": n, "color": c} for n, c in zip(names, colours)]}
    ))  # fmt: skip
    data = folder / "tiles"
    prepare_folder(src, data, tile=TILE)
    return data


def train_config(data: Path, out: Path, device: str, epochs: int = 1) -> dict:
    return {
        "run": {"name": "gpu_check", "out_dir": str(out), "seed": 0, "device": device},
        "data": {
            "dir": str(data),
            "batch_size": 4,
            "validation_batch_size": 8,
            "num_workers": 0,
        },
        "model": {"architecture": "cse_unet_study", "base_width": 8},
        "loss": {"name": "ce"},
        "optim": {"name": "adamw", "lr": 1e-3, "accumulate": 1, "schedule": "constant"},
        "train": {"epochs": epochs, "amp": True, "plot_samples": 0},
    }


# ---- checks -----------------------------------------------------------------------------


def check_engine(folder: Path, device: str, model: Path, backend: str) -> Row:
    """The same raster on ``device`` and on the CPU: classes agree, scores are close."""
    from osgeo import gdal

    from engine.model_file import load_model
    from engine.pipeline import SegmentationOptions, segment

    started = time.perf_counter()
    raster = orthophoto(folder)
    outputs, used = {}, {}
    for name in ("cpu", device):
        out = folder / f"{backend}_{name}_{len(outputs)}.tif"
        result = segment(raster, model, out, SegmentationOptions(device=name, batch_size=4))
        outputs[name], used[name] = gdal.Open(str(out)).ReadAsArray(), result.device
    if used[device] != device:
        return Row(f"engine {backend} {device} vs cpu", None,
                   f"ran on {used[device]}: {backend} cannot use {device} here",
                   time.perf_counter() - started)  # fmt: skip
    agree = float((outputs["cpu"] == outputs[device]).mean())
    batch = np.random.default_rng(0).normal(size=(2, 3, TILE, TILE)).astype(np.float32)
    gap = float(np.abs(load_model(model, device="cpu").run(batch)
                       - load_model(model, device=device).run(batch)).max())  # fmt: skip
    figures = f"classes agree on {100 * agree:.3f} % of pixels; max score gap {gap:.2e}"
    return Row(f"engine {backend} {device} vs cpu", agree >= AGREEMENT, figures,
               time.perf_counter() - started)  # fmt: skip


def check_amp_training(folder: Path, device: str, data: Path) -> Row:
    """The trainer's real loop, one epoch with AMP on: finite loss, a checkpoint written."""
    from trainer.config import from_dict
    from trainer.distributed import DistContext, pick_device
    from trainer.loop import Trainer

    started = time.perf_counter()
    context = DistContext(device=pick_device(device))
    trainer = Trainer(from_dict(train_config(data, folder / "amp_run", device)), context)
    history = trainer.fit()
    dtype = str(trainer.amp_dtype).replace("torch.", "") if trainer.amp_dtype else "fp32"
    loss = history[-1]["train_loss"]
    scaler = "on" if trainer.scaler.is_enabled() else "off"
    written = (folder / "amp_run" / "checkpoints" / "last.pt").is_file()
    figures = (f"autocast {dtype}, grad scaler {scaler}, {trainer.step} steps, "
               f"train loss {loss:.3f}")  # fmt: skip
    passed = bool(np.isfinite(loss)) and written and (device == "cpu" or dtype != "fp32")
    return Row(f"training step with AMP on {device}", passed, figures,
               time.perf_counter() - started)  # fmt: skip


def check_ddp(folder: Path, device: str, data: Path) -> Row:
    """torchrun with one process: DDP over NCCL on a GPU (gloo on the CPU), one epoch."""
    started = time.perf_counter()
    config_path = folder / "ddp.toml"
    config = train_config(data, folder / "ddp_run", device)
    config_path.write_text(to_toml(config))
    env = dict(os.environ, PYTHONPATH=str(ROOT), USE_LIBUV="0", OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "1", "--rdzv-conf", "use_libuv=False",
               "-m", "trainer", "train", "--config", str(config_path)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    backend = "nccl" if device == "cuda" else "gloo"
    written = (folder / "ddp_run" / "checkpoints" / "last.pt").is_file()
    if done.returncode != 0 or not written:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        return Row(f"1-process DDP ({backend})", False, " / ".join(tail),
                   time.perf_counter() - started)  # fmt: skip
    import torch

    steps = torch.load(folder / "ddp_run" / "checkpoints" / "last.pt", weights_only=True)["step"]
    return Row(f"1-process DDP ({backend})", steps > 0, f"{steps} steps, checkpoint written",
               time.perf_counter() - started)  # fmt: skip


def to_toml(config: dict) -> str:
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v) if isinstance(v, str | list) else repr(v)

    return "".join(
        f"[{section}]\n" + "".join(f"{k} = {value(v)}\n" for k, v in values.items())
        for section, values in config.items()
    )


def table(rows: list[Row]) -> str:
    word = {True: "ok", False: "FAILED", None: "not run"}
    lines = ["| check | result | figures | s |", "|---|---|---|---|"]
    lines += [f"| {r.check} | {word[r.passed]} | {r.figures} | {r.seconds:.1f} |" for r in rows]
    return "\n".join(lines)


def run_checks(device: str, folder: Path, state: dict) -> list[Row]:
    onnx_model, checkpoint = small_model(folder)
    data = tile_dataset(folder)
    checks: list[Callable[[], Row]] = [
        lambda: check_engine(folder, device, onnx_model, "onnxruntime"),
        lambda: check_engine(folder, device, checkpoint, "torch"),
        lambda: check_amp_training(folder, device, data),
        lambda: check_ddp(folder, device, data),
    ]
    rows = []
    for check in checks:
        try:
            rows.append(check())
        except Exception as error:  # a check that breaks is a failed check, and the rest run
            rows.append(Row(getattr(check, "__name__", "check"), False,
                            f"{type(error).__name__}: {error}", 0.0))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device", choices=["cuda", "cpu"], default="cuda",
        help="cpu: the same checks on the CPU (gloo), to try the script",
    )  # fmt: skip
    args = parser.parse_args(argv)
    state = cuda_state()
    print(f"torch {state['torch']} (CUDA: {state['torch_cuda']}, GPUs: {state['gpus'] or 'none'}, "
          f"NCCL: {state['nccl']}); onnxruntime {state['onnxruntime']} providers "
          f"{state['providers']}")  # fmt: skip
    if args.device == "cuda" and not state["torch_cuda"]:
        print("no CUDA device: nothing to check on this machine (try --device cpu)")
        return 0
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as folder:
        rows = run_checks(args.device, Path(folder), state)
    print(table(rows))
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
