"""Publishing a product set: immutable versions behind one switched STAC item.

A render's files are never written over what readers use. Each product set is written once,
under a version folder of its own, next to the scene's STAC item::

    DEST/<ID>.json                       the scene's item: the one mutable object
    DEST/<ID>/<version>/<ID>_<product>.tif|.png, thumbnail, ...
    DEST/<ID>/<version>/<ID>.json        the version's own item (hrefs ./<file>), immutable

``<version>`` is 16 hex digits of the SHA-256 of the version's item, which lists every
product with its SHA-256 (``file:checksum``) and the options that made it: the same render
twice is the same version, and when the scene's item already points at it, nothing is written.
A version folder that already holds objects but is not referenced (what a killed run left, or
a set superseded earlier) is never written into again: the next free ``<version>-<n>`` is used,
so a version being garbage-collected is never revived under a reader.

Publishing (:func:`publish_version`):

1. upload the products, then the version's item, into the new version folder (local folders:
   each file moved or copied in under a temporary name, then renamed);
2. check that every object of the version is there with its checksum;
3. switch: write the scene's item (its hrefs ``./<ID>/<version>/<file>``) with ONE
   conditional write, only if it is still the version read before the render began (S3
   ``If-Match``/``If-None-Match``; a local folder: a check and an atomic rename under a
   ``flock`` of the folder, which the kernel drops when the process dies).

A reader who reads the item and then its assets sees one complete, checksum-consistent set at
every instant, whatever is killed when, on any host: before the switch the item names the old
version, which nothing touched; after it, the new one, complete before the switch. A run that
fails or is killed leaves at most an unreferenced version folder (and, on S3, an incomplete
multipart upload), which no later run waits for or trips over. There is no lock to go stale,
no journal, no backup and no rollback.

:func:`landsat_ops.render.garbage.collect_garbage` (``landsat-ops cleanup``; a task of the
reconcile DAG) deletes unreferenced versions after a retention
(``LANDSAT_OPS_RETENTION_SECONDS``, 24 h): a version is deleted only when no item refers to it,
the scene's item was last switched more than the retention ago (so nobody who read the
previous item within the retention can miss its assets), and nothing was written into the
version within the retention (so a publication in progress is never touched). An item that
cannot be read keeps all versions of its scene.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from landsat_ops.errors import ConflictError, Interrupted, StorageError
from landsat_ops.products import COG_MEDIA_TYPE, PNG_MEDIA_TYPE
from landsat_ops.render.versions import (
    VERSION_NAME,
    VERSION_PROPERTY,
    asset_hrefs,
    current_folder,
    item_folder,
    join_key,
    scene_item,
    set_problems,
    version_digest,
    version_of,
)
from landsat_ops.storage import (
    LocalStore,
    S3Store,
    Store,
    is_s3,
    sha256_file,
)
from landsat_ops.storage.s3 import env_number

__all__ = [
    "RETENTION_SECONDS",
    "VERSION_NAME",
    "VERSION_PROPERTY",
    "Publication",
    "asset_hrefs",
    "check_destination",
    "current_folder",
    "item_folder",
    "join_key",
    "publish_version",
    "read_item",
    "retention_seconds",
    "set_problems",
    "switch_item",
    "version_of",
]

logger = logging.getLogger(__name__)

RETENTION_SECONDS = 24 * 3600.0
"""How long an unreferenced version is kept (``LANDSAT_OPS_RETENTION_SECONDS``)."""
ITEM_MEDIA_TYPE = "application/geo+json"


def retention_seconds(value: float | None = None) -> float:
    """``value``, else ``LANDSAT_OPS_RETENTION_SECONDS``, else :data:`RETENTION_SECONDS`."""
    if value is not None:
        if value < 0:
            raise StorageError(f"retention: expected a number of seconds >= 0, got {value}")
        return float(value)
    return env_number("LANDSAT_OPS_RETENTION_SECONDS", RETENTION_SECONDS)


def check_destination(store: Store) -> None:
    """Fail before any work when the destination cannot be created or written.

    A local folder (or its nearest existing parent) must be a writable folder; nothing is
    created. On S3 the bucket must exist and a probe object must be writable (it is deleted
    again at once).
    """
    if is_s3(store.root):
        probe = f".landsat-ops.probe.{os.getpid()}-{secrets.token_hex(4)}"
        store.write_bytes(probe, b"")
        store.delete(probe)
        return
    path = Path(store.root)
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise StorageError(f"{path}: destination is not a writable folder")


def prepare_run(dest, s3_client=None, workdir=None):
    """What every publishing run does first: open and check the destination (one line when
    it cannot be written), find the scratch root (``--workdir`` or the system's temporary
    folder) and remove the scratch folders killed runs left there.

    Returns ``(store, scratch root)``; make the run's own folder with
    :func:`landsat_ops.render.scratch.scratch_folder`.
    """
    from landsat_ops.render.scratch import clean_scratch, scratch_root
    from landsat_ops.storage import open_store

    store = open_store(str(dest), s3_client)
    check_destination(store)
    root = scratch_root(workdir)
    for path in clean_scratch(root):
        logger.info("removed the scratch folder of a dead run: %s", path)
    return store, root


def _dumps(document: Mapping) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode()


def read_item(store: Store, item_key: str) -> tuple[dict | None, str | None, str | None]:
    """The scene item's content (None: absent or not a JSON object), its version token and its
    SHA-256, all of one read (S3: one GetObject and its ETag), so they describe the same item
    even while another writer switches it."""
    if isinstance(store, S3Store):
        from botocore.exceptions import ClientError

        try:
            answer = store.client.get_object(Bucket=store.bucket, Key=store._key(item_key))
            data, token = answer["Body"].read(), answer.get("ETag")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None, None, None
            raise store._fail("read", item_key, exc) from exc
        except Exception as exc:
            raise store._fail("read", item_key, exc) from exc
        sha = hashlib.sha256(data).hexdigest()
    else:
        try:
            data = store._path(item_key).read_bytes()
        except FileNotFoundError:
            return None, None, None
        except OSError as exc:
            raise StorageError(f"{store.uri(item_key)}: cannot read ({exc.strerror})") from exc
        sha = hashlib.sha256(data).hexdigest()
        token = sha  # a folder's version token is the SHA-256 (Store.version)
    try:
        item = json.loads(data)
    except ValueError:
        return None, token, sha
    return (item if isinstance(item, dict) else None), token, sha


_read_item = read_item


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """What :func:`publish_version` did (keys relative to the destination)."""

    item_key: str
    folder: str
    """``<ID>/<version>``: where the products are."""
    written: tuple[str, ...]
    """Keys written by this run (products, version item, scene item)."""
    unchanged: tuple[str, ...]
    """Keys that already held exactly this (the same render twice writes nothing)."""


def publish_version(
    store: Store,
    files: Sequence[Path],
    version_item: Mapping,
    *,
    scene_id: str,
    expected: str | None | bool = False,
    move: bool = False,
    digests: Mapping[str, str] | None = None,
) -> tuple[Publication, dict[str, str]]:
    """Publish a finished render: its files under a new version, then switch the item.

    Parameters
    ----------
    store
        The destination.
    files
        The product files (local paths; their names are the asset file names).
    version_item
        The STAC item of the render, with hrefs ``./<file name>`` and checksums.
    scene_id
        The scene's ID: the item is ``<ID>.json``, the versions ``<ID>/<version>/``.
    expected
        The scene item's :meth:`~landsat_ops.storage.Store.version` read before the render
        (None: absent). The switch fails with :class:`~landsat_ops.errors.ConflictError`
        when another writer switched it to another version meanwhile. ``False``: the token
        is read just before the switch.
    move
        Move local work files into a local destination instead of copying them.
    digests
        File name -> SHA-256 of ``files``, when the caller has them (else computed).

    Returns
    -------
    (Publication, dict)
        What was done, and file name -> URI of every product and of the scene item.
    """
    item_key = f"{scene_id}.json"
    digests = dict(digests or {})
    for path in files:
        if path.name not in digests:
            digests[path.name] = sha256_file(path)
    digest = version_of(version_item)
    current, token, current_sha = _read_item(store, item_key)
    if expected is not False and token != expected:
        raise ConflictError(
            f"{store.uri(item_key)}: changed by another writer during this run; nothing published"
        )
    folder = item_folder(current, scene_id) if current else None
    if folder and version_digest(folder) == digest and not set_problems(store, item_key, current):
        # The same render twice: the item already names this version, intact. Write nothing.
        keys = [f"{folder}/{path.name}" for path in files]
        uris = {path.name: store.uri(f"{folder}/{path.name}") for path in files}
        uris[item_key] = store.uri(item_key)
        logger.info("%s: version %s is already published; nothing written", scene_id, folder)
        return Publication(item_key, folder, (), (*keys, item_key)), uris
    repair = bool(folder) and version_digest(folder) == digest
    # The item names this version but objects are missing: repair them. Else a new folder.
    target = folder if repair else _free_folder(store, scene_id, digest)
    written = _write_version(store, target, files, version_item, digests, move=move, new=not repair)
    document = scene_item(version_item, target)
    if not switch_item(store, item_key, document, token, current_sha=current_sha):
        now = _read_item(store, item_key)[0]
        named = item_folder(now, scene_id) if now else None
        if named and version_digest(named) == digest:
            target = named  # an identical render switched first: report the set readers get
    uris = {path.name: store.uri(f"{target}/{path.name}") for path in files}
    uris[item_key] = store.uri(item_key)
    logger.info("%s: switched %s to version %s", scene_id, store.uri(item_key), target)
    return Publication(item_key, target, (*written, item_key), ()), uris


def _free_folder(store: Store, scene_id: str, digest: str) -> str:
    """``<ID>/<digest>``, or ``<ID>/<digest>-<n>`` with the first n whose folder is empty."""
    taken = {key.split("/")[1] for key in store.list_all(f"{scene_id}/") if key.count("/") >= 2}
    if isinstance(store, S3Store):
        taken |= {
            key.split("/")[1]
            for key, _, _ in store.incomplete_uploads()
            if key.startswith(f"{scene_id}/") and key.count("/") >= 2
        }
    for n in range(0, 10000):
        name = digest if n == 0 else f"{digest}-{n}"
        if name not in taken:
            return f"{scene_id}/{name}"
    raise StorageError(f"{store.uri(scene_id)}: 10000 versions of one render; run cleanup")


def _write_version(
    store: Store,
    folder: str,
    files: Sequence[Path],
    version_item: Mapping,
    digests: Mapping[str, str],
    *,
    move: bool,
    new: bool,
) -> list[str]:
    """Write the products, then the version item, into ``folder``; check they are all there.

    ``new``: the folder was empty (nothing to look up before each upload)."""
    written = []
    for path in files:
        key = f"{folder}/{path.name}"
        _put(store, path, key, digests[path.name], move=move, new=new)
        written.append(key)
    version_item_key = f"{folder}/{folder.split('/')[0]}.json"
    store.write_bytes(version_item_key, _dumps(version_item), ITEM_MEDIA_TYPE)
    written.append(version_item_key)
    # Nothing is switched to a version that is not all there (one listing, not a HEAD each).
    there = set(store.list_all(f"{folder}/"))
    missing = [key for key in written if key not in there]
    if missing:
        raise StorageError(f"{store.uri(missing[0])}: not there after its upload")
    return written


def _put(store: Store, path: Path, key: str, sha256: str, *, move: bool, new: bool) -> None:
    content_type = _content_type(path)
    if move and isinstance(store, LocalStore):
        import shutil

        target = store._path(key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, tmp)
            os.utime(tmp)  # its age is its publication's (see collect_garbage)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"{store.uri(key)}: cannot write ({exc.strerror or exc})") from exc
        return
    store.put_file(path, key, sha256=sha256, content_type=content_type, new=new)


def switch_item(
    store: Store,
    item_key: str,
    document: Mapping,
    expected: str | None,
    *,
    current_sha: str | None | bool = False,
) -> bool:
    """Write the scene item ``item_key`` if it is still at version token ``expected``.

    Returns False when it already held exactly these bytes (nothing written). When another
    writer switched it meanwhile, succeeds only if the item now names the same version
    digest with an intact set (an identical render won the race); else
    :class:`~landsat_ops.errors.ConflictError`. When the write's answer is lost, the item is
    read back to tell whether it took effect. ``current_sha``: the item's SHA-256 read along
    with ``expected`` (None: absent), so it is not looked up again.
    """
    data = _dumps(document)
    sha = hashlib.sha256(data).hexdigest()
    if current_sha is False:  # not read with ``expected``: look now
        current = store.info(item_key)
        current_sha = None if current is None else current.sha256
    if current_sha == sha:
        return False
    try:
        if isinstance(store, LocalStore):
            with _folder_lock(store, item_key):
                store.write_if(item_key, data, expected, ITEM_MEDIA_TYPE)
        else:
            store.write_if(item_key, data, expected, ITEM_MEDIA_TYPE)
        return True
    except ConflictError:
        now, _, _ = _read_item(store, item_key)
        mine = item_folder(document)
        theirs = item_folder(now) if now else None
        if mine and theirs and version_digest(mine) == version_digest(theirs):
            if not set_problems(store, item_key, now):
                logger.info("%s: an identical render published %s first", item_key, theirs)
                return False
        raise ConflictError(
            f"{store.uri(item_key)}: changed by another writer during this run; this run's "
            f"version {mine} is left unreferenced for cleanup"
        ) from None
    except (StorageError, Interrupted) as exc:
        if _is_mine(store, item_key, sha):
            if isinstance(exc, Interrupted):  # the signal came once the switch took effect
                raise Interrupted(
                    exc.signum, f"{store.uri(item_key)} was switched to the new set first"
                ) from None
            logger.warning("%s: switched (the write's answer was lost)", item_key)
            return True
        raise


def _is_mine(store: Store, item_key: str, sha: str) -> bool:
    """Whether the item holds these bytes (read back with the signal checkpoints suspended:
    what a signal left must be found out before the run ends)."""
    from landsat_ops.interrupts import suspended

    with suspended():
        try:
            info = store.info(item_key)
        except Exception:
            return False
    return info is not None and info.sha256 == sha


@contextlib.contextmanager
def _folder_lock(store: LocalStore, key: str) -> Iterator[None]:
    """``flock`` on the item's folder for the check-and-rename of a local switch (released by
    the kernel when the process dies: nothing to go stale)."""
    import fcntl

    folder = store._path(key).parent
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_MEDIA_TYPES = {
    ".tif": COG_MEDIA_TYPE,
    ".png": PNG_MEDIA_TYPE,
    ".json": "application/json",
    ".mp4": "video/mp4",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".csv": "text/csv",
    ".html": "text/html; charset=utf-8",
}


def _content_type(path: Path) -> str:
    """The Content-Type an object is stored with (S3 serves it back to browsers as is)."""
    return _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
