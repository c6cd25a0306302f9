"""Pixels: pure numpy operations, compiled kernels, and raster I/O with rasterio/GDAL.

* :mod:`~landsat_ops.raster.ops`: histograms, cut-offs, stretch tables, NDVI, colour maps.
* :mod:`~landsat_ops.raster.kernels`: the renderer's compiled per-strip kernels (numba).
* :mod:`~landsat_ops.raster.bands`: opening a scene's bands on one grid, strip reads.
* :mod:`~landsat_ops.raster.cog`: raw pixels + VRT -> COG.
* :mod:`~landsat_ops.raster.png`: PNG previews.

Nothing is imported here: each module loads numpy, numba or rasterio when it is imported.
"""
