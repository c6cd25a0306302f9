"""Render one Landsat 8 scene into COGs, PNG previews, a histogram figure and a STAC item.

* :mod:`~landsat_ops.render.run`: :func:`render_scene`, one scene from its folder to its
  published version.
* :mod:`~landsat_ops.render.renderer`: the scan, stretch and products passes over a scene.
* :mod:`~landsat_ops.render.stretch`: how each composite is mapped to 8 bits.
* :mod:`~landsat_ops.render.fetch`: the bands a render needs, fetched from a folder or S3.
* :mod:`~landsat_ops.render.cog`: raw rasters written strip by strip, encoded as COGs.
* :mod:`~landsat_ops.render.scratch`: positional I/O on the scratch files.
* :mod:`~landsat_ops.render.figures`: the histogram figure.
* :mod:`~landsat_ops.render.stac_item`: the STAC item and the scene's footprint.
* :mod:`~landsat_ops.render.destination`: immutable versions behind one switched item.
* :mod:`~landsat_ops.render.versions`: the version layout: names, item hrefs, the set check.
* :mod:`~landsat_ops.render.garbage`: unreferenced versions removed after a retention.

The pipeline logs its stages through :mod:`logging` (loggers ``landsat_ops.render.*``, INFO);
it never configures logging itself.
"""

from landsat_ops.render.run import RenderResult, render_scene

__all__ = ["RenderResult", "render_scene"]
