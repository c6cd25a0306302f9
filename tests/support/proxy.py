"""A fault-injecting HTTP proxy for an S3 endpoint (the moto server), on 127.0.0.1.

Requests pass through to the upstream unchanged unless a :class:`Rule` matches their method,
path and (optionally) query string; a matching rule then, instead of the upstream's answer:

* ``status``: answers with an HTTP error (500 by default) and an S3 error body;
* ``drop``: closes the connection without an answer (a reset mid-request);
* ``stall``: holds the request without answering for ``seconds``, then closes it;
* ``cut``: forwards the request, then sends the headers and only half the body, and closes;
* ``stall-body``: like ``cut``, but holds the connection for ``seconds`` after the half body;
* ``lose``: forwards the request (it takes effect), then closes without an answer.

A rule with a ``probability`` matches that share of its requests (a seeded random draw).
:attr:`FaultProxy.on_answered`, when set, is called with ``(index, method, path)`` after each
request's upstream answer arrived (the request took effect) and before it is passed on: a test
can kill the client at exactly the n-th request of a publication.

Every injected fault is counted in :attr:`FaultProxy.injected`. Stalls end early when the
proxy closes, so a test's teardown never waits for them.
"""

from __future__ import annotations

import http.client
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Rule:
    method: str | None
    path: re.Pattern
    action: str
    query: re.Pattern | None = None  # searched in the query string (``uploadId=``, ...)
    status: int = 500
    seconds: float = 30.0
    times: int | None = None  # None: every matching request
    hits: int = 0
    probability: float | None = None  # None: every matching request
    seed: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        base, _, query = path.partition("?")
        if self.query is not None and not self.query.search(query):
            return False
        if not (self.method in (None, method) and self.path.search(base)):
            return False
        if self.probability is not None:
            if not hasattr(self, "_random"):
                import random

                self._random = random.Random(self.seed)
            return self._random.random() < self.probability
        return True


class FaultProxy:
    """``FaultProxy(upstream_url)``; :attr:`url` is the address to give clients."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.rules: list[Rule] = []
        self.injected = 0
        self.requests: list[tuple[str, str]] = []
        self.answered = 0
        self.on_answered = None
        self.closing = threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def add(
        self, method: str | None, path: str, action: str, query: str | None = None, **kwargs
    ) -> Rule:
        rule = Rule(
            method, re.compile(path), action, re.compile(query) if query else None, **kwargs
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            self.requests.append((method, path))
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    self.injected += 1
                    return rule
        return None

    def close(self) -> None:
        self.closing.set()  # ends the stalls: server_close() joins the handler threads
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format, *args):  # quiet
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raw = bytearray()
            while True:
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers, then the empty line
                        trailer = self.rfile.readline()
                        raw += trailer
                        if trailer in (b"\r\n", b"\n", b""):
                            return bytes(raw)
                chunk = self.rfile.read(size + 2)
                raw += chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._body()
        rule = self.owner.match(self.command, self.path)
        if rule is not None and rule.action == "drop":
            self.close_connection = True
            return
        if rule is not None and rule.action == "stall":
            self.owner.closing.wait(rule.seconds)
            self.close_connection = True
            return
        if rule is not None and rule.action == "status":
            payload = (
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                b"<Message>injected fault</Message></Error>"
            )
            self.send_response(rule.status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            return
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")
        }
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        hook = self.owner.on_answered
        if hook is not None:
            with self.owner._lock:
                self.owner.answered += 1
                index = self.owner.answered
            hook(index, self.command, self.path)
        if rule is not None and rule.action == "lose":
            self.close_connection = True
            return
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date"):
                self.send_header(key, value)
        length = resp.getheader("Content-Length")
        self.send_header("Content-Length", length if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if rule is not None and rule.action in ("cut", "stall-body"):
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if rule.action == "stall-body":
                self.owner.closing.wait(rule.seconds)
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle
