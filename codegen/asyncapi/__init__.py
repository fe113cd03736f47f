"""AsyncAPI 3.0 documents from the bindings, topics and schemas: ``herald asyncapi``."""

from codegen.asyncapi.document import build_document
from codegen.asyncapi.emit import to_json, to_yaml

__all__ = ["build_document", "to_json", "to_yaml"]
