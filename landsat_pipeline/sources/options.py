"""How sources are read: :class:`SourceOptions` and the catalog's :class:`SourcePolicy` (both
set from configuration, never from the item)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "ARCHIVE_BUCKETS",
    "ARCHIVE_HOSTS",
    "DEFAULT_SCHEMES",
    "DEFAULT_TIMEOUT",
    "SILENT_DEADLINE",
    "SourceOptions",
    "SourcePolicy",
    "host_entry",
    "redirect_refusal",
    "same_origin",
    "url_origin",
]

DEFAULT_TIMEOUT = (10.0, 30.0)
"""(connect, read) seconds for every source request: a silent endpoint (accepts, never
answers) fails a read after 30 s."""
SILENT_DEADLINE = 75.0
"""Seconds after which an href that has not started answering is not tried again: with the
default timeouts a silent endpoint fails an href within about a minute (two reads)."""

SCHEMES = ("s3", "https", "http", "file")
"""The schemes a policy may allow (``file`` only for a local static catalog)."""
DEFAULT_SCHEMES = ("s3", "https")
"""Allowed everywhere unless the catalog's ``source_schemes`` says otherwise; the catalog's
own scheme is added (``http`` for an http:// STAC API, ``file`` for a local static catalog)."""
ARCHIVE_HOSTS = ("landsatlook.usgs.gov", "landsateuwest.blob.core.windows.net")
"""The hosts of the archives' https hrefs (LandsatLook, Planetary Computer's Landsat blobs)."""
ARCHIVE_BUCKETS = ("usgs-landsat",)
"""The buckets of the archives' s3 hrefs (Earth Search, LandsatLook's ``alternate.s3``)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_entry(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` or ``*.domain`` -> (lower-case host, port or
    None for any port). ValueError when it is not one."""
    text = entry.strip()
    if not text or any(c in text for c in "/?#@ \t\r\n\\"):
        raise ValueError(f"{entry!r} is not a host or host:port")
    parts = urlsplit(f"//{text}")
    host = (parts.hostname or "").rstrip(".")
    port = parts.port  # ValueError when out of range or not digits
    if not host or (text.endswith(":") and port is None):
        raise ValueError(f"{entry!r} is not a host or host:port")
    if host.startswith("*.") and "*" in host[2:] or "*" in host and not host.startswith("*."):
        raise ValueError(f"{entry!r}: only a leading '*.' wildcard is allowed")
    return host, port


def _link_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_link_local
    except ValueError:
        return host in ("metadata.google.internal", "metadata")


@dataclass(frozen=True)
class SourcePolicy:
    """Which hrefs of a catalog may be read: schemes, hosts, buckets, and local files.

    An href is read only when :meth:`refusal` gives None; a redirect is followed only when its
    target passes too (or stays on the origin of the URL asked). Nothing is read before the
    check: a refused href is one line naming the asset and why.

    Attributes
    ----------
    schemes
        Allowed schemes among ``s3``, ``https``, ``http``, ``file`` (a bare path is ``file``).
    hosts
        Allowed hosts of http(s) hrefs: ``host`` (any port), ``host:port``, ``*.domain``.
        A link-local address (``169.254.169.254``, the instance metadata service) is refused
        unless listed as it is.
    buckets
        Allowed buckets of s3 hrefs.
    file_root
        The local static catalog's own folder: ``file`` hrefs and paths are read only when
        their real path (symlinks resolved) lies under it. None: no local file is read.
    """

    schemes: tuple[str, ...] = DEFAULT_SCHEMES
    hosts: tuple[str, ...] = ARCHIVE_HOSTS
    buckets: tuple[str, ...] = ARCHIVE_BUCKETS
    file_root: str | None = None

    @classmethod
    def for_catalog(
        cls,
        catalog: str,
        *,
        schemes: Iterable[str] | None = None,
        hosts: Iterable[str] | None = None,
        buckets: Iterable[str] | None = None,
    ) -> SourcePolicy:
        """The policy of ``catalog`` (a STAC API URL, or a static ``catalog.json`` / folder).

        Each of ``schemes``, ``hosts``, ``buckets`` given replaces its default:
        :data:`DEFAULT_SCHEMES` plus the catalog's own scheme (``http`` for an http:// API,
        ``file`` for a local catalog); the catalog URL's host plus :data:`ARCHIVE_HOSTS`;
        :data:`ARCHIVE_BUCKETS`. ``file`` is never allowed for a STAC API.
        """
        api = "://" in catalog and not catalog.lower().startswith("file:")
        root = None
        if not api:
            path = unquote(urlsplit(catalog).path) if catalog.startswith("file:") else catalog
            path = os.path.expanduser(path)
            root = os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path))
        own_scheme = urlsplit(catalog).scheme.lower() if api else "file"
        own_host = (urlsplit(catalog).hostname or "") if api else ""
        if ":" in own_host:  # an IPv6 address
            own_host = f"[{own_host}]"
        if schemes is None:
            schemes = [*DEFAULT_SCHEMES, own_scheme] if own_scheme in SCHEMES else DEFAULT_SCHEMES
        schemes = tuple(dict.fromkeys(s.lower() for s in schemes))
        unknown = [s for s in schemes if s not in SCHEMES]
        if unknown:
            raise ValueError(f"scheme {unknown[0]!r} is not one of {', '.join(SCHEMES)}")
        if api and "file" in schemes:
            raise ValueError("file is allowed only for a local static catalog (under its folder)")
        if hosts is None:
            hosts = [own_host, *ARCHIVE_HOSTS] if own_host else ARCHIVE_HOSTS
        hosts = tuple(dict.fromkeys(hosts))
        for entry in hosts:
            host_entry(entry)
        buckets = tuple(dict.fromkeys(ARCHIVE_BUCKETS if buckets is None else buckets))
        return cls(schemes=schemes, hosts=hosts, buckets=buckets, file_root=root)

    # -- checks ------------------------------------------------------------------------------

    def refusal(self, href: str) -> str | None:
        """Why ``href`` may not be read under this policy; None when it may."""
        if not isinstance(href, str) or not href:
            return "not an href"
        if any(ord(c) < 32 or ord(c) == 127 for c in href):
            return "control characters in the href"
        scheme = urlsplit(href).scheme.lower() if "://" in href else ""
        if scheme in ("", "file"):
            return self._file_refusal(href, scheme)
        if scheme not in self.schemes:
            return f"scheme {scheme} is not allowed for this catalog"
        if scheme == "s3":
            bucket = urlsplit(href).netloc
            if bucket not in self.buckets:
                return f"bucket {bucket or '(none)'} is not an allowed source bucket"
            return None
        if scheme in ("http", "https"):
            return self.host_refusal(href)
        return f"scheme {scheme} cannot be read"

    def host_refusal(self, url: str) -> str | None:
        """Why the host of http(s) ``url`` is not allowed; None when it is."""
        host, port, scheme = _url_host(url)
        if host is None:
            return "not a valid http(s) URL"
        if scheme not in ("http", "https") or scheme not in self.schemes:
            return f"scheme {scheme} is not allowed for this catalog"
        if _allowed_host(host, port, self.hosts, exact_only=_link_local(host)):
            return None
        return f"host {_netloc(host, port)} is not an allowed source host"

    def _file_refusal(self, href: str, scheme: str) -> str | None:
        if "file" not in self.schemes or self.file_root is None:
            return "local files are not allowed for this catalog"
        if scheme == "file":
            parts = urlsplit(href)
            if parts.netloc not in ("", "localhost"):
                return "a file URL of another host"
            path = unquote(parts.path)
        else:
            path = href
        if not os.path.isabs(path):
            return "a relative local path"
        real = os.path.realpath(path)
        if os.path.commonpath([real, self.file_root]) != self.file_root:
            return "a local file outside the catalog's folder"
        return None

    def local_path(self, href: str) -> str:
        """The real path of an allowed local href (check :meth:`refusal` first)."""
        path = unquote(urlsplit(href).path) if href.lower().startswith("file:") else href
        return os.path.realpath(path)


