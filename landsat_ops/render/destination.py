"""The destination of a render: checked before any work, then the product set published safely.

A publication is a small transaction on a :class:`~landsat_ops.storage.Store`, run under the
destination's lock (a local folder: ``flock`` on the folder itself; S3: a ``.landsat-ops.lock``
object created with ``If-None-Match: *``):

1. every new or changed file is staged under a name of its own run,
   ``.<name>.<run>.partial`` (the run ID is ``<pid>-<host>-<random>``), next to its target;
   nothing the readers see has changed yet;
2. a journal ``.landsat-ops.<run>.journal`` records what follows, then every target that exists
   is kept as ``.<name>.<run>.backup`` (a hard link locally, a server-side copy on S3);
3. the staged files are moved into place, and the manifest (the STAC item) last, with a
   conditional write: only when it is still the version read before the render began
   (S3: ``If-Match`` on its ETag, ``If-None-Match`` when absent);
4. on success the backups and the journal go; on any failure (an error, SIGTERM, SIGINT) the
   backups are moved back, the targets this run created are deleted, and so are its staged
   files: the previous set is left as it was, consistent with its item. A failure after the
   manifest's write took effect (its answer lost, a signal right after it) is no failure: the
   new set stands and the run ends as a success; when the manifest cannot be read back to tell,
   the journal and backups stay for the next run to decide.

A run killed with SIGKILL leaves its staged files, backups, journal and incomplete multipart
uploads behind. :func:`clean_destination` (run by every publication under the lock, and by
``landsat-ops cleanup``) removes those of dead runs, first rolling the set back from the
backups when the journal says the manifest was not switched yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import re
import secrets
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from landsat_ops.errors import ConflictError, Interrupted, StorageError
from landsat_ops.products import COG_MEDIA_TYPE, PNG_MEDIA_TYPE
from landsat_ops.storage import LocalStore, S3Store, Store, is_s3, sha256_file

__all__ = [
    "LOCK_KEY",
    "RUN_ID",
    "CleanupReport",
    "check_destination",
    "clean_destination",
    "publish",
    "publish_files",
    "run_is_dead",
]

logger = logging.getLogger(__name__)

HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
"""This machine, as it appears in run IDs (a hash of the host name)."""
RUN_ID = f"{os.getpid()}-{HOST}-{secrets.token_hex(3)}"
"""This process's run ID: the pid says whether a leftover's run is still alive on this host."""
LOCK_KEY = ".landsat-ops.lock"
STALE_SECONDS = 6 * 3600.0
"""Age after which leftovers of another host's run count as dead (``LANDSAT_OPS_STALE_SECONDS``)."""
LOCK_TIMEOUT = 900.0
"""Seconds to wait for another run's lock on the destination (``LANDSAT_OPS_LOCK_TIMEOUT``)."""

_SIDE_RE = re.compile(
    r"^\.(?P<name>.+)\.(?P<run>(?P<pid>\d+)-(?P<host>[0-9a-f]{6})-[0-9a-f]{6})"
    r"\.(?P<kind>partial|backup)$"
)
_JOURNAL_RE = re.compile(
    r"^\.landsat-ops\.(?P<run>(?P<pid>\d+)-(?P<host>[0-9a-f]{6})-[0-9a-f]{6})\.journal$"
)


def _env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise StorageError(f"{name}: expected a number of seconds, got {value!r}") from None


def check_destination(store: Store) -> None:
    """Fail before any work when the destination cannot be created or written.

    A local folder (or its nearest existing parent) must be a writable folder; nothing is
    created. On S3 the bucket must exist and a probe object must be writable (it is deleted
    again at once).
    """
    if is_s3(store.root):
        probe = f".landsat-ops.probe.{RUN_ID}"
        store.write_bytes(probe, b"")
        store.delete(probe)
        return
    path = Path(store.root)
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise StorageError(f"{path}: destination is not a writable folder")


