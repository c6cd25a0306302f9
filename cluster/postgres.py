"""A PostgreSQL server of the project's own: pip-packaged binaries, a data folder, 127.0.0.1.

The binaries come from the ``pgserver`` wheel (PostgreSQL 16, no system install) or, where it
is missing, from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``).
The server listens on 127.0.0.1 only (no Unix socket), with password authentication; the
password is generated once into ``<data folder>/../postgres.password`` (mode 600).
PostgreSQL refuses to run as root: as root the server runs as the unprivileged user
``nobody``, which then owns the data folder.

``nobody`` must be able to enter every folder above the binaries and the data. A checkout in a
folder only its owner can enter (a ``mktemp -d`` folder, ``/root``) does not allow that, so
there, as root, the server's files live in a root-owned folder of their own,
``/var/lib/landsat-ops/`` (``LANDSAT_CLUSTER_POSTGRES_ROOT``; created mode 711 and refused when
it is a symbolic link, not owned by root or writable by others): the data in
``postgres-<checkout>-<hash of the state folder>/data`` (``.airflow/cluster/postgres`` is then a
symbolic link to it) and, when the virtual environment is out of reach too, a copy of
pgserver's binaries in ``pginstall-<version>-<hash>/``. ``python -m cluster purge`` removes the
data of a home wherever it lives.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cluster.processes import ClusterError, port_in_use

DATABASE = "airflow"
SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"
PRIVATE_ROOT = Path("/var/lib/landsat-ops")
"""Where the server's files go when its user cannot reach the checkout (root only)."""


def _pgserver_binaries() -> Path | None:
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "pginstall" / "bin"
        if (folder / "pg_ctl").is_file():
            return folder
    return None


