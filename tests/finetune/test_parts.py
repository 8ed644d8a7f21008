"""The pieces of fine-tuning: the loss mask, the held-out split, weights from ONNX, styles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from osgeo import gdal

from engine.metadata import read_onnx_metadata
from trainer.finetune.base_model import load_base_model
from trainer.finetune.classes import build_scheme
from trainer.finetune.labels import UNLABELLED, parse_categorized_colors, read_labels
from trainer.finetune.loop import masked_loss
from trainer.finetune.sampling import CropSampler, Normalisation
from trainer.finetune.scene import build_scene
from trainer.finetune.split import split_polygons

ROOT = Path(__file__).resolve().parents[2]


def _scene(scene, base_model, fraction=0.2, seed=0):
    meta = read_onnx_metadata(base_model)
    labels = read_labels(str(scene.labels))
    scheme = build_scheme(labels.values, meta.classes)
    split = split_polygons(labels, scheme, fraction, seed)
    built = build_scene(
        str(scene.image), labels, scheme, split, bands=(1, 2, 3), model_gsd_cm=20,
        native_gsd=False, context_px=32,
    )  # fmt: skip
    return labels, scheme, split, built


def test_unlabelled_pixels_give_no_gradient(labelled_scene, finetune_base):
    """The loss of a real training batch: its gradient is zero at every unlabelled pixel."""
    _, scheme, _, built = _scene(labelled_scene, finetune_base)
    sampler = CropSampler(built, len(scheme), 64, Normalisation(255.0, (0.5,) * 3, (0.25,) * 3), 0)
    _, targets = sampler.batch(4)
    unlabelled = targets == UNLABELLED
    assert unlabelled.any() and (~unlabelled).any()
    logits = torch.randn(4, len(scheme), 64, 64, requires_grad=True)
    masked_loss(logits, targets).backward()
    gradient = logits.grad.abs().sum(1)
    assert torch.all(gradient[unlabelled] == 0)
    assert torch.all(gradient[~unlabelled] > 0)


def test_training_pixels_are_exactly_the_training_polygons(labelled_scene, finetune_base):
    _, _, split, built = _scene(labelled_scene, finetune_base)
    (window,) = built.windows  # one scene of overlapping boxes: one window
    assert window.shape == labelled_scene.classes.shape
    train = window.train != UNLABELLED
    holdout = window.holdout != UNLABELLED
    assert not (train & holdout).any()
    assert np.array_equal(train | holdout, labelled_scene.labelled)
    assert np.array_equal(window.train[train], labelled_scene.classes[train])
    assert np.array_equal(window.holdout[holdout], labelled_scene.classes[holdout])
    assert split.holdout_polygons > 0 and split.train_polygons > split.holdout_polygons


def test_whole_polygons_are_held_out_from_one_side(labelled_scene, finetune_base):
    from osgeo import ogr

    labels, scheme, split, _ = _scene(labelled_scene, finetune_base, seed=5)
    for index in range(len(scheme)):
        members = [i for i, p in enumerate(labels.polygons) if scheme.index_of(p.value) == index]
        held = [i for i in members if split.holdout_class[i] != UNLABELLED]
        assert 1 <= len(held) <= round(0.2 * len(members)) + 1
        assert all(split.train_class[i] == UNLABELLED for i in held)
    # Held-out polygons lie further along one direction than the training ones of their class.
    centres = np.array(
        [ogr.CreateGeometryFromWkb(p.wkb).Centroid().GetPoint_2D() for p in labels.polygons]
    )
    rng = np.random.default_rng(5)
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.cos(angle), np.sin(angle)])
    along = centres @ direction
    for index in range(len(scheme)):
        members = [i for i, p in enumerate(labels.polygons) if scheme.index_of(p.value) == index]
        held = [along[i] for i in members if split.holdout_class[i] != UNLABELLED]
        kept = [along[i] for i in members if split.holdout_class[i] == UNLABELLED]
        assert min(held) >= max(kept)


def test_a_class_with_one_polygon_trains_and_is_named_as_unscored(labelled_scene, finetune_base):
    labels, scheme, _, _ = _scene(labelled_scene, finetune_base)
    first_building = next(p for p in labels.polygons if p.value == "building")
    labels.polygons[:] = [p for p in labels.polygons if p.value != "building"] + [first_building]
    split = split_polygons(labels, scheme, 0.2, 0)
    assert split.classes_without_holdout == ("building",)
    assert split.train_class[-1] == scheme.index_of("building")


@pytest.mark.parametrize("architecture", ["cse_unet_study", "cse_unet", "resnet34_unet"])
def test_weights_read_from_an_exported_onnx_reproduce_it(
    export_finetune_base, tmp_path, architecture
):
    """BatchNorms folded into the convolutions by the exporter are unfolded exactly enough."""
    import onnxruntime as ort

    path = export_finetune_base(tmp_path / f"{architecture}.onnx", architecture)
    base = load_base_model(str(path))
    tile = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 3, 64, 64), np.float32))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {session.get_inputs()[0].name: tile.numpy()})
    with torch.no_grad():
        actual = torch.softmax(base.module.eval()(tile), 1).numpy()
    assert np.abs(actual - expected).max() < 1e-4


def test_a_bundled_model_is_found_by_name():
    base = load_base_model("cse_unet_synthetic")
    assert base.name == "cse_unet_synthetic"
    assert base.metadata.architecture == "cse_unet_study"


QML = """<!DOCTYPE qgis><qgis version="3.22.16-Białowieża">
 <renderer-v2 type="categorizedSymbol" attr="class">
  <categories>
   <category value="water" label="Water" symbol="0" render="true"/>
   <category value="Forest" label="Forest" symbol="1" render="true"/>
  </categories>
  <symbols>
   <symbol name="0" type="fill"><layer class="SimpleFill">
     <Option type="Map"><Option name="color" type="QString" value="31,120,180,255"/></Option>
   </layer></symbol>
   <symbol name="1" type="fill"><layer class="SimpleFill">
     <prop k="color" v="0,100,0,255"/>
   </layer></symbol>
  </symbols>
 </renderer-v2>
