"""Alert sinks, one module each: where notifications and exported metrics go.

Every sink takes a :class:`Delivery` (the notifications of this run and every exported
sample) and raises :class:`SinkError` with a message that names the sink and the fix.

Two rules hold for every sink, and live here so that each follows them the same way:

- **No secret in a message.** Sink URLs carry secrets in their userinfo
  (``http://user:password@host``), their path (Slack's ``/services/T…/B…/<secret>``, a
  Pushgateway behind a secret prefix) and their query (``?token=…``). A sink names its URL
  with :func:`redact_url` (scheme, host and port only), and :func:`scrub` removes every
  secret part of a URL, and header values, from any text before it is shown, since the
  errors of urllib and prometheus-client repeat the URL or pieces of it.
- **A total deadline per request.** A socket timeout bounds each read, not the request: a
  server sending one byte a second holds it forever. :func:`within` bounds the whole call.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from mlmon.alerts.exposition import Sample

T = TypeVar("T")

MAX_RESPONSE_BYTES = 64 * 1024
"""The most of a response body a sink reads (it only needs the status)."""


class SinkError(Exception):
    """A sink could not deliver (the command still prints its result, then exits 6)."""


class DeadlineExceeded(Exception):
    """A sink's request did not finish within its timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g}s")


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``, or :class:`DeadlineExceeded` when it has not returned after ``seconds``.

    The call runs in a daemon thread: it cannot be cancelled, so it is abandoned (its socket
    has its own per-read timeout and closes when the server gives up or the process exits).
    What it raises is raised here."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="mlmon-sink", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DeadlineExceeded(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """The URL without its ``user:password@``, and the user and password (for Basic auth).

    >>> split_userinfo("https://bob:p%40ss@gw.example:9091/x")
    ('https://gw.example:9091/x', 'bob', 'p@ss')
    """
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None, None
    user, _, password = userinfo.partition(":")
    bare = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return bare, urllib.parse.unquote(user), urllib.parse.unquote(password)


def redact_url(url: str) -> str:
    """What a message may show of a sink URL: scheme, host and port; ``/…`` for the rest.

    >>> redact_url("https://alice:pw@hooks.example.com/services/T0/B0/secret?token=x")
    'https://hooks.example.com/…'
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    host = parts.netloc.rpartition("@")[2]
    rest = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{parts.scheme}://{host}{'/…' if rest else ''}"


def scrub(text: str, *urls: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every secret part of ``urls`` (the whole URL, its userinfo, user and
    password, path and path segments, query and query values, fragment; raw and
    percent-decoded) and the strings of ``extra`` (header values) replaced by ``…``.

    Short pieces (a path segment under 8 characters, a query value under 4, a user under 3)
    are left, since replacing them would garble every message ("hook" in "webhook"); a
    secret is longer, and the whole path and query are scrubbed anyway."""
    secrets: set[str] = {s for s in extra if len(s) >= 3}
    for url in urls:
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            secrets.add(url)
            continue
        public = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        # what redact_url shows (scheme, host, port) is no secret: the rest of the URL is
        secrets.update(u for u in (url, url.rstrip("/")) if u.rstrip("/") != public)
        userinfo, at, host = parts.netloc.rpartition("@")
        if at:
            secrets.add(userinfo + "@")
            secrets.add(userinfo)
            secrets.update(p for p in userinfo.split(":", 1) if len(p) >= 3)
        if parts.path not in ("", "/"):
            secrets.add(parts.path)
            secrets.update(seg for seg in parts.path.split("/") if len(seg) >= 8)
        for piece in (parts.query, parts.fragment):
            if piece:
                secrets.add(piece)
                for pair in piece.split("&"):
                    if len(value := pair.partition("=")[2]) >= 4:
                        secrets.add(value)
        bare = urllib.parse.urlunsplit(parts._replace(netloc=host))
        if bare.rstrip("/") != public:
            secrets.add(bare)
    decoded = {urllib.parse.unquote(s) for s in secrets} | {
        urllib.parse.quote(s, safe="") for s in secrets
    }
    for secret in sorted(secrets | decoded, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "…")
    return text


@dataclass(frozen=True)
class Notification:
    """One alert going out: firing (new, or again after the cooldown) or resolved."""

    key: str
    kind: str
    status: str  # "firing" | "resolved"
    severity: str
    summary: str
    labels: dict[str, str]
    details: dict[str, Any]
    starts_at: str
    ends_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "finding": self.kind,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "labels": self.labels,
            "details": self.details,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


@dataclass(frozen=True)
class Delivery:
    """What one run hands to the sinks."""

    model: str
    command: str
    notifications: list[Notification]
    samples: list[Sample]
