"""Segmenting many rasters, or one huge one, on a Dask cluster (``--cluster``).

Needs ``dask[distributed]`` (the ``cluster`` extra of the headless tools); the plugin never
imports this package. ``shards`` and ``layout`` are plain engine code; ``worker`` runs on
the Dask workers, ``client`` plans and gathers on the machine that starts the run.
"""

DEFAULT_SHARD_TILES = 2000  # a raster with more tiles is segmented in bands of tile rows
JOINS = ("vrt", "geotiff", "cog")  # how a sharded raster's parts are joined
