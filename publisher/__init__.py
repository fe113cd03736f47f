"""herald run time: typed events, Confluent wire format and a safe librdkafka publisher.

Services depend on this package only; it never imports the build-time ``codegen`` package.
"""

from publisher.errors import PublisherError
from publisher.event import Binding, Event

__version__ = "0.1.0"

__all__ = ["Binding", "Event", "PublisherError", "__version__"]
