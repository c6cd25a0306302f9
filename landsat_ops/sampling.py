"""NDVI, valid and cloudy pixel counts at points of interest of one scene, reading only windows.

For each point (``id, lon, lat`` in WGS84) :func:`sample_scene` projects the point into the
scene's CRS, takes the ``(2 * radius + 1)`` square window around the pixel containing it and
reads only that window of B4, B5 and the QA band (rasterio windowed reads: for a tiled or COG
file GDAL decodes just the tiles the window touches; for ``s3://`` scenes it fetches just
their byte ranges through ``/vsis3/``, never the whole band).

Semantics of a sample (one :class:`SampleRow` per point)
--------------------------------------------------------
* ``ndvi``: the mean NDVI of the *valid* pixels of the window, NDVI computed exactly as the
  ``ndvi`` product computes it (:mod:`landsat_ops.scene.rescaling`: top-of-atmosphere reflectance
  for Level-1 DN, surface reflectance for Level-2 ``SR_`` bands). A pixel is valid when it is
  not fill in B4, B5 (DN 0) or the QA band (fill bit) and its NDVI is defined (red and NIR
  reflectance both positive: :func:`landsat_ops.raster.ops.ndvi`, so values lie in [-1, 1]).
* Cloudy pixels are **not** excluded from the mean. ``cloudy_px`` counts the valid pixels the
  QA band flags as cloud (:func:`landsat_ops.scene.qa.cloud_mask`: C2 cloud or dilated cloud, C1
  cloud bit, pre-collection high cloud confidence), so ``0 <= cloudy_px <= valid_px`` and
  users filter (or draw cloudy samples differently) instead of losing them silently.
  ``cloudy_px`` is empty when the scene has no QA band.
* ``scene_cloud_cover``: the MTL's ``CLOUD_COVER`` (percent; empty when unknown).
* ``reason`` is empty for a good sample, else one of :data:`REASONS`, and ``ndvi`` is empty:
  ``"outside scene"`` (the point is not on the scene's raster grid), ``"fill"`` (the point's
  own pixel is fill: outside the imaged footprint, even when neighbours in the window hold
  data) or ``"no valid pixels"`` (no pixel of the window is valid).

POINTS files are CSV with a header naming at least ``id``, ``lon`` and ``lat`` (any order,
extra columns ignored); :func:`read_points` rejects a malformed file with an
:class:`~landsat_ops.errors.OptionError` naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from landsat_ops.errors import OptionError, RasterError, StorageError
from landsat_ops.points import Point
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.locate import locate_scene, read_scene_metadata
from landsat_ops.scene.rescaling import NDVI_BANDS, ndvi_coefficients
from landsat_ops.storage import Store, is_s3, open_store

__all__ = [
    "MAX_RADIUS",
    "POINT_COLUMNS",
    "REASONS",
    "SAMPLE_COLUMNS",
    "Point",
    "SampleRow",
    "gdal_s3_options",
    "parse_points",
    "read_points",
    "sample_scene",
    "samples_csv",
    "store_and_name",
    "write_samples",
]

POINT_COLUMNS = ("id", "lon", "lat")
SAMPLE_COLUMNS = (
    "scene_id",
    "acquired",
    "path",
    "row",
    "point_id",
    "lon",
    "lat",
    "ndvi",
    "valid_px",
    "cloudy_px",
    "scene_cloud_cover",
    "reason",
)
OUTSIDE, FILL, NO_VALID = "outside scene", "fill", "no valid pixels"
REASONS = (OUTSIDE, FILL, NO_VALID)
MAX_RADIUS = 50  # a 101 x 101 window: beyond that it is no longer a point sample
ACQUIRED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class SampleRow:
    """One point sampled in one scene; the fields are :data:`SAMPLE_COLUMNS`, in order.

    ``acquired`` is the scene centre time, UTC, as ``YYYY-MM-DDTHH:MM:SSZ``. ``ndvi``,
    ``cloudy_px`` and ``scene_cloud_cover`` are None when empty (see the module docstring).
    """

    scene_id: str
    acquired: str
    path: int
    row: int
    point_id: str
    lon: float
    lat: float
    ndvi: float | None
    valid_px: int
    cloudy_px: int | None
    scene_cloud_cover: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The row as ``{column: value}`` in :data:`SAMPLE_COLUMNS` order."""
        return dict(zip(SAMPLE_COLUMNS, astuple(self), strict=True))


