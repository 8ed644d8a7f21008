"""The GeoTIFFs a run writes (class map, confidence), block row by block row, staged.

Rows arrive a row of tiles at a time; whole 256-row block rows of a tiled DEFLATE GeoTIFF go
to disk at once and GDAL's cache is flushed, so memory follows one row of tiles. When the
last row is in, :meth:`GeoTiffWriter.complete` adds overviews (or rewrites the file as a
Cloud-Optimized GeoTIFF) and the QGIS style beside it; the run's :class:`Staging` renames
everything into place together.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from osgeo import gdal

from .cancel import CancelToken
from .errors import Cancelled, InputError, OutputError
from .staging import Staging
from .stitching import NODATA
from .styles import class_map_qml, grey_ramp_qml, sidecar_path

gdal.UseExceptions()

OUTPUT_BLOCK = 256
# Outputs wider or taller than this get internal overviews, halving until the smallest is
# under OVERVIEW_SMALLEST pixels (a COG always gets them: its driver decides).
OVERVIEW_FROM = 2048
OVERVIEW_SMALLEST = 256
CHUNK_COLUMNS = 4096  # columns per GDAL call: bounds GDAL's block cache on wide rasters
CONFIDENCE_MAX = 100  # confidence is the top class's probability in percent
# GDAL's block cache while a finished output is worked on as a whole (see limited_gdal_cache).
FINISHING_CACHE_BYTES = 64 * 1024 * 1024
DISK_FULL_BYTES = 1 << 20  # a failed write with less room than this left: a full disk


def gdal_callback(
    cancel: CancelToken | None, progress: Callable[[float], None] | None = None
) -> Callable[[float, str, object], int]:
    """A GDAL progress callback that reports ``progress`` and stops GDAL on a cancel."""

    def callback(complete: float, _message: str, _data: object) -> int:
        if progress is not None:
            progress(float(complete))
        return 0 if cancel is not None and cancel.cancelled else 1

    return callback


@contextmanager
def limited_gdal_cache(limit: int = FINISHING_CACHE_BYTES):
    """GDAL's block cache held at ``limit`` bytes while a whole-raster GDAL step runs
    (overviews, a COG, sieve, polygons): GDAL would otherwise fill its default cache (5 % of
    RAM) with blocks of a large raster, a peak that grows with the raster."""
    previous = gdal.GetCacheMax()
    gdal.SetCacheMax(min(previous, limit))
    try:
        yield
    finally:
        gdal.SetCacheMax(previous)


def raise_if_cancelled(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise Cancelled()


class GeoTiffWriter:
    """A tiled DEFLATE uint8 GeoTIFF (nodata 255) written under a temporary name.

    ``staging`` renames it (with its ``.aux.xml`` and ``.qml`` style) once the whole run is
    complete. ``resampling``: how overviews are made (nearest for classes, as they are
    categories; average for confidence).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        width: int,
        height: int,
        geotransform: Sequence[float],
        projection: str,
        bands: int,
        staging: Staging,
        *,
        descriptions: Sequence[str] = (),
        resampling: str = "NEAREST",
        cog: bool = False,
        style_qml: str | None = None,
    ):
        self.final = Path(path)
        if not self.final.parent.exists():
            raise InputError(
                f"the output folder does not exist: {self.final.parent}: change {{option}}",
                option="output",
            )
        self.staging = staging
        self.temp = staging.add(self.final, ".tif")
        self.width, self.height, self.bands = width, height, bands
        self.resampling = resampling
        self.cog = cog
        self.style_qml = style_qml
        options = [
            "TILED=YES",
            f"BLOCKXSIZE={OUTPUT_BLOCK}",
            f"BLOCKYSIZE={OUTPUT_BLOCK}",
            "COMPRESS=DEFLATE",
            "BIGTIFF=IF_SAFER",
        ]
        self.dataset = None
        try:
            self.dataset = gdal.GetDriverByName("GTiff").Create(
                str(self.temp), width, height, bands, gdal.GDT_Byte, options
            )
            self._describe(geotransform, projection, descriptions)
        except RuntimeError as error:  # no permission, a read-only or full disk
            self.dataset = None  # the run's staging removes what was created
            raise OutputError(
                f"cannot create {self.final}: {self._say(error)}: choose another folder with "
                "{option}",
                option="output",
            ) from None
        self._buffer: np.ndarray | None = None  # one block row, filled across strips
        self._filled = 0
        self._next_row = 0

    def _describe(self, geotransform, projection, descriptions) -> None:
        """Georeferencing, nodata and band descriptions."""
        if geotransform:
            self.dataset.SetGeoTransform(list(geotransform))
        if projection:
            self.dataset.SetProjection(projection)
        for b in range(1, self.bands + 1):
            band = self.dataset.GetRasterBand(b)
            band.SetNoDataValue(NODATA)
            if b - 1 < len(descriptions):
                band.SetDescription(descriptions[b - 1])

    def write(self, rows: np.ndarray) -> None:
        """Append rows ``[bands, h, width]``; whole block rows go to disk at once."""
        count, i = rows.shape[1], 0
        if self._filled:
            take = min(OUTPUT_BLOCK - self._filled, count)
            self._buffer[:, self._filled : self._filled + take] = rows[:, :take]
            self._filled += take
            i = take
            if self._filled == OUTPUT_BLOCK:
                self._write_rows(self._buffer)
                self._filled = 0
        while count - i >= OUTPUT_BLOCK:
            self._write_rows(rows[:, i : i + OUTPUT_BLOCK])
            i += OUTPUT_BLOCK
        if count > i:
            if self._buffer is None:
                self._buffer = np.empty((self.bands, OUTPUT_BLOCK, self.width), dtype=np.uint8)
            self._buffer[:, : count - i] = rows[:, i:]
            self._filled = count - i

    def _write_rows(self, rows: np.ndarray) -> None:
        try:
            for c0 in range(0, self.width, CHUNK_COLUMNS):
                c1 = min(self.width, c0 + CHUNK_COLUMNS)
                for b in range(self.bands):
                    band = self.dataset.GetRasterBand(b + 1)
                    band.WriteArray(rows[b, :, c0:c1], c0, self._next_row)
                self.dataset.FlushCache()  # compress and drop these blocks now
        except RuntimeError as error:  # a full disk, a vanished folder
            raise self._cannot_write(error, " (is the disk full?)") from None
        self._next_row += rows.shape[1]

    def _cannot_write(self, error: BaseException, guess: str = "") -> OutputError:
        """What went wrong, said of the user's file, with a full disk named as such."""
        return OutputError(
            f"cannot write {self.final.name}{self._disk_full() or guess}: {self._say(error)}; "
            "nothing was written: free some space or choose another folder with {option}",
            option="output",
        )

    def _disk_full(self) -> str:
        """ " (the disk is full: 12 kB free)" when the output's disk has next to no room left."""
        try:
            free = shutil.disk_usage(self.final.parent).free
        except OSError:
            return ""
        return f" (the disk is full: {free // 1024} kB free)" if free < DISK_FULL_BYTES else ""

    def _say(self, error: BaseException) -> str:
        """GDAL's message about the temporary file, told about the file the user named."""
        text = str(error).strip().replace(str(self.temp), str(self.final))
        return text.replace(self.temp.name, self.final.name)

    def _build_overviews(self, callback) -> None:
        factors, factor = [], 2
        while max(self.width, self.height) // factor >= OVERVIEW_SMALLEST:
            factors.append(factor)
            factor *= 2
        gdal.SetThreadLocalConfigOption("COMPRESS_OVERVIEW", "DEFLATE")
        try:
            self.dataset.BuildOverviews(self.resampling, factors, callback=callback)
        finally:
            gdal.SetThreadLocalConfigOption("COMPRESS_OVERVIEW", None)

    def _rewrite_as_cog(self, callback) -> None:
        """Copy the finished tiled GeoTIFF into a Cloud-Optimized one (overviews first, then
        the full-resolution tiles, each in one ordered run), then drop the first copy."""
        written, self.dataset = self.dataset, None
        cog = self.staging.add(self.final, ".tif")
        try:
            copy = gdal.Translate(
                str(cog), written, format="COG", callback=callback,
                creationOptions=["COMPRESS=DEFLATE", f"BLOCKSIZE={OUTPUT_BLOCK}",
                                 f"RESAMPLING={self.resampling}", "BIGTIFF=IF_SAFER"],
            )  # fmt: skip
            copy = None  # noqa: F841 - closing it writes the file and its .aux.xml
        finally:
            written = None
        self.staging.forget(self.temp)
        for path in (self.temp, Path(f"{self.temp}.aux.xml")):
            path.unlink(missing_ok=True)
        self.temp = cog

    def complete(
        self,
        cancel: CancelToken | None = None,
        progress: Callable[[float], None] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Path:
        """Write the last rows, ``tags`` (dataset metadata), overviews (or the COG), the
        ``.aux.xml`` and ``.qml`` beside it; the file stays under its temporary name until
        the run's staging commits."""
        if tags:
            self.dataset.SetMetadata(dict(tags))
        if self._filled:
            self._write_rows(self._buffer[:, : self._filled])
            self._filled = 0
        if self._next_row != self.height:
            raise RuntimeError(f"wrote {self._next_row} of {self.height} rows")
        callback = gdal_callback(cancel, progress)
        try:
            with limited_gdal_cache():
                self._finish_file(callback)
            self._check_complete()
        except RuntimeError as error:  # the last blocks, overviews or directory did not fit
            self.dataset = None
            raise_if_cancelled(cancel)
            raise self._cannot_write(error) from None
        self.staging.companion(Path(f"{self.temp}.aux.xml"), Path(f"{self.final}.aux.xml"))
        if self.style_qml is not None:
            style = self.staging.add(sidecar_path(self.final), ".qml")
            style.write_text(self.style_qml, encoding="utf-8")
        return self.temp

    def _finish_file(self, callback) -> None:
        """Overviews (or the COG copy), then the file closed."""
        if self.cog:
            self.dataset.FlushCache()
            self._rewrite_as_cog(callback)
            return
        if max(self.width, self.height) > OVERVIEW_FROM:
            self._build_overviews(callback)
        self.dataset.FlushCache()
        self.dataset = None

    def _check_complete(self) -> None:
        """Read the closed file's size and last block back: GDAL reports an error while it
        closes a file only to stderr, and a truncated file must not be renamed into place."""
        dataset = gdal.Open(str(self.temp))
        size = (dataset.RasterXSize, dataset.RasterYSize, dataset.RasterCount)
        if size != (self.width, self.height, self.bands):
            raise RuntimeError("the file read back has another size than was written")
        rows = min(OUTPUT_BLOCK, self.height)
        dataset.GetRasterBand(self.bands).ReadRaster(0, self.height - rows, self.width, rows)

    def close(self) -> None:
        """Drop GDAL's handle (an aborted run; the staging removes the files)."""
        self.dataset = None


def class_map_writer(
    path: str | os.PathLike,
    width: int,
    height: int,
    geotransform: Sequence[float],
    projection: str,
    heads: Sequence[Sequence[tuple[str, tuple[int, int, int]]]],
    staging: Staging,
    *,
    descriptions: Sequence[str] = (),
    cog: bool = False,
) -> GeoTiffWriter:
    """Class indices, one band per model head, each with its class names; GeoTIFF allows a
    colour table on band 1 only, and the ``.qml`` beside it styles band 1 the same way."""
    style = class_map_qml([(i, name, color) for i, (name, color) in enumerate(heads[0])])
    writer = GeoTiffWriter(
        path, width, height, geotransform, projection, len(heads), staging,
        descriptions=descriptions, cog=cog, style_qml=style,
    )  # fmt: skip
    for b, classes in enumerate(heads, start=1):
        band = writer.dataset.GetRasterBand(b)
        band.SetCategoryNames([name for name, _ in classes])
        if b == 1:
            table = gdal.ColorTable()
            for index, (_, color) in enumerate(classes):
                table.SetColorEntry(index, (*color, 255))
            table.SetColorEntry(NODATA, (0, 0, 0, 0))
            band.SetColorTable(table)
    return writer


def confidence_writer(
    path: str | os.PathLike,
    width: int,
    height: int,
    geotransform: Sequence[float],
    projection: str,
    heads: int,
    staging: Staging,
    *,
    descriptions: Sequence[str] = (),
    cog: bool = False,
) -> GeoTiffWriter:
    """The top class's probability in percent (0-100), one band per model head, grey ramp."""
    names = [f"confidence ({d})" if d else "confidence" for d in descriptions] or ["confidence"]
    return GeoTiffWriter(
        path, width, height, geotransform, projection, heads, staging, descriptions=names,
        resampling="AVERAGE", cog=cog, style_qml=grey_ramp_qml(0, CONFIDENCE_MAX),
    )  # fmt: skip
