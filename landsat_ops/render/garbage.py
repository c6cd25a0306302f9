"""Garbage collection of unreferenced product versions (``landsat-ops cleanup``).

See :mod:`landsat_ops.render.destination` for the layout and the rule: a version is deleted
only when no item refers to it, its scene's item was last switched more than the retention ago,
and nothing was written into it within the retention.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from landsat_ops.errors import StorageError
from landsat_ops.render.destination import (
    VERSION_NAME,
    asset_hrefs,
    item_folder,
    join_key,
    retention_seconds,
)
from landsat_ops.storage import LocalStore, S3Store, Store

__all__ = ["GarbageReport", "collect_garbage", "version_keys"]


# --------------------------------------------------------------------------------------------


@dataclass
class GarbageReport:
    """What :func:`collect_garbage` removed and kept (keys relative to the destination)."""

    removed: list[str] = field(default_factory=list)
    """Objects of unreferenced versions (and leftovers of the earlier publication scheme)."""
    versions_removed: list[str] = field(default_factory=list)
    versions_kept: list[str] = field(default_factory=list)
    """Unreferenced versions kept, with why."""
    aborted_uploads: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.removed) + len(self.aborted_uploads)


_OLD_SIDE = re.compile(
    r"(^|/)(\.[^/]+\.\d+-[0-9a-f]{6}-[0-9a-f]{6}\.(partial|backup)"
    r"|\.landsat-ops\.\d+-[0-9a-f]{6}-[0-9a-f]{6}\.journal|\.landsat-ops\.lock"
    r"|\.[^/]+\.\d+\.partial|\.landsat-ops\.probe\.[^/]+)$"
)
"""Leftovers of killed runs: staged files of the scheme before versions, probes, partials."""


def _objects(store: Store) -> Iterator[tuple[str, float]]:
    """(key, modification time) of every object, hidden ones included."""
    if isinstance(store, S3Store):
        for obj in store.iter_objects():
            yield store._rel(obj["Key"]), obj["LastModified"].timestamp()
        return
    root = Path(store.root)
    if not root.is_dir():
        return
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                yield path.relative_to(root).as_posix(), path.stat().st_mtime


def collect_garbage(
    store: Store, *, retention: float | None = None, now: float | None = None
) -> GarbageReport:
    """Delete unreferenced versions older than the retention (see the module docstring).

    Also removes leftovers of killed runs (temporary ``.partial`` files, probes, and the
    journal, backups and lock of the publication scheme before versions) and aborts
    incomplete multipart uploads, each once older than the retention.
    """
    keep_for = retention_seconds(retention)
    now = time.time() if now is None else now
    report = GarbageReport()
    objects = dict(_objects(store))
    uploads = store.incomplete_uploads()
    # <base>/<ID>/<version>/<file> -> versions[(base, ID)][version] = [(key, mtime)]
    versions: dict[tuple[str, str], dict[str, list[tuple[str, float]]]] = {}
    legacy: dict[tuple[str, str], list[str]] = {}
    for key, mtime in objects.items():
        parts = PurePosixPath(key).parts
        in_version = len(parts) >= 2 and VERSION_NAME.match(parts[-2])
        if not in_version and (match := _LEGACY_PRODUCT.match(parts[-1])):
            legacy.setdefault(("/".join(parts[:-1]), match["id"]), []).append(key)
        if _OLD_SIDE.search(key):
            if now - mtime > keep_for:
                store.delete(key)
                report.removed.append(key)
            continue
        if len(parts) >= 3 and VERSION_NAME.match(parts[-2]):
            base = "/".join(parts[:-3])
            versions.setdefault((base, parts[-3]), {}).setdefault(parts[-2], []).append(
                (key, mtime)
            )
    active: set[tuple[str, str, str]] = set()
    for key, upload_id, started in uploads:
        parts = PurePosixPath(key).parts
        if now - started > keep_for:
            store.abort_upload(key, upload_id)
            report.aborted_uploads.append(key)
        elif len(parts) >= 3:
            active.add(("/".join(parts[:-3]), parts[-3], parts[-2]))
    for (base, scene_id), folders in sorted(versions.items()):
        item_key = join_key(base, f"{scene_id}.json")
        referenced = None
        if item_key in objects:
            try:
                # The item's content and its time of one read: the listing's time may be of an
                # item switched since, to a version that listing did not know.
                data, item_mtime = _read_with_time(store, item_key)
                item = json.loads(data)
            except (ValueError, StorageError):
                for version in folders:
                    report.versions_kept.append(
                        f"{join_key(base, scene_id)}/{version}: item unreadable"
                    )
                continue
            referenced = item_folder(item, scene_id) if isinstance(item, dict) else None
            if referenced is None:
                for version in folders:
                    report.versions_kept.append(
                        f"{join_key(base, scene_id)}/{version}: the item names no version"
                    )
                continue
            if now - item_mtime <= keep_for:
                for version in folders:
                    if f"{scene_id}/{version}" != referenced:
                        report.versions_kept.append(
                            f"{join_key(base, scene_id)}/{version}: the item was switched within "
                            "the retention"
                        )
                continue
        for version, entries in sorted(folders.items()):
            name = f"{scene_id}/{version}"
            if name == referenced:
                continue
            newest = max(mtime for _, mtime in entries)
            if now - newest <= keep_for or (base, scene_id, version) in active:
                report.versions_kept.append(f"{join_key(base, name)}: written within the retention")
                continue
            for key, _ in sorted(entries):
                store.delete(key)
                report.removed.append(key)
            report.versions_removed.append(join_key(base, name))
            if isinstance(store, LocalStore):
                _remove_empty(store, join_key(base, name))
    _collect_legacy(store, legacy, objects, keep_for, now, report)
    return report


_LEGACY_PRODUCT = re.compile(
    r"^(?P<id>[A-Z0-9_]+?)_(truecolor|falsecolor|ndvi|histograms|thumbnail)\.(tif|png)$"
)
"""A product file of the layout before versions: next to its item, not in a version."""


def _collect_legacy(store, legacy, objects, keep_for: float, now: float, report) -> None:
    """Delete the flat product files of the layout before versions once the scene's item names
    a version and was switched more than the retention ago (a migration, once per scene)."""
    for (base, scene_id), keys in sorted(legacy.items()):
        item_key = join_key(base, f"{scene_id}.json")
        if item_key not in objects:
            continue
        try:
            data, item_mtime = _read_with_time(store, item_key)
            item = json.loads(data)
        except (ValueError, StorageError):
            continue
        if now - item_mtime <= keep_for:
            continue
        if not isinstance(item, dict) or item_folder(item, scene_id) is None:
            continue  # an item of the old layout still names these files
        for key in sorted(keys):
            store.delete(key)
            report.removed.append(key)


def _read_with_time(store: Store, key: str) -> tuple[bytes, float]:
    """An object's bytes and the modification time of exactly those bytes."""
    if isinstance(store, S3Store):
        try:
            answer = store.client.get_object(Bucket=store.bucket, Key=store._key(key))
            return answer["Body"].read(), answer["LastModified"].timestamp()
        except Exception as exc:
            raise store._fail("read", key, exc) from exc
    try:
        with open(store._path(key), "rb") as file:
            return file.read(), os.fstat(file.fileno()).st_mtime
    except OSError as exc:
        raise StorageError(f"{store.uri(key)}: cannot read ({exc.strerror or exc})") from exc


def _remove_empty(store: LocalStore, folder: str) -> None:
    path = store._path(folder)
    for empty in (path, path.parent):
        try:
            empty.rmdir()
        except OSError:
            break


def version_keys(item: Mapping, item_key: str) -> Iterable[str]:
    """The object keys of a scene item's assets (relative to the destination)."""
    base = item_key.rpartition("/")[0]
    for href, _, _ in asset_hrefs(item).values():
        yield join_key(base, href.removeprefix("./"))