# --------------------------------------------------------------------------------------------
# POINTS files
# --------------------------------------------------------------------------------------------


def _points_error(source: str, line: int, what: str, expected: str) -> OptionError:
    return OptionError(f"{source}: line {line}: {what} (expected {expected})")


def _coordinate(text: str, name: str, limit: float, source: str, line: int) -> float:
    """Parse a longitude (limit 180) or latitude (limit 90) in degrees."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _points_error(
            source, line, f"{name} {text!r} is not a number", f"{name} in decimal degrees"
        )
    if not -limit <= value <= limit:
        raise _points_error(
            source,
            line,
            f"{name} {value:g} is outside -{limit:g}..{limit:g}",
            f"WGS84 {name} in -{limit:g}..{limit:g} degrees",
        )
    return value


def parse_points(data: str | bytes, source: str = "<points>") -> list[Point]:
    """Parse POINTS CSV content: a header with ``id,lon,lat`` (any order), one point a line.

    Blank lines are skipped; extra columns are ignored.

    Parameters
    ----------
    data : str or bytes
        The file content (UTF-8, a byte-order mark is allowed).
    source : str
        The file name, used in error messages.

    Returns
    -------
    list of Point
        In file order, at least one.

    Raises
    ------
    OptionError
        Naming ``source`` and the line: an empty file, a missing or repeated column, a row
        with the wrong number of fields, an empty or duplicate ID, a coordinate that is not
        a number, a longitude outside -180..180 or a latitude outside -90..90.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _points_error(source, line, "is not UTF-8 text", "a UTF-8 CSV file") from None
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""))
    header: list[str] | None = None
    points: list[Point] = []
    first_line: dict[str, int] = {}
    expected_row = "id,lon,lat values matching the header"
    try:
        for record in reader:
            line = reader.line_num
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = [name.strip().lower() for name in record]
                repeated = sorted({n for n in header if header.count(n) > 1 and n})
                if repeated:
                    raise _points_error(
                        source,
                        line,
                        f"header repeats column {', '.join(repeated)}",
                        "each of id,lon,lat once",
                    )
                missing = [c for c in POINT_COLUMNS if c not in header]
                if missing:
                    raise _points_error(
                        source,
                        line,
                        f"header lacks column {', '.join(missing)}",
                        "a header line id,lon,lat",
                    )
                index = {name: header.index(name) for name in POINT_COLUMNS}
                continue
            if len(record) != len(header):
                raise _points_error(
                    source,
                    line,
                    f"{len(record)} fields where the header has {len(header)}",
                    expected_row,
                )
            point_id = record[index["id"]].strip()
            if not point_id:
                raise _points_error(source, line, "empty id", "a non-empty point ID")
            if point_id in first_line:
                raise _points_error(
                    source,
                    line,
                    f"duplicate id {point_id!r} (first on line {first_line[point_id]})",
                    "unique point IDs",
                )
            lon = _coordinate(record[index["lon"]].strip(), "lon", 180.0, source, line)
            lat = _coordinate(record[index["lat"]].strip(), "lat", 90.0, source, line)
            first_line[point_id] = line
            points.append(Point(point_id, lon, lat))
    except csv.Error as exc:
        raise _points_error(source, reader.line_num, f"malformed CSV: {exc}", "CSV") from None
    if header is None:
        raise _points_error(source, 1, "empty file", "a header line id,lon,lat, then points")
    if not points:
        raise _points_error(
            source, reader.line_num + 1, "no points after the header", "at least one point"
        )
    return points


def read_points(source: str | os.PathLike, *, s3_client=None) -> list[Point]:
    """Read and validate a POINTS CSV file (local path or ``s3://`` URI); see :func:`parse_points`.

    Raises
    ------
    OptionError
        The content is malformed (the message names the file and the line).
    StorageError
        The file cannot be read.
    """
    name = str(source)
    if is_s3(name):
        store, key = store_and_name(name, s3_client)
        data = store.read_bytes(key)
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise StorageError(
                f"{name}: cannot read the points file ({exc.strerror or exc}) "
                "(expected a readable CSV file id,lon,lat)"
            ) from None
    return parse_points(data, name)


# --------------------------------------------------------------------------------------------
# The scene: local folder or s3:// prefix
# --------------------------------------------------------------------------------------------


