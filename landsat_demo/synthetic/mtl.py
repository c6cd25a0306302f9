"""A synthetic scene's product ID, band files and Collection 2 Level-1 MTL text (ODL syntax)."""

from __future__ import annotations

import datetime

from rasterio.crs import CRS
from rasterio.transform import Affine

from landsat_demo.synthetic.geometry import PIXEL_SIZE, check_path_row, earth_sun_distance

__all__ = ["BANDS", "mtl_text", "product_id_for"]

BANDS = (1, 2, 3, 4, 5, 6, 7)
"""The reflective bands of a scene, written as ``<product ID>_B<n>.TIF``."""
_PROCESSING_DELAY = datetime.timedelta(days=10)

# Typical Collection 2 radiance rescaling (LEVEL1_RADIOMETRIC_RESCALING of a real MTL).
_RADIANCE_MULT = (
    1.2501e-02, 1.2801e-02, 1.1796e-02, 9.9470e-03, 6.0871e-03, 1.5138e-03, 5.1023e-04,
    1.1257e-02, 2.3790e-03, 3.3420e-04, 3.3420e-04,
)  # fmt: skip
_RADIANCE_ADD = (
    -62.50392, -64.00478, -58.97986, -49.73514, -30.43542, -7.56901, -2.55116,
    -56.28649, -11.89485, 0.10000, 0.10000,
)  # fmt: skip


def product_id_for(path: int, row: int, acquired: datetime.date) -> str:
    """Return the Collection 2 Level-1 product ID :func:`make_scene` gives a scene.

    Processed 10 days after acquisition, tier 1:
    ``LC08_L1TP_226010_20140820_20140830_02_T1``.
    """
    check_path_row(path, row)
    day = acquired.date() if isinstance(acquired, datetime.datetime) else acquired
    processed = day + _PROCESSING_DELAY
    return f"LC08_L1TP_{path:03d}{row:03d}_{day:%Y%m%d}_{processed:%Y%m%d}_02_T1"


