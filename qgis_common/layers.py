"""What the panel and Processing ask of a raster layer: its file, its bands, who else uses it."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsMapLayer, QgsProject, QgsProviderRegistry, QgsRasterLayer

from ..engine.raster_io import is_vector_file

# Raster providers whose "source" is not a file GDAL can stream.
REMOTE_RASTER_PROVIDERS = ["wms", "wcs", "arcgismapserver", "postgresraster"]


def raster_source(layer: QgsRasterLayer) -> str:
    """What GDAL opens: a file, or a GDAL name (``GPKG:file.gpkg:layer``, a subdataset)."""
    return layer.source()


def band_names(layer: QgsRasterLayer) -> list[str]:
    """ "Band 1: Red", … as QGIS shows them."""
    provider = layer.dataProvider()
    return [provider.displayBandName(b) for b in range(1, layer.bandCount() + 1)]


def file_of(layer: QgsMapLayer) -> Path | None:
    """The file a layer reads, when it reads one."""
    try:
        parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
    except Exception:  # a provider without URI decoding
        return None
    path = parts.get("path") if parts else None
    return Path(path) if path else None


def layers_reading(path: str | Path, project: QgsProject) -> list[QgsMapLayer]:
    """The project's layers that read ``path`` (an output about to be replaced)."""
    target = Path(path).resolve()
    found = []
    for layer in project.mapLayers().values():
        used = file_of(layer)
        if used is not None and used.resolve() == target:
            found.append(layer)
    return found


def not_a_raster(value: object, project: QgsProject | None) -> str:
    """Why a Processing value given for a raster layer is none, in words ("" if unknown):
    Processing itself says "not found" of a vector layer or a file it cannot read."""
    layer = value if isinstance(value, QgsMapLayer) else None
    if layer is None and project is not None and isinstance(value, str):
        layer = project.mapLayer(value) or next(iter(project.mapLayersByName(value)), None)
    if layer is not None:
        return "" if isinstance(layer, QgsRasterLayer) else f"'{layer.name()}' is a vector layer"
    if not isinstance(value, str) or not Path(value.split("|")[0]).is_file():
        return ""
    path = value.split("|")[0]
    if is_vector_file(path):
        return f"{Path(path).name} holds vector layers, not a raster"
    return f"{Path(path).name} is not a raster QGIS can open"
