"""The small runtime that generated event classes import: Avro binary, logical types, checks.

Generated encoders are straight-line code per record; they call the primitives here
(:mod:`publisher.codec.binary`), the logical-type conversions (:mod:`publisher.codec.logical`)
and, when a value does not fit its field, the error builders in :mod:`publisher.codec.checks`.
Every function here is written for the hot path: no dict building, no schema walking.
"""
