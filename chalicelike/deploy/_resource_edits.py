"""Small edits of a CloudFormation template's resources that the deploy form's steps share:
a resource's dependencies, and a mapping checked against the keys a step can spell."""

from __future__ import annotations

from typing import Any

from ..package.templates._aws import TemplateError

__all__ = ["check_keys", "depend_on", "depends_on"]


def depends_on(resource: dict[str, Any]) -> list[str]:
    dependencies = resource.get("DependsOn", [])
    return [dependencies] if isinstance(dependencies, str) else list(dependencies)


def depend_on(resource: dict[str, Any], names: list[str]) -> None:
    dependencies = depends_on(resource)
    dependencies += [name for name in names if name not in dependencies]
    if dependencies:
        resource["DependsOn"] = dependencies


def check_keys(mapping: Any, where: str, known: set[str] | frozenset[str]) -> None:
    if not isinstance(mapping, dict):
        raise TemplateError(f"{where}: expected a mapping, found {mapping!r}")
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise TemplateError(f"{where}: {', '.join(map(repr, unknown))} has no spelling here")
