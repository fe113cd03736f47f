"""The publisher's exception family: every error a service can catch derives from one base."""


class PublisherError(Exception):
    """Base of every publisher error; messages say what, where and what to do."""


class EventValidationError(PublisherError, ValueError):
    """A value given to a generated event class does not fit its schema field."""

    def __init__(self, cls_name: str, field: str, problem: str) -> None:
        super().__init__(f"{cls_name}.{field}: {problem}")
        self.cls_name = cls_name
        self.field = field
        self.problem = problem


class EventDecodeError(PublisherError, ValueError):
    """Bytes could not be decoded as the event class they were meant for."""
