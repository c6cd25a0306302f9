"""A PostgreSQL server of the project's own: pip-packaged binaries, a data folder, 127.0.0.1.

The binaries come from the ``pgserver`` wheel (PostgreSQL 16, no system install) or, where it
is missing, from Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``).
The server listens on 127.0.0.1 only (no Unix socket), with password authentication; the
password is generated once into ``<data folder>/../postgres.password`` (mode 600).
PostgreSQL refuses to run as root: as root the server runs as the unprivileged user
``nobody``, which then owns the data folder.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cluster.processes import ClusterError, port_in_use

DATABASE = "airflow"
SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"


def binaries() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: pgserver's, else Debian's."""
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "pginstall" / "bin"
        if (folder / "pg_ctl").is_file():
            return folder
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if debian:
        return Path(debian[-1]).parent
    raise ClusterError(
        "PostgreSQL: no server binaries found: install the project's cluster extra "
        "(pgserver, `make install`) or Debian's postgresql (apt-get install -y postgresql)"
    )


@dataclass(frozen=True)
class PostgresServer:
    """One PostgreSQL cluster in ``data`` on 127.0.0.1:``port``."""

    data: Path
    port: int

    @property
    def password_file(self) -> Path:
        return self.data.parent / "postgres.password"

    @property
    def log(self) -> Path:
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

    def running(self) -> bool:
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
        if not self.data.is_dir() or not self.running():
            return False
        self._pg_ctl("stop", "-w", "-m", "fast", "-t", "60")
        return True

    def _init(self) -> None:
        if (self.data / "PG_VERSION").is_file():
            return
        self.data.parent.mkdir(parents=True, exist_ok=True)
        self.password  # noqa: B018 - made before initdb reads it
        self.data.mkdir(mode=0o700, exist_ok=True)
        self._own(self.data)
        # initdb reads the password from a file: a copy only the server's user can read.
        pwfile = self.data.parent / ".initdb.pw"
        shutil.copyfile(self.password_file, pwfile)
        pwfile.chmod(0o600)
        self._own(pwfile)
        try:
            self._run(
                str(binaries() / "initdb"),
                "-D",
                str(self.data),
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
        return self._run(str(binaries() / "pg_ctl"), "-D", str(self.data), *args, check=check)

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
