"""herald build-time tooling: config, catalog, lint, compatibility, registry and codegen."""

__version__ = "0.1.0"
