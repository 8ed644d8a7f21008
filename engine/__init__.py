"""Streaming tiled segmentation of GDAL rasters: pure Python, never imports ``qgis``.

Runs as the top-level package ``engine`` (CLI, tests, trainer) and as
``aerial_segmentation.engine`` inside QGIS, so every import in here is relative.
"""

__version__ = "0.1.0"
