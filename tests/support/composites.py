"""Tiny synthetic Level-2 scenes with known clear pixels, for the composite tests.

:func:`write_scene` writes ``<ID>_SR_B1.TIF`` ... ``_SR_B7.TIF`` (B1-B7) and
``<ID>_QA_PIXEL.TIF`` (uint16, 0 = fill) in a folder named by the product ID, with no MTL: a
Level-2 scene's reflectance is then ``DN * 2.75e-05 - 0.2`` (the Collection 2 constants).
:func:`expected_median` is the independent numpy reference: ``np.nanmedian`` of the clear
reflectances.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

BANDS = (1, 2, 3, 4, 5, 6, 7)
QA_CLEAR = 21824  # Collection 2 QA_PIXEL: clear land
QA_WATER = 21952  # clear water
QA_SNOW = 13600  # snow/ice (clear for a composite: the surface)
QA_CLOUD = 55052  # high-confidence cloud (bit 3)
QA_DILATED = 21824 | 0b10  # dilated cloud (bit 1)
QA_CIRRUS = 21824 | 0b100  # cirrus (bit 2)
QA_SHADOW = 21824 | 0b10000  # cloud shadow (bit 4)
QA_FILL = 1
NOT_CLEAR = (QA_CLOUD, QA_DILATED, QA_CIRRUS, QA_SHADOW, QA_FILL)
CLEAR = (QA_CLEAR, QA_WATER, QA_SNOW)


def scene_id(date: dt.date, path: int = 226, row: int = 10) -> str:
    processed = date + dt.timedelta(days=10)
    return f"LC08_L2SP_{path:03d}{row:03d}_{date:%Y%m%d}_{processed:%Y%m%d}_02_T1"


def write_scene(
    root: Path,
    date: dt.date,
    dn: np.ndarray,
    qa: np.ndarray,
    *,
    path: int = 226,
    row: int = 10,
    crs: str = "EPSG:32627",
    transform: Affine | None = None,
) -> Path:
    """A Level-2 scene folder; ``dn`` is ``(7, rows, cols)`` uint16 for B1-B7."""
    transform = transform or Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 7800000.0)
    sid = scene_id(date, path, row)
    folder = Path(root) / sid
    folder.mkdir(parents=True)
    profile = {
        "driver": "GTiff",
        "width": qa.shape[1],
        "height": qa.shape[0],
        "count": 1,
        "dtype": "uint16",
        "crs": crs,
        "transform": transform,
    }
    for b, band in zip(BANDS, dn, strict=True):
        with rasterio.open(folder / f"{sid}_SR_B{b}.TIF", "w", **profile) as ds:
            ds.write(band.astype(np.uint16), 1)
    with rasterio.open(folder / f"{sid}_QA_PIXEL.TIF", "w", **profile) as ds:
        ds.write(qa.astype(np.uint16), 1)
    return folder


def random_stack(n: int, rows: int, cols: int, seed: int = 0, clear_share: float = 0.5):
    """``n`` scenes' DN ``(n, 7, rows, cols)`` and QA ``(n, rows, cols)``: each pixel clear
    (one of :data:`CLEAR`) with probability ``clear_share``, else one of :data:`NOT_CLEAR`;
    fill (QA 1, DN 0) in a corner of every scene, and one pixel clear in no scene."""
    rng = np.random.default_rng(seed)
    dn = rng.integers(7300, 40000, size=(n, len(BANDS), rows, cols), dtype=np.uint16)
    clear = rng.random((n, rows, cols)) < clear_share
    qa = np.where(
        clear,
        rng.choice(CLEAR, size=(n, rows, cols)),
        rng.choice(NOT_CLEAR, size=(n, rows, cols)),
    ).astype(np.uint16)
    qa[:, :3, :4] = QA_FILL
    dn[:, :, :3, :4] = 0
    qa[:, rows // 2, cols // 2] = QA_CLOUD
    return dn, qa


def reflectance(dn: np.ndarray) -> np.ndarray:
    """Level-2 reflectance as the composite computes it (float64, then float32)."""
    return (dn.astype(np.float64) * 2.75e-05 - 0.2).astype(np.float32)


def clear_of(qa: np.ndarray) -> np.ndarray:
    """The test's own clear rule: QA one of :data:`CLEAR`."""
    return np.isin(qa, CLEAR)


def expected_median(dn: np.ndarray, qa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(median (7, rows, cols), count)`` of the clear reflectances of ``n`` scenes."""
    clear = clear_of(qa) & (dn != 0).all(axis=1)
    values = np.where(clear[:, np.newaxis], reflectance(dn), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(values, axis=0).astype(np.float32)
    return median, clear.sum(axis=0)


def read_cog(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        return ds.read()


L2_SCALE, L2_OFFSET = 2.75e-05, -0.2
"""The Collection 2 Level-2 scale a composite's reflectance COG is stored on."""


def level2_dn(values: np.ndarray) -> np.ndarray:
    """Reflectance -> the uint16 a composite stores (rounded, 1..65535; 0 where NaN)."""
    with np.errstate(invalid="ignore"):
        dn = np.clip(np.rint((values.astype(np.float64) - L2_OFFSET) / L2_SCALE), 1, 65535)
    return np.where(np.isfinite(values), dn, 0).astype(np.uint16)


def read_reflectance(path) -> tuple[np.ndarray, np.ndarray]:
    """``(stored uint16, reflectance float32 with NaN)`` of a composite's reflectance COG.

    Asserts what a reader relies on: uint16, no data 0, and every band's scale and offset
    those of Level-2 (rasterio's ``scales``/``offsets``; titiler's ``unscale``)."""
    with rasterio.open(path) as ds:
        assert ds.dtypes == ("uint16",) * ds.count and ds.nodata == 0, (ds.dtypes, ds.nodata)
        assert ds.scales == (L2_SCALE,) * ds.count, ds.scales
        assert ds.offsets == (L2_OFFSET,) * ds.count, ds.offsets
        dn = ds.read()
    values = (dn * L2_SCALE + L2_OFFSET).astype(np.float32)
    return dn, np.where(dn == 0, np.float32(np.nan), values)
