"""The app's workflows as the manifest holds them: each declaration's definition read (a
dict, a builder's `to_asl()`, or an .asl.json/.asl.yaml file inside the project), checked
against the app's functions, and its triggers made plain. Any problem stops the app from
loading, every problem named at once (as a syntax error would)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core._errors import ChaliceError
from ._workflow_check import check_definition

__all__ = [
    "WorkflowEntry",
    "WorkflowError",
    "load_definition",
    "refused_content_type",
    "state_machine_name",
    "workflow_entries",
]

# Step Functions' limit on a state machine's name.
MAX_NAME = 80
# The media types a workflow route's StartExecution integration has a request template for.
_START_MEDIA_TYPES = frozenset({"application/json"})


class WorkflowError(ChaliceError):
    """A workflow cannot be read or is not valid ASL; the message names it and its states."""


@dataclass(frozen=True)
class WorkflowEntry:
    """One workflow: its ASL (Task states as "function:<app function>"), the functions its
    Tasks call, and what starts it."""

    name: str
    definition: dict[str, Any]
    functions: list[str]
    schedule: str | None = None  # a schedule expression: rate(...) or cron(...)
    event_pattern: dict[str, Any] | None = None


def state_machine_name(app_name: str, stage: str, workflow: str) -> str:
    """'<app>-<stage>-<workflow>', everywhere a workflow becomes a state machine (templates,
    the local cloud); a name over Step Functions' 80 characters keeps its first 71 and eight
    hex digits of a hash of the whole (stable, and still unique)."""
    import hashlib

    name = f"{app_name}-{stage}-{workflow}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(json.dumps(name).encode()).hexdigest()[:8].upper()
    return f"{name[:71]}-{digest}"


def refused_content_type(content_type: str | None) -> bool:
    """Whether API Gateway's StartExecution integration (a route with workflow=) answers
    415: it has only an application/json request template and passthroughBehavior NEVER, so
    another Content-Type is refused (a browser's cross-site text/plain form POST starts
    nothing), and a request without one is taken as application/json."""
    from .._core._response import media_type_in

    return bool(content_type) and not media_type_in(content_type or "", _START_MEDIA_TYPES)


def workflow_entries(app: Any, functions: list[str], project_dir: Path) -> list[WorkflowEntry]:
    """Every workflow `app` declares, checked; WorkflowError listing all problems if any."""
    entries, problems = [], []
    for declaration in getattr(app, "workflows", {}).values():
        try:
            definition = load_definition(declaration.definition, project_dir)
        except WorkflowError as error:
            problems.append(f"workflow {declaration.name!r}: {error}")
            continue
        checked = check_definition(definition, set(functions), declaration.function_prefix)
        problems += [f"workflow {declaration.name!r}: {p}" for p in checked.problems]
        entries.append(
            WorkflowEntry(
                declaration.name,
                checked.definition,
                checked.functions,
                _expression(declaration.schedule),
                declaration.event_pattern,
            )
        )
    if problems:
        raise WorkflowError("\n".join(problems))
    return entries


def load_definition(definition: Any, project_dir: Path) -> Any:
    """The ASL of a declaration: a dict as given, a builder's to_asl(), or a file's."""
    if hasattr(definition, "to_asl"):
        return definition.to_asl()
    if isinstance(definition, (str, Path)):
        return _read_file(Path(definition), project_dir)
    if isinstance(definition, dict):
        return definition
    raise WorkflowError(
        f"the definition must be an ASL dict, a chalicelike.workflows Workflow or a path to "
        f"an .asl.json/.asl.yaml file, not {type(definition).__name__}"
    )


def _read_file(path: Path, project_dir: Path) -> Any:
    root = project_dir.resolve()
    full = (root / path).resolve()
    if not full.is_relative_to(root):  # what is deployed comes from the project only
        raise WorkflowError(f"{path} is outside the project ({root})")
    try:
        text = full.read_text(encoding="utf-8")
    except OSError as error:
        raise WorkflowError(f"cannot read {full}: {error.strerror or error}") from None
    if full.suffix in (".yaml", ".yml"):
        return _yaml(text, full)
    try:
        return json.loads(text)
    except ValueError as error:
        raise WorkflowError(f"{full} is not valid JSON: {error}") from None


def _yaml(text: str, path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        raise WorkflowError(
            f"{path}: reading YAML needs PyYAML (pip install pyyaml), or write it as .asl.json"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise WorkflowError(f"{path} is not valid YAML: {error}") from None


def _expression(schedule: Any) -> str | None:
    if schedule is None:
        return None
    return str(schedule.to_string() if hasattr(schedule, "to_string") else schedule)
