"""QGIS-side helpers that the panel (``ui``) and Processing (``toolbox``) share: no widgets.

Styling result layers, running a job in a QgsTask, turning QGIS features into a polygon
mask, reading a raster layer's band names, diagnostics. ``ui`` and ``toolbox`` import from
here (and from ``engine``), never from each other.
"""