@functools.cache
def binaries() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: pgserver's, else Debian's.

    Under root, pgserver's folder is copied (once per pgserver build) under the private root
    when ``nobody`` cannot reach it where it is installed.
    """
    folder = _pgserver_binaries()
    if folder is not None:
        user = _server_user()
        if user is None or reachable(folder / "pg_ctl", user):
            return folder
        return _private_copy(folder.parent) / "bin"
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if debian:
        return Path(debian[-1]).parent
    raise ClusterError(
        "PostgreSQL: no server binaries found: install the project's cluster extra "
        "(pgserver, `make install`) or Debian's postgresql (apt-get install -y postgresql)"
    )


def reachable(path: Path, user: str) -> bool:
    """Whether ``user`` may enter every folder above ``path`` (by the permission bits)."""
    entry = pwd.getpwnam(user)
    groups = {entry.pw_gid, *(g.gr_gid for g in _groups_of(user))}
    for folder in Path(os.path.abspath(path)).parents:
        try:
            info = folder.stat()
        except OSError:
            return False
        if info.st_uid == entry.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _groups_of(user: str):
    import grp

    return [g for g in grp.getgrall() if user in g.gr_mem]


def private_root() -> Path:
    """The root-owned folder of the server's files (created mode 711), checked before use.

    Refused when it is a symbolic link or not a folder, is not owned by this user, or others
    may write to it: nobody else may have put or may swap anything there.
    """
    root = Path(os.environ.get("LANDSAT_CLUSTER_POSTGRES_ROOT") or PRIVATE_ROOT)
    if not root.is_absolute():
        raise ClusterError(f"LANDSAT_CLUSTER_POSTGRES_ROOT: {root} is not an absolute path")
    try:
        os.mkdir(root, 0o711)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ClusterError(f"PostgreSQL: cannot create {root}: {exc.strerror or exc}") from None
    _check_private(root)
    return root


def _check_private(folder: Path) -> None:
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ClusterError(f"PostgreSQL: {folder} is not a plain folder (a link?): refused")
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ClusterError(
            f"PostgreSQL: {folder} is owned by uid {info.st_uid} with mode "
            f"{stat.S_IMODE(info.st_mode):o}: expected this user's, not writable by others"
        )


def _private_folder(root: Path, name: str) -> Path:
    """``root/name``, made mode 711 by this user or checked when it exists."""
    folder = root / name
    try:
        os.mkdir(folder, 0o711)
    except FileExistsError:
        pass
    _check_private(folder)
    return folder


def _private_copy(pginstall: Path) -> Path:
    """A copy of pgserver's ``pginstall`` under the private root, shared by every checkout
    with the same build (named by pgserver's version and the ``postgres`` binary's digest).

    The wheel's binaries find their shared libraries (``libpq``) through the relative RPATH
    ``$ORIGIN/../../../pgserver.libs``: the copy keeps that layout,
    ``pgserver/pginstall`` beside ``pgserver.libs``.
    """
    digest = hashlib.sha256((pginstall / "bin" / "postgres").read_bytes()).hexdigest()[:12]
    try:
        version = importlib.metadata.version("pgserver")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    root = private_root()
    target = root / f"pginstall-{version}-{digest}"
    copied = target / "pgserver" / "pginstall"
    if (copied / "bin" / "pg_ctl").is_file():
        _check_private(target)
        return copied
    staging = root / f".pginstall-{secrets.token_hex(6)}"
    try:
        shutil.copytree(pginstall, staging / "pgserver" / "pginstall", symlinks=True)
        libs = pginstall.parent.parent / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "pgserver.libs", symlinks=True)
        for folder, _dirs, _files in os.walk(staging):
            os.chmod(folder, 0o755)
        os.chmod(staging, 0o711)
        try:
            os.rename(staging, target)
        except OSError:  # another start copied it meanwhile
            if not (copied / "bin" / "pg_ctl").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _check_private(target)
    return copied


@dataclass(frozen=True)
class PostgresServer:
    """One PostgreSQL cluster in ``data`` on 127.0.0.1:``port``.

    ``data`` is where the home keeps it (``<state>/postgres``); under root, when ``nobody``
    cannot reach that folder, it is a symbolic link to the private copy (module docstring).
    """

    data: Path
    port: int

    @property
    def password_file(self) -> Path:
        return self.data.parent / "postgres.password"

    @property
    def private(self) -> Path:
        """The private folder of this home's server files (used when the home is out of
        ``nobody``'s reach): one per state folder, named after it."""
        state = Path(os.path.abspath(self.data.parent))
        digest = hashlib.sha256(str(state).encode()).hexdigest()[:12]
        # The checkout's folder name (<checkout>/.airflow/cluster), for a reader of the root.
        hint = re.sub(r"[^A-Za-z0-9_.-]+", "_", state.parent.parent.name)[:40].strip("._-")
        return Path(os.environ.get("LANDSAT_CLUSTER_POSTGRES_ROOT") or PRIVATE_ROOT) / (
            f"postgres-{hint}-{digest}"
        )

    @property
    def located(self) -> Path:
        """The data folder as the server is given it (symbolic links resolved)."""
        return Path(os.path.realpath(self.data))

    @property
    def log(self) -> Path:
        if self.data.is_symlink():
            return self.located.parent / "logs" / "postgres.log"
        return self.data.parent / "logs" / "postgres.log"

    @property
    def password(self) -> str:
        """The superuser's password, generated on first use (mode 600)."""
        if not self.password_file.is_file():
            self.data.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24) + "\n")
        return self.password_file.read_text().strip()

    def url(self, scheme: str = "postgresql+psycopg2") -> str:
        """The URL of the ``airflow`` database (scheme ``db+postgresql+psycopg2`` for Celery)."""
        password = self.password
        return f"{scheme}://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{DATABASE}"

    def exists(self) -> bool:
        return (self.located / "PG_VERSION").is_file()

    def running(self) -> bool:
        if not self.exists():
            return False
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self) -> None:
        """Create the cluster on first use, start it, create the ``airflow`` database."""
        if self.running():
            self._create_database()
            return
        if port_in_use(self.port):
            raise ClusterError(
                f"PostgreSQL: port 127.0.0.1:{self.port} is taken by another program "
                "(set LANDSAT_CLUSTER_POSTGRES_PORT to another port)"
            )
        self._init()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._own(self.log.parent)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        done = self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", options)
        if done.returncode != 0:
            raise ClusterError(
                f"PostgreSQL: did not start on 127.0.0.1:{self.port}: "
                f"{done.stdout.strip().splitlines()[-1:]} (see {self.log})"
            )
        self._create_database()

    def stop(self) -> bool:
        """Stop the server (fast shutdown); returns whether it was running."""
        if not self.running():
            return False
        self._pg_ctl("stop", "-w", "-m", "fast", "-t", "60")
        return True

    def remove(self) -> None:
        """Stop the server and delete its data (and its private folder, if it has one)."""
        self.stop()
        private = self.private
        if self.data.is_symlink():
            self.data.unlink()
        elif self.data.is_dir():
            shutil.rmtree(self.data)
        if private.is_dir() and not private.is_symlink():
            shutil.rmtree(private)

    def _init(self) -> None:
        if self.exists():
            return
        self.data.parent.mkdir(parents=True, exist_ok=True)
        self.password  # noqa: B018 - made before initdb reads it
        user = _server_user()
        if user is not None and not self.data.exists() and not reachable(self.data, user):
            # nobody cannot enter the home: the data goes to the private folder, linked.
            folder = _private_folder(private_root(), self.private.name)
            if (folder / "data").exists():  # left by a home of this path that was deleted
                if (folder / "data" / "postmaster.pid").exists():
                    raise ClusterError(
                        f"PostgreSQL: {folder / 'data'} (of a deleted home of this path) seems "
                        f"to run: stop it (pg_ctl -D {folder / 'data'} stop) or remove it"
                    )
                shutil.rmtree(folder / "data")
            (folder / "home").write_text(f"{os.path.abspath(self.data)}\n")
            os.mkdir(folder / "data", 0o700)
            os.symlink(folder / "data", self.data)
        self.data.mkdir(mode=0o700, exist_ok=True)
        self._own(self.located)
        # initdb reads the password from a file: a copy only the server's user can read.
        pwfile = self.located.parent / ".initdb.pw"
        shutil.copyfile(self.password_file, pwfile)
        pwfile.chmod(0o600)
        self._own(pwfile)
        try:
            self._run(
                str(binaries() / "initdb"),
                "-D",
                str(self.located),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-locale",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=self.password,
            dbname="postgres",
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            conn.close()

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(str(binaries() / "pg_ctl"), "-D", str(self.located), *args, check=check)

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            command,
            user=_server_user(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd="/",
        )
        if check and done.returncode != 0 and command[-1] != "status":
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise ClusterError(f"PostgreSQL: {Path(command[0]).name} failed: {lines[-1:]}")
        return done

    def _own(self, path: Path) -> None:
        user = _server_user()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)


def _server_user() -> str | None:
    """``nobody`` when running as root (PostgreSQL refuses root), else None (this user)."""
    return UNPRIVILEGED_USER if os.geteuid() == 0 else None
