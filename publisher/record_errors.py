"""What a consumer does with a record it cannot turn into an event: raise, skip, or hand it over.

A choice is ``"raise"`` (the default), ``"skip"`` (counted, and logged on the
``herald.consumer`` logger) or a callable receiving the raw ``confluent_kafka.Message`` and the
error, e.g. to produce the record to a dead-letter topic; after the callable returns, the
record is counted as handed over and consumption goes on. :class:`RecordErrorPolicy` holds one
choice and its counts, so a consumer can keep one policy per kind of failure side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from publisher.errors import PublisherConfigError, PublisherError

#: A record-error choice: a name, or a callable taking (raw message, error).
OnError = Literal["raise", "skip"] | Callable[[Any, PublisherError], None]

_LOG = logging.getLogger("herald.consumer")


class RecordErrorPolicy:
    """One error choice for consumed records, with how many records it skipped or handed over."""

    def __init__(self, choice: OnError, setting: str = "on_error") -> None:
        if not callable(choice) and choice not in ("raise", "skip"):
            raise PublisherConfigError(
                f"{setting}={choice!r} is not a record error policy; use 'raise', 'skip' or a "
                "callable taking (message, error)"
            )
        self.choice = choice
        self.setting = setting
        #: Records passed over under ``"skip"``.
        self.skipped = 0
        #: Records given to the callable.
        self.handed_over = 0

    def handle(self, message: Any, error: PublisherError) -> None:
        """Apply the choice to one failed record: raise ``error``, or return to go on."""
        if self.choice == "raise":
            raise error
        if self.choice == "skip":
            self.skipped += 1
            _LOG.warning(
                "skipped record %s[%s]@%s (%s=skip): %s",
                message.topic(),
                message.partition(),
                message.offset(),
                self.setting,
                error,
            )
            return
        assert callable(self.choice)
        self.choice(message, error)
        self.handed_over += 1
