"""How to open the pipeline's bucket (its key layout: :mod:`landsat_pipeline.keys`).

A local folder stands in for the bucket by default; ``s3://bucket/prefix`` uses the boto3
client of the Airflow connection (``S3Hook(aws_conn_id=...).get_conn()``), so credentials,
region and ``endpoint_url`` live in that connection only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from landsat_pipeline.config import StorageSettings

if TYPE_CHECKING:
    from landsat_ops.storage import Store

__all__ = ["open_bucket", "s3_client"]


def s3_client(aws_conn_id: str):
    """The boto3 S3 client of an Airflow AWS connection (endpoint_url from its extra)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


def open_bucket(storage: StorageSettings) -> tuple[Store, object | None]:
    """The bucket's :class:`~landsat_ops.storage.Store` and, for S3, its boto3 client."""
    from landsat_ops.storage import open_store

    client = s3_client(storage.aws_conn_id) if storage.is_s3 else None
    return open_store(storage.root, client), client
