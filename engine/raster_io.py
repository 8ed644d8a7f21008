"""GDAL windows in: everything that reads raster files.

Reads go through :class:`RowReader`, a rolling buffer that reads each block row of the
source once (block-aligned) and hands out the rows a row of tiles needs. GDAL's block cache
is flushed as rows are consumed, so memory follows one row of tiles, not the raster. The
outputs are written by :mod:`.geotiff_writer`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from .errors import InputError

gdal.UseExceptions()
osr.UseExceptions()

# Alignment of reads to source blocks is skipped for blocks taller than this (strip files
# written as one strip would otherwise be read whole).
MAX_ALIGNED_BLOCK_ROWS = 1024
CHUNK_COLUMNS = 4096  # columns per GDAL call: bounds GDAL's block cache on wide rasters


def warning_collector(notes: list[str]):
    """A GDAL error handler (per thread) that keeps warnings for the result, not stderr."""

    def collect(level, _number, message):
        text = f"GDAL: {message}"
        if level == gdal.CE_Warning and text not in notes:
            notes.append(text)

    return collect


# "DRIVER:" (two letters or more, so a Windows drive "C:" stays a path) opens a subdataset.
_CONNECTION_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_]+:")


def window_geotransform(geotransform: Sequence[float], x0: int, y0: int) -> tuple[float, ...]:
    """The geotransform of the window whose top-left pixel is (``x0``, ``y0``) of a grid."""
    gt = geotransform
    return (
        gt[0] + x0 * gt[1] + y0 * gt[2], gt[1], gt[2],
        gt[3] + x0 * gt[4] + y0 * gt[5], gt[4], gt[5],
    )  # fmt: skip


def is_gdal_name(path: str) -> bool:
    """Whether ``path`` is for GDAL to resolve (a virtual path or a connection string)."""
    return path.startswith("/vsi") or bool(_CONNECTION_PREFIX.match(path))


def _name(path: str) -> str:
    """A file's name for messages (a GDAL name as given)."""
    return path if is_gdal_name(path) else Path(path).name


def is_vector_file(path: str) -> bool:
    """Whether GDAL opens ``path`` as vector data (a polygon file given as a raster)."""
    try:
        dataset = gdal.OpenEx(path, gdal.OF_VECTOR)
    except RuntimeError:
        return False
    return dataset is not None and dataset.GetLayerCount() > 0


