"""Registry operations: the client, the subject plan, and check / register / status / pull.

Every command goes config + catalog -> :func:`~codegen.registry.plan.plan_subjects` (subjects
in dependency waves) -> one operation against a :class:`~codegen.registry.client.Registry`
that was probed first, so an unreachable registry or refused credentials fail fast (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping

from codegen.config import HeraldConfig
from codegen.registry.client import Registry
from codegen.registry.plan import SubjectPlan, flatten, plan_subjects

__all__ = ["Registry", "SubjectPlan", "connect", "flatten", "plan_subjects"]


def connect(config: HeraldConfig, *, environ: Mapping[str, str] | None = None) -> Registry:
    """A registry client for the configured URL, after a fast reachability and auth probe.

    Use it as a context manager so its connections are closed.
    """
    registry = Registry(config.registry, environ=environ)
    try:
        registry.ping()
    except BaseException:
        registry.close()
        raise
    return registry