def publish(store: Store, paths: list[Path], expected: str | None | bool = False) -> dict[str, str]:
    """Publish a render's finished files; the last one (the STAC item) is the manifest.

    ``expected`` is the manifest's :meth:`~landsat_ops.storage.Store.version` read before the
    render (None: absent); the publication fails with a
    :class:`~landsat_ops.errors.ConflictError` when another writer changed it meanwhile.
    ``False`` skips that check. Local work files are moved, not copied.
    """
    publish_files(
        store,
        [(path, path.name) for path in paths],
        manifest=paths[-1].name,
        expected=expected,
        move=True,
    )
    return {path.name: store.uri(path.name) for path in paths}


@dataclass
class _Txn:
    store: Store
    run: str
    staged: list[tuple[str, str]] = field(default_factory=list)  # (staged key, target)
    backups: list[tuple[str, str]] = field(default_factory=list)  # (backup key, target)
    created: list[str] = field(default_factory=list)  # targets that did not exist
    journal: str | None = None
    manifest_sha256: str | None = None  # set when the manifest's write begins

    def switched(self, manifest: str | None) -> bool | None:
        """Whether the manifest in place is this run's (its write took effect, though maybe
        its answer was lost or a signal came right after); None when that cannot be told."""
        if manifest is None or self.manifest_sha256 is None:
            return False
        try:
            info = self.store.info(manifest)
        except Interrupted:
            raise
        except Exception:
            return None
        return info is not None and info.sha256 == self.manifest_sha256

    def rollback(self) -> None:
        """Put the previous set back; remove what this run wrote. Best effort, never raises."""
        for backup, target in self.backups:
            with contextlib.suppress(Exception):
                self.store.rename(backup, target)
        for key in [*self.created, *(s for s, _ in self.staged)]:
            with contextlib.suppress(Exception):
                self.store.delete(key)
        if self.journal:
            with contextlib.suppress(Exception):
                self.store.delete(self.journal)


def publish_files(
    store: Store,
    files: Sequence[tuple[Path, str]],
    *,
    manifest: str | None = None,
    expected: str | None | bool = False,
    move: bool = False,
) -> tuple[list[str], list[str]]:
    """Publish ``(local path, key)`` pairs so that a failure leaves the previous set intact.

    ``manifest`` (one of the keys, or None) is written last, conditionally when
    ``expected`` is given (see :func:`publish`). Returns the keys written and the keys left
    alone because they already held the same bytes. See the module docstring for the steps.
    """
    files = sorted(files, key=lambda f: f[1] == manifest)
    txn = _Txn(store, RUN_ID)
    written: list[str] = []
    unchanged: list[str] = []
    with destination_lock(store):
        clean_destination(store, locked=True)
        try:
            if expected is not False and manifest and store.version(manifest) != expected:
                raise ConflictError(
                    f"{store.uri(manifest)}: changed by another writer during this run; "
                    "nothing published"
                )
            plan: list[tuple[Path, str, bool]] = []  # (path, key, existed)
            for path, key in files:
                current = store.info(key)
                if current is not None and current.sha256 == sha256_file(path):
                    unchanged.append(key)
                    continue
                plan.append((path, key, current is not None))
            products = [(path, key, existed) for path, key, existed in plan if key != manifest]
            for path, key, _ in products:
                staged = _side(key, txn.run, "partial")
                txn.staged.append((staged, key))
                _stage(store, path, staged, move=move)
            existing = [key for _, key, existed in products if existed]
            txn.created = [key for _, key, existed in products if not existed]
            if existing:
                txn.journal = f".landsat-ops.{txn.run}.journal"
                record = {
                    "manifest": manifest,
                    "manifest_sha256": _manifest_sha(files, manifest),
                    "created": txn.created,
                    "kept": existing,
                }
                store.write_bytes(txn.journal, json.dumps(record).encode())
            for key in existing:
                backup = _side(key, txn.run, "backup")
                txn.backups.append((backup, key))
                store.snapshot(key, backup)
            for staged, key in list(txn.staged):
                store.rename(staged, key)
                txn.staged.remove((staged, key))
            written = [key for _, key, _ in products]
            for path, key, _ in plan:
                if key == manifest:  # the switch: the last step that can fail
                    data = Path(path).read_bytes()
                    txn.manifest_sha256 = hashlib.sha256(data).hexdigest()
                    if expected is not False:
                        store.write_if(key, data, expected, _content_type(Path(key)))
                    else:
                        store.write_bytes(key, data, _content_type(Path(key)))
                    written.append(key)
        except BaseException as exc:
            switched = txn.switched(manifest)
            if switched is None:  # the journal tells the next run (or cleanup) what to do
                raise
            if not switched:
                txn.rollback()
                raise
            # The new manifest is in place: a write whose answer was lost (its retry then
            # refused as a conflict), or a signal right after it. The new set is published,
            # consistent; rolling the products back would mix the sets. Finish as a success.
            what = type(exc).__name__
            logger.warning("%s: the new set is published (%s after its write)", manifest, what)
            written = [key for _, key, _ in plan]
            if not isinstance(exc, Exception):
                _commit(store, txn)
                raise
        _commit(store, txn)
    return written, unchanged


