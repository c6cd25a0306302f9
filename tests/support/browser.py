"""Headless Chromium for the browser tests: the executable, its flags and a local HTTP server.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it); where it is absent the tests skip
with the reason (:data:`needs_chromium`). Every run gets its own profile folder under the test's
temp folder (``--user-data-dir``), so runs never share state nor touch the developer's profile.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, no GPU or sandbox (containers), no background traffic nor first-run pages."""
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
"""Lets a page's script start its ``<video>`` elements without a click."""

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)
"""Skip marker of a test that runs :data:`CHROMIUM`."""


def chromium_command(profile: Path, *args: str) -> list[str]:
    """The argv of a headless Chromium with its profile in ``profile``; ``args`` follow the
    flags (more switches, then the URL)."""
    assert CHROMIUM is not None, "mark the test with needs_chromium"
    return [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]


@contextlib.contextmanager
def serving(directory: Path, handler: type[http.server.SimpleHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``directory`` with ``handler`` on 127.0.0.1 (a free port) in a thread; yields the
    base URL (``http://127.0.0.1:<port>/``) and stops the server on exit."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
