"""An Airflow home's per-machine secrets: Fernet key, JWT secret, the UI password and the
credentials of the cluster's S3 server.

Made once (mode 600) and read by ``airflow.cfg`` through ``fernet_key_cmd`` and
``jwt_secret_cmd``; the simple auth manager reads the password file. ``make airflow-init``,
``make cluster`` and the cluster tests all use this one function.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
S3_CREDENTIALS_FILE = "s3.credentials"
USER = "admin"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _s3_credentials() -> str:
    """Random credentials shaped like AWS's (an ``AKIA...`` key id, a 40-character secret):
    no common word, so the secret masker of Airflow's logs hides nothing else."""
    key = "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    return json.dumps({"aws_access_key_id": key, "aws_secret_access_key": secrets.token_hex(20)})


def ensure_secrets(home: Path) -> None:
    """Create ``fernet.key``, ``jwt.secret`` and the admin password in ``home`` if missing."""
    from cryptography.fernet import Fernet

    home.mkdir(parents=True, exist_ok=True)
    made = {
        "fernet.key": lambda: Fernet.generate_key().decode(),
        "jwt.secret": lambda: secrets.token_urlsafe(48),
        PASSWORD_FILE: lambda: json.dumps({USER: secrets.token_urlsafe(12)}),
        S3_CREDENTIALS_FILE: _s3_credentials,
    }
    for name, make in made.items():
        path = home / name
        if path.is_file() and path.stat().st_size:
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make() + "\n")


def password(home: Path) -> str:
    """The admin password of the UI."""
    return json.loads((home / PASSWORD_FILE).read_text())[USER]


def s3_credentials(home: Path) -> tuple[str, str]:
    """The access key id and secret of the cluster's S3 server (made on first use)."""
    ensure_secrets(home)
    body = json.loads((home / S3_CREDENTIALS_FILE).read_text())
    return body["aws_access_key_id"], body["aws_secret_access_key"]
