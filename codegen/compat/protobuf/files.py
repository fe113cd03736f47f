"""Protobuf rules that look at a whole file: its package.

Confluent counts a package change among its compatible changes (serialized data names no
package), so the package rule is strict: Buf's FILE_SAME_PACKAGE, for generated code whose
import paths and type names change with the package.
"""

from __future__ import annotations

from collections.abc import Callable

from codegen.compat.protobuf_model import ProtoSchema
from codegen.compat.rules import rule

#: descriptor.proto: FileDescriptorProto.package
FILE_PACKAGE = 2


@rule("PACKAGE_CHANGED", "PROTOBUF", "STRICT", "The schema file must keep its package.")
def package_changed(old: ProtoSchema, new: ProtoSchema, add: Callable[..., None]) -> None:
    """Buf FILE_SAME_PACKAGE: every generated import and full type name moves with it."""
    if old.package == new.package:
        return
    add(
        "PACKAGE_CHANGED",
        f'Package changed from "{old.package}" to "{new.package}".',
        f'keep package "{old.package}"; publish a new package under a new subject instead',
        new.main.locate((FILE_PACKAGE,)),
        "#/",
    )
