"""The cluster's gallery on 127.0.0.1: the published part of its S3 bucket, read-only, over HTTP.

``python -m cluster.gallery PORT ENDPOINT BUCKET`` (started by ``make cluster`` as the
``gallery`` process) answers GET and HEAD with the bucket's objects: ``/`` is the gallery
(``index.html``), ``/catalog.json`` the STAC root catalog and ``/published/...`` the product
sets, their collections and gap reports, so the gallery's relative links work in a browser.
Nothing else of the bucket (``landing/``, ``staging/``) is served, and nothing can be written.
The S3 credentials come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (never the
command line). The S3 server itself needs signed requests, which a browser cannot make.
"""

from __future__ import annotations

import html
import mimetypes
import posixpath
import sys
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUBLISHED = "published/"
CHUNK = 1 << 20


def object_key(url_path: str) -> str | None:
    """The bucket key a request path stands for, or None when it is not served.

    ``/`` and folders (``.../``) mean their ``index.html``; top-level files and
    ``published/...`` are served; dot segments, empty segments and anything else are not.
    """
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    key = path[1:]
    if key == "" or key.endswith("/"):
        key += "index.html"
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    if posixpath.normpath(key) != key:
        return None
    if len(parts) == 1 or key.startswith(PUBLISHED):
        return key
    return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "landsat-cluster-gallery"
    client = None
    bucket = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _refuse(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only: GET and HEAD only")

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    def _answer(self, *, body: bool) -> None:
        from botocore.exceptions import ClientError

        key = object_key(self.path)
        if key is None:
            self._error(HTTPStatus.NOT_FOUND, "not part of the published gallery")
            return
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                what = "nothing is published yet" if key == "index.html" else "no such object"
                self._error(HTTPStatus.NOT_FOUND, f"{key}: {what}")
            else:
                self._error(HTTPStatus.BAD_GATEWAY, f"{key}: the S3 server answered {code}")
            return
        except OSError as exc:
            self._error(HTTPStatus.BAD_GATEWAY, f"the S3 server does not answer: {exc}")
            return
        stream = obj["Body"]
        try:
            kind = mimetypes.guess_type(key)[0] or obj.get("ContentType")
            kind = kind or "application/octet-stream"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(obj["ContentLength"]))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if body:
                while chunk := stream.read(CHUNK):
                    self.wfile.write(chunk)
        finally:
            stream.close()

    def _error(self, status: HTTPStatus, message: str) -> None:
        text = (
            f"<!doctype html><title>{status.value} {status.phrase}</title>"
            f"<p>{html.escape(message)}</p>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)


def serve(port: int, endpoint: str, bucket: str) -> None:
    """Serve the gallery on 127.0.0.1:``port`` until killed."""
    import boto3
    from botocore.config import Config

    handler = type(
        "GalleryHandler",
        (_Handler,),
        {
            "client": boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name="us-east-1",
                config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
            ),
            "bucket": bucket,
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    print(f"gallery of s3://{bucket} ({endpoint}) on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m cluster.gallery PORT ENDPOINT BUCKET")
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3])