def _url_host(url: str) -> tuple[str | None, int | None, str]:
    """(lower-case host, port, scheme) of ``url`` as urllib3 (what requests connects with)
    parses it; host None when it has none."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parsed = parse_url(url)
    except (LocationParseError, ValueError):
        return None, None, ""
    scheme = (parsed.scheme or "").lower()
    host = (parsed.host or "").lower().rstrip(".")
    if not host:
        return None, None, scheme
    return host, parsed.port or _DEFAULT_PORTS.get(scheme), scheme


def url_origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, lower-case host, port) of an http(s) ``url`` as requests connects to it;
    None when it has no host."""
    host, port, scheme = _url_host(url)
    return None if host is None else (scheme, host, port)


def _netloc(host: str, port: int | None) -> str:
    return f"{host}:{port}" if port else host


def _allowed_host(host: str, port: int | None, entries: Iterable[str], exact_only: bool) -> bool:
    for entry in entries:
        try:
            allowed, allowed_port = host_entry(entry)
        except ValueError:
            continue
        allowed = allowed.strip("[]")
        if allowed.startswith("*."):
            if exact_only or not host.endswith(allowed[1:]):
                continue
        elif allowed != host.strip("[]"):
            continue
        if allowed_port is None or allowed_port == port:
            return True
    return False


