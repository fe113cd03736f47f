"""Data contracts: a subject's rules are never skipped silently by herald's fast path.

A registered version may carry a data contract: metadata plus a ruleSet (CEL conditions,
field encryption, JSONata migrations). herald's own encoder runs none of them, so when the
publisher (or the typed consumer) first resolves a subject, a value's or a typed key's
``<topic>-key``, it reads the latest version's ruleSet and applies a policy to the rules that
would run in its direction:

- ``"refuse"`` (default): raise :class:`~publisher.errors.DataContractError` naming the
  subject and the rules;
- ``"delegate"``: that subject goes through confluent-kafka's own serializer/deserializer
  (``AvroSerializer``, or ``ProtobufSerializer`` over protoc's class behind the generated one)
  and rule executors (CEL, CEL_FIELD, ENCRYPT, JSONATA; install ``herald[contracts]``), at
  that path's speed; every other subject keeps the fast path;
- ``"ignore"``: go on without the rules, logging a warning on ``herald.contracts``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from publisher.errors import DataContractError, PublisherConfigError
from publisher.event import Event

RulesPolicy = Literal["refuse", "delegate", "ignore"]
POLICIES: tuple[str, ...] = ("refuse", "delegate", "ignore")
Direction = Literal["write", "read"]
#: Which part of a record a serde is for: its value or its key (the ``<topic>-key`` subject).
Field = Literal["value", "key"]
#: Rule modes that run when a producer serializes / a consumer deserializes.
_MODES: dict[str, frozenset[str]] = {
    "write": frozenset({"WRITE", "WRITEREAD"}),
    "read": frozenset({"READ", "WRITEREAD", "UPGRADE", "DOWNGRADE", "UPDOWN"}),
}
#: Rule type -> the confluent-kafka executor that runs it (module, class), for delegation.
EXECUTORS: dict[str, tuple[str, str]] = {
    "CEL": ("confluent_kafka.schema_registry.rules.cel.cel_executor", "CelExecutor"),
    "CEL_FIELD": (
        "confluent_kafka.schema_registry.rules.cel.cel_field_executor",
        "CelFieldExecutor",
    ),
    "ENCRYPT": (
        "confluent_kafka.schema_registry.rules.encryption.encrypt_executor",
        "FieldEncryptionExecutor",
    ),
    "ENCRYPT_PAYLOAD": (
        "confluent_kafka.schema_registry.rules.encryption.encrypt_executor",
        "EncryptionExecutor",
    ),
    "JSONATA": (
        "confluent_kafka.schema_registry.rules.jsonata.jsonata_executor",
        "JsonataExecutor",
    ),
}
#: KMS drivers registered with the encryption executors (the local one needs only a secret).
KMS_DRIVERS: tuple[tuple[str, str], ...] = (
    ("confluent_kafka.schema_registry.rules.encryption.localkms.local_driver", "LocalKmsDriver"),
)

log = logging.getLogger("herald.contracts")
#: id(registry client) -> (client, its RuleRegistry); see :func:`rule_registry_for`.
_RULE_REGISTRIES: dict[int, tuple[Any, Any]] = {}
#: Non-empty once the KMS drivers are registered (they are process-wide in confluent-kafka).
_KMS_REGISTERED: list[bool] = []


@dataclass(frozen=True, slots=True)
class ContractRule:
    """One rule of a subject's ruleSet, as far as the policy needs it."""

    name: str
    type: str
    mode: str
    phase: str

    def __str__(self) -> str:
        return f"{self.name} ({self.type}, {self.mode})"


def check_policy(policy: str) -> RulesPolicy:
    """Validate a ``rules=`` argument."""
    if policy not in POLICIES:
        raise PublisherConfigError(f"rules={policy!r} is not one of {', '.join(POLICIES)}")
    return policy  # type: ignore[return-value]


def rules_of(registered: Any) -> tuple[ContractRule, ...]:
    """Every enabled rule of a registered version's ruleSet (migration, domain, encoding)."""
    rule_set = getattr(getattr(registered, "schema", None), "rule_set", None)
    if rule_set is None:
        return ()
    found: list[ContractRule] = []
    for phase in ("migration", "domain", "encoding"):
        for rule in getattr(rule_set, f"{phase}_rules", None) or ():
            if rule.disabled:
                continue
            mode = str(rule.mode or "WRITEREAD")
            found.append(ContractRule(rule.name or "?", str(rule.type or "?"), mode, phase))
    return tuple(found)


