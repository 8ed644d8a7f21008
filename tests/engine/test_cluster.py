"""Segmenting on a Dask LocalCluster of two worker processes gives the single-process
outputs: many rasters, and one raster cut into shards of tile rows. A failed input is
reported while the others complete, a rerun skips what is done, each worker opens the model
once, and a worker killed mid-task loses nothing and leaves no partial file."""

from __future__ import annotations

import filecmp
import logging
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from engine.cli import main
from engine.cluster.client import ClusterRequest, run_on_cluster
from engine.cluster.worker import ModelCache
from engine.options import SegmentationOptions
from engine.output_stamp import read_stamp

distributed = pytest.importorskip("distributed")

OPTIONS = SegmentationOptions(device="cpu", overlap_pct=6.25, batch_size=2, num_threads=1)
SMALL = [(90, 130), (120, 70), (64, 200)]
SHARD_TILES = 21  # the small rasters' grids have 15, 12 and 21 tiles (32 px, stride 30)
LARGE = (410, 150)  # 0.13 m pixels for a 10 cm model: resampled, 18 rows of 7 tiles, so
# segmented in 6 shards of 3 tile rows


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        yield client


@pytest.fixture(scope="module")
def scene(tmp_path_factory, kit):
    """Rasters, a model, and the single-process outputs of the command line."""
    root = tmp_path_factory.mktemp("cluster")
    inputs = [
        kit.write_raster(root / f"small{i}.tif", kit.random_image(h, w, seed=i))
        for i, (h, w) in enumerate(SMALL)
    ]
    inputs.append(kit.write_raster(root / "large.tif", kit.random_image(*LARGE, seed=9),
                                   pixel=0.13))  # fmt: skip
    model = kit.build_onnx(root / "m.onnx", metadata={"tile_size": 32, "resolution_cm": 10.0})
    single = root / "single"
    argv = ["segment", *map(str, inputs), "-m", str(model), "-o", str(single), "-q",
            "--device", "cpu", "--overlap", "6.25", "--batch-size", "2"]  # fmt: skip
    assert main(argv) == 0
    return root, [str(p) for p in inputs], model, single


def _request(scene, out: Path, **kwargs) -> ClusterRequest:
    _, inputs, model, _ = scene
    inputs = kwargs.pop("inputs", inputs)
    outputs = [str(out / f"{Path(i).stem}_classes.tif") for i in inputs]
    defaults = dict(model=str(model), options=OPTIONS, shard_tiles=SHARD_TILES)
    return ClusterRequest(inputs, outputs, **{**defaults, **kwargs})


def test_many_rasters_and_a_sharded_one_equal_the_single_process_run(client, scene, tmp_path):
    _, inputs, _, single = scene
    result = run_on_cluster(_request(scene, tmp_path), client)
    assert [o.status for o in result.outcomes] == ["done"] * 4
    assert [o.parts for o in result.outcomes] == [1, 1, 1, 6]
    for i in range(3):  # whole rasters: the very same files (pixels, tags, aux.xml)
        name = f"small{i}_classes.tif"
        assert filecmp.cmp(single / name, tmp_path / name, shallow=False)
        assert filecmp.cmp(single / f"{name}.aux.xml", tmp_path / f"{name}.aux.xml", shallow=False)
    # The sharded raster: a VRT over six parts whose pixels are the single run's.
    vrt = gdal.Open(result.outcomes[3].output)
    reference = gdal.Open(str(single / "large_classes.tif"))
    assert Path(result.outcomes[3].output).name == "large_classes.vrt"
    np.testing.assert_array_equal(vrt.ReadAsArray(), reference.ReadAsArray())
    assert vrt.GetGeoTransform() == reference.GetGeoTransform()
    assert vrt.GetRasterBand(1).GetCategoryNames() == ["c0", "c1", "c2"]
    assert len(list((tmp_path / "large_classes.parts").glob("*.tif"))) == 6
    # Class areas summed over every task equal the single run's, raster by raster.
    stamps = [read_stamp(single / f"{Path(i).stem}_classes.tif") for i in inputs]
    assert [o.stamp.class_pixels for o in result.outcomes] == [s.class_pixels for s in stamps]
    totals = [sum(s.class_pixels[0][c] for s in stamps) for c in range(3)]
    assert [a.pixels for a in result.class_areas()] == totals
    area = sum(s.class_pixels[0][1] * s.pixel_area_m2 for s in stamps)
    assert result.class_areas()[1].area_m2 == pytest.approx(area)
    # Each worker opened the model once, whatever number of tasks it ran.
    loads = client.run(lambda dask_worker: dask_worker.plugins[ModelCache.name].loads)
    assert sorted(loads.values()) == [1, 1]
    assert not [f for f in _files(tmp_path) if ".partial-" in f]


