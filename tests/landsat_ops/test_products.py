"""landsat_ops.products: the option rules shared by the CLI, the render API and the pipeline."""

import pytest

from landsat_ops.errors import OptionError
from landsat_ops.products import parse_ranges, validate_range


def test_parse_ranges():
    assert parse_ranges("5900:11000,6200:11000,7600:11000") == [
        (5900.0, 11000.0),
        (6200.0, 11000.0),
        (7600.0, 11000.0),
    ]


@pytest.mark.parametrize(
    "text, message",
    [("1:2,3:4", "three"), ("9:1,3:4,5:6", "R range"), ("1:2,x,5:6", "G range")],
)
def test_bad_ranges_text(text, message):
    with pytest.raises(OptionError, match=message):
        parse_ranges(text)


@pytest.mark.parametrize("bad", [(2000, 1000), (5, 5), (-1, 10), (0, 65536)])
def test_validate_range(bad):
    assert validate_range(0, 65535) == (0.0, 65535.0)
    with pytest.raises(OptionError, match="0 <= LOW < HIGH <= 65535"):
        validate_range(*bad)


def test_product_files_include_the_thumbnail_with_true_colour():
    from landsat_ops.products import (
        asset_key,
        asset_roles,
        expected_asset_keys,
        file_product,
        product_files,
    )

    assert len(product_files("X")) == 10  # with the thumbnail and the paletted NDVI
    assert product_files("X", "truecolor") == [
        "X_truecolor.tif",
        "X_truecolor.png",
        "X_thumbnail.png",
        "X.json",
    ]
    assert "X_thumbnail.png" not in product_files("X", "falsecolor,ndvi")
    assert asset_key("X_thumbnail.png", "X") == "thumbnail"
    assert asset_roles("thumbnail") == ["thumbnail"]
    assert file_product("X_thumbnail.png", "X") == "truecolor"
    assert expected_asset_keys(["truecolor"]) == {"truecolor_tif", "truecolor_png", "thumbnail"}


def test_the_ndvi_product_includes_its_paletted_cog():
    from landsat_ops.products import (
        asset_key,
        asset_roles,
        expected_asset_keys,
        file_product,
        product_bands,
        product_files,
    )

    assert product_files("X", "ndvi") == ["X_ndvi.tif", "X_ndvi_visual.tif", "X_ndvi.png", "X.json"]
    assert asset_key("X_ndvi_visual.tif", "X") == "ndvi_visual_tif"
    assert file_product("X_ndvi_visual.tif", "X") == "ndvi"
    assert asset_roles("ndvi_visual_tif") == ["visual"] and asset_roles("ndvi_tif") == ["data"]
    assert expected_asset_keys(["ndvi"]) == {"ndvi_tif", "ndvi_visual_tif", "ndvi_png"}
    (band,) = product_bands("ndvi_visual")
    assert band["data_type"] == "uint8" and band["nodata"] == 0


@pytest.mark.parametrize(
    "ndvi, level",
    [(-1.0, 1), (-0.5, 65), (0.0, 128), (0.5, 192), (1.0, 255), (-2.0, 1), (3.0, 255)],
)
def test_ndvi_level(ndvi, level):
    """128 + round(127 NDVI), half up (-0.5 -> 64.5 -> 65), kept within 1..255."""
    from landsat_ops.products import ndvi_level

    assert ndvi_level(ndvi) == level
    if -1 <= ndvi <= 1:
        assert abs((level - 128) / 127 - ndvi) <= 0.5 / 127


def test_validate_stretch():
    from landsat_ops.products import DEFAULT_STRETCH, validate_stretch

    assert DEFAULT_STRETCH == "natural" and validate_stretch("linear") == "linear"
    with pytest.raises(OptionError, match="natural, linear"):
        validate_stretch("gamma")
