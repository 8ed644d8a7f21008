"""The reliability suite's inputs: tiny generated rasters, models and labels, and the faults
(a read-only folder, a full disk, a pickled payload) each case needs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr

from tests.helpers import engine_inputs, finetune_inputs, tiny_inputs

gdal.UseExceptions()
UTM = 32633
FAR_AWAY = (10_000.0, 10_000.0, 10_100.0, 10_100.0)  # UTM metres nowhere near the rasters


class Payload:
    """Unpickling this creates ``path``: proof that a refused file was never unpickled."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


class Kit:
    """Builds one case's inputs in ``folder``; ``close()`` undoes its mounts."""

    def __init__(self, folder: Path, model: Path, finetune_base: Path, monkeypatch):
        self.folder = folder
        self.model = str(model)
        self.finetune_base = str(finetune_base)
        self.monkeypatch = monkeypatch
        self.mounts: list[Path] = []
        self.existing_bytes: bytes | None = None

    # ---- rasters ----------------------------------------------------------------------
    def raster(
        self,
        bands: int = 3,
        dtype: str = "uint8",
        size: tuple[int, int] | None = None,
        epsg: int | None = UTM,
        rotated: bool = False,
        all_nodata: bool = False,
        margins: bool = False,
        noisy: bool = False,
    ) -> str:
        """``raster.tif`` (the layer "raster"): the stripes scene, changed as asked."""
        data = tiny_inputs.stripes()[:bands]
        nodata = None
        if noisy:
            data = engine_inputs.random_image(*size, bands=bands, seed=5)
        elif size:
            data = data[:, : size[0], : size[1]]
        if dtype == "uint16":
            data = data.astype(np.uint16) * 257
        elif dtype == "float32":
            data = data.astype(np.float32) / 255
        if all_nodata:
            data, nodata = np.zeros_like(data), 0
        if margins:
            framed = np.zeros((bands, 600, 600), dtype=data.dtype)
            framed[:, 250:350, 225:375] = data
            data, nodata = framed, 0
        origin, pixel = tiny_inputs.ORIGIN, tiny_inputs.PIXEL
        if epsg == 4326:
            origin, pixel = (13.4, 52.5), 0.5 / 111_320  # about 0.5 m north-south
        path = engine_inputs.write_raster(
            self.folder / "raster.tif", data, origin=origin, pixel=pixel, epsg=epsg, nodata=nodata
        )
        if rotated:
            dataset = gdal.Open(str(path), gdal.GA_Update)
            x0, y0 = origin
            dataset.SetGeoTransform((x0, pixel * 0.98, pixel * 0.2, y0, pixel * 0.2, -pixel * 0.98))
            dataset = None
        return str(path)

    @staticmethod
    def geotransform(path: str) -> tuple[float, ...]:
        return tuple(gdal.Open(path).GetGeoTransform())

    def far_away_extent(self) -> tuple[float, ...]:
        return FAR_AWAY

    def polygons(self, name: str, far: bool = False) -> str:
        rect = tiny_inputs.pixel_rect(10, 10, 60, 50)
        if far:
            x0, y0, x1, y1 = FAR_AWAY
            rect = f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
        return str(tiny_inputs.write_polygons(self.folder / name, [rect], UTM))

    # ---- models -----------------------------------------------------------------------
    def bad_model(self, kind: str) -> str:
        if kind == "truncated":
            path = self.folder / "truncated.onnx"
            whole = Path(self.model).read_bytes()
            path.write_bytes(whole[: len(whole) // 2])
        elif kind == "png":
            path = self.folder / "model.onnx"
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
        elif kind == "no-metadata":
            path = engine_inputs.build_onnx(self.folder / "nometa.onnx", kind="conv1x1")
        elif kind == "four-band":
            path = engine_inputs.build_onnx(self.folder / "four.onnx", in_channels=4,
                                            metadata={"tile_size": 64})  # fmt: skip
        else:
            raise ValueError(kind)
        return str(path)

    def noisy_model(self) -> str:
        """A pixelwise model whose classes follow noise: an output that compresses badly
        (64 kB for the 600 x 600 noise raster; seed 0's weights give one class only)."""
        return str(engine_inputs.build_onnx(self.folder / "noisy.onnx", kind="conv1x1", seed=3,
                                            metadata={"tile_size": 64}))  # fmt: skip

    def pickled_checkpoint(self) -> tuple[str, str]:
        """A .pt whose unpickling would create a file; the path of that file."""
        import torch

        sentinel = self.folder / "payload-ran"
        path = self.folder / "evil.pt"
        torch.save({"model": Payload(str(sentinel)), "metadata": {}}, path)
        return str(path), str(sentinel)

    def checkpoint(self) -> str:
        """A real training checkpoint of a tiny CSE-UNet (what the engine's torch path runs)."""
        import torch

        from engine.metadata import make_metadata, to_onnx_props
        from engine.models import build_model, resolve_arguments

        arguments = resolve_arguments("cse_unet_study", in_channels=3, classes=3, base_width=4)
        module = build_model("cse_unet_study", **arguments)
        meta = make_metadata(list(tiny_inputs.CLASS_NAMES), list(tiny_inputs.CLASS_COLORS),
                             resolution_cm=50.0, tile_size=64)  # fmt: skip
        path = self.folder / "tiny.pt"
        content = {"model": module.state_dict(), "architecture": "cse_unet_study",
                   "architecture_args": arguments, "metadata": to_onnx_props(meta)}  # fmt: skip
        torch.save(content, path)
        return str(path)

    # ---- outputs ----------------------------------------------------------------------
    def output(self, name: str = "classes.tif", existing: bool = False) -> str:
        folder = self.folder / "out"
        folder.mkdir(exist_ok=True)
        path = folder / name
        if existing:
            data = tiny_inputs.stripes()[:1]
            engine_inputs.write_raster(path, data, origin=tiny_inputs.ORIGIN,
                                       pixel=tiny_inputs.PIXEL)  # fmt: skip
            self.existing_bytes = path.read_bytes()
        return str(path)

    def _mount(self, folder: Path, options: str) -> bool:
        """A small tmpfs at ``folder`` (root only); False where mounting is not allowed."""
        folder.mkdir()
        if os.geteuid() != 0:
            return False
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                              capture_output=True, check=False)  # fmt: skip
        if done.returncode == 0:
            self.mounts.append(folder)
        return done.returncode == 0

    def read_only_output(self) -> str:
        """An output in a folder nobody may write: a read-only filesystem where this process
        may mount one, else a folder without write permission, else GDAL told so."""
        folder = self.folder / "readonly"
        if not self._mount(folder, "ro,size=64k"):
            if os.geteuid() != 0:
                folder.chmod(0o555)
            else:
                self._refuse_creating_in(folder)
        return str(folder / "classes.tif")

    def full_disk_output(self) -> str:
        """An output on a 32 kB filesystem (the output needs ~60 kB), else GDAL's writes
        under that folder fail as on a full disk."""
        folder = self.folder / "full"
        if not self._mount(folder, "size=32k"):
            self._fail_writing_in(folder)
        return str(folder / "classes.tif")

    def _refuse_creating_in(self, folder: Path) -> None:
        create = gdal.Driver.Create

        def refusing(driver, name, *args, **kwargs):
            if str(name).startswith(str(folder)):
                raise RuntimeError(f"Attempt to create new tiff file `{name}' failed: "
                                   "Read-only file system")  # fmt: skip
            return create(driver, name, *args, **kwargs)

        self.monkeypatch.setattr(gdal.Driver, "Create", refusing)

    def _fail_writing_in(self, folder: Path) -> None:
        write = gdal.Band.WriteArray

        def failing(band, *args, **kwargs):
            name = band.GetDataset().GetDescription()
            if name.startswith(str(folder)):
                raise RuntimeError(f"{name}: No space left on device")
            return write(band, *args, **kwargs)

        self.monkeypatch.setattr(gdal.Band, "WriteArray", failing)

    # ---- fine-tuning ------------------------------------------------------------------
    def scene(self) -> finetune_inputs.Scene:
        folder = self.folder / "scene"
        folder.mkdir(exist_ok=True)
        return finetune_inputs.make_scene(folder)

    def labels(self, kind: str) -> str:
        """Label polygons that cannot teach: outside the image, one class only, or points."""
        x0, y0 = finetune_inputs.ORIGIN  # the scene spans 32 m east and south of here
        boxes = [(x0 + 2 + 6 * i, y0 - 10, x0 + 6 + 6 * i, y0 - 4) for i in range(4)]
        values = ["building", "low vegetation", "building", "low vegetation"]
        kind_of = ogr.wkbPolygon
        if kind == "outside":
            boxes = [(a + 5000, b, c + 5000, d) for a, b, c, d in boxes]
        elif kind == "one-class":
            values = ["building"] * 4
        wkts = [f"POLYGON(({a} {b},{c} {b},{c} {d},{a} {d},{a} {b}))" for a, b, c, d in boxes]
        if kind == "points":
            kind_of = ogr.wkbPoint
            wkts = [f"POINT({(a + c) / 2} {(b + d) / 2})" for a, b, c, d in boxes]
        path = self.folder / f"labels_{kind}.gpkg"
        return str(finetune_inputs.write_label_layer(path, kind_of, wkts, values))

    def close(self) -> None:
        for folder in self.mounts:
            subprocess.run(["umount", str(folder)], capture_output=True, check=False)


@pytest.fixture()
def world(tmp_path, tiny_model, finetune_base, monkeypatch):
    made = Kit(tmp_path, tiny_model, finetune_base, monkeypatch)
    yield made
    made.close()
