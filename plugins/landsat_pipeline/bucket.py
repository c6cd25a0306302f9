"""The bucket's layout (keys derive from the scene, never from the clock) and how to open it.

::

    landing/<scene ID>/<ID>_B1.TIF ... _B7.TIF, _QA_PIXEL.TIF, _MTL.txt   bands as delivered
    staging/<scene ID>/<ID>_<product>.tif|.png, <ID>.json                 a render's output
    published/<PPP>/<RRR>/<YYYY-MM-DD>/<ID>_<product>.tif|.png, <ID>.json  the product sets
    published/<PPP>/<RRR>/collection.json                                  STAC, one per path/row
    catalog.json                                                           STAC root catalog
    index.html                                                             gallery of thumbnails

A local folder stands in for the bucket by default; ``s3://bucket/prefix`` uses the boto3
client of the Airflow connection (``S3Hook(aws_conn_id=...).get_conn()``), so credentials,
region and ``endpoint_url`` live in that connection only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from landsat_pipeline.config import StorageSettings

if TYPE_CHECKING:
    from landsat_ops.storage import Store

__all__ = [
    "CATALOG_KEY",
    "GALLERY_KEY",
    "collection_key",
    "landing_prefix",
    "open_bucket",
    "published_prefix",
    "s3_client",
    "staging_prefix",
]

CATALOG_KEY = "catalog.json"
GALLERY_KEY = "index.html"


def landing_prefix(scene_id: str) -> str:
    """Where a scene's bands are landed."""
    return f"landing/{scene_id}"


def staging_prefix(scene_id: str) -> str:
    """Where a render writes a scene's products before they are published."""
    return f"staging/{scene_id}"


def path_row_prefix(path: int, row: int) -> str:
    """The published products of one path/row."""
    return f"published/{path:03d}/{row:03d}"


def published_prefix(path: int, row: int, date: str) -> str:
    """Where a scene's product set is published (``date``: the UTC acquisition date)."""
    return f"{path_row_prefix(path, row)}/{date}"


def collection_key(path: int, row: int) -> str:
    """The STAC collection of one path/row."""
    return f"{path_row_prefix(path, row)}/collection.json"


def s3_client(aws_conn_id: str):
    """The boto3 S3 client of an Airflow AWS connection (endpoint_url from its extra)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


def open_bucket(storage: StorageSettings) -> tuple[Store, object | None]:
    """The bucket's :class:`~landsat_ops.storage.Store` and, for S3, its boto3 client."""
    from landsat_ops.storage import open_store

    client = s3_client(storage.aws_conn_id) if storage.is_s3 else None
    return open_store(storage.root, client), client