def same_origin(url: str, other: str) -> bool:
    """Whether two http(s) URLs have the same scheme, host and port."""
    first, second = _url_host(url), _url_host(other)
    return first[0] is not None and first == second


def redirect_refusal(policy: SourcePolicy | None, origin: str, target: str) -> str | None:
    """Why a redirect from ``origin`` (the URL first asked) to ``target`` may not be followed.

    The same origin (scheme, host, port) is always allowed; anything else must pass the
    policy (without one: nothing else). A link-local address is refused unless the policy
    lists it as it is.
    """
    if same_origin(origin, target):
        return None
    if policy is None:
        host, port, _ = _url_host(target)
        where = _netloc(host, port) if host else "an invalid URL"
        return f"redirected to {where}, off the origin"
    reason = policy.host_refusal(target)
    return None if reason is None else f"redirected off the policy: {reason}"


@dataclass
class SourceOptions:
    """How to read a scene's assets.

    Attributes
    ----------
    s3_client
        The boto3 S3 client for ``s3://`` sources, with the source's OWN credentials, region
        and endpoint (:func:`landsat_pipeline.sources.s3.source_client`); never the
        destination bucket's client. None: one from the standard AWS chain, made when needed.
    requester_pays
        Force ``RequestPayer=requester`` on (True) or off (False) for every S3 source; None
        (default) follows each asset's ``storage:requester_pays``.
    signing_url
        The Planetary Computer SAS token endpoint (default: the package's,
        ``https://planetarycomputer.microsoft.com/api/sas/v1/token``).
    blob_endpoint
        Read Azure blob hrefs (``https://<account>.blob.core.windows.net/<container>/<path>``)
        from ``<blob_endpoint>/<account>/<container>/<path>`` instead (an Azurite-style
        endpoint, e.g. a mirror or a local test server). None: the hrefs as they are.
    timeout
        (connect, read) seconds for every HTTP and S3 request.
    attempts
        Tries per href on connection errors and 5xx answers.
    policy
        The catalog's :class:`SourcePolicy` (the DAGs always pass the config's:
        :meth:`landsat_pipeline.config.CatalogSettings.source_options`). None: hrefs the
        caller hands in are trusted as they are, but redirects still stay on their origin.
    silent_deadline
        Seconds after which an href that has not answered is not tried again.
    """

    s3_client: Any | None = None
    requester_pays: bool | None = None
    signing_url: str | None = None
    blob_endpoint: str | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    attempts: int = 3
    policy: SourcePolicy | None = None
    silent_deadline: float = SILENT_DEADLINE
