"""Qt and QGIS widgets: a thin layer over ``engine``."""
