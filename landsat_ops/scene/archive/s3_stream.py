"""An S3 object read as a forward-only file, resumed with a ranged GET if its connection breaks."""

from __future__ import annotations

import io
import tarfile

from landsat_ops.errors import LandsatOpsError, SceneError, StorageError
from landsat_ops.storage import split_s3

__all__ = ["S3_RESUMES", "S3Stream"]

S3_RESUMES = 3
"""Times a streamed S3 archive is re-opened (a ranged GET from where it broke) before the
read fails; each GET itself has the bounded timeouts and retries of the S3 client."""


class S3Stream(io.RawIOBase):
    """An S3 object as a forward-only file, resumed with a ranged GET if its connection breaks.

    The client is :func:`landsat_ops.storage.s3_client` (bounded connect and read timeouts)
    unless one is given; a resumed GET requires the same ETag, so a replaced object fails
    instead of mixing two versions.
    """

    def __init__(self, uri: str, client=None):
        from landsat_ops.storage import s3_client

        self.uri = uri
        self.bucket, self.key = split_s3(uri)
        if not self.key:
            raise SceneError(f"{uri}: no object key (expected s3://bucket/key.tar)")
        self.client = client if client is not None else s3_client()
        self.pos = 0
        self.resumes = 0
        self.etag: str | None = None
        self.size = 0
        self.head = b""  # the first bytes, to say why an archive could not be opened
        self._body = None
        self._body = self._get()

    def _get(self):
        from botocore.exceptions import ClientError

        args = {"Bucket": self.bucket, "Key": self.key}
        if self.pos:
            args.update(Range=f"bytes={self.pos}-", IfMatch=self.etag)
        try:
            response = self.client.get_object(**args)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound") and not self.pos:
                raise SceneError(
                    f"{self.uri}: no such archive (expected a .tar, .tar.gz or .tgz object)"
                ) from None
            raise StorageError(f"{self.uri}: cannot read ({_short(exc)})") from exc
        except LandsatOpsError:
            raise
        except Exception as exc:
            raise StorageError(f"{self.uri}: cannot read ({_short(exc)})") from exc
        if not self.pos:
            self.etag = response.get("ETag")
            self.size = response.get("ContentLength", 0)
        return response["Body"]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.size and self.pos >= self.size:
            return 0
        while True:
            try:
                data = self._body.read(len(buffer))
                break
            except LandsatOpsError:  # Interrupted (SIGTERM) arrives here: not a network error
                raise
            except Exception as exc:  # a dropped connection, a stalled read, a short body
                if self.resumes >= S3_RESUMES:
                    raise StorageError(
                        f"{self.uri}: cannot read at byte {self.pos:,} ({_short(exc)}; "
                        f"gave up after {self.resumes} resumed GETs)"
                    ) from exc
                self.resumes += 1
                self._close_body()
                self._body = self._get()
        buffer[: len(data)] = data
        if self.pos < tarfile.BLOCKSIZE:
            self.head += data[: tarfile.BLOCKSIZE - self.pos]
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def _close_body(self) -> None:
        body, self._body = self._body, None
        try:
            if body is not None:
                body.close()
        except Exception:  # closing a broken connection
            pass

    def close(self) -> None:
        if not self.closed:
            self._close_body()
        super().close()


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