def applying(rules: tuple[ContractRule, ...], direction: Direction) -> tuple[ContractRule, ...]:
    """The rules that run when data is written (producers) or read (consumers)."""
    return tuple(r for r in rules if r.mode in _MODES[direction])


def decide(subject: str, rules: tuple[ContractRule, ...], policy: RulesPolicy, who: str) -> bool:
    """Apply the policy to a subject's rules; True means "delegate this subject"."""
    if not rules:
        return False
    listed = ", ".join(str(r) for r in rules)
    if policy == "refuse":
        raise DataContractError(
            f"subject {subject!r} has a data contract whose rules herald's {who} does not run: "
            f"{listed}; pass rules='delegate' to run them through confluent-kafka's serde, or "
            "rules='ignore' to go on without them"
        )
    if policy == "ignore":
        log.warning(
            "subject %r has data-contract rules that are NOT applied (rules='ignore'): %s",
            subject,
            listed,
        )
        return False
    check_executors(rules)
    return True


def _executor_class(rule: ContractRule) -> Any:
    spec = EXECUTORS.get(rule.type)
    if spec is None:
        raise DataContractError(
            f"rule {rule} has a type confluent-kafka has no executor for; known types: "
            f"{', '.join(EXECUTORS)}"
        )
    try:
        return getattr(importlib.import_module(spec[0]), spec[1])
    except ImportError as exc:
        raise DataContractError(
            f"rule {rule} needs {exc.name or 'an executor package'}; install "
            "herald[contracts] (cel-python, tink) to delegate it"
        ) from None


def check_executors(rules: tuple[ContractRule, ...]) -> None:
    """Check that confluent-kafka can run every rule (its executor and packages import)."""
    for rule in rules:
        _executor_class(rule)


def rule_registry_for(client: Any, rules: tuple[ContractRule, ...]) -> Any:
    """The executors for one registry client, shared by every serde made for that client.

    Not confluent's global registry: an encryption executor binds itself to the first
    registry configuration it sees, so a process-wide one would refuse any other registry.
    Sharing per client lets a producer and a consumer of one process use the same keys.
    """
    from confluent_kafka.schema_registry.rule_registry import RuleRegistry

    registry = _RULE_REGISTRIES.get(id(client))
    if registry is None or registry[0] is not client:
        registry = (client, RuleRegistry())  # type: ignore[no-untyped-call]
        _RULE_REGISTRIES[id(client)] = registry
    for rule in rules:
        if registry[1].get_executor(rule.type) is None:
            registry[1].register_executor(_executor_class(rule)())
        if rule.type.startswith("ENCRYPT"):
            _register_kms_drivers()
    return registry[1]


def _register_kms_drivers() -> None:
    if _KMS_REGISTERED:
        return
    for module, name in KMS_DRIVERS:
        getattr(importlib.import_module(module), name).register()
    _KMS_REGISTERED.append(True)


def _message_class(cls: type[Event]) -> Any:
    """protoc's message class behind a generated Protobuf class, which confluent's serde needs.

    A generated module imports its ``_pb2`` module, which adds the file to protobuf's default
    descriptor pool; the class is found there by the message's full name.
    """
    from google.protobuf import descriptor_pool, message_factory

    if len(cls.MESSAGE_INDEXES) > 1:
        raise DataContractError(
            f"{cls.FULL_NAME}: delegating a data contract needs a top-level message; "
            "confluent-kafka's ProtobufSerializer finds the message by its simple name among "
            "the file's top-level messages. Publish a top-level message, or pass rules='ignore'"
        )
    if not (hasattr(cls, "to_proto") and hasattr(cls, "from_proto")):
        raise DataContractError(
            f"{cls.FULL_NAME}: delegating a Protobuf data contract needs a class generated by "
            "`herald codegen` (it converts through to_proto/from_proto); regenerate the class"
        )
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(cls.FULL_NAME)
    except KeyError:
        raise DataContractError(
            f"{cls.FULL_NAME}: protobuf's default descriptor pool does not hold this message, "
            "so confluent-kafka's serde cannot be given its class; import the generated module "
            "(it loads its _pb2 module) before publishing"
        ) from None
    return message_factory.GetMessageClass(descriptor)


Encode = Callable[[Event, Any], bytes]
Decode = Callable[[bytes, Any], Event]


def _avro_serializer(
    cls: type[Event], client: Any, conf: dict[str, Any], rule_conf: dict[str, Any], rules: Any
) -> Encode:
    from confluent_kafka.schema_registry.avro import AvroSerializer

    serde = AvroSerializer(
        client,
        cls.SCHEMA,
        to_dict=lambda event, _ctx: event.to_dict(),
        conf=conf,
        rule_conf=rule_conf,
        rule_registry=rules,
    )
    return lambda event, ctx: bytes(serde(event, ctx))