class RasterSource:
    """An open GDAL raster with the questions the pipeline asks of it."""

    def __init__(self, dataset: gdal.Dataset, path: str, keep_alive: object | None = None):
        self.dataset = dataset
        self.path = path
        self._keep_alive = keep_alive  # the source dataset under a resampling VRT
        self.width = dataset.RasterXSize
        self.height = dataset.RasterYSize
        self.band_count = dataset.RasterCount
        self.geotransform = tuple(dataset.GetGeoTransform(can_return_null=True) or ())
        self.projection = dataset.GetProjection() or ""
        self.warnings: list[str] = []  # what GDAL said while opening

    @classmethod
    def open(cls, path: str | os.PathLike) -> RasterSource:
        """A file, a ``/vsi...`` path or a GDAL connection string (``GPKG:file.gpkg:layer``,
        ``NETCDF:"file.nc":variable``, ``HDF5:...`` subdatasets)."""
        path = str(path)
        if not is_gdal_name(path) and not os.path.exists(path):
            raise InputError(f"input raster not found: {path}", option="input")
        notes: list[str] = []
        gdal.PushErrorHandler(warning_collector(notes))
        try:
            dataset = gdal.Open(path, gdal.GA_ReadOnly)
        except RuntimeError as error:
            if is_vector_file(path):
                raise InputError(
                    f"{_name(path)} holds vector layers, not a raster: choose a raster (an "
                    "orthophoto) with {option}",
                    option="input",
                ) from None
            raise InputError(
                f"GDAL cannot open {_name(path)} as a raster ({str(error).strip()}): choose a "
                "raster file with {option}",
                option="input",
            ) from None
        finally:
            gdal.PopErrorHandler()
        if dataset is None or dataset.RasterCount == 0:
            raise InputError(
                f"{_name(path)} holds no raster bands: choose a raster with {{option}}",
                option="input",
            )
        source = cls(dataset, path)
        source.warnings = notes
        return source

    @property
    def dtype(self) -> np.dtype:
        from osgeo import gdal_array

        code = self.dataset.GetRasterBand(1).DataType
        return np.dtype(gdal_array.GDALTypeCodeToNumericTypeCode(code))

    def block_size(self) -> tuple[int, int]:
        return tuple(self.dataset.GetRasterBand(1).GetBlockSize())

    def srs(self) -> osr.SpatialReference | None:
        if not self.projection:
            return None
        srs = osr.SpatialReference()
        srs.ImportFromWkt(self.projection)
        return srs

    def is_north_up(self) -> bool:
        gt = self.geotransform
        return bool(gt) and gt[2] == 0 and gt[4] == 0

    def gsd_m(self) -> tuple[float, float] | None:
        """Pixel size in metres (x, y); at the raster centre for geographic CRSs."""
        gt = self.geotransform
        srs = self.srs()
        if not gt or srs is None:
            return None
        px = math.hypot(gt[1], gt[4])
        py = math.hypot(gt[2], gt[5])
        if srs.IsGeographic():
            lat = math.radians(gt[3] + gt[4] * self.width / 2 + gt[5] * self.height / 2)
            lat = max(min(lat, math.radians(89.9)), math.radians(-89.9))
            per_deg_lat = 111132.92 - 559.82 * math.cos(2 * lat) + 1.175 * math.cos(4 * lat)
            per_deg_lon = 111412.84 * math.cos(lat) - 93.5 * math.cos(3 * lat)
            return px * per_deg_lon, py * per_deg_lat
        if srs.IsProjected():
            unit = srs.GetLinearUnits() or 1.0
            return px * unit, py * unit
        return None

    def pixel_window(self, extent: Sequence[float] | None) -> tuple[int, int, int, int]:
        """(x0, y0, width, height) of the source pixels inside ``extent`` (whole raster if None)."""
        if extent is None:
            return 0, 0, self.width, self.height
        if len(extent) != 4:
            raise InputError("{option} must be xmin,ymin,xmax,ymax", option="extent")
        xmin, ymin, xmax, ymax = (float(v) for v in extent)
        if not (xmax > xmin and ymax > ymin):
            raise InputError(
                f"extent {list(extent)} is empty: need xmin < xmax and ymin < ymax in {{option}}",
                option="extent",
            )
        if not self.is_north_up():
            raise InputError(
                f"{_name(self.path)} is rotated (its geotransform has rotation terms): it can be "
                "segmented whole, not cut to {option}",
                option="extent",
            )
        gt = self.geotransform
        cols = sorted(((xmin - gt[0]) / gt[1], (xmax - gt[0]) / gt[1]))
        rows = sorted(((ymax - gt[3]) / gt[5], (ymin - gt[3]) / gt[5]))
        x0 = max(0, math.floor(cols[0] + 1e-9))
        x1 = min(self.width, math.ceil(cols[1] - 1e-9))
        y0 = max(0, math.floor(rows[0] + 1e-9))
        y1 = min(self.height, math.ceil(rows[1] - 1e-9))
        if x1 <= x0 or y1 <= y0:
            raise InputError(
                f"extent {list(extent)} does not overlap {_name(self.path)}: change {{option}}",
                option="extent",
            )
        return x0, y0, x1 - x0, y1 - y0

    def resampled(self, width: int, height: int) -> RasterSource:
        """A virtual (VRT) view of this raster on a ``width`` x ``height`` grid, read lazily.

        Averaging when shrinking (no aliasing), bilinear when enlarging.
        """
        algorithm = "average" if width * height < self.width * self.height else "bilinear"
        vrt = gdal.Translate(
            "", self.dataset, format="VRT", width=width, height=height, resampleAlg=algorithm
        )
        return RasterSource(vrt, self.path, keep_alive=self)

    def has_mask(self, bands: Sequence[int]) -> bool:
        """Whether any selected band has nodata, an alpha band or a mask band."""
        return any(
            not self.dataset.GetRasterBand(b).GetMaskFlags() & gdal.GMF_ALL_VALID for b in bands
        )

    def read_into(
        self, x0: int, y0: int, bands: Sequence[int], data: np.ndarray, valid: np.ndarray | None
    ) -> None:
        """Fill ``data`` ``[bands, h, w]`` and ``valid`` ``[h, w]`` (views welcome) in place."""
        h, w = data.shape[1:]
        try:
            self.dataset.ReadAsArray(x0, y0, w, h, band_list=list(bands), buf_obj=data)
            if valid is not None:
                self.read_valid(x0, y0, w, h, bands, out=valid)
        except RuntimeError as error:  # a damaged or truncated file
            raise InputError(
                f"GDAL cannot read {Path(self.path).name} (rows {y0}-{y0 + h}): "
                f"{str(error).strip()}"
            ) from None

    def read_valid(
        self,
        x0: int,
        y0: int,
        w: int,
        h: int,
        bands: Sequence[int],
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """GDAL's masks (nodata, alpha, mask band) of the selected bands, combined with AND."""
        valid = out if out is not None else np.empty((h, w), dtype=bool)
        valid[:] = True
        scratch = None
        per_dataset_done = False
        for number in bands:
            band = self.dataset.GetRasterBand(number)
            flags = band.GetMaskFlags()
            if flags & gdal.GMF_ALL_VALID:
                continue
            if flags & gdal.GMF_PER_DATASET:
                if per_dataset_done:
                    continue
                per_dataset_done = True
            if scratch is None:
                scratch = np.empty((h, w), dtype=np.uint8)
            band.GetMaskBand().ReadAsArray(x0, y0, w, h, buf_obj=scratch)
            valid &= scratch > 0
        return valid

    def drop_cache(self) -> None:
        """Let GDAL forget blocks already consumed (its cache would otherwise grow to GBs)."""
        self.dataset.FlushCache()
        if isinstance(self._keep_alive, RasterSource):
            self._keep_alive.drop_cache()

    def close(self) -> None:
        self.dataset = None
        if isinstance(self._keep_alive, RasterSource):
            self._keep_alive.close()


class RowReader:
    """Rows of a fixed column range, read block row by block row, each source row once.

    One buffer of ``max_rows`` plus a block row is allocated up front and reused: rows
    still needed move up, new rows are read into the rest (no per-row allocations, which
    at 20 000 px wide would be ~50 MB each). Rows must be requested in increasing order.
    """

    def __init__(self, source: RasterSource, bands: Sequence[int], x0: int, x1: int, max_rows: int):
        self.source = source
        self.bands = list(bands)
        self.x0, self.x1 = max(0, x0), min(source.width, x1)
        block_h = source.block_size()[1]
        self.block_h = block_h if 0 < block_h <= MAX_ALIGNED_BLOCK_ROWS else 1
        capacity = min(source.height, max_rows + self.block_h)
        width = self.x1 - self.x0
        self.data = np.empty((len(self.bands), capacity, width), dtype=source.dtype)
        masked = source.has_mask(self.bands)
        self.valid = np.empty((capacity, width), dtype=bool) if masked else None
        self.y0 = self.y1 = 0  # rows held, at buffer rows [0, y1 - y0)

    def rows(self, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Data and validity (None: all valid) of rows ``[y0, y1)`` clipped to the raster;
        views into the buffer, valid until the next call."""
        y0, y1 = max(0, y0), min(self.source.height, y1)
        if y0 >= self.y1:
            self.y0 = self.y1 = y0
        elif y0 > self.y0:
            self._shift(y0 - self.y0, self.y1 - y0)
            self.y0 = y0
        if y1 > self.y1:
            stop = min(self.source.height, math.ceil(y1 / self.block_h) * self.block_h)
            stop = min(stop, self.y0 + self.data.shape[1])
            # One block row by at most CHUNK_COLUMNS per read, the cache dropped after each:
            # GDAL's cache then never holds more than a few MB of the source.
            step = self.block_h if self.block_h > 1 else stop - self.y1
            width = self.x1 - self.x0
            for start in range(self.y1, stop, step):
                a, b = start - self.y0, min(stop, start + step) - self.y0
                for c0 in range(0, width, CHUNK_COLUMNS):
                    c1 = min(width, c0 + CHUNK_COLUMNS)
                    valid = self.valid[a:b, c0:c1] if self.valid is not None else None
                    data = self.data[:, a:b, c0:c1]
                    self.source.read_into(self.x0 + c0, start, self.bands, data, valid)
                    self.source.drop_cache()
            self.y1 = stop
        a, b = y0 - self.y0, y1 - self.y0
        return self.data[:, a:b], (self.valid[a:b] if self.valid is not None else None)

    def _shift(self, by: int, keep: int) -> None:
        # Chunks no taller than the shift never overlap their destination; band by band, so
        # numpy sees disjoint memory ranges and copies without a temporary.
        for i in range(0, keep, by):
            n = min(by, keep - i)
            for band in self.data:
                band[i : i + n] = band[by + i : by + i + n]
            if self.valid is not None:
                self.valid[i : i + n] = self.valid[by + i : by + i + n]
