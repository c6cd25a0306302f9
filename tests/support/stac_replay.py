"""A small STAC API replay server for tests: recorded JSON bodies served on 127.0.0.1.

Routes map a URL path (``"/search"``) to the replies served there, in order; once the list
is used up its last reply repeats (so ``[Reply(503)]`` fails forever and ``[Reply(503),
page]`` fails once). ``/`` serves a landing page advertising item search unless a route for it
is given. Every request is recorded in :attr:`StacReplayServer.requests`.

Links in the served JSON are rewritten to point at this server, so clients page through it:
``next`` -> the same path (with the recorded query string), ``self`` -> the request path,
``root`` -> ``/``, ``search`` -> ``/search``. A ``next`` link is dropped from the last reply of
a route: the page after the last recorded one was never recorded.

Example::

    with StacReplayServer({"/search": [load_json(page1), load_json(page2)]}) as server:
        discover(server.url, ...)
        assert server.requests[-1].body["next"] == "..."
"""

from __future__ import annotations

import copy
import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ITEM_SEARCH = (
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
)
QUERY = "https://api.stacspec.org/v1.0.0/item-search#query"


def load_json(path: str | Path) -> Any:
    """Read a recorded JSON body (``.json`` or gzip-compressed ``.json.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


@dataclass
class Reply:
    """One HTTP reply: a status and a JSON-able body (or raw bytes)."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    body: Any = None


@dataclass
class _Route:
    replies: list[Reply]
    served: int = 0

    def next_reply(self) -> tuple[Reply, bool]:
        """The reply to serve and whether it is the route's last one."""
        index = min(self.served, len(self.replies) - 1)
        self.served += 1
        return self.replies[index], index == len(self.replies) - 1


@dataclass
class StacReplayServer:
    """Serve recorded STAC responses on ``127.0.0.1`` (a free port); see the module doc."""

    routes: dict[str, list[Any]]
    conforms_to: tuple[str, ...] = ITEM_SEARCH
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._routes = {
            path: _Route([r if isinstance(r, Reply) else Reply(body=r) for r in replies])
            for path, replies in self.routes.items()
        }
        self._routes.setdefault("/", _Route([Reply(body=self._landing_page())]))
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StacReplayServer:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> StacReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, path: str) -> int:
        """Number of requests received for ``path``."""
        return sum(1 for r in self.requests if r.path == path)

    # -- replies -----------------------------------------------------------------------------

    def _landing_page(self) -> dict:
        return {
            "type": "Catalog",
            "id": "replay",
            "stac_version": "1.0.0",
            "description": "Recorded STAC API responses",
            "conformsTo": list(self.conforms_to),
            "links": [
                {"rel": "self", "href": "/", "type": "application/json"},
                {"rel": "root", "href": "/", "type": "application/json"},
                {
                    "rel": "search",
                    "href": "/search",
                    "type": "application/geo+json",
                    "method": "GET",
                },
                {
                    "rel": "search",
                    "href": "/search",
                    "type": "application/geo+json",
                    "method": "POST",
                },
            ],
        }

    def _respond(self, method: str, target: str, raw_body: bytes) -> tuple[int, str, bytes]:
        parts = urlsplit(target)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, parts.query, body))
            route = self._routes.get(parts.path)
            if route is None:
                return 404, "application/json", b'{"code": "NotFound"}'
            reply, last = route.next_reply()
        if isinstance(reply.body, bytes):
            return reply.status, reply.content_type, reply.body
        if reply.body is None:
            return reply.status, "text/plain", f"status {reply.status}".encode()
        served = self._rewrite_links(copy.deepcopy(reply.body), parts.path, last)
        return reply.status, reply.content_type, json.dumps(served).encode()

    def _rewrite_links(self, body: Any, path: str, last: bool) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("links"), list):
            return body
        links = []
        for link in body["links"]:
            rel, href = link.get("rel"), link.get("href", "")
            link = dict(link)
            if rel == "next":
                if last:
                    continue
                query = urlsplit(href).query
                link["href"] = f"{self.url}{path}" + (f"?{query}" if query else "")
            elif rel == "self":
                link["href"] = f"{self.url}{path}"
            elif rel == "root":
                link["href"] = f"{self.url}/"
            elif rel == "search":
                link["href"] = f"{self.url}/search"
            links.append(link)
        body["links"] = links
        return body


class _Handler(BaseHTTPRequestHandler):
    replay: StacReplayServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, content_type, payload = self.replay._respond(self.command, self.path, raw)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
