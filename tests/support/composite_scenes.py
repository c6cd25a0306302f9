"""Published scenes for the composites tests and the DAG tests (``tests.support.dagenv``):
small synthetic catalogs landed and published into a bucket the way the scenes DAGs leave them,
and a second path/row that overlaps the first.

The synthetic scenes (``landsat_demo.synthetic``, 300 x 300 px) of 226/010 cover 9 km around
the WRS-2 scene centre; real neighbouring path/rows overlap by tens of kilometres, miniatures
do not. :func:`overlapping_catalog` therefore makes the scenes of 227/010 on their own UTM zone
(EPSG:32626; 226/010 is on 32627) but centred 4 km west of 226/010's centre: the region mosaic
then pools the clear observations of two path/rows and two CRSs where they overlap.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from pathlib import Path

SUMMER = {"summer": "06-01..09-30"}
COMPOSITES = {
    "periods": SUMMER,
    "crs": "EPSG:3413",
    "resolution": 30,
    "tile_size": 256,
}
"""The test areas' composites section: 2 x 2 tiles per 300 x 300 path/row composite."""
WEST_KM = 4.0
"""How far west of 226/010's centre the miniatures of 227/010 are centred."""


@contextlib.contextmanager
def shifted_centre(path: int, row: int, *, of: tuple[int, int], west_km: float):
    """Make the synthetic scenes of ``path``/``row`` centred ``west_km`` west of the centre of
    ``of``, on their own UTM zone (a patch of :mod:`landsat_demo.synthetic.geometry`)."""
    import math

    from landsat_demo.synthetic import geometry

    real_centre, real_zone = geometry.wrs2_centre, geometry.utm_epsg_for
    zone = real_zone(path, row)
    lat, lon = real_centre(*of)
    moved = (lat, lon - west_km / (111.32 * math.cos(math.radians(lat))))

    def centre(p: int, r: int):
        return moved if (p, r) == (path, row) else real_centre(p, r)

    def utm(p: int, r: int) -> int:
        return zone if (p, r) == (path, row) else real_zone(p, r)

    geometry.wrs2_centre, geometry.utm_epsg_for = centre, utm
    try:
        yield
    finally:
        geometry.wrs2_centre, geometry.utm_epsg_for = real_centre, real_zone


def overlapping_catalog(root: Path, start: datetime.date, end: datetime.date) -> Path:
    """A catalog of 227/010 miniatures overlapping the 226/010 ones (see the module doc)."""
    from landsat_demo.synthetic import make_catalog

    with shifted_centre(227, 10, of=(226, 10), west_km=WEST_KM):
        return make_catalog(root, path=227, row=10, start=start, end=end, width=300, height=300)


def catalog_scenes(catalog: Path, path: int, row: int, start, end) -> list[dict]:
    """The discover-task XCom of every scene of a catalog, oldest first."""
    from landsat_pipeline.discovery import discover, scene_to_xcom

    found = discover(
        str(catalog), path=path, row=row, start=start, end=end + datetime.timedelta(days=1)
    )
    return [scene_to_xcom(scene) for scene in found]


def publish_scenes(store, scenes: list[dict], *, title: str = "test") -> None:
    """Land the scenes' bands and publish an item per scene and each path/row's collection,
    as the scenes DAG's upload_bands and publish leave them (the items without products:
    the composites read the landed bands)."""
    from landsat_pipeline.keys import published_prefix
    from landsat_pipeline.landing import land_scene
    from landsat_pipeline.publishing import update_catalogs

    for scene in scenes:
        land_scene(scene, store)
        item = {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": scene["scene_id"],
            "properties": {"datetime": scene["acquired"], "eo:cloud_cover": scene["cloud_cover"]},
            "assets": {},
            "links": [],
        }
        folder = published_prefix(scene["path"], scene["row"], scene["date"])
        key = f"{folder}/{scene['scene_id']}.json"
        store.write_bytes(key, json.dumps(item).encode(), "application/geo+json")
    for path, row in sorted({(s["path"], s["row"]) for s in scenes}):
        update_catalogs(store, path, row, title=title)
