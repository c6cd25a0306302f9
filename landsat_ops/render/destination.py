"""The destination of a render: checked before any work, then the product set published atomically.

A local folder receives every file under a hidden ``.partial`` name first, then all are renamed
into place; on S3 the objects are uploaded in order with the STAC item last and deleted again
when an upload fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from landsat_ops.errors import LandsatOpsError, StorageError
from landsat_ops.products import COG_MEDIA_TYPE, PNG_MEDIA_TYPE
from landsat_ops.storage import LocalStore, Store, is_s3

__all__ = ["check_destination", "publish"]


def check_destination(store: Store) -> None:
    """Fail before any work when a local destination cannot be created or written."""
    if is_s3(store.root):
        return
    path = Path(store.root)
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise StorageError(f"{path}: destination is not a writable folder")


def publish(store: Store, paths: list[Path]) -> dict[str, str]:
    """Copy finished files into ``store`` so that a failure leaves nothing new behind.

    Local: every file is first copied under a hidden ``.partial`` name, then all are renamed
    into place, the STAC item last. S3 has no rename: objects are uploaded in order with the
    STAC item (the manifest of the set) last, and on failure the objects this call created
    are deleted again.
    """
    if isinstance(store, LocalStore):
        _publish_local(Path(store.root), paths)
        return {path.name: store.uri(path.name) for path in paths}
    created: list[str] = []
    try:
        for path in paths:
            _, uploaded = store.put_file(path, path.name, content_type=_content_type(path))
            if uploaded:
                created.append(path.name)
    except LandsatOpsError:
        for key in created:
            try:
                store.delete(key)
            except LandsatOpsError:
                pass
        raise
    return {path.name: store.uri(path.name) for path in paths}


def _publish_local(dest: Path, paths: list[Path]) -> None:
    """Stage every file as ``.<name>.partial`` in ``dest``, then rename them all into place.

    The work files are moved (a rename when the work folder is on the same file system,
    else a copy), so publishing a full scene does not write its products twice.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for path in paths:
            partial = dest / f".{path.name}.partial"
            shutil.move(path, partial)
            staged.append((partial, dest / path.name))
        for partial, target in staged:
            os.replace(partial, target)
    except OSError as exc:
        for partial, _ in staged:
            partial.unlink(missing_ok=True)
        raise StorageError(f"{dest}: cannot write products ({exc.strerror or exc})") from exc


def _content_type(path: Path) -> str:
    return {".tif": COG_MEDIA_TYPE, ".png": PNG_MEDIA_TYPE}.get(path.suffix, "application/json")