@pytest.mark.parametrize("how", ["geotiff", "cog"])
def test_joined_parts_are_the_single_process_file(client, scene, tmp_path, how):
    _, inputs, _, single = scene
    request = _request(scene, tmp_path, inputs=inputs[3:], join=how)
    (outcome,) = run_on_cluster(request, client).outcomes
    assert outcome.status == "done" and outcome.output == str(tmp_path / "large_classes.tif")
    # No parts left; the joined GeoTIFF has its QGIS style beside it, like any class map.
    assert _files(tmp_path) == [
        "large_classes.qml",
        "large_classes.tif",
        "large_classes.tif.aux.xml",
    ]
    reference = single / "large_classes.tif"
    if how == "geotiff":  # written as the engine writes: the same bytes
        assert filecmp.cmp(reference, outcome.output, shallow=False)
    else:  # a COG lays the same pixels out differently
        cog = gdal.Open(outcome.output)
        assert cog.GetMetadata("IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        np.testing.assert_array_equal(cog.ReadAsArray(), gdal.Open(str(reference)).ReadAsArray())
        assert read_stamp(outcome.output) == read_stamp(reference)


def test_a_failed_input_is_reported_and_the_others_complete(client, scene, tmp_path, kit):
    _, inputs, _, single = scene
    grey = kit.write_raster(tmp_path / "grey.tif", kit.random_image(50, 50, bands=1))
    request = _request(scene, tmp_path / "out", inputs=[inputs[0], str(grey), "nowhere.tif",
                                                        inputs[3]])  # fmt: skip
    result = run_on_cluster(request, client)
    assert [o.status for o in result.outcomes] == ["done", "failed", "failed", "done"]
    assert "choose 3 of its bands with --bands" in result.outcomes[1].message
    assert "input raster not found: nowhere.tif" in result.outcomes[2].message
    assert not result.outcomes[1].traceback  # bad input, not a bug
    assert filecmp.cmp(single / "small0_classes.tif", result.outcomes[0].output, shallow=False)
    assert len(result.failed) == 2 and "2 failed" in result.summary()


def test_a_rerun_skips_outputs_done_with_the_same_model(client, scene, tmp_path, kit):
    request = _request(scene, tmp_path)
    run_on_cluster(request, client)
    parts = sorted((tmp_path / "large_classes.parts").glob("*.tif"))
    written = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.tif")}
    again = run_on_cluster(request, client)
    assert [o.status for o in again.outcomes] == ["skipped"] * 4
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.tif")} == written
    first = [a.pixels for a in run_on_cluster(request, client).class_areas()]
    assert [a.pixels for a in again.class_areas()] == first and sum(first) > 0
    # A run stopped part-way: the missing part is redone, the others are kept.
    parts[2].unlink()
    (tmp_path / "large_classes.vrt").unlink()
    resumed = run_on_cluster(request, client)
    assert resumed.outcomes[3].status == "done" and parts[2].exists()
    assert all(p.stat().st_mtime_ns == written[p] for p in parts if p != parts[2])
    # Another model: its outputs are not these; replaced only when allowed.
    other = kit.build_onnx(tmp_path / "other.onnx", seed=5,
                           metadata={"tile_size": 32, "resolution_cm": 10.0})  # fmt: skip
    refused = run_on_cluster(_request(scene, tmp_path, model=str(other)), client)
    assert [o.status for o in refused.outcomes] == ["failed"] * 4
    assert "allow replacing it with --overwrite" in refused.outcomes[0].message
    replaced = run_on_cluster(_request(scene, tmp_path, model=str(other), overwrite=True), client)
    assert [o.status for o in replaced.outcomes] == ["done"] * 4
    assert read_stamp(tmp_path / "small0_classes.tif").model_name == "other.onnx"


def test_the_command_line_runs_on_a_local_cluster(scene, tmp_path, capsys, kit):
    _, inputs, model, single = scene
    grey = kit.write_raster(tmp_path / "grey.tif", kit.random_image(50, 50, bands=1))
    argv = ["segment", inputs[0], str(grey), inputs[3], "-m", str(model), "-o",
            str(tmp_path / "out"), "--cluster", "local:2", "--shard-tiles", str(SHARD_TILES),
            "--join", "geotiff", "--device", "cpu", "--overlap", "6.25",
            "--batch-size", "2"]  # fmt: skip
    assert main(argv) == 2  # one input failed
    captured = capsys.readouterr()
    assert f"error: {grey}: " in captured.err and "--bands" in captured.err
    assert "tasks: 100%" in captured.err  # the progress bar over Dask's tasks
    assert "segmented (6 parts)" in captured.out and "1 failed" in captured.out
    for name in ("small0_classes.tif", "large_classes.tif"):
        assert filecmp.cmp(single / name, tmp_path / "out" / name, shallow=False)
    assert main([*argv[:-8], "--cluster", "local:0"]) == 2
    assert "give local, local:N" in capsys.readouterr().err and "--cluster" in argv


def test_without_dask_the_cluster_flag_says_how_to_install_it(scene, tmp_path, capsys, monkeypatch):
    _, inputs, model, _ = scene
    monkeypatch.setitem(__import__("sys").modules, "engine.cluster.client", None)
    argv = ["segment", inputs[0], "-m", str(model), "-o", str(tmp_path / "x.tif"), "--cluster",
            "local:1"]  # fmt: skip
    assert main(argv) == 2
    assert "pip install 'dask[distributed]" in capsys.readouterr().err
    assert not (tmp_path / "x.tif").exists()


def test_a_worker_killed_mid_task_loses_nothing(scene, tmp_path, kit):
    """The worker writing a raster is killed (SIGKILL: nothing of it runs any more); Dask
    reruns the task elsewhere, and the rerun removes the dead writer's partial file."""
    root, _, model, _ = scene
    inputs = [kit.write_raster(root / f"slow{i}.tif", kit.random_image(1500, 1500, seed=i))
              for i in range(2)]  # fmt: skip
    options = SegmentationOptions(device="cpu", overlap_pct=6.25, batch_size=1, num_threads=1)
    reference = tmp_path / "single"
    reference.mkdir()
    for raster in inputs:
        assert main(["segment", str(raster), "-m", str(model), "-q", "--device", "cpu",
                     "--overlap", "6.25", "--batch-size", "1", "-o",
                     str(reference / f"{raster.stem}_classes.tif")]) == 0  # fmt: skip
    out = tmp_path / "out"
    request = ClusterRequest([str(p) for p in inputs],
                             [str(out / f"{p.stem}_classes.tif") for p in inputs], str(model),
                             options, shard_tiles=10_000)  # fmt: skip
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        outcome = {}
        runner = threading.Thread(target=lambda: outcome.update(r=run_on_cluster(request, client)))
        runner.start()
        partial = _wait_for_partial(out, timeout=120)
        writing = next(p.stem for p in inputs if partial.name.startswith(f".{p.stem}_classes."))
        victim = next(
            address for address, keys in client.processing().items()
            if any(f"-{writing}-" in str(key) for key in keys)
        )  # fmt: skip
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        runner.join(timeout=300)
        result = outcome["r"]
    assert [o.status for o in result.outcomes] == ["done", "done"]
    rerun = result.outcomes[[p.stem for p in inputs].index(writing)]
    assert rerun.worker and rerun.worker != victim  # finished by another worker process
    for raster in inputs:
        name = f"{raster.stem}_classes.tif"
        assert filecmp.cmp(reference / name, out / name, shallow=False)
    assert not partial.exists()
    ends = (".qml", ".tif", ".tif.aux.xml")  # the class map, its classes, its QGIS style
    written = [f"{p.stem}_classes{end}" for p in inputs for end in ends]
    assert _files(out) == sorted(written)


def _wait_for_partial(folder: Path, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(".*.partial-*.tif")) if folder.exists() else []
        if found:
            return found[0]
        time.sleep(0.01)
    raise AssertionError("no task started writing")


def test_parts_of_a_vrt_run_are_kept_and_joined_into_the_file_asked_for_later(
    client, scene, tmp_path
):
    _, inputs, _, single = scene
    run_on_cluster(_request(scene, tmp_path, inputs=inputs[3:]), client)  # the VRT and parts
    part = sorted((tmp_path / "large_classes.parts").glob("*.tif"))[0]
    marked = gdal.Open(str(part), gdal.GA_Update)  # a mark that only reuse would carry over
    marked.GetRasterBand(1).WriteArray(np.full((1, 1), 7, np.uint8), 0, 0)
    marked = None
    request = _request(scene, tmp_path, inputs=inputs[3:], join="geotiff")
    (outcome,) = run_on_cluster(request, client).outcomes
    assert outcome.status == "done" and _files(tmp_path) == [
        "large_classes.qml", "large_classes.tif", "large_classes.tif.aux.xml"
    ]  # fmt: skip
    joined, reference = _pixels(outcome.output), _pixels(single / "large_classes.tif")
    assert joined[0, 0] == 7 and (joined != reference).sum() == 1


def _pixels(path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()
