"""Which DN -> reflectance rescaling NDVI uses for a scene: one rule for every NDVI in the project.

The ``ndvi`` product of :mod:`landsat_ops.render` and the point samples of
:mod:`landsat_ops.sampling` must agree, so both take their coefficients from
:func:`ndvi_coefficients`:

* Level-1 DN (``<ID>_B4.TIF``, ``<ID>_B5.TIF``): top-of-atmosphere reflectance from the MTL's
  ``REFLECTANCE_MULT_BAND_n`` / ``REFLECTANCE_ADD_BAND_n`` (no MTL, no NDVI).
* Level-2 surface reflectance (``<ID>_SR_B4.TIF``): the MTL's Level-2 scaling when present,
  else the Collection 2 constants ``DN * 2.75e-05 - 0.2``.

Pure Python: no numpy, no rasterio.
"""

from __future__ import annotations

from landsat_ops.errors import SceneError
from landsat_ops.products import NDVI_BANDS
from landsat_ops.scene.files import SceneFiles
from landsat_ops.scene.mtl import Metadata

__all__ = ["NDVI_BANDS", "SR_ADD", "SR_MULT", "ndvi_coefficients"]

SR_MULT, SR_ADD = 2.75e-05, -0.2  # Collection 2 Level-2 surface reflectance scaling


def ndvi_coefficients(
    files: SceneFiles, meta: Metadata | None, *, where: str | None = None
) -> tuple[float, float, float, float]:
    """The ``(red_mult, red_add, nir_mult, nir_add)`` rescaling of a scene's B4 and B5 DN.

    Parameters
    ----------
    files : SceneFiles
        The scene's files; ``surface_reflectance`` says Level-1 or Level-2.
    meta : Metadata or None
        The parsed MTL, or None when the scene has none.
    where : str, optional
        How to name the scene (folder) and its MTL in error messages, e.g. an ``s3://`` URI;
        default ``files.folder`` and ``files.mtl``.

    Returns
    -------
    tuple of float
        Multiply then add, per band: ``reflectance = dn * mult + add``.

    Raises
    ------
    SceneError
        A Level-1 scene without an MTL, or whose MTL lacks ``REFLECTANCE_MULT/ADD_BAND_4/5``.
    """
    red, nir = NDVI_BANDS
    if files.surface_reflectance:
        mult = meta.sr_mult if meta and meta.sr_mult else {}
        add = meta.sr_add if meta and meta.sr_add else {}
        return (
            mult.get(red, SR_MULT),
            add.get(red, SR_ADD),
            mult.get(nir, SR_MULT),
            add.get(nir, SR_ADD),
        )
    if meta is None:
        raise SceneError(
            f"{where or files.folder}: no MTL file; ndvi needs its REFLECTANCE_MULT/ADD_BAND_4/5 "
            "(expected <ID>_MTL.txt, .json or .xml next to the bands)"
        )
    try:
        return (
            meta.reflectance_mult[red],
            meta.reflectance_add[red],
            meta.reflectance_mult[nir],
            meta.reflectance_add[nir],
        )
    except KeyError as exc:
        mtl = f"{where}/{files.mtl.name}" if where and files.mtl else files.mtl
        raise SceneError(
            f"{mtl}: no REFLECTANCE_MULT/ADD_BAND_{exc.args[0]} "
            "(needed for NDVI of top-of-atmosphere reflectance)"
        ) from None
