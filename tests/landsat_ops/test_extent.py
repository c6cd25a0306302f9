"""Snow/ice and water extent (landsat_ops.extent) against an independent numpy computation.

On the real sets of ../shared/data/landsat (Level-2 Greenland ice, Level-2 tropics, Collection 1
Level-1, a pre-collection crop), this module recomputes each pixel's class with plain numpy
from the raw DN, the MTL's coefficients (read here with a regular expression, not the project's
parser) and the QA bits (decoded here), and checks the counts, the km2 (pixel count x the
grid's pixel area) and the clear fraction.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landsat_ops.errors import SceneError
from landsat_ops.extent import PATH_ROW, classify_strip, extent_coefficients, measure_scene
from landsat_ops.scene import find_scene_files, read_mtl
from landsat_ops.scene.qa import clear_lut

SETS = {
    "greenland_l2": "rasters/LC08_L2SP_005009_20150710_20200908_02_T2_512px",
    "tropics_l2": "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px",
    "c1_l1": "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
    "pre_collection": "rasters/LC80200392015216LGN00_crop30m",
}


def _mtl_number(text: str, name: str, group: str | None = None) -> float:
    if group is not None:
        start = text.index(f"GROUP = {group}")
        text = text[start : text.index(f"END_GROUP = {group}", start)]
    match = re.search(rf"\b{name}\s*=\s*\"?([-+0-9.Ee]+)", text)
    assert match, name
    return float(match[1])


def _read(folder: Path, suffix: str) -> np.ndarray:
    (path,) = [p for p in folder.iterdir() if p.name.upper().endswith(suffix)]
    with rasterio.open(path) as ds:
        return ds.read(1)


def independent(folder: Path) -> dict:
    """Class counts, pixel area and clear count of a real scene, with numpy only."""
    level2 = any("_SR_B" in p.name for p in folder.iterdir())
    mtl = next(p for p in folder.iterdir() if p.name.endswith("_MTL.txt")).read_text()
    bands = {}
    for band in (3, 5, 6):
        dn = _read(folder, f"_B{band}.TIF").astype(np.float64)
        if level2:
            group = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"
            mult = _mtl_number(mtl, f"REFLECTANCE_MULT_BAND_{band}", group)
            add = _mtl_number(mtl, f"REFLECTANCE_ADD_BAND_{band}", group)
            bands[band] = dn * mult + add
        else:
            mult = _mtl_number(mtl, f"REFLECTANCE_MULT_BAND_{band}")
            add = _mtl_number(mtl, f"REFLECTANCE_ADD_BAND_{band}")
            mu = math.sin(math.radians(_mtl_number(mtl, "SUN_ELEVATION")))
            bands[band] = (dn * mult + add) / mu
        bands[f"dn{band}"] = dn
    qa = _read(folder, "QA_PIXEL.TIF" if level2 else "_BQA.TIF").astype(np.int64)
    fill = ((qa & 1) == 1) | np.any([bands[f"dn{b}"] == 0 for b in (3, 5, 6)], axis=0)
    if level2:  # Collection 2 QA_PIXEL: dilated cloud 1, cloud 3, cloud shadow 4
        cloudy = ((qa >> 1) & 1 | (qa >> 3) & 1 | (qa >> 4) & 1) == 1
    elif "LGN" in folder.name:  # pre-collection BQA: cloud confidence (bits 14-15) high
        cloudy = ((qa >> 14) & 3) == 3
    else:  # Collection 1 BQA: cloud 4, cloud confidence >= medium, shadow confidence high
        cloudy = (((qa >> 4) & 1) == 1) | (((qa >> 5) & 3) >= 2) | (((qa >> 7) & 3) == 3)
    clear = ~fill & ~cloudy
    green, nir, swir = bands[3], bands[5], bands[6]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(green + swir > 0, (green - swir) / (green + swir), np.nan)
    snow = clear & (ratio > 0.4) & (nir > 0.11) & (green > 0.10)
    water = clear & ~snow & (ratio > 0.0) & (nir <= 0.11)
    with rasterio.open(
        next(p for p in folder.iterdir() if p.name.upper().endswith("B3.TIF"))
    ) as ds:
        t = ds.transform
    return {
        "observed": int((~fill).sum()),
        "clear": int(clear.sum()),
        "snow": int(snow.sum()),
        "water": int(water.sum()),
        "pixel_m2": abs(t.a * t.e - t.b * t.d),
    }


@pytest.mark.parametrize("name", list(SETS))
def test_areas_match_an_independent_computation(landsat_data, name):
    folder = landsat_data / SETS[name]
    expected = independent(folder)
    result = measure_scene(folder)
    region = result.regions[PATH_ROW]
    pixels = region["pixels"]
    assert pixels["snow_ice"] == expected["snow"]
    assert pixels["water"] == expected["water"]
    assert pixels["snow_ice"] + pixels["water"] + pixels["clear_other"] == expected["clear"]
    assert result.pixel_m2 == pytest.approx(expected["pixel_m2"])
    km2 = expected["pixel_m2"] / 1e6
    assert region["snow_ice_km2"] == pytest.approx(expected["snow"] * km2, abs=1e-6)
    assert region["water_km2"] == pytest.approx(expected["water"] * km2, abs=1e-6)
    assert region["clear_km2"] == pytest.approx(expected["clear"] * km2, abs=1e-6)
    assert region["observed_km2"] == pytest.approx(expected["observed"] * km2, abs=1e-6)
    fraction = expected["clear"] / expected["observed"]
    assert region["clear_fraction"] == pytest.approx(fraction, abs=1e-6)


def test_greenland_is_ice_and_the_atlantic_is_water(landsat_data):
    """What the scenes show: every clear pixel of the Greenland L2 set is snow or ice (the QA's
    own snow bit agrees); the C1 scene off North Carolina has open Atlantic water."""
    folder = landsat_data / SETS["greenland_l2"]
    greenland = measure_scene(folder).regions[PATH_ROW]
    qa = _read(folder, "QA_PIXEL.TIF")
    clear = ((qa & 1) == 0) & (((qa >> 1) & 1 | (qa >> 3) & 1 | (qa >> 4) & 1) == 0)
    qa_snow = int((((qa >> 5) & 1) == 1)[clear].sum())
    assert greenland["pixels"]["snow_ice"] == qa_snow > 50_000
    assert greenland["water_km2"] == 0 and greenland["clear_fraction"] < 0.5  # half cloud
    atlantic = measure_scene(landsat_data / SETS["c1_l1"]).regions[PATH_ROW]
    assert atlantic["water_km2"] > 5000 and atlantic["snow_ice_km2"] < 1


def test_stac_fields_and_rows(landsat_data):
    result = measure_scene(landsat_data / SETS["greenland_l2"])
    fields = result.stac_properties()["landsat_ops:extent"]
    assert set(fields) == {
        "region_km2",
        "observed_km2",
        "clear_km2",
        "clear_fraction",
        "snow_ice_km2",
        "water_km2",
        "reflectance",
        "thresholds",
        "polygons",
    }
    assert fields["reflectance"] == "surface" and fields["polygons"] == {}
    assert fields["thresholds"] == {
        "ndsi_min": 0.4,
        "nir_min": 0.11,
        "green_min": 0.10,
        "water_mndwi_min": 0.0,
    }
    (row,) = result.rows()
    assert row["region"] == "path_row" and row["acquired"] == "2015-07-10T14:34:35Z"
    assert (row["path"], row["row"]) == (5, 9)


def _strip(values):
    return np.array([values], np.uint16)


def test_classify_strip_tests_and_guards():
    """One pixel per case, Level-1 style DN (reflectance = DN * 2e-5 - 0.1, sun at 90 deg)."""
    k = {b: (2.0e-5, -0.1, 1.0) for b in (3, 5, 6)}

    def dn(reflectance):
        return int(round((reflectance + 0.1) / 2.0e-5))

    cases = [  # (green, nir, swir1, qa, expected class)
        (0.80, 0.60, 0.05, 0, "snow_ice"),
        (0.80, 0.60, 0.45, 0, "clear_other"),  # NDSI 0.28: bright rock or cloud-like
        (0.80, 0.10, 0.05, 0, "water"),  # NDSI high, NIR dark: SNOMAP's water
        (0.09, 0.20, 0.01, 0, "clear_other"),  # NDSI high, NIR bright, green dark: no snow
        (0.06, 0.02, 0.01, 0, "water"),  # dark fjord water
        (0.08, 0.30, 0.19, 0, "clear_other"),  # vegetation: MNDWI < 0
        (0.80, 0.60, 0.05, 8, "not_clear"),  # cloud bit (C2 bit 3)
        (0.80, 0.60, 0.05, 1, "fill"),
    ]
    green = _strip([dn(c[0]) for c in cases])
    nir = _strip([dn(c[1]) for c in cases])
    swir = _strip([dn(c[2]) for c in cases])
    qa = _strip([c[3] for c in cases])
    counts = np.zeros(5, np.int64)
    codes = classify_strip(green, nir, swir, qa, clear_lut("c2"), k, counts=counts)
    names = ["fill", "clear_other", "snow_ice", "water", "not_clear"]  # the COG's values
    assert [names[c] for c in codes[0]] == [c[4] for c in cases]
    assert counts.tolist() == [1, 3, 1, 2, 1]
    zero = green.copy()
    zero[0, 0] = 0  # a fill DN in one band is fill
    assert classify_strip(zero, nir, swir, qa, clear_lut("c2"), k)[0, 0] == 0


def test_level1_needs_the_mtl_coefficients_and_sun(landsat_data, tmp_path):
    folder = landsat_data / SETS["c1_l1"]
    files = find_scene_files(folder)
    meta = read_mtl(files.mtl)
    mult, add, mu = extent_coefficients(files, meta)[3]
    assert mu == pytest.approx(math.sin(math.radians(meta.sun_elevation)))
    assert (mult, add) == (meta.reflectance_mult[3], meta.reflectance_add[3])
    with pytest.raises(SceneError, match="no MTL file.*SUN_ELEVATION"):
        extent_coefficients(files, None)
    for path in folder.iterdir():
        if not path.name.endswith(("_MTL.txt", "_B6.TIF")):
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(SceneError, match=r"no band B6 .*SWIR1"):
        measure_scene(tmp_path)