def gdal_s3_options(
    environ: Mapping[str, str] | None = None, s3_client: Any | None = None
) -> dict[str, str]:
    """GDAL ``/vsis3/`` settings equivalent to boto3's configuration from the environment.

    A custom endpoint (``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, else the endpoint of
    ``s3_client`` when it is not AWS's own) becomes ``AWS_S3_ENDPOINT`` (host:port),
    ``AWS_HTTPS`` (from the scheme) and ``AWS_VIRTUAL_HOSTING=FALSE`` (path-style requests, as
    MinIO and moto need); ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` becomes ``AWS_REGION``.
    Credentials are not copied: GDAL reads the same ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and the ECS task role or
    EC2 instance profile itself.
    """
    env = os.environ if environ is None else environ
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if not endpoint and s3_client is not None:
        client_endpoint = getattr(getattr(s3_client, "meta", None), "endpoint_url", None)
        if client_endpoint and "amazonaws.com" not in client_endpoint:
            endpoint = client_endpoint
    options: dict[str, str] = {}
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["AWS_S3_ENDPOINT"] = parts.netloc + parts.path.rstrip("/")
        options["AWS_HTTPS"] = "NO" if parts.scheme == "http" else "YES"
        options["AWS_VIRTUAL_HOSTING"] = "FALSE"
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["AWS_REGION"] = region
    return options


# Remote reads (on top of landsat_ops.raster.bands.GDAL_ENV, which already stops GDAL listing the
# folder on open): bounded retries, adjacent ranges merged, only .TIF files probed.
_REMOTE_GDAL = {
    "GDAL_HTTP_MAX_RETRY": "3",
    "GDAL_HTTP_RETRY_DELAY": "1",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".TIF,.tif,.TIFF,.tiff",
}


@dataclass(frozen=True)
class _Scene:
    """Where a scene's NDVI bands and QA are, as rasterio paths, and its metadata."""

    files: SceneFiles
    meta: Metadata | None
    location: str  # the folder or s3:// prefix, for messages
    red: str
    nir: str
    qa: str | None
    gdal_options: dict[str, str]


def _locate(scene: str | os.PathLike, s3_client) -> _Scene:
    """Find the scene's files; for ``s3://`` only the MTL is downloaded (bands stay remote)."""
    store, files = locate_scene(scene, s3_client)
    files.require(NDVI_BANDS)
    meta = read_scene_metadata(store, files)
    if store is None:
        return _Scene(
            files=files,
            meta=meta,
            location=str(files.folder),
            red=str(files.bands[NDVI_BANDS[0]]),
            nir=str(files.bands[NDVI_BANDS[1]]),
            qa=str(files.qa) if files.qa else None,
            gdal_options={},
        )

    def vsis3(path: Path) -> str:
        return "/vsis3/" + store.uri(path.name).removeprefix("s3://")

    return _Scene(
        files=files,
        meta=meta,
        location=store.root,
        red=vsis3(files.bands[NDVI_BANDS[0]]),
        nir=vsis3(files.bands[NDVI_BANDS[1]]),
        qa=vsis3(files.qa) if files.qa else None,
        gdal_options={
            **gdal_s3_options(s3_client=s3_client),
            **_REMOTE_GDAL,
            # Cache within one open only: a scene republished under the same keys must not be
            # served from GDAL's process-wide /vsicurl/ cache in a long-lived worker.
            "CPL_VSIL_CURL_NON_CACHED": "/vsis3/" + store.root.removeprefix("s3://") + "/",
        },
    )


def _acquired(scene: _Scene) -> str:
    if scene.meta is not None:
        return scene.meta.acquired.astimezone(dt.UTC).strftime(ACQUIRED_FORMAT)
    day = scene.files.scene_id.acquired
    return dt.datetime.combine(day, dt.time(), dt.UTC).strftime(ACQUIRED_FORMAT)


# --------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------


def _check_radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= MAX_RADIUS:
        raise OptionError(
            f"radius must be a whole number of pixels 0..{MAX_RADIUS}, got {radius!r} "
            "(1 means a 3x3 window)"
        )
    return radius


