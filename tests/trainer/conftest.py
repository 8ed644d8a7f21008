"""Tiny scenes in the ISPRS Potsdam file layout, generated here (no committed rasters).

Each scene is a mosaic of rectangles of the six classes; an image pixel's colour follows its
class (plus noise), so a small network can learn the mapping within a few epochs.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from osgeo import gdal, osr

from engine.metadata import POTSDAM_CLASSES

gdal.UseExceptions()

SIZE = 80  # not a multiple of the 32 px tiles: edge tiles are exercised
TILE = 32
# class -> mean image colour (distinct, but not the label colours)
IMAGE_COLOURS = np.array(
    [[200, 200, 190], [150, 60, 60], [90, 180, 80], [30, 100, 40], [220, 200, 40], [120, 120, 200]]
)
UNKNOWN_COLOUR = (10, 20, 30)
UNKNOWN_PIXELS = 7
# Potsdam tile ids: the paper's split trains on the first four (one of them carved off for
# validation) and tests on 2_12; 4_12 is dropped. The benchmark split trains on all six
# labelled ones and tests on 2_13.
TRAIN_IDS = ("2_10", "2_11", "3_10", "3_11")
PAPER_TEST_IDS = ("2_12",)
DROPPED_IDS = ("4_12",)
BENCHMARK_TEST_IDS = ("2_13",)
SCENE_IDS = TRAIN_IDS + PAPER_TEST_IDS + DROPPED_IDS + BENCHMARK_TEST_IDS


def class_map(seed: int, size: int = SIZE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    classes = np.zeros((size, size), dtype=np.uint8)
    for _ in range(14):
        c = rng.integers(0, 6)
        y, x = rng.integers(0, size, 2)
        h, w = rng.integers(6, size // 2, 2)
        classes[y : y + h, x : x + w] = c
    return classes


def _write(path: Path, bands: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path), bands.shape[2], bands.shape[1], bands.shape[0], gdal.GDT_Byte
    )
    ds.SetGeoTransform((368000.0, 0.05, 0, 5808000.0, 0, -0.05))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(25833)
    ds.SetProjection(srs.ExportToWkt())
    for i, band in enumerate(bands, start=1):
        ds.GetRasterBand(i).WriteArray(band)
    ds = None


def write_scene(root: Path, tile_id: str, seed: int, unknown: int = 0) -> np.ndarray:
    classes = class_map(seed)
    rng = np.random.default_rng(seed + 1000)
    image = IMAGE_COLOURS[classes] + rng.normal(0, 12, (SIZE, SIZE, 3))
    image = np.clip(image, 0, 255).astype(np.uint8).transpose(2, 0, 1)
    colours = np.array([c.color for c in POTSDAM_CLASSES], dtype=np.uint8)
    label = colours[classes].transpose(2, 0, 1).copy()
    if unknown:
        label[:, 0, :unknown] = np.array(UNKNOWN_COLOUR, dtype=np.uint8)[:, None]
    _write(root / "2_Ortho_RGB" / f"top_potsdam_{tile_id}_RGB.tif", image)
    _write(root / "5_Labels_all" / f"top_potsdam_{tile_id}_label.tif", label)
    eroded = label.copy()
    eroded[:, :, :2] = 0  # a black (boundary) strip
    _write(root / "5_Labels_all_noBoundary" / f"top_potsdam_{tile_id}_label_noBoundary.tif", eroded)
    return classes


def write_folder_dataset(src: Path) -> Path:
    """A user's own data for ``prepare folder``: 5 scenes of 3 classes (road, roof, grass)
    as colour masks, at 5 cm; every fifth image is a test image."""
    colours = [[128, 128, 128], [200, 0, 0], [0, 200, 0]]
    for i in range(5):
        classes = class_map(i, 64) % 3
        image = np.stack([classes * 80, 255 - classes * 60, classes * 30]).astype(np.uint8)
        _write(src / "images" / f"field{i}.tif", image)
        mask = np.asarray(colours, dtype=np.uint8)[classes].transpose(2, 0, 1)
        _write(src / "masks" / f"field{i}.tif", mask)
    (src / "classes.json").write_text(json.dumps({
        "classes": [{"name": n, "color": c} for n, c in zip(("road", "roof", "grass"), colours)],
        "resolution_cm": 5,
    }))  # fmt: skip
    return src


@pytest.fixture()
def torchrun_can_rendezvous() -> None:
    """Skips a torchrun test where this torch cannot start torchrun's rendezvous store: a build
    without libuv (Debian's python3-torch, 2.6 and 2.14) whose elastic launcher asks TCPStore
    for libuv with no way to say otherwise (neither ``USE_LIBUV=0`` nor ``--rdzv-conf`` reach
    it). Pip's torch, which setup installs on Debian 12 and CI runs, has libuv: the tests run
    there, and on any torch whose launcher passes ``use_libuv`` on."""
    import inspect

    import torch
    import torch.distributed as dist
    from torch.distributed.elastic.rendezvous import c10d_rendezvous_backend as backend

    if "use_libuv" in inspect.getsource(backend._create_tcp_store):
        return
    try:
        store = dist.TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)
    except RuntimeError as error:
        if "libuv" in str(error):
            pytest.skip(f"torch {torch.__version__}: torchrun cannot rendezvous here ({error})")
        raise
    del store


@pytest.fixture(scope="session")
def potsdam_src(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("potsdam_src")
    for i, tile_id in enumerate(SCENE_IDS):
        write_scene(root, tile_id, seed=i, unknown=UNKNOWN_PIXELS if tile_id == "2_11" else 0)
    return root


@pytest.fixture(scope="session")
def potsdam_prepared(potsdam_src, tmp_path_factory) -> Path:
    from trainer.data.potsdam import prepare_potsdam

    out = tmp_path_factory.mktemp("potsdam_tiles")
    prepare_potsdam(potsdam_src, out, tile=TILE, split="paper", test_labels="full")
    return out


@pytest.fixture(scope="session")
def trained(potsdam_prepared, tmp_path_factory) -> Path:
    """Two CPU epochs through the CLI, as a user would run them; the run folder."""
    from trainer.cli import main

    run = tmp_path_factory.mktemp("run")
    config = tiny_config(potsdam_prepared, run / "out", data={"max_train_tiles": 12})
    config["run"]["description"] = "A tiny CSE-UNet for the tests."
    (run / "tiny.toml").write_text(to_toml(config))
    rc = main(["train", "--config", str(run / "tiny.toml")])
    assert rc == 0
    return run / "out"


def tiny_config(data_dir: Path, out_dir: Path, **sections) -> dict:
    """A config dict for a seconds-long CPU run; ``sections`` update the defaults."""
    config = {
        "run": {"name": "tiny", "out_dir": str(out_dir), "seed": 3, "device": "cpu"},
        "data": {
            "dir": str(data_dir),
            "batch_size": 4,
            "validation_batch_size": 8,
            "num_workers": 0,
        },
        "model": {"architecture": "cse_unet_study", "base_width": 4},
        "loss": {"name": "ce"},
        "optim": {"name": "adamw", "lr": [1e-3, 1e-2], "accumulate": 2, "schedule": "one_cycle"},
        "train": {"epochs": 2, "amp": True, "plot_samples": 2, "monitor": "validation_miou5"},
        "augment": {"flips": "d4", "scale": [0.5, 2.0], "brightness": 0.1, "contrast": 0.1},
    }
    for name, values in sections.items():
        config[name].update(values)
    return config


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """This file's constants and writers for the tests (conftest is not importable)."""
    return SimpleNamespace(
        SIZE=SIZE,
        TILE=TILE,
        TRAIN_IDS=TRAIN_IDS,
        SCENE_IDS=SCENE_IDS,
        UNKNOWN_COLOUR=UNKNOWN_COLOUR,
        UNKNOWN_PIXELS=UNKNOWN_PIXELS,
        class_map=class_map,
        write_scene=write_scene,
        write_raster=_write,
        write_folder_dataset=write_folder_dataset,
        tiny_config=tiny_config,
        to_toml=to_toml,
    )


def to_toml(config: dict) -> str:
    """Enough TOML for a config dict (tables of scalars and lists), for CLI and torchrun runs."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        return repr(v)

    lines = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny convolutions gain nothing from a second thread, and lose a lot when the two
    cores are busy with other work (OpenMP threads wait on each other)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
