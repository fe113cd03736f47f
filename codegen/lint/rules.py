"""Every lint rule by id: Avro, Protobuf and contract tables merged, for config and --list-rules."""

from __future__ import annotations

from typing import Any

from codegen.lint.avro import AVRO_RULES
from codegen.lint.contracts import CONTRACT_RULES
from codegen.lint.model import LintRule
from codegen.lint.protobuf import PROTO_RULES

RULES: dict[str, LintRule[Any]] = {**AVRO_RULES, **PROTO_RULES, **CONTRACT_RULES}