def _open_qa(path: str, ref) -> Any:
    """Open the QA band and check it is one integer band on the grid of ``ref``."""
    import rasterio
    from rasterio.errors import RasterioError

    try:
        ds = rasterio.open(path)
    except RasterioError as exc:
        raise RasterError(f"{path}: cannot open the QA band ({str(exc).strip()})") from exc
    same = (
        (ds.width, ds.height) == (ref.width, ref.height)
        and ds.crs == ref.crs
        and ds.transform.almost_equals(ref.transform, precision=1e-6)
    )
    if ds.count != 1 or not ds.dtypes[0].startswith("uint") or not same:
        ds.close()
        raise RasterError(
            f"{path}: the QA band is not one unsigned-integer band on the grid of B4 "
            f"({ds.count} band(s) of {ds.dtypes[0]}, {ds.width}x{ds.height} {ds.crs} vs "
            f"{ref.width}x{ref.height} {ref.crs})"
        )
    return ds


def _project(points: Sequence[Point], crs) -> tuple[Any, Any]:
    """WGS84 points in ``crs`` as x and y arrays; NaN where PROJ cannot project a point.

    One call for all points; PROJ refuses the whole batch when a point is outside the
    projection's domain (e.g. the far side of the globe from a UTM zone), then each point is
    projected alone.
    """
    import numpy as np
    from rasterio.warp import transform as warp_transform

    lons = [p.lon for p in points]
    lats = [p.lat for p in points]
    # PROJ failures surface as rasterio._err.CPLE_* errors, which rasterio does not export.
    try:
        xs, ys = warp_transform("EPSG:4326", crs, lons, lats)
    except Exception:
        xs, ys = [], []
        for lon, lat in zip(lons, lats, strict=True):
            try:
                (x,), (y,) = warp_transform("EPSG:4326", crs, [lon], [lat])
            except Exception:
                x = y = math.nan
            xs.append(x)
            ys.append(y)
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def sample_scene(
    scene: str | os.PathLike,
    points: Sequence[Point] | str | os.PathLike,
    *,
    radius: int = 1,
    s3_client=None,
) -> list[SampleRow]:
    """Sample NDVI, valid and cloudy pixel counts at points of one scene (see the module doc).

    Parameters
    ----------
    scene : str or PathLike
        The scene folder, or an ``s3://bucket/prefix/`` holding ``<ID>_B4.TIF`` and
        ``<ID>_B5.TIF`` (or ``_SR_B4/5``), optionally the QA band, and the MTL (required for
        Level-1). S3 bands are read in place through ``/vsis3/`` (see
        :func:`gdal_s3_options`); only the MTL is downloaded.
    points : sequence of Point, or a path
        The points, or a POINTS CSV file (local or ``s3://``) read by :func:`read_points`.
    radius : int
        Half-width of the window in pixels: 0 is the pixel alone, 1 (default) a 3x3 window.
    s3_client : optional
        A boto3 S3 client for listing the scene and reading the MTL (default: from the
        environment).

    Returns
    -------
    list of SampleRow
        One row per point, in the order of ``points``.

    Raises
    ------
    OptionError
        A bad radius or POINTS file.
    SceneError, RasterError, StorageError
        The scene cannot be found or read. A point outside the scene or on fill is not an
        error: its row has an empty NDVI and a reason.
    """
    import numpy as np

    from landsat_ops.raster.bands import gdal_env, open_bands

    radius = _check_radius(radius)
    if isinstance(points, str | os.PathLike):
        points = read_points(points, s3_client=s3_client)
    points = list(points)
    located = _locate(scene, s3_client)
    coefficients = ndvi_coefficients(located.files, located.meta, where=located.location)
    sid = located.files.scene_id
    common = {
        "scene_id": sid.scene_id,
        "acquired": _acquired(located),
        "path": sid.path,
        "row": sid.row,
        "scene_cloud_cover": located.meta.cloud_cover if located.meta else None,
    }
    if not points:
        return []
    red_band, nir_band = NDVI_BANDS
    with (
        gdal_env(**located.gdal_options),
        open_bands({red_band: located.red, nir_band: located.nir}) as bands,
    ):
        datasets = [bands[red_band], bands[nir_band]]
        if located.qa:
            datasets.append(_open_qa(located.qa, datasets[0]))
        try:
            xs, ys = _project(points, datasets[0].crs)
            with np.errstate(invalid="ignore"):
                cols, rows = ~datasets[0].transform @ (xs, ys)
            windows = [
                _window(col, row, radius, datasets[0].width, datasets[0].height)
                for col, row in zip(cols, rows, strict=True)
            ]
            reads = _read_windows(datasets, [w for w in windows if w], located.gdal_options)
        finally:
            for ds in datasets[2:]:
                ds.close()
    out = []
    for point, window in zip(points, windows, strict=True):
        base = {**common, "point_id": point.id, "lon": point.lon, "lat": point.lat}
        if window is None:
            out.append(SampleRow(**base, ndvi=None, valid_px=0, cloudy_px=None, reason=OUTSIDE))
            continue
        arrays = [next(band) for band in reads]
        out.append(
            SampleRow(**base, **_summarise(arrays, window[1], coefficients, located.files.qa_kind))
        )
    return out


