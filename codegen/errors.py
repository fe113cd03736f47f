"""The build-time exception family: the CLI catches :class:`HeraldError` and exits 2."""

from __future__ import annotations

from publisher.urls import redact_text


def redact_url(text: str) -> str:
    """Hide user:password in any URL inside ``text`` so secrets never reach a terminal or log."""
    return redact_text(text)


class HeraldError(Exception):
    """Base of every user-facing error; the message names what, where, and what to do."""

    def __str__(self) -> str:
        return redact_url(super().__str__())


class ConfigError(HeraldError):
    """The configuration file or flags are invalid or contradict each other."""


class SchemaParseError(HeraldError):
    """A schema file could not be parsed or resolved; carries its file:line:col."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path = path
        self.line = line
        self.col = col
        self.message = message


class RegistryError(HeraldError):
    """The Schema Registry could not be reached, refused auth, or answered unexpectedly."""


class ClusterError(HeraldError):
    """The Kafka cluster could not be reached, refused credentials, or answered unexpectedly."""