</qgis>"""


def test_categorized_colours_are_read_from_a_qml_style():
    colours = parse_categorized_colors(QML, "CLASS")
    assert colours == {"water": (31, 120, 180), "forest": (0, 100, 0)}
    assert parse_categorized_colors(QML, "other_field") == {}


def test_a_qml_beside_the_labels_colours_new_classes(labelled_scene_factory, tmp_path):
    labelled_scene = labelled_scene_factory(names=["water", "forest", "field"])
    (tmp_path / "labels.qml").write_text(QML)
    labels = read_labels(str(labelled_scene.labels))
    assert labels.style_colors == {"water": (31, 120, 180), "forest": (0, 100, 0)}


def test_cli_writes_a_model_the_engine_runs(labelled_scene, finetune_base, tmp_path):
    out = tmp_path / "cli.onnx"
    command = [
        sys.executable, "-m", "trainer", "finetune", "--image", str(labelled_scene.image),
        "--labels", f"{labelled_scene.labels}|layername=labels", "--model", str(finetune_base),
        "--out", str(out), "--epochs", "2", "--steps-per-epoch", "3", "--crop", "64",
        "--batch-size", "2", "--device", "cpu", "--threads", "1",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout and "held-out mIoU" in done.stdout
    classes = tmp_path / "classes.tif"
    segmented = subprocess.run(
        [sys.executable, "-m", "engine", "segment", str(labelled_scene.image), "--model", str(out),
         "--output", str(classes)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert segmented.returncode == 0, segmented.stderr
    assert gdal.Open(str(classes)).RasterXSize == labelled_scene.classes.shape[1]
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_held_out_scoring_runs_only_the_tiles_that_hold_held_out_pixels():
    from trainer.finetune.network import predict_window

    class Counting(torch.nn.Module):
        size_divisor = 16

        def __init__(self):
            super().__init__()
            self.tiles = 0

        def forward(self, x):
            self.tiles += len(x)
            return torch.stack([x[:, 0], -x[:, 0]], 1)  # class 0 where band 1 is positive

    raw = np.random.default_rng(0).integers(0, 255, (3, 200, 300), dtype=np.uint8)
    normalise = Normalisation(255.0, (0.5,) * 3, (0.25,) * 3).model_input
    everything, corner = Counting(), Counting()
    full = predict_window(everything, raw, normalise, 64, torch.device("cpu"))
    needed = np.zeros((200, 300), dtype=bool)
    needed[5:20, 5:20] = True
    part = predict_window(corner, raw, normalise, 64, torch.device("cpu"), needed=needed)
    assert corner.tiles < everything.tiles / 4
    assert np.array_equal(part[needed], full[needed])
    assert np.array_equal(full, (raw[0] <= 127).astype(np.uint8))  # tiles cover every pixel


def test_a_new_head_is_drawn_from_the_plan_seed_whatever_ran_before(finetune_base):
    """New classes' rows start from the seed, so the score before training and the model
    are the same run after run; rows of classes the base knows are its own."""
    from trainer.finetune.network import fit_head

    base = load_base_model(str(finetune_base))
    scheme = build_scheme(["water", "building", "field"], base.metadata.classes)
    heads = []
    for seed, noise in ((0, 1), (0, 2), (1, 1)):
        torch.manual_seed(noise)  # what ran before in the process
        module = load_base_model(str(finetune_base)).module
        heads.append(fit_head(module, scheme, seed).head)
    assert torch.equal(heads[0].weight, heads[1].weight)
    assert torch.equal(heads[0].bias, heads[1].bias)
    assert not torch.equal(heads[0].weight, heads[2].weight)
    known = scheme.names.index("building")
    own = base.module.head.weight[scheme.base_rows[known]]
    assert torch.equal(heads[2].weight[known], own)
