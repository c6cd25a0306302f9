"""Test guards for the hostile-input tests: no connection leaves 127.0.0.0/8, and every file
a test's code opens is recorded."""

from __future__ import annotations

import builtins
import shutil
import socket


def loopback_only(monkeypatch) -> list[str]:
    """A connection to anything but 127.0.0.0/8 fails and is recorded (the returned list)."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not host.startswith("127."):
            attempts.append(host)
            raise OSError(f"test guard: no connection to {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def track_opened(monkeypatch) -> list[str]:
    """Every path opened or copied from from now on (the returned list)."""
    paths: list[str] = []
    real_open, real_copy = builtins.open, shutil.copyfile

    def tracked_open(file, *args, **kwargs):
        paths.append(str(file))
        return real_open(file, *args, **kwargs)

    def tracked_copy(src, dst, *args, **kwargs):
        paths.append(str(src))
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", tracked_open)
    monkeypatch.setattr(shutil, "copyfile", tracked_copy)
    return paths
