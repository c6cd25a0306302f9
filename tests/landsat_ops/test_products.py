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

    # with the thumbnail, the paletted NDVI and the extent's classes and preview
    assert len(product_files("X")) == 12
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


def test_the_extent_product_needs_b6_and_lists_its_classes():
    from landsat_ops.products import (
        DEFAULT_PRODUCTS,
        PRODUCTS,
        asset_roles,
        expected_asset_keys,
        extent_classes,
        needed_bands,
        product_files,
    )

    assert PRODUCTS.index("ndvi") < PRODUCTS.index("extent") < PRODUCTS.index("histograms")
    assert "extent" in DEFAULT_PRODUCTS
    assert needed_bands(["extent"]) == {3, 5, 6}
    assert needed_bands(PRODUCTS) == {1, 2, 3, 4, 5, 6, 7}
    assert 6 not in needed_bands(["truecolor", "falsecolor", "ndvi", "histograms"])
    assert product_files("X", "extent") == ["X_extent.tif", "X_extent.png", "X.json"]
    assert expected_asset_keys(["extent"]) == {"extent_tif", "extent_png"}
    assert asset_roles("extent_tif") == ["data"] and asset_roles("extent_png") == ["overview"]
    classes = extent_classes()
    assert [(c["value"], c["name"]) for c in classes] == [
        (0, "no_data"),
        (1, "clear_other"),
        (2, "snow_ice"),
        (3, "water"),
        (4, "not_clear"),
    ]
    assert classes[0]["nodata"] is True and all(len(c["color_hint"]) == 6 for c in classes)


def test_render_options_carry_polygons_to_the_command_line(tmp_path):
    from landsat_ops.errors import OptionError
    from landsat_ops.extent.polygons import parse_polygons
    from landsat_ops.products import RenderOptions

    text = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"name":"fjord"},"geometry":{"type":"Polygon","coordinates":'
        "[[[-22,70.5],[-21.9,70.5],[-21.9,70.55],[-22,70.55],[-22,70.5]]]}}]}"
    )
    options = RenderOptions(polygons=text, skip_outside=True)
    assert [p.name for p in options.polygons] == ["fjord"]
    args = options.cli_args(["polygons", "skip_outside"])
    assert args[0] == "--polygons" and args[2:] == ["--skip-outside"]
    assert tuple(parse_polygons(args[1])) == options.polygons  # the same polygons back
    assert RenderOptions(polygons=options.polygons) == RenderOptions(polygons=text)
    assert RenderOptions().cli_args(["polygons", "skip_outside"]) == []
    with pytest.raises(OptionError, match="not valid JSON"):
        RenderOptions(polygons="{nope")
    with pytest.raises(OptionError, match="twice"):
        RenderOptions(polygons=options.polygons * 2)
    with pytest.raises(OptionError, match="only the extent product"):
        RenderOptions(products="truecolor", polygons=text)


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


def test_render_options_are_validated_and_normalised_once():
    import dataclasses

    from landsat_ops.products import PRODUCTS, RenderOptions

    default = RenderOptions()
    assert default.products == PRODUCTS and default.stretch == "natural"
    assert default.percentiles == (2.0, 98.0) and default.ranges is None
    assert (default.preview_size, default.compression) == (2048, "zstd")
    options = RenderOptions(
        products="ndvi,truecolor",
        percentiles=[1, 99],
        ranges="5900:11000,6200:11000,7600:11000",
        preview_size=256,
    )
    assert options.products == ("truecolor", "ndvi")  # PRODUCTS order
    assert options.percentiles == (1.0, 99.0)
    assert options.ranges == ((5900.0, 11000.0), (6200.0, 11000.0), (7600.0, 11000.0))
    assert RenderOptions(ranges=[(1, 2), (3, 4), (5, 6)]).ranges == ((1, 2), (3, 4), (5, 6))
    assert options == RenderOptions(**dataclasses.asdict(options))  # normalised: a fixpoint
    hash(options)  # frozen and hashable: one value for the whole render
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.stretch = "linear"


@pytest.mark.parametrize(
    "choices, message",
    [
        pytest.param({"products": "truecolor,cloud"}, "products: unknown cloud", id="products"),
        pytest.param({"stretch": "log"}, "stretch: expected one of", id="stretch"),
        pytest.param({"percentiles": (98, 2)}, "0 <= LOW < HIGH <= 100", id="percentiles"),
        pytest.param({"ranges": [(1, 2)]}, "three", id="ranges-count"),
        pytest.param({"ranges": "1:2,3:4,9:5"}, "B range", id="ranges-text"),
        pytest.param({"preview_size": 8}, "at least 16", id="preview-size"),
        pytest.param({"compression": "lzw"}, "zstd, deflate", id="compression"),
    ],
)
def test_bad_render_options_name_what_was_wrong(choices, message):
    from landsat_ops.products import RenderOptions

    with pytest.raises(OptionError, match=message):
        RenderOptions(**choices)


def test_render_scene_takes_options_or_their_keywords_not_both(tmp_path):
    from landsat_ops.products import RenderOptions
    from landsat_ops.render import render_scene

    with pytest.raises(TypeError, match="options or stretch, not both"):
        render_scene(tmp_path, tmp_path / "out", RenderOptions(), stretch="linear")
    with pytest.raises(OptionError, match="preview-size"):
        render_scene(tmp_path, tmp_path / "out", preview_size=4)
    assert not (tmp_path / "out").exists()


def test_render_options_as_cli_arguments_parse_back_to_equal_options():
    from landsat_ops.cli.render import render
    from landsat_ops.products import RenderOptions

    options = RenderOptions(
        products="histograms,ndvi",
        stretch="linear",
        percentiles=(1, 99.5),
        ranges="5900:11000,6200:11000,7600:11000",
        preview_size=512,
        compression="deflate",
    )
    args = options.cli_args()
    assert args[:4] == ["--products", "ndvi,histograms", "--stretch", "linear"]
    params = render.make_context("render", ["scene/", "--out", "out/", *args]).params
    fields = ("products", "stretch", "percentiles", "ranges", "preview_size", "compression")
    assert RenderOptions(**{name: params[name] for name in fields}) == options
    assert options.cli_args(["preview_size"]) == ["--preview-size", "512"]
    assert RenderOptions().cli_args(["ranges"]) == []  # no ranges: no option
    with pytest.raises(ValueError, match="no field preview"):
        options.cli_args(["preview"])
