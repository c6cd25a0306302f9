"""MTL metadata of any generation: :class:`Metadata`, :func:`read_mtl`, the ``parse_mtl*`` parsers.

An MTL file of any generation (pre-collection, Collection 1, Collection 2 Level-1 and Level-2)
in its ODL text, JSON or XML form is parsed into :class:`Metadata`. Pure Python (standard
library only).

What parses is also sane (:mod:`landsat_ops.scene.limits`): an MTL larger than
:data:`~landsat_ops.scene.limits.MTL_MAX_BYTES` is refused unread, every number in it must be
finite, and the values rendering and extraction rely on must lie within physical bounds
(:data:`~landsat_ops.scene.mtl.bounds.MTL_BOUNDS`: ``REFLECTANCE_MULT_BAND_n`` in (0, 1e-3],
``SUN_ELEVATION`` in [-90, 90], image sizes at most :data:`~landsat_ops.scene.limits.MAX_SIDE`,
...). Every real MTL of every generation passes; ``REFLECTANCE_MULT_BAND_4 = 1e308`` is one
:class:`MetadataError` line.

Modules: :mod:`.metadata` (:class:`Metadata` and its fields), :mod:`.formats` (the ODL text,
JSON and XML parsers), :mod:`.bounds` (the bounds of the values) and :mod:`.reading` (the
parser of a file name, the size cap, :func:`check_mtl_belongs`).
"""

from landsat_ops.scene.mtl.bounds import MTL_BOUNDS
from landsat_ops.scene.mtl.formats import parse_mtl_json, parse_mtl_text, parse_mtl_xml
from landsat_ops.scene.mtl.metadata import Metadata
from landsat_ops.scene.mtl.reading import check_mtl_belongs, parse_mtl, read_mtl

__all__ = [
    "MTL_BOUNDS",
    "Metadata",
    "check_mtl_belongs",
    "parse_mtl",
    "parse_mtl_json",
    "parse_mtl_text",
    "parse_mtl_xml",
    "read_mtl",
]
