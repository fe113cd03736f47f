"""herald's logging: its own events and librdkafka's log lines, under ``herald.*`` loggers.

Every librdkafka client herald makes gets a :class:`KafkaLogBridge` as its ``logger`` setting,
so librdkafka's lines (``%4|...|GETPID|...``) reach Python ``logging`` as ``herald.kafka``
records (with ``facility`` and ``client`` attributes) instead of going to stderr. Lines that a
fresh broker produces while it elects coordinators and leaders are expected and retried by
librdkafka; they go to ``herald.kafka.startup`` at INFO, so they are silent unless asked for.
herald's own events use ``herald.publisher``, ``herald.registry``, ``herald.consumer`` and
``herald.topics``.

Nothing is configured unless asked: records propagate to the application's handlers. The one
switch, ``HERALD_LOG_FORMAT=json`` (or ``text``, with ``HERALD_LOG_LEVEL``), or a call to
:func:`configure`, puts a handler on the ``herald`` logger that writes one line per record.
Every message passes through :func:`redact` first; librdkafka itself prints secrets as
``[redacted]``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from typing import IO, Any

from publisher.errors import PublisherConfigError

ROOT = "herald"
KAFKA = "herald.kafka"
STARTUP = "herald.kafka.startup"

FORMAT_ENV = "HERALD_LOG_FORMAT"
LEVEL_ENV = "HERALD_LOG_LEVEL"

#: librdkafka warnings a fresh or restarting broker causes and librdkafka retries by itself.
_STARTUP_NOISE = re.compile(
    r"coordinator load in progress|coordinator_load_in_progress|not coordinator|"
    r"not_coordinator|coordinator not available|coordinator_not_available|"
    r"leader not available|leader_not_available|unknown topic or partition|"
    r"unknown_topic_or_part",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_SECRET_SETTING = re.compile(
    r"(?P<key>(?:sasl\.password|ssl\.key\.password|basic\.auth\.user\.info|"
    r"bearer\.auth\.token|sasl\.oauthbearer\.client\.secret)\s*[=:]\s*)(?P<value>[^\s,;]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Hide URL credentials and the values of secret settings in a log message."""
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    return _SECRET_SETTING.sub(
        lambda m: m["key"] + ("***" if m["value"] != "[redacted]" else m["value"]), text
    )


class KafkaLogBridge:
    """librdkafka's ``logger``: confluent-kafka calls ``log(level, fmt, facility, name, text)``."""

    def __init__(self) -> None:
        self._kafka = logging.getLogger(KAFKA)
        self._startup = logging.getLogger(STARTUP)

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        """Forward one librdkafka line; expected start-up retries go to ``herald.kafka.startup``."""
        facility, client, text = (*map(str, args), "", "", "")[:3]
        logger = self._kafka
        if level >= logging.WARNING and _STARTUP_NOISE.search(text):
            level, logger = logging.INFO, self._startup
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "%s %s",
                facility,
                redact(text),
                extra={"facility": facility, "client": client},
            )


def kafka_logger() -> KafkaLogBridge:
    """The ``logger`` setting herald gives every librdkafka client it creates."""
    configure_from_env()
    return KafkaLogBridge()


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and librdkafka's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as a JSON line."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for extra in ("facility", "client"):
            if hasattr(record, extra):
                line[extra] = getattr(record, extra)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class _Redacting(logging.Formatter):
    """Text lines, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


#: The handler :func:`configure` installed, so a second call replaces it instead of adding one.
_installed: dict[str, logging.Handler] = {}


def configure(
    fmt: str = "text", level: int | str = logging.INFO, stream: IO[str] | None = None
) -> logging.Handler:
    """Write ``herald.*`` records to ``stream`` (stderr) as ``text`` or ``json`` lines."""
    if fmt not in ("text", "json"):
        raise PublisherConfigError(f"{FORMAT_ENV} must be text or json, got {fmt!r}")
    if isinstance(level, str):
        named = logging.getLevelNamesMapping().get(level.upper())
        if named is None:
            raise PublisherConfigError(
                f"{LEVEL_ENV} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}"
            )
        level = named
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonLines()
        if fmt == "json"
        else _Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger(ROOT)
    if "handler" in _installed:
        root.removeHandler(_installed["handler"])
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    _installed["handler"] = handler
    return handler


def configure_from_env(env: dict[str, str] | None = None) -> None:
    """Apply ``HERALD_LOG_FORMAT`` / ``HERALD_LOG_LEVEL`` once, when set and not yet applied."""
    source = os.environ if env is None else env
    fmt = source.get(FORMAT_ENV, "").strip().lower()
    level = source.get(LEVEL_ENV, "").strip().upper()
    if "handler" not in _installed and (fmt or level):
        configure(fmt or "text", level or logging.INFO)