def _commit(store: Store, txn: _Txn) -> None:
    """Delete a published run's backups and journal (best effort: leftovers of a dead run)."""
    for backup, _ in txn.backups:
        with contextlib.suppress(StorageError):
            store.delete(backup)
    if txn.journal:
        with contextlib.suppress(StorageError):
            store.delete(txn.journal)


def _manifest_sha(files: Sequence[tuple[Path, str]], manifest: str | None) -> str | None:
    for path, key in files:
        if key == manifest:
            return sha256_file(path)
    return None


def _side(key: str, run: str, kind: str) -> str:
    """``dir/.<name>.<run>.<kind>``: a file of one run next to its target."""
    head, _, name = key.rpartition("/")
    return f"{head}/.{name}.{run}.{kind}" if head else f".{name}.{run}.{kind}"


def _stage(store: Store, path: Path, key: str, *, move: bool) -> None:
    if move and isinstance(store, LocalStore):
        import shutil

        target = store._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise StorageError(f"{store.uri(key)}: cannot write ({exc.strerror or exc})") from exc
        return
    store.put_file(path, key, content_type=_content_type(path))


def run_is_dead(run: str, age_seconds: float) -> bool:
    """Whether the run that left a file is over: its process is gone from this host, or
    (another host's) the file is older than ``LANDSAT_OPS_STALE_SECONDS``."""
    pid, host, _ = run.split("-")
    if run == RUN_ID:
        return False
    if host == HOST:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return age_seconds > _env_seconds("LANDSAT_OPS_STALE_SECONDS", STALE_SECONDS)


@dataclass
class CleanupReport:
    """What :func:`clean_destination` removed (keys relative to the destination)."""

    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    aborted_uploads: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.removed) + len(self.restored) + len(self.aborted_uploads)


def _age(store: Store, key: str) -> float:
    if isinstance(store, LocalStore):
        try:
            return time.time() - store._path(key).stat().st_mtime
        except OSError:
            return 0.0
    return 0.0 if not isinstance(store, S3Store) else _s3_age(store, key)


def _s3_age(store: S3Store, key: str) -> float:
    try:
        head = store.client.head_object(Bucket=store.bucket, Key=store._key(key))
    except Interrupted:
        raise
    except Exception:
        return 0.0
    return time.time() - head["LastModified"].timestamp()


