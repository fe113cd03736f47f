"""Registry URLs: parsed once, credentials split off, and a redacted form for every message.

A URL may carry basic-auth credentials (``https://user:pass@host``), and a real password may
hold the characters URL parsers split on (``@ / # ? :``, even spaces). So the credentials are
everything between ``scheme://`` and the *last* ``@``, the host and port are checked by hand
(a bad port is a clear error, not a traceback), and every message is built from
:attr:`RegistryURL.display`, where the credentials already are ``***``. The HTTP clients get
:attr:`RegistryURL.url`, which has none, so their own errors cannot leak them either.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+\]\Z")
_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)\S*@")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class URLError(ValueError):
    """A URL that cannot be used; the message shows it with its credentials redacted."""


def redact(raw: str) -> str:
    """One URL with anything that may be credentials (up to the last ``@``) shown as ``***``."""
    match = _SCHEME.match(raw)
    prefix = match.group() if match else ""
    rest = raw[len(prefix) :]
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return prefix + rest


def redact_text(text: str) -> str:
    """Hide credentials in every URL inside free text (exception messages, logs)."""
    return _IN_TEXT.sub(r"\g<scheme>***@", text)


@dataclass(frozen=True, slots=True)
class RegistryURL:
    """A parsed registry URL: where to connect, who to be, and what to show."""

    scheme: str
    host: str
    port: int | None
    #: Path, query and fragment as given ("" or starting with ``/``, ``?`` or ``#``).
    rest: str
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        """The URL without credentials or a trailing slash: what HTTP clients get."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{self.rest}".rstrip("/")

    @property
    def display(self) -> str:
        """The URL as messages show it: credentials, when there are any, as ``***``."""
        if self.username is None:
            return self.url
        return self.url.replace("://", "://***@", 1)

    @property
    def origin(self) -> tuple[str, str, int | None]:
        """(scheme, host, port): where credentials may be sent."""
        port = self.port if self.port is not None else _DEFAULT_PORTS.get(self.scheme)
        return (self.scheme, self.host.lower(), port)

    def same_origin(self, other: str) -> bool:
        """True when ``other`` (an absolute URL) is on this URL's scheme, host and port."""
        try:
            return parse_url(other, schemes=(self.scheme,)).origin == self.origin
        except URLError:
            return False


def parse_url(raw: str, *, schemes: tuple[str, ...] = ("http", "https")) -> RegistryURL:
    """Parse a registry URL; :class:`URLError` (credentials redacted) when it cannot be used."""
    shown = redact(raw)
    match = _SCHEME.match(raw)
    scheme = match.group()[:-3].lower() if match else ""
    if scheme not in schemes:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise URLError(f"URL {shown!r} must start with {wanted}")
    rest = raw[match.end() :] if match else raw
    userinfo: str | None = None
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    hostport, tail = rest[:cut], rest[cut:]
    host, port_text = hostport, None
    if hostport.startswith("["):
        end = hostport.find("]")
        host = hostport[: end + 1] if end > 0 else hostport
        if hostport[end + 1 :].startswith(":"):
            port_text = hostport[end + 2 :]
    elif ":" in hostport:
        host, port_text = hostport.rsplit(":", 1)
    if not (_HOST.match(host) or _IPV6.match(host)):
        raise URLError(f"URL {shown!r} has no valid host name (got {host!r})")
    port: int | None = None
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise URLError(f"URL {shown!r} has port {port_text!r}; use a number from 1 to 65535")
        port = int(port_text)
    if any(ch.isspace() or not ch.isprintable() for ch in tail):
        raise URLError(f"URL {shown!r} has spaces or control characters in its path")
    username = password = None
    if userinfo is not None:
        user, has_password, secret = userinfo.partition(":")
        username = urllib.parse.unquote(user)
        password = urllib.parse.unquote(secret) if has_password else None
    return RegistryURL(scheme, host, port, tail, username, password)
