"""Where a sampled scene's NDVI bands and QA band are: a local folder or an ``s3://`` prefix.

For ``s3://`` only the MTL is downloaded; the bands are read in place through ``/vsis3/``
with the GDAL settings of :func:`gdal_s3_options`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from landsat_ops.sampling.rows import (
    ACQUIRED_FORMAT,
)
from landsat_ops.scene import Metadata, SceneFiles
from landsat_ops.scene.locate import locate_scene, read_scene_metadata
from landsat_ops.scene.rescaling import NDVI_BANDS

__all__ = ["SampledScene", "gdal_s3_options", "locate_sampled", "sampled_acquired"]


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
class SampledScene:
    """Where a scene's NDVI bands and QA are, as rasterio paths, and its metadata."""

    files: SceneFiles
    meta: Metadata | None
    location: str  # the folder or s3:// prefix, for messages
    red: str
    nir: str
    qa: str | None
    gdal_options: dict[str, str]


def locate_sampled(scene: str | os.PathLike, s3_client) -> SampledScene:
    """Find the scene's files; for ``s3://`` only the MTL is downloaded (bands stay remote)."""
    store, files = locate_scene(scene, s3_client)
    files.require(NDVI_BANDS)
    meta = read_scene_metadata(store, files)
    if store is None:
        return SampledScene(
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

    return SampledScene(
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


def sampled_acquired(scene: SampledScene) -> str:
    if scene.meta is not None:
        return scene.meta.acquired.astimezone(dt.UTC).strftime(ACQUIRED_FORMAT)
    day = scene.files.scene_id.acquired
    return dt.datetime.combine(day, dt.time(), dt.UTC).strftime(ACQUIRED_FORMAT)
