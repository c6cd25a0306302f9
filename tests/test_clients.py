"""What users' tools see in a rendered real scene: STAC schemas and a real tiler client.

- Every item validates, offline, against the official JSON schemas of STAC 1.1 and of every
  extension it declares (stored in tests/stac_schemas).
- rio-tiler (the library titiler serves tiles with) reads every product of the scene through
  the item (``STACReader``) with the parameters of the item's render extension and nothing
  else, and the tile it renders is opaque where the scene has data.
"""

import json

import numpy as np
import pytest

from landsat_ops.render import render_scene
from tests.stac_schemas.validate import validate

SCENES = {
    "c2-l2": "rasters/LC08_L2SP_008059_20191201_20200825_02_T1_512px",
    "c1-l1": "rasters/LC08_L1TP_016037_20170813_20170814_01_RT_900m",
    "pre-collection": "rasters/LC80200392015216LGN00_crop30m",
}


@pytest.fixture(scope="module", params=sorted(SCENES))
def rendered(request, landsat_data, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    result = render_scene(landsat_data / SCENES[request.param], out, preview_size=256)
    return out, json.loads((out / f"{result.scene_id}.json").read_text()), result


def test_item_validates_against_every_declared_schema(rendered):
    _, item, _ = rendered
    validate(item)
    assert "https://stac-extensions.github.io/render/v2.0.0/schema.json" in item["stac_extensions"]


def test_landsat_extension_values(rendered):
    _, item, result = rendered
    props = item["properties"]
    if result.scene_id.startswith("LC8"):  # pre-collection: no category or number exists
        assert not [k for k in props if k.startswith("landsat:")]
        assert not any("landsat/" in url for url in item["stac_extensions"])
    else:
        assert props["landsat:correction"] == result.scene_id.split("_")[1]
        assert props["landsat:collection_number"] == result.scene_id.split("_")[5]
        assert props["landsat:scene_id"].startswith("LC8")


def test_roles_follow_best_practices(rendered):
    _, item, _ = rendered
    roles = {key: asset["roles"] for key, asset in item["assets"].items()}
    assert roles["truecolor_tif"] == roles["falsecolor_tif"] == ["visual"]
    assert roles["ndvi_tif"] == ["data"]
    assert roles["ndvi_visual_tif"] == ["visual"]  # the paletted NDVI, for display
    assert roles["extent_tif"] == ["data"]  # classes: values, with a palette
    assert roles["extent_png"] == ["overview"]
    for key in ("truecolor_png", "falsecolor_png", "ndvi_png"):
        assert roles[key] == ["overview"]
    assert roles["histograms_png"] == ["graphic"]  # a chart, never the scene's preview
    assert roles["thumbnail"] == ["thumbnail"]  # what STAC Browser shows as the scene's image
    common = [b["eo:common_name"] for b in item["assets"]["truecolor_tif"]["bands"]]
    assert common == ["red", "green", "blue"]


def _tile_over_data(reader):
    """A zoom-level tile (x, y, z) in the middle of the scene's bounds."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    from rasterio.warp import transform_bounds

    west, south, east, north = transform_bounds(reader.crs, "EPSG:4326", *reader.bounds)
    zoom = reader.minzoom + 1
    tile = tms.tile((west + east) / 2, (south + north) / 2, zoom)
    return tile.x, tile.y, tile.z


@pytest.mark.parametrize("render", ["truecolor", "falsecolor", "ndvi"])
def test_rio_tiler_serves_each_render_opaque_over_data(rendered, render):
    from rio_tiler.colormap import cmap
    from rio_tiler.io import Reader, STACReader

    out, item, result = rendered
    params = item["properties"]["renders"][render]
    (asset,) = params["assets"]
    with Reader(str(out / item["assets"][asset]["href"])) as cog:
        x, y, z = _tile_over_data(cog)
    with STACReader(str(out / f"{result.scene_id}.json")) as stac:
        # As titiler parses the query parameters the render links carry ("nan" -> float).
        img = stac.tile(x, y, z, assets=params["assets"], nodata=float(params["nodata"]))
    if "rescale" in params:
        img.rescale(in_range=params["rescale"])
    colormap = cmap.get(params["colormap_name"]) if "colormap_name" in params else None
    png = img.render(img_format="PNG", colormap=colormap)
    from io import BytesIO

    from PIL import Image

    rgba = np.asarray(Image.open(BytesIO(png)).convert("RGBA"))
    has_data = ~img.array.mask.all(axis=0)
    assert has_data.mean() > 0.2, "pick a tile over the scene"
    assert (rgba[..., 3][has_data] == 255).all(), "transparent where the scene has data"
    assert (rgba[..., 3][~has_data] == 0).all()
    assert rgba[..., :3][has_data].std() > 5, "a flat tile"


def test_paletted_ndvi_opens_coloured_without_parameters(rendered):
    """The paletted NDVI COG as titiler's ``/cog`` tile endpoint serves it with no query
    parameter: rio-tiler reads the tile, the COG's own colour table is applied
    (``colormap or dst_colormap``). Vegetation comes out green, bare or wet ground red or
    orange, and outside the scene is transparent."""
    from io import BytesIO

    from PIL import Image
    from rio_tiler.io import Reader

    out, item, _ = rendered
    with Reader(str(out / item["assets"]["ndvi_visual_tif"]["href"])) as cog:
        assert cog.colormap and cog.colormap[0][3] == 0  # the COG's own palette
        img = cog.preview(max_size=256)
        png = img.render(img_format="PNG", colormap=cog.colormap)  # no render parameters
    with Reader(str(out / item["assets"]["ndvi_tif"]["href"])) as data:
        ndvi = data.preview(max_size=256, nodata=float("nan")).array
    rgba = np.asarray(Image.open(BytesIO(png)).convert("RGBA")).astype(int)
    assert rgba.shape[:2] == ndvi.shape[1:]
    has_data = ~ndvi.mask[0]
    assert (rgba[..., 3][has_data] == 255).all() and (rgba[..., 3][~has_data] == 0).all()
    values = ndvi.data[0]
    red, green, blue = (rgba[..., c] for c in range(3))
    green_class = has_data & (values > 0.45)
    red_class = has_data & (values < -0.05)
    assert green_class.sum() > 20, "the scene has vegetation"
    assert (green[green_class] > red[green_class]).all()
    assert (green[green_class] > blue[green_class]).all()
    if red_class.sum():
        assert (red[red_class] > green[red_class]).all()
    # Not a grey picture: the channels differ wherever NDVI is far from 0.
    far = has_data & (np.abs(values) > 0.2)
    assert (np.abs(red - green)[far] > 20).all()


def test_extent_classes_open_coloured_without_parameters(rendered):
    """The extent's class COG as titiler's ``/cog`` serves it with no query parameter: its own
    colour table is applied, each class in the colour its ``classification:classes`` entry
    names, no data transparent; the classes' values are the codes the item counted."""
    from io import BytesIO

    from PIL import Image
    from rio_tiler.io import Reader

    out, item, _ = rendered
    asset = item["assets"]["extent_tif"]
    hints = {c["value"]: c["color_hint"] for c in asset["classification:classes"]}
    with Reader(str(out / asset["href"])) as cog:
        assert cog.colormap and cog.colormap[0][3] == 0
        img = cog.preview(max_size=256)
        png = img.render(img_format="PNG", colormap=cog.colormap)
    rgba = np.asarray(Image.open(BytesIO(png)).convert("RGBA")).astype(int)
    classes = img.data[0]
    assert rgba.shape[:2] == classes.shape
    assert (rgba[..., 3][classes == 0] == 0).all() and (rgba[..., 3][classes > 0] == 255).all()
    present = sorted(int(v) for v in np.unique(classes) if v)
    assert present, "the scene has data"
    for value in present:
        colour = "".join(f"{c:02X}" for c in rgba[classes == value][0, :3])
        assert colour == hints[value], f"class {value}"
    assert set(present) <= {1, 2, 3, 4}


def test_projection_fields_describe_each_assets_own_grid(rendered):
    """proj:shape/transform per asset: the COGs' full grid, each PNG's smaller one, none for
    the chart; only proj:code (true of every picture) stays at item level."""
    import rasterio
    from PIL import Image

    out, item, result = rendered
    props = item["properties"]
    assert "proj:code" in props and "proj:shape" not in props and "proj:transform" not in props
    with rasterio.open(out / item["assets"]["truecolor_tif"]["href"]) as ds:
        bounds = ds.bounds
    for key, asset in item["assets"].items():
        path = out / asset["href"]
        if key == "histograms_png":
            assert not [k for k in asset if k.startswith("proj:")]
            continue
        if key.endswith("_tif"):
            with rasterio.open(path) as ds:
                shape, transform = [ds.height, ds.width], ds.transform
        else:
            with Image.open(path) as image:
                shape = [image.size[1], image.size[0]]
            transform = rasterio.Affine(*asset["proj:transform"])
        assert asset["proj:shape"] == shape, key
        assert asset["proj:transform"] == pytest.approx(list(transform)[:6]), key
        if key.endswith("_tif"):
            continue
        # A preview covers the COG's bounds exactly, with its own pixel size.
        cols, rows = shape[1], shape[0]
        right, bottom = transform * (cols, rows)
        assert (transform.c, right, bottom, transform.f) == pytest.approx(
            (bounds.left, bounds.right, bounds.bottom, bounds.top)
        ), key


def test_collection_describes_the_items_and_validates(rendered):
    """The path/row collection: item_assets for every asset (thumbnail too) as the items have
    them, the renders, the extensions its fields use, and no summary no item carries."""
    from landsat_ops.products import RENDERS
    from landsat_pipeline.publishing.catalogs import collection_document, item_link

    _, item, _ = rendered
    collection = collection_document(20, 39, "Test", [item_link(item, "2015-08-04")])
    validate(collection)
    assert set(collection["item_assets"]) == set(item["assets"])
    for key, asset in item["assets"].items():
        described = collection["item_assets"][key]
        assert described["roles"] == asset["roles"] and described["type"] == asset["type"]
        assert described.get("bands") == asset.get("bands")
    assert collection["renders"] == RENDERS
    assert collection["renders"] == item["properties"]["renders"]
    assert (
        "https://stac-extensions.github.io/eo/v2.0.0/schema.json" in collection["stac_extensions"]
    )
    assert (
        "https://stac-extensions.github.io/render/v2.0.0/schema.json"
        in (collection["stac_extensions"])
    )
    for field in collection["summaries"]:
        assert field in item["properties"], f"summary {field} that no item carries"
