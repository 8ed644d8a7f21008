"""Joining a sharded raster's parts: a VRT over them, or one GeoTIFF written from them.

Each file is written under a temporary name and renamed when complete, like every output.
The merged GeoTIFF goes through the engine's own writer, fed the same block rows in the
same order as a run over the whole raster, so it is the same file, byte for byte.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from osgeo import gdal

from ..errors import OutputError
from ..geotiff_writer import OUTPUT_BLOCK, class_map_writer
from ..output_stamp import OutputStamp
from ..staging import Staging, partial_files, temp_path
from ..stitching import NODATA
from ..styles import sidecar_path


def write_vrt(parts: Sequence[Path], vrt: Path, stamp: OutputStamp) -> Path:
    """A VRT stacking ``parts`` (paths relative to it), with their classes and ``stamp``."""
    temp = temp_path(vrt)
    try:
        dataset = gdal.BuildVRT(str(temp), [str(p) for p in parts])
        first = gdal.Open(str(parts[0]))
        for b in range(1, dataset.RasterCount + 1):
            band, source = dataset.GetRasterBand(b), first.GetRasterBand(b)
            band.SetDescription(source.GetDescription())
            band.SetCategoryNames(source.GetCategoryNames() or [])
        dataset.SetMetadata(stamp.tags())
        dataset = first = None
        os.replace(temp, vrt)
        copy_style(parts[0], vrt)
    except (RuntimeError, OSError) as error:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {vrt}: {error}") from None
    return vrt


def copy_style(part: Path, final: Path) -> None:
    """The QGIS style (``.qml``) the engine wrote beside a part, beside the joined file too,
    so that it opens styled in QGIS like any class map."""
    style = sidecar_path(part)
    if style.exists():
        temp = temp_path(sidecar_path(final))
        shutil.copyfile(style, temp)
        os.replace(temp, sidecar_path(final))


def merge_geotiff(vrt: Path, final: Path, stamp: OutputStamp) -> Path:
    """One GeoTIFF from the parts, written as the engine writes a whole raster."""
    source = gdal.Open(str(vrt))
    bands = [source.GetRasterBand(b) for b in range(1, source.RasterCount + 1)]
    table = bands[0].GetColorTable()
    heads = []
    for b, band in enumerate(bands):
        names = band.GetCategoryNames() or []
        heads.append(
            [(n, table.GetColorEntry(i)[:3] if b == 0 and table else (0, 0, 0))
             for i, n in enumerate(names)]
        )  # fmt: skip
    staging = Staging()
    writer = class_map_writer(
        final,
        source.RasterXSize,
        source.RasterYSize,
        source.GetGeoTransform(can_return_null=True) or (),
        source.GetProjection(),
        heads,
        staging,
        descriptions=[band.GetDescription() for band in bands],
    )
    try:
        for y in range(0, source.RasterYSize, OUTPUT_BLOCK):
            rows = min(OUTPUT_BLOCK, source.RasterYSize - y)
            writer.write(source.ReadAsArray(0, y, source.RasterXSize, rows).reshape(
                len(bands), rows, source.RasterXSize
            ))  # fmt: skip
        writer.complete(tags=stamp.tags())
        staging.commit()
    except BaseException:
        writer.close()
        staging.abort()
        raise
    return final


def write_cog(vrt: Path, final: Path) -> Path:
    """A Cloud Optimized GeoTIFF of the parts: the same pixels, another file layout."""
    temp = temp_path(final)
    options = ["COMPRESS=DEFLATE", "BLOCKSIZE=256", "OVERVIEW_RESAMPLING=NEAREST",
               "BIGTIFF=IF_SAFER"]  # fmt: skip
    try:
        gdal.Translate(str(temp), str(vrt), format="COG", creationOptions=options,
                       noData=NODATA)  # fmt: skip
        aux = Path(str(temp) + ".aux.xml")
        if aux.exists():
            os.replace(aux, Path(str(final) + ".aux.xml"))
        os.replace(temp, final)
        copy_style(vrt, final)
    except (RuntimeError, OSError) as error:
        for leftover in (temp, Path(str(temp) + ".aux.xml")):
            leftover.unlink(missing_ok=True)
        raise OutputError(f"cannot write {final}: {error}") from None
    return final


def remove_parts(vrt: Path, parts_dir: Path) -> None:
    """Once merged, the parts and their VRT are no longer the output."""
    vrt.unlink(missing_ok=True)
    shutil.rmtree(parts_dir, ignore_errors=True)


def remove_partials(*finals: Path) -> int:
    """Remove what killed writers left of these outputs; how many files were removed."""
    removed = 0
    for final in finals:
        for leftover in partial_files(final):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
