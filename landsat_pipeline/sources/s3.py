"""``s3://`` sources: the source's own client, requester-pays, size from ``HeadObject``.

The client is never the destination bucket's: :func:`source_client` builds one from a
separate Airflow connection (credentials, region, ``endpoint_url`` in its extra) or, without
one, from the standard AWS chain (environment, profile, instance or task role), with bounded
timeouts and two attempts (a silent endpoint fails within about a minute).
``RequestPayer=requester`` is sent when the asset says ``storage:requester_pays`` (USGS
``usgs-landsat``: 403 without it) or the options force it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from landsat_pipeline.sources.errors import SourceError
from landsat_pipeline.sources.options import DEFAULT_TIMEOUT

__all__ = ["download_s3", "source_client"]

_CHUNK = 8 * 1024 * 1024


def _config(timeout: tuple[float, float]):
    from botocore.config import Config

    return Config(
        connect_timeout=timeout[0],
        read_timeout=timeout[1],
        # Two attempts: a silent endpoint fails a read within 2 x the read timeout.
        retries={"total_max_attempts": 2, "mode": "standard"},
    )


def source_client(
    conn_id: str | None = None, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT
) -> Any:
    """A boto3 S3 client for reading sources.

    Parameters
    ----------
    conn_id
        An Airflow AWS connection id of the SOURCE (its credentials, ``region_name``,
        ``endpoint_url`` and ``config_kwargs`` in its extra); None: the standard AWS chain.
    timeout
        (connect, read) seconds; the connection's ``config_kwargs`` override these defaults
        (and the retries) where they set them.
    """
    if conn_id:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        # A Config given to the hook replaces the connection's config_kwargs entirely: merge
        # them, so that e.g. its signature_version (unsigned), proxies or retries still hold.
        own = S3Hook(aws_conn_id=conn_id).conn_config.botocore_config
        config = _config(timeout) if own is None else _config(timeout).merge(own)
        return S3Hook(aws_conn_id=conn_id, config=config).get_conn()
    import boto3

    return boto3.session.Session().client("s3", config=_config(timeout))


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error.get("Code") or type(exc).__name__
    return f"HTTP {status} {code}" if status else str(code)


def download_s3(uri: str, target: Path, *, asset: str, client: Any, requester_pays: bool) -> int:
    """Download ``uri`` to ``target``; returns the object's ``ContentLength``.

    Raises :class:`SourceError` naming the asset and the URI on any failure (403 without
    requester-pays, 404, a dropped connection); a partial file never stays at ``target``.
    """
    from landsat_ops.storage import split_s3

    bucket, key = split_s3(uri)
    extra = {"RequestPayer": "requester"} if requester_pays else {}
    expected = "a readable S3 object" + (" (requester pays)" if requester_pays else "")
    partial = target.with_name(f".{target.name}.partial")
    try:
        response = client.get_object(Bucket=bucket, Key=key, **extra)
        length = int(response["ContentLength"])
        with open(partial, "wb") as fh:
            for block in response["Body"].iter_chunks(_CHUNK):
                fh.write(block)
        os.replace(partial, target)
    except SourceError:
        raise
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise SourceError(asset, uri, f"download failed ({_error_code(exc)})", expected) from None
    return length
