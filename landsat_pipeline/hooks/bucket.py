"""How to open the pipeline's bucket from its root and an Airflow AWS connection.

Its key layout is :mod:`landsat_pipeline.keys`. A local folder stands in for the bucket by
default; ``s3://bucket/prefix`` uses the boto3 client of the Airflow connection
(``S3Hook(aws_conn_id=...).get_conn()``), so credentials, region and ``endpoint_url`` live in
that connection only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from landsat_ops.storage import Store

__all__ = ["open_bucket", "s3_client"]


def s3_client(aws_conn_id: str):
    """The boto3 S3 client of an Airflow AWS connection (endpoint_url from its extra)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id).get_conn()


def open_bucket(root: str, aws_conn_id: str = "aws_default") -> tuple[Store, object | None]:
    """The bucket's :class:`~landsat_ops.storage.Store` and, for S3, its boto3 client.

    :param root: ``s3://bucket/prefix`` or a local folder (``storage.root`` of the config).
    :param aws_conn_id: the Airflow connection of an S3 bucket (unused for a folder).
    """
    from landsat_ops.storage import open_store

    client = s3_client(aws_conn_id) if str(root).startswith("s3://") else None
    return open_store(str(root), client), client
