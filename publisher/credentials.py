"""Secrets in client settings: kept out of reprs, and refused credentials turned into one error.

librdkafka retries a broker that refuses SASL credentials until ``message.timeout.ms`` runs out,
so without help a publisher with a wrong password waits minutes and then reports timeouts.
:func:`is_authentication_failure` spots the refusal in an ``error_cb`` error, and
:func:`authentication_error` builds the error every pending delivery then fails with. It names
the user, the mechanism and the brokers, never the password.

:class:`SecretSettings` is the dict the publisher keeps its settings in: the secret values are
shown as ``***`` whenever the dict is printed, logged or put in an exception message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from publisher.errors import AuthenticationError

if TYPE_CHECKING:
    from confluent_kafka import KafkaError

#: Settings whose values are secrets, in librdkafka's and the registry client's spelling.
SECRET_KEYS = frozenset(
    {
        "sasl.password",
        "sasl.oauthbearer.client.secret",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.key.pem",
        "basic.auth.user.info",
        "bearer.auth.token",
    }
)

#: librdkafka's codes for refused credentials: KafkaError._AUTHENTICATION and
#: SASL_AUTHENTICATION_FAILED, as numbers so that reading settings does not load librdkafka.
_REFUSED = frozenset({-169, 58})


class SecretSettings(dict[str, Any]):
    """A settings dict whose repr and str show ``***`` in place of every secret value."""

    def __repr__(self) -> str:
        """The settings with secrets masked."""
        shown = {k: "***" if k in SECRET_KEYS else v for k, v in self.items()}
        return repr(shown)

    __str__ = __repr__


def is_authentication_failure(err: Any) -> bool:
    """True for an error_cb error saying the broker refused this client's credentials."""
    code = getattr(err, "code", None)
    return callable(code) and code() in _REFUSED


def authentication_error(err: KafkaError, settings: Mapping[str, Any]) -> AuthenticationError:
    """The error for refused credentials: who, how and where, and what to check."""
    user = settings.get("sasl.username", "(no sasl.username)")
    mechanism = settings.get("sasl.mechanism", settings.get("sasl.mechanisms", "GSSAPI"))
    protocol = settings.get("security.protocol", "plaintext")
    return AuthenticationError(
        f"Kafka refused the credentials of user {user!r} ({mechanism} over {protocol}) at "
        f"{settings.get('bootstrap.servers', '?')}: {err.str()}; check HERALD_SASL_USERNAME and "
        "HERALD_SASL_PASSWORD (sasl.username / sasl.password) and the mechanism. Nothing more is "
        "sent; build a new client with the right credentials",
        kafka_error=err,
    )
