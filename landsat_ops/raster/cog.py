"""Writing COGs with GDAL: raw band-sequential files described by a VRT, encoded as a COG.

:func:`raw_vrt` presents raw pixels (written strip by strip) and their overviews to GDAL,
:func:`to_cog` encodes any raster (such a VRT) as a Cloud Optimized GeoTIFF.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio.shutil import copy as rio_copy

from landsat_ops.products import COMPRESSIONS
from landsat_ops.raster.bands import BLOCK, gdal_env

__all__ = ["COMPRESSIONS", "overview_factors", "raw_vrt", "to_cog"]


def overview_factors(width: int, height: int, smallest: int = BLOCK) -> list[int]:
    """Powers of two until the overview's longer side fits in one block."""
    factors = []
    factor = 2
    while max(width, height) / (factor // 2) > smallest:
        factors.append(factor)
        factor *= 2
    return factors


_VRT_TYPES = {"uint8": "Byte", "uint16": "UInt16", "float32": "Float32"}


def raw_vrt(
    target: Path,
    raw: Path,
    *,
    width: int,
    height: int,
    count: int,
    dtype: str,
    crs,
    transform,
    nodata: float | None = None,
    colorinterp: Sequence[str] | None = None,
    overviews: Sequence[Path] = (),
    descriptions: Sequence[str] | None = None,
    metadata: Sequence[dict] | None = None,
    colortable: np.ndarray | None = None,
    scale_offset: tuple[float, float] | None = None,
) -> Path:
    """Write a VRT that presents a raw band-sequential file as a georeferenced raster.

    ``raw`` holds ``count`` bands of ``height`` x ``width`` pixels of ``dtype``, one band
    after the other, rows top to bottom, little-endian (a plain copy of numpy arrays). GDAL
    reads it without decoding, so a COG can be encoded from data written strip by strip
    without holding the scene in memory or writing an intermediate GeoTIFF. ``overviews``
    are VRTs of the same kind, largest first, that GDAL uses as this raster's overviews.
    ``descriptions`` and ``metadata`` (per band: key -> value, e.g. ``STATISTICS_MEAN``) are
    copied by GDAL into the COG's band descriptions and tags. ``colortable`` (``(n, 4)``
    RGBA, 8-bit data) is every band's palette: GDAL copies it into the COG, whose band then
    opens coloured (colour interpretation ``Palette``). ``scale_offset`` is every band's
    ``(scale, offset)``: value = stored x scale + offset (GDAL's band scale and offset, which
    the COG keeps and rasterio reads as ``scales`` and ``offsets``).
    """
    size = np.dtype(dtype).itemsize
    gdal_type = _VRT_TYPES[dtype]
    bands = []
    for i in range(count):
        extra = ""
        if descriptions:
            extra += f"<Description>{escape(descriptions[i])}</Description>"
        if metadata and metadata[i]:
            items = "".join(
                f'<MDI key="{escape(k)}">{escape(str(v))}</MDI>' for k, v in metadata[i].items()
            )
            extra += f"<Metadata>{items}</Metadata>"
        if nodata is not None:
            extra += f"<NoDataValue>{'nan' if math.isnan(nodata) else repr(nodata)}</NoDataValue>"
        if colorinterp:
            extra += f"<ColorInterp>{colorinterp[i]}</ColorInterp>"
        if scale_offset is not None:
            extra += f"<Offset>{scale_offset[1]!r}</Offset><Scale>{scale_offset[0]!r}</Scale>"
        if colortable is not None:
            entries = "".join(
                f'<Entry c1="{r}" c2="{g}" c3="{b}" c4="{a}"/>' for r, g, b, a in colortable
            )
            extra += f"<ColorTable>{entries}</ColorTable>"
        for overview in overviews:
            extra += (
                f'<Overview><SourceFilename relativeToVRT="1">{escape(overview.name)}'
                f"</SourceFilename><SourceBand>{i + 1}</SourceBand></Overview>"
            )
        bands.append(
            f'<VRTRasterBand dataType="{gdal_type}" band="{i + 1}" subClass="VRTRawRasterBand">'
            f"{extra}"
            f'<SourceFilename relativeToVRT="1">{escape(raw.name)}</SourceFilename>'
            f"<ImageOffset>{i * width * height * size}</ImageOffset>"
            f"<PixelOffset>{size}</PixelOffset><LineOffset>{width * size}</LineOffset>"
            "<ByteOrder>LSB</ByteOrder></VRTRasterBand>"
        )
    geotransform = ", ".join(repr(float(v)) for v in transform.to_gdal())
    target.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">'
        f'<SRS dataAxisToSRSAxisMapping="1,2">{escape(crs.to_wkt())}</SRS>'
        f"<GeoTransform>{geotransform}</GeoTransform>{''.join(bands)}</VRTDataset>"
    )
    return target


_COG_OPTIONS = {
    # (compression, float data?) -> GDAL COG creation options
    ("zstd", False): {"COMPRESS": "ZSTD", "LEVEL": 1, "PREDICTOR": "YES"},
    ("zstd", True): {"COMPRESS": "ZSTD", "LEVEL": 1},
    ("deflate", False): {"COMPRESS": "DEFLATE", "LEVEL": 6, "PREDICTOR": "YES"},
    ("deflate", True): {"COMPRESS": "DEFLATE", "LEVEL": 6, "PREDICTOR": "FLOATING_POINT"},
}


def to_cog(source, target: Path, *, compression: str = "zstd") -> Path:
    """Copy a raster with overviews as a COG.

    ``source`` is a path (e.g. a VRT of :func:`raw_vrt` with overviews) or an open dataset.
    The COG has 512 px tiles compressed with ``compression`` (see :data:`COMPRESSIONS`) on
    every core, and keeps the source's overviews (or builds them, nearest neighbour, when it
    has none), colour interpretation and no-data value. ``target`` is written under a
    temporary name and renamed into place.
    """
    if isinstance(source, (str, os.PathLike)):
        with rasterio.open(source) as ds:
            is_float = ds.dtypes[0].startswith("float")
        source = str(source)
    else:
        is_float = source.dtypes[0].startswith("float")
    options = {
        **_COG_OPTIONS[compression, is_float],
        "BLOCKSIZE": BLOCK,
        # The source's overviews when it has some, else built here (nearest, as rio-cogeo).
        "OVERVIEWS": "AUTO",
        "OVERVIEW_RESAMPLING": "NEAREST",
        "NUM_THREADS": "ALL_CPUS",
        "BIGTIFF": "IF_SAFER",
    }
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with gdal_env():
            rio_copy(source, str(tmp), driver="COG", **options)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
