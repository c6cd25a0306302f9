"""An Airflow home's per-machine secrets: Fernet key, JWT secret and the UI password.

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
USER = "admin"


def ensure_secrets(home: Path) -> None:
    """Create ``fernet.key``, ``jwt.secret`` and the admin password in ``home`` if missing."""
    from cryptography.fernet import Fernet

    home.mkdir(parents=True, exist_ok=True)
    made = {
        "fernet.key": lambda: Fernet.generate_key().decode(),
        "jwt.secret": lambda: secrets.token_urlsafe(48),
        PASSWORD_FILE: lambda: json.dumps({USER: secrets.token_urlsafe(12)}),
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