def _protobuf_serializer(
    cls: type[Event], client: Any, conf: dict[str, Any], rule_conf: dict[str, Any], rules: Any
) -> Encode:
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    serde = ProtobufSerializer(_message_class(cls), client, conf, rule_conf, rules)
    # to_proto hands over a copy: transform rules (ENCRYPT) rewrite the message in place.
    return lambda event, ctx: bytes(serde(event.to_proto(), ctx))  # type: ignore[attr-defined]


def _avro_deserializer(
    cls: type[Event], client: Any, conf: dict[str, Any], rule_conf: dict[str, Any], rules: Any
) -> Decode:
    from confluent_kafka.schema_registry.avro import AvroDeserializer

    serde = AvroDeserializer(
        client, cls.SCHEMA, conf=conf, rule_conf=rule_conf, rule_registry=rules
    )
    return lambda data, ctx: cls.from_dict(serde(data, ctx))


def _protobuf_deserializer(
    cls: type[Event], client: Any, conf: dict[str, Any], rule_conf: dict[str, Any], rules: Any
) -> Decode:
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

    message_class = _message_class(cls)
    serde = ProtobufDeserializer(message_class, conf, client, rule_conf, rules)
    from_proto = cls.from_proto  # type: ignore[attr-defined]

    def decode(data: bytes, ctx: Any) -> Event:
        message = serde(data, ctx)
        if isinstance(message, message_class):
            event: Event = from_proto(message)
            return event
        # A migration rule ran: confluent built the message from the registry's own schema.
        return cls.decode(message.SerializeToString())

    return decode


#: Schema format -> confluent-kafka's serializer for a class, called with (event, context).
SERIALIZERS: dict[str, Callable[..., Encode]] = {
    "AVRO": _avro_serializer,
    "PROTOBUF": _protobuf_serializer,
}
#: Schema format -> confluent-kafka's deserializer for a class, called with (bytes, context).
DESERIALIZERS: dict[str, Callable[..., Decode]] = {
    "AVRO": _avro_deserializer,
    "PROTOBUF": _protobuf_deserializer,
}


def _bound(
    table: Mapping[str, Callable[..., Any]],
    cls: type[Event],
    client: Any,
    conf: dict[str, Any],
    *,
    rule_conf: Mapping[str, Any] | None,
    rules: tuple[ContractRule, ...],
    field: Field,
) -> Callable[[Any, str], Any]:
    """The format's confluent serde for a class, called with (data, topic) for key or value."""
    from confluent_kafka.serialization import MessageField, SerializationContext

    build = table.get(cls.SCHEMA_FORMAT)
    if build is None:
        raise DataContractError(
            f"{cls.FULL_NAME}: herald cannot delegate a {cls.SCHEMA_FORMAT} subject's data "
            f"contract; it delegates {', '.join(table)}"
        )
    serde = build(cls, client, conf, dict(rule_conf or {}), rule_registry_for(client, rules))
    which = MessageField.KEY if field == "key" else MessageField.VALUE

    def run(data: Any, topic: str) -> Any:
        return serde(data, SerializationContext(topic, which))

    return run


def serializer_for(
    cls: type[Event],
    client: Any,
    rule_conf: Mapping[str, Any] | None,
    subject: str,
    rules: tuple[ContractRule, ...],
    *,
    field: Field = "value",
) -> Callable[[Event, str], bytes]:
    """confluent-kafka's serializer for a class's key or value, running the latest write rules."""
    conf = {
        "auto.register.schemas": False,
        "use.latest.version": True,
        "subject.name.strategy": lambda _ctx, _name: subject,
    }
    return _bound(SERIALIZERS, cls, client, conf, rule_conf=rule_conf, rules=rules, field=field)


def deserializer_for(
    cls: type[Event],
    client: Any,
    rule_conf: Mapping[str, Any] | None,
    subject: str,
    rules: tuple[ContractRule, ...],
    *,
    field: Field = "value",
) -> Callable[[bytes, str], Event]:
    """confluent-kafka's deserializer for a class's key or value (running the read rules)."""
    conf = {"use.latest.version": True, "subject.name.strategy": lambda _ctx, _name: subject}
    return _bound(DESERIALIZERS, cls, client, conf, rule_conf=rule_conf, rules=rules, field=field)
