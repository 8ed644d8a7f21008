"""Fixtures shared by every test folder (registered by the root conftest).

``kit``: the engine tests' builders (tiny ONNX models and rasters); ``convnet``: a 3x3-conv
model; ``tiny*``: the stripes model and raster whose class map is known exactly;
``clean_project``: an empty QGIS project before and after a test; ``provider``: our
Processing provider, registered as QGIS registers it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from . import engine_inputs, finetune_inputs, tiny_inputs


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    return SimpleNamespace(
        build_onnx=engine_inputs.build_onnx,
        build_two_head_onnx=engine_inputs.build_two_head_onnx,
        single_pass=engine_inputs.single_pass,
        write_raster=engine_inputs.write_raster,
        random_image=engine_inputs.random_image,
        read=engine_inputs.read,
        deepness=engine_inputs.DEEPNESS,
        orthophoto=engine_inputs.ORTHOPHOTO,
    )


@pytest.fixture()
def convnet(tmp_path) -> Path:
    return engine_inputs.build_onnx(tmp_path / "convnet.onnx", metadata={"tile_size": 64})


@pytest.fixture(scope="session")
def tiny():
    return tiny_inputs


@pytest.fixture(scope="session")
def tiny_model(plugin_package, tmp_path_factory) -> Path:
    from aerial_segmentation.engine import metadata

    return tiny_inputs.write_model(tmp_path_factory.mktemp("models") / "stripes_model.onnx",
                                   metadata)  # fmt: skip


@pytest.fixture(scope="session")
def tiny_model_metadata(tiny_model):
    from aerial_segmentation.engine.model_file import read_model_metadata

    return read_model_metadata(str(tiny_model))


@pytest.fixture()
def tiny_raster(tmp_path) -> Path:
    return tiny_inputs.write_raster(tmp_path / "stripes.tif")


@pytest.fixture()
def clean_project(qgis_app):
    """An empty project before and after the test (layers and layer tree)."""
    from qgis.core import QgsProject

    project = QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
    yield project
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()


@pytest.fixture()
def isolated_settings(qgis_app):
    """No plugin settings left over from another test (the profile is a temp one anyway)."""
    from qgis.core import QgsSettings

    QgsSettings().remove("aerial_segmentation")
    yield
    QgsSettings().remove("aerial_segmentation")


@pytest.fixture()
def make_dock(plugin_package, plugin_iface, clean_project, isolated_settings):
    """Panels on pytest-qgis' iface, shut down and deleted after the test."""
    from qgis.PyQt.QtWidgets import QApplication

    from aerial_segmentation.ui.dock import SegmentationDock

    docks = []

    def make(**kwargs):
        dock = SegmentationDock(plugin_iface, **kwargs)
        docks.append(dock)
        return dock

    yield make
    for dock in docks:
        dock.shutdown()
        dock.deleteLater()
    QApplication.processEvents()


# ---- fine-tuning: a small trained base model and a scene it gets wrong (other colours) -----


@pytest.fixture(scope="session")
def finetune_base(tmp_path_factory) -> Path:
    return finetune_inputs.export_model(tmp_path_factory.mktemp("base") / "tiny_base.onnx")


@pytest.fixture(scope="session")
def finetune_base_wide(tmp_path_factory) -> Path:
    """The base at width 16: for tests that assert how well fine-tuning learns."""
    folder = tmp_path_factory.mktemp("base_wide")
    return finetune_inputs.export_model(folder / "tiny_base.onnx", base_width=16)


@pytest.fixture(scope="session")
def export_finetune_base():
    """``export_finetune_base(path, architecture)``: a small trained base model of any kind."""
    return finetune_inputs.export_model


@pytest.fixture(scope="session")
def finetune_base_classes() -> list[str]:
    return list(finetune_inputs.BASE_CLASSES)


@pytest.fixture()
def labelled_scene(tmp_path) -> finetune_inputs.Scene:
    return finetune_inputs.make_scene(tmp_path)


@pytest.fixture()
def labelled_scene_factory(tmp_path):
    """``labelled_scene_factory(names=[...])``: the scene, its labels with other class names."""
    return lambda **kwargs: finetune_inputs.make_scene(tmp_path, **kwargs)


# ---- Processing: our provider registered the way QGIS registers it -------------------------


@pytest.fixture()
def provider(plugin_package, qgis_processing, qgis_iface, monkeypatch):
    """Our provider, registered the way QGIS does it (initProcessing), removed afterwards.

    Processing loads results into the layer tree through ``iface.layerTreeView()``, which
    QGIS 3.44 hands to C++: a real view of the project's tree, not pytest-qgis' mock.
    """
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView

    view = QgsLayerTreeView()
    view.setModel(QgsLayerTreeModel(QgsProject.instance().layerTreeRoot(), view))
    monkeypatch.setattr(qgis_iface, "layerTreeView", lambda: view, raising=False)
    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()
    view.deleteLater()