def _window(col: float, row: float, radius: int, width: int, height: int):
    """The window around the pixel holding (col, row), clipped to the grid, and that pixel's
    position inside it; None when the point is not on the grid."""
    from rasterio.windows import Window

    if not (math.isfinite(col) and math.isfinite(row) and 0 <= col < width and 0 <= row < height):
        return None
    col, row = math.floor(col), math.floor(row)
    col0, row0 = max(col - radius, 0), max(row - radius, 0)
    col1, row1 = min(col + radius + 1, width), min(row + radius + 1, height)
    return Window(col0, row0, col1 - col0, row1 - row0), (row - row0, col - col0)


def _read_windows(datasets, windows, gdal_options) -> list:
    """Read every window of every dataset, one thread per dataset (each has its own handle):
    on S3 the range requests of the bands overlap instead of queueing.

    Returns one iterator of arrays per dataset, in window order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from landsat_ops.raster.bands import gdal_env, read_window

    def read_all(ds):
        with gdal_env(**gdal_options):
            return [read_window(ds, window) for window, _ in windows]

    with ThreadPoolExecutor(len(datasets), thread_name_prefix="landsat-ops-sample") as pool:
        return [iter(arrays) for arrays in pool.map(read_all, datasets)]


def _summarise(arrays, centre, coefficients, qa_kind) -> dict[str, Any]:
    """``ndvi``, ``valid_px``, ``cloudy_px`` and ``reason`` of one window (module docstring)."""
    import numpy as np

    from landsat_ops.raster import ops
    from landsat_ops.scene.qa import cloud_mask, fill_mask

    red, nir, *qa = arrays
    values = ops.ndvi_from_dn(red, nir, *coefficients)
    valid = np.isfinite(values)
    on_fill = bool(red[centre] == 0 or nir[centre] == 0)
    cloudy_px = None
    if qa:
        fill = fill_mask(qa[0], qa_kind)
        valid &= ~fill
        on_fill = on_fill or bool(fill[centre])
        cloudy_px = int(np.count_nonzero(cloud_mask(qa[0], qa_kind) & valid))
    valid_px = int(np.count_nonzero(valid))
    reason = FILL if on_fill else NO_VALID if valid_px == 0 else ""
    ndvi = None if reason else float(values[valid].astype(np.float64).mean())
    return {"ndvi": ndvi, "valid_px": valid_px, "cloudy_px": cloudy_px, "reason": reason}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """One CSV cell: empty for None, shortest round-trip text for floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def samples_csv(rows: Iterable[SampleRow]) -> str:
    """The rows as CSV text with a :data:`SAMPLE_COLUMNS` header (empty cells for None)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SAMPLE_COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in astuple(row)])
    return buffer.getvalue()


def store_and_name(uri: str | os.PathLike, s3_client=None) -> tuple[Store, str]:
    """The store holding a file's folder (local or ``s3://``) and the file's name in it."""
    target = str(uri)
    if is_s3(target):
        parent, _, name = target.rpartition("/")
    else:
        path = Path(target).expanduser().absolute()
        parent, name = str(path.parent), path.name
    if not name:
        raise OptionError(f"{target}: not a file name (expected e.g. samples.csv)")
    return open_store(parent, s3_client), name


def write_samples(rows: Iterable[SampleRow], out: str | os.PathLike, *, s3_client=None) -> str:
    """Write the rows as CSV to a local file or ``s3://`` URI, atomically; return its URI.

    Locally the file is written under a hidden temporary name and renamed into place, so a
    reader never sees half a table; an S3 object appears only once its upload completed.
    """
    store, name = store_and_name(out, s3_client)
    store.write_bytes(name, samples_csv(rows).encode(), content_type="text/csv")
    return store.uri(name)
