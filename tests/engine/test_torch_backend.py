"""Training checkpoints run through the torch backend (weights_only loading)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ModelError
from engine.metadata import make_metadata, to_onnx_props
from engine.model_file import load_model
from engine.pipeline import segment

torch = pytest.importorskip("torch")


def _checkpoint(path, **extra):
    from engine.models.registry import build_model

    torch.manual_seed(0)
    args = {"classes": 3, "base_width": 4}
    model = build_model("cse_unet", **args).eval()
    meta = make_metadata(
        ["a", "b", "c"], tile_size=64, architecture="cse_unet", architecture_args=args
    )
    torch.save(
        dict(model=model.state_dict(), architecture="cse_unet", architecture_args=args,
             metadata=to_onnx_props(meta), epoch=1, step=10, **extra),
        path,
    )  # fmt: skip
    return model


def test_checkpoint_segments_like_the_module(tmp_path, kit):
    module = _checkpoint(tmp_path / "m.pt")
    image = kit.random_image(64, 64, seed=11)
    raster = kit.write_raster(tmp_path / "in.tif", image)
    loaded = load_model(tmp_path / "m.pt", device="cpu", num_threads=1)
    assert loaded.backend_name == "torch" and loaded.device == "cpu"
    assert [c.name for c in loaded.metadata.classes] == ["a", "b", "c"]
    out = tmp_path / "o.tif"
    result = segment(raster, loaded, out)
    assert result.backend == "torch"
    with torch.inference_mode():
        x = torch.from_numpy(image.astype(np.float32) / 255)[None]
        expected = module(x)[0].argmax(0).numpy()
    assert (kit.read(out) == expected).mean() > 0.999


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": np.random.default_rng().random}, path)
    with pytest.raises(ModelError, match=r"evil\.pt"):
        load_model(path)