def clean_destination(store: Store, *, locked: bool = False) -> CleanupReport:
    """Remove what dead runs left in ``store``; roll their half-switched sets back first.

    Only leftovers of dead runs (see :func:`run_is_dead`) are touched. Runs under the
    destination's lock (taken here unless ``locked``).
    """
    if not locked:
        with destination_lock(store):
            return clean_destination(store, locked=True)
    report = CleanupReport()
    keys = store.list_all()
    sides: dict[str, list[tuple[str, str, str]]] = {}  # run -> [(key, target, kind)]
    journals: dict[str, str] = {}
    for key in keys:
        head, _, name = key.rpartition("/")
        if match := _SIDE_RE.match(name):
            target = f"{head}/{match['name']}" if head else match["name"]
            sides.setdefault(match["run"], []).append((key, target, match["kind"]))
        elif match := _JOURNAL_RE.match(name):
            journals[match["run"]] = key
    for run in sorted(set(sides) | set(journals)):
        probe = journals.get(run) or sides[run][0][0]
        if not run_is_dead(run, _age(store, probe)):
            continue
        entries = sides.get(run, [])
        journal = journals.get(run)
        restore = False
        if journal is not None:
            record = json.loads(store.read_bytes(journal))
            manifest = record.get("manifest")
            switched = False
            if manifest and store.exists(manifest):
                current = hashlib.sha256(store.read_bytes(manifest)).hexdigest()
                switched = current == record.get("manifest_sha256")
            restore = not switched
            if restore:
                for key in record.get("created", []):
                    if store.exists(key):
                        store.delete(key)
                        report.removed.append(key)
        for key, target, kind in entries:
            if kind == "backup" and restore:
                store.rename(key, target)
                report.restored.append(target)
            else:
                store.delete(key)
                report.removed.append(key)
        if journal is not None:
            store.delete(journal)
            report.removed.append(journal)
    for key, upload_id, started in store.incomplete_uploads():
        name = key.rpartition("/")[2]
        match = _SIDE_RE.match(name)
        age = time.time() - started
        dead = (
            run_is_dead(match["run"], age)
            if match
            else age > _env_seconds("LANDSAT_OPS_STALE_SECONDS", STALE_SECONDS)
        )
        if dead:
            store.abort_upload(key, upload_id)
            report.aborted_uploads.append(key)
    return report


@contextlib.contextmanager
def destination_lock(store: Store) -> Iterator[None]:
    """Hold the destination's lock: ``flock`` on a local folder, a lock object on S3."""
    if isinstance(store, LocalStore):
        yield from _local_lock(Path(store.root))
    else:
        yield from _s3_lock(store)


def _local_lock(path: Path) -> Iterator[None]:
    import fcntl

    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise StorageError(f"{path}: cannot create the destination ({exc.strerror})") from exc
    try:
        deadline = time.monotonic() + _env_seconds("LANDSAT_OPS_LOCK_TIMEOUT", LOCK_TIMEOUT)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StorageError(f"{path}: locked by another run for too long") from None
                time.sleep(0.05 + 0.1 * random.random())
        yield
    finally:
        os.close(fd)


def _s3_lock(store: Store) -> Iterator[None]:
    owner = json.dumps({"run": RUN_ID, "time": time.time()}).encode()
    deadline = time.monotonic() + _env_seconds("LANDSAT_OPS_LOCK_TIMEOUT", LOCK_TIMEOUT)
    while True:
        try:
            store.write_if(LOCK_KEY, owner, None)
            break
        except ConflictError:
            pass
        try:
            held = json.loads(store.read_bytes(LOCK_KEY))
            stale = run_is_dead(str(held["run"]), time.time() - float(held["time"]))
        except (StorageError, ValueError, KeyError, TypeError):
            stale = False  # released meanwhile, or being written: try again
        if stale:
            with contextlib.suppress(StorageError):
                store.delete(LOCK_KEY)
            continue
        if time.monotonic() > deadline:
            raise StorageError(f"{store.uri(LOCK_KEY)}: locked by another run for too long")
        time.sleep(0.1 + 0.2 * random.random())
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            if store.read_bytes(LOCK_KEY) == owner:
                store.delete(LOCK_KEY)


def _content_type(path: Path) -> str:
    return {".tif": COG_MEDIA_TYPE, ".png": PNG_MEDIA_TYPE}.get(path.suffix, "application/json")
