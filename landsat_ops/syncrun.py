"""``landsat-ops sync-run``: fetch inputs into a work folder, run a command there, ship results.

The generic container mode (the pattern of running any batch tool as a Fargate task with S3 in
and S3 out): the image's tools run unchanged on local files, and ``sync-run`` does the moving.

Example::

    landsat-ops sync-run --input s3://bucket/landing/ID/ --output s3://bucket/staging/ID/ \\
        -- landsat-ops render in --out out

What happens, in order:

1. Every object under each ``--input`` (an ``s3://`` prefix, a local folder, or one object or
   file) is downloaded into ``WORK/in/``, keeping its key relative to the prefix. Two inputs
   holding the same relative key are an error, not a silent overwrite.
2. ``COMMAND`` runs with its working directory ``WORK`` and the environment variables
   ``LANDSAT_OPS_INPUT_DIR`` (``WORK/in``) and ``LANDSAT_OPS_OUTPUT_DIR`` (``WORK/out``, created
   empty). Its standard streams are those of ``sync-run``, so its output streams live into the
   container log. SIGTERM, SIGINT and SIGHUP sent to ``sync-run`` (``docker stop``, ECS
   StopTask) are passed on to it.
3. Only when ``COMMAND`` exits with 0 is every file it left under ``WORK/out/`` uploaded to
   ``--output`` (same relative key; objects already holding the same bytes are skipped, so a
   rerun uploads nothing). Files are uploaded in sorted order with ``*.json`` files (manifests,
   STAC items) last. **A failed command uploads nothing**: a half-written result is never
   published, and a retry starts from the same, untouched destination. Each object is replaced
   whole; a render's output is a new version folder and its item, uploaded last, so a failed
   upload (or SIGTERM meanwhile) leaves the published set as it was, with at most an
   unreferenced version for ``landsat-ops cleanup``.
4. ``sync-run`` exits with ``COMMAND``'s exit code (``128 + N`` when it was killed by signal N).
   Its own errors (a bad URI, an empty input, a failed transfer, a command that cannot be found
   or executed) print one line and exit with 2.

``WORK`` is a new temporary folder, removed at the end, unless ``--workdir`` names one: that
folder is kept afterwards for inspection, and its ``in/`` and ``out/`` must not hold files
already (so stale results of an earlier run can never be uploaded).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from landsat_ops.errors import CommandError, OptionError, StorageError
from landsat_ops.storage import Store, is_s3, join, open_store, split_s3

__all__ = [
    "INPUT_DIR_ENV",
    "OUTPUT_DIR_ENV",
    "SyncRunResult",
    "sync_run",
]

INPUT_DIR_ENV = "LANDSAT_OPS_INPUT_DIR"
OUTPUT_DIR_ENV = "LANDSAT_OPS_OUTPUT_DIR"
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

LogFn = Callable[[str], None]


@dataclass
class SyncRunResult:
    """What one ``sync-run`` did."""

    exit_code: int
    workdir: Path
    downloaded: list[str] = field(default_factory=list)  # keys under in/
    uploaded: list[str] = field(default_factory=list)  # keys written to the output
    unchanged: list[str] = field(default_factory=list)  # keys skipped (same sha256)


def _stderr(message: str) -> None:
    click.echo(f"landsat-ops sync-run: {message}", err=True)


def sync_run(
    command: Sequence[str],
    inputs: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    *,
    workdir: str | os.PathLike | None = None,
    s3_client=None,
    log: LogFn = _stderr,
) -> SyncRunResult:
    """Download ``inputs``, run ``command`` on them, upload its results when it succeeds.

    Parameters
    ----------
    command
        The program and its arguments, run without a shell.
    inputs
        ``s3://`` prefixes, local folders, or single objects/files; downloaded into ``in/``.
    output
        ``s3://bucket/prefix`` or a local folder receiving everything under ``out/``.
    workdir
        The work folder to use and keep; default a temporary folder, removed afterwards.
    s3_client
        A boto3 S3 client (default: one from the environment, honouring ``AWS_ENDPOINT_URL``).
    log
        Receives one-line progress messages (default: stderr).

    Returns
    -------
    SyncRunResult
        The command's exit code (``128 + N`` for signal N) and what was transferred.

    Raises
    ------
    CommandError
        ``command`` is empty, not found, or not executable.
    LandsatOpsError
        An input is empty or unreadable, or a transfer failed.
    """
    command = [str(part) for part in command]
    if not command:
        raise CommandError("no command given (expected: sync-run --input URI --output URI -- CMD)")
    if not inputs:
        raise OptionError("no --input given")
    out_store = open_store(output, s3_client)

    with _work_folder(workdir) as work:
        in_dir, out_dir = work / "in", work / "out"
        for folder in (in_dir, out_dir):
            if folder.exists() and any(p.is_file() for p in folder.rglob("*")):
                raise OptionError(
                    f"{folder}: already holds files (use an empty --workdir, or none for a "
                    "temporary one)"
                )
            folder.mkdir(parents=True, exist_ok=True)
        result = SyncRunResult(exit_code=0, workdir=work)

        sources: dict[str, str] = {}
        for uri in inputs:
            result.downloaded += _download(str(uri), in_dir, sources, s3_client)
        log(f"{len(result.downloaded)} file(s) from {len(inputs)} input(s) in {in_dir}")

        log(f"running {' '.join(command)}")
        result.exit_code = _run(command, work, in_dir, out_dir)
        if result.exit_code != 0:
            log(
                f"{command[0]} exited with {result.exit_code}; nothing uploaded to "
                f"{out_store.root}"
                + (f" (work folder kept: {work})" if workdir is not None else "")
            )
            return result

        files = _output_files(out_dir)
        if not files:
            log(f"{command[0]} wrote nothing to {out_dir}; nothing to upload")
        result.uploaded, result.unchanged = _upload(out_store, out_dir, files)
        log(
            f"{len(result.uploaded)} file(s) uploaded to {out_store.root}"
            f" ({len(result.unchanged)} unchanged)"
        )
    return result


@contextlib.contextmanager
def _work_folder(workdir: str | os.PathLike | None) -> Iterator[Path]:
    if workdir is not None:
        path = Path(workdir).expanduser().absolute()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{path}: cannot create the work folder ({exc.strerror})") from exc
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="landsat-ops-sync-") as tmp:
        yield Path(tmp)


def _download(uri: str, dest: Path, sources: dict[str, str], s3_client) -> list[str]:
    """Copy everything under ``uri`` into ``dest``; returns the relative keys."""
    store, keys = _input_keys(uri, s3_client)
    root = dest.resolve()
    for key in keys:
        if key in sources:
            raise OptionError(
                f"{key}: held by both --input {sources[key]} and --input {uri} "
                "(inputs are merged into one in/ folder)"
            )
        sources[key] = uri
        target = (dest / key).resolve()
        if root not in target.parents:
            raise StorageError(f"{store.uri(key)}: key escapes the work folder {dest}")
        store.get_file(key, target)
    return keys


def _input_keys(uri: str, s3_client) -> tuple[Store, list[str]]:
    """The store to read ``uri`` from and the keys to fetch: a prefix's objects or one object."""
    if not is_s3(uri):
        path = Path(uri).expanduser()
        if path.is_file():
            return open_store(path.parent), [path.name]
        if not path.is_dir():
            raise StorageError(f"{uri}: no such file or folder")
        store = open_store(path)
        keys = store.list()
        if not keys:
            raise StorageError(f"{uri}: empty folder (expected input files)")
        return store, keys
    store = open_store(uri, s3_client)
    keys = [key for key in store.list() if key and not key.endswith("/")]
    if keys:
        return store, keys
    bucket, key = split_s3(uri)
    if key and not key.endswith("/"):
        parent_key, _, name = key.rpartition("/")
        parent = open_store(join(f"s3://{bucket}", parent_key), s3_client)
        if parent.exists(name):
            return parent, [name]
    raise StorageError(f"{uri}: no objects under this prefix (expected input files)")