def mtl_text(
    *,
    product_id: str,
    path: int,
    row: int,
    acquired: datetime.datetime,
    crs: CRS,
    transform: Affine,
    width: int,
    height: int,
    cloud_cover: float,
    cloud_cover_land: float,
    sun_azimuth: float,
    sun_elevation: float,
) -> str:
    """A Collection 2 Level-1 MTL file in ODL syntax for the files :func:`make_scene` writes."""
    from rasterio.warp import transform as warp_transform

    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + width * PIXEL_SIZE, y0 - height * PIXEL_SIZE
    corners = {"UL": (x0, y0), "UR": (x1, y0), "LL": (x0, y1), "LR": (x1, y1)}
    lons, lats = warp_transform(
        crs, CRS.from_epsg(4326), [c[0] for c in corners.values()], [c[1] for c in corners.values()]
    )
    day = acquired.date()
    processed = day + _PROCESSING_DELAY
    scene_id = f"LC8{path:03d}{row:03d}{day:%Y}{day.timetuple().tm_yday:03d}LGN00"
    seconds = acquired.second + acquired.microsecond / 1e6
    centre_time = f"{acquired:%H:%M}:{seconds:010.7f}Z"
    files = [(f"FILE_NAME_BAND_{b}", f"{product_id}_B{b}.TIF") for b in BANDS]
    files.append(("FILE_NAME_QUALITY_L1_PIXEL", f"{product_id}_QA_PIXEL.TIF"))
    files.append(("FILE_NAME_METADATA_ODL", f"{product_id}_MTL.txt"))
    origin = '"Image courtesy of the U.S. Geological Survey"'
    doi = '"https://doi.org/10.5066/P975CC9B"'

    groups: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "PRODUCT_CONTENTS",
            [
                ("ORIGIN", origin),
                ("DIGITAL_OBJECT_IDENTIFIER", doi),
                ("LANDSAT_PRODUCT_ID", f'"{product_id}"'),
                ("PROCESSING_LEVEL", '"L1TP"'),
                ("COLLECTION_NUMBER", "02"),
                ("COLLECTION_CATEGORY", '"T1"'),
                ("OUTPUT_FORMAT", '"GEOTIFF"'),
                *((key, f'"{name}"') for key, name in files),
                *((f"DATA_TYPE_BAND_{b}", '"UINT16"') for b in BANDS),
                ("DATA_TYPE_QUALITY_L1_PIXEL", '"UINT16"'),
            ],
        ),
        (
            "IMAGE_ATTRIBUTES",
            [
                ("SPACECRAFT_ID", '"LANDSAT_8"'),
                ("SENSOR_ID", '"OLI_TIRS"'),
                ("WRS_TYPE", "2"),
                ("WRS_PATH", str(path)),
                ("WRS_ROW", str(row)),
                ("NADIR_OFFNADIR", '"NADIR"'),
                ("TARGET_WRS_PATH", str(path)),
                ("TARGET_WRS_ROW", str(row)),
                ("DATE_ACQUIRED", f"{day:%Y-%m-%d}"),
                ("SCENE_CENTER_TIME", f'"{centre_time}"'),
                ("STATION_ID", '"LGN"'),
                ("CLOUD_COVER", f"{cloud_cover:.2f}"),
                ("CLOUD_COVER_LAND", f"{cloud_cover_land:.2f}"),
                ("IMAGE_QUALITY_OLI", "9"),
                ("IMAGE_QUALITY_TIRS", "9"),
                *((f"SATURATION_BAND_{b}", '"N"') for b in range(1, 10)),
                ("ROLL_ANGLE", "-0.001"),
                ("SUN_AZIMUTH", f"{sun_azimuth:.8f}"),
                ("SUN_ELEVATION", f"{sun_elevation:.8f}"),
                ("EARTH_SUN_DISTANCE", f"{earth_sun_distance(day):.7f}"),
                ("TRUNCATION_OLI", '"UPPER"'),
            ],
        ),
        (
            "PROJECTION_ATTRIBUTES",
            [
                ("MAP_PROJECTION", '"UTM"'),
                ("DATUM", '"WGS84"'),
                ("ELLIPSOID", '"WGS84"'),
                ("UTM_ZONE", str(crs.to_epsg() - 32600)),
                ("GRID_CELL_SIZE_PANCHROMATIC", "15.00"),
                ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
                ("GRID_CELL_SIZE_THERMAL", "30.00"),
                ("PANCHROMATIC_LINES", str(2 * height - 1)),
                ("PANCHROMATIC_SAMPLES", str(2 * width - 1)),
                ("REFLECTIVE_LINES", str(height)),
                ("REFLECTIVE_SAMPLES", str(width)),
                ("THERMAL_LINES", str(height)),
                ("THERMAL_SAMPLES", str(width)),
                ("ORIENTATION", '"NORTH_UP"'),
                *(
                    item
                    for name, lat, lon in zip(corners, lats, lons, strict=True)
                    for item in (
                        (f"CORNER_{name}_LAT_PRODUCT", f"{lat:.5f}"),
                        (f"CORNER_{name}_LON_PRODUCT", f"{lon:.5f}"),
                    )
                ),
                *(
                    item
                    for name, (x, y) in corners.items()
                    for item in (
                        (f"CORNER_{name}_PROJECTION_X_PRODUCT", f"{x:.3f}"),
                        (f"CORNER_{name}_PROJECTION_Y_PRODUCT", f"{y:.3f}"),
                    )
                ),
            ],
        ),
        (
            "LEVEL1_PROCESSING_RECORD",
            [
                ("ORIGIN", origin),
                ("DIGITAL_OBJECT_IDENTIFIER", doi),
                ("LANDSAT_SCENE_ID", f'"{scene_id}"'),
                ("LANDSAT_PRODUCT_ID", f'"{product_id}"'),
                ("PROCESSING_LEVEL", '"L1TP"'),
                ("COLLECTION_CATEGORY", '"T1"'),
                ("OUTPUT_FORMAT", '"GEOTIFF"'),
                ("DATE_PRODUCT_GENERATED", f"{processed:%Y-%m-%d}T12:00:00Z"),
                ("PROCESSING_SOFTWARE_VERSION", '"SYNTHETIC landsat_ops"'),
                *((key, f'"{name}"') for key, name in files),
                ("DATA_SOURCE_ELEVATION", '"GLS2000"'),
            ],
        ),
        (
            "LEVEL1_MIN_MAX_REFLECTANCE",
            [
                item
                for b in range(1, 10)
                for item in (
                    (f"REFLECTANCE_MAXIMUM_BAND_{b}", "1.210700"),
                    (f"REFLECTANCE_MINIMUM_BAND_{b}", "-0.099980"),
                )
            ],
        ),
        (
            "LEVEL1_MIN_MAX_PIXEL_VALUE",
            [
                item
                for b in range(1, 12)
                for item in (
                    (f"QUANTIZE_CAL_MAX_BAND_{b}", "65535"),
                    (f"QUANTIZE_CAL_MIN_BAND_{b}", "1"),
                )
            ],
        ),
        (
            "LEVEL1_RADIOMETRIC_RESCALING",
            [
                *((f"RADIANCE_MULT_BAND_{b}", f"{m:.4E}") for b, m in enumerate(_RADIANCE_MULT, 1)),
                *((f"RADIANCE_ADD_BAND_{b}", f"{a:.5f}") for b, a in enumerate(_RADIANCE_ADD, 1)),
                *((f"REFLECTANCE_MULT_BAND_{b}", "2.0000E-05") for b in range(1, 10)),
                *((f"REFLECTANCE_ADD_BAND_{b}", "-0.100000") for b in range(1, 10)),
            ],
        ),
        (
            "LEVEL1_PROJECTION_PARAMETERS",
            [
                ("MAP_PROJECTION", '"UTM"'),
                ("DATUM", '"WGS84"'),
                ("ELLIPSOID", '"WGS84"'),
                ("UTM_ZONE", str(crs.to_epsg() - 32600)),
                ("GRID_CELL_SIZE_REFLECTIVE", "30.00"),
                ("ORIENTATION", '"NORTH_UP"'),
                ("RESAMPLING_OPTION", '"CUBIC_CONVOLUTION"'),
            ],
        ),
    ]
    lines = ["GROUP = LANDSAT_METADATA_FILE"]
    for group, items in groups:
        lines.append(f"  GROUP = {group}")
        lines.extend(f"    {key} = {value}" for key, value in items)
        lines.append(f"  END_GROUP = {group}")
    lines += ["END_GROUP = LANDSAT_METADATA_FILE", "END", ""]
    return "\n".join(lines)
