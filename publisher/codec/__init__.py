"""The small runtime that generated event classes import: Avro binary, logical types, checks.

Generated encoders are straight-line code per record; they call the primitives here
(:mod:`publisher.codec.binary`), the logical-type conversions (:mod:`publisher.codec.logical`)
and, when a value does not fit its field, the error builders in :mod:`publisher.codec.checks`.
Every function here is written for the hot path: no dict building, no schema walking.

The typed consumer's schema evolution lives here too, walking schemas once per writer id:
:mod:`publisher.codec.avro_schema` (schema JSON as a type graph), :mod:`publisher.codec.resolution`
(Avro's resolution rules, compiled into a rewrite per writer) and
:mod:`publisher.codec.proto_names` (message indexes of a writer's .proto file).
"""