def _run(command: list[str], work: Path, in_dir: Path, out_dir: Path) -> int:
    """Run ``command`` in ``work`` with inherited streams; returns its exit code."""
    env = dict(os.environ)
    env[INPUT_DIR_ENV] = str(in_dir)
    env[OUTPUT_DIR_ENV] = str(out_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        process = subprocess.Popen(command, cwd=work, env=env)
    except FileNotFoundError:
        raise CommandError(f"{command[0]}: command not found") from None
    except PermissionError:
        raise CommandError(f"{command[0]}: permission denied (not an executable file)") from None
    except OSError as exc:
        raise CommandError(f"{command[0]}: cannot run ({exc.strerror or exc})") from None
    with _forward_signals(process):
        code = process.wait()
    return 128 - code if code < 0 else code


@contextlib.contextmanager
def _forward_signals(process: subprocess.Popen) -> Iterator[None]:
    """Pass termination signals on to ``process`` while it runs (main thread only)."""
    previous = {}
    try:
        for sig in FORWARDED_SIGNALS:
            previous[sig] = signal.signal(sig, lambda signum, frame: process.send_signal(signum))
    except ValueError:  # not the main thread: signals stay with the caller
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _output_files(out_dir: Path) -> list[str]:
    """Relative POSIX keys of the files under ``out_dir``: sorted, ``*.json`` last."""
    keys = [p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()]
    return sorted(keys, key=lambda k: (k.endswith(".json"), k))


def _upload(store: Store, out_dir: Path, keys: list[str]) -> tuple[list[str], list[str]]:
    """Upload ``keys`` in order, ``*.json`` last; objects already holding the same bytes are
    left alone. Returns the keys written and those unchanged.

    A render's output (``landsat-ops render ... --out out``: a scene item ``<ID>.json`` naming
    its version folder ``<ID>/<version>/``) is published as the render itself publishes
    (:func:`landsat_ops.render.destination.publish_version`): into a version folder of its own,
    checked, then the item switched with one conditional write, so a failed upload leaves the
    published set as it was. Other files are each replaced whole (an S3 PUT, a local rename).
    """
    from landsat_ops.render.destination import current_folder, publish_version
    from landsat_ops.storage import sha256_file

    written: list[str] = []
    unchanged: list[str] = []
    published: set[str] = set()
    for key in keys:
        if "/" in key or not key.endswith(".json") or not (out_dir / key[:-5]).is_dir():
            continue
        try:
            folder = current_folder(out_dir, key[:-5])
        except StorageError:
            continue  # not a render's scene item: uploaded like any file
        version_key = f"{folder.relative_to(out_dir).as_posix()}/{key}"
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != key)
        version_item = json.loads((folder / key).read_text())
        publication, _ = publish_version(store, files, version_item, scene_id=key[:-5])
        written += list(publication.written)
        unchanged += list(publication.unchanged)
        published |= {key, version_key} | {
            f"{version_key.rpartition('/')[0]}/{p.name}" for p in files
        }
    for key in keys:
        if key in published:
            continue
        path = out_dir / key
        _, uploaded = store.put_file(path, key, sha256=sha256_file(path))
        (written if uploaded else unchanged).append(key)
    return written, unchanged
