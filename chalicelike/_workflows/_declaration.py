"""What `app.workflow(name, definition, ...)` keeps: the definition as given (an ASL dict, a
builder's workflow, or a path to an .asl.json/.asl.yaml file in the project) and what starts
it. Nothing is read or checked here: this module is imported on the Lambda path, where the
app only declares; `chalicelike._tooling._workflows` reads and checks when the app is
loaded by the dev server, the packager or the test client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .._core._errors import RegistrationError

__all__ = ["WorkflowDeclaration", "check_workflow_name", "is_step_functions_name"]

# Step Functions' state machine names: 1-80 characters, none of whitespace, brackets,
# wildcards, control characters or " # % \ ^ | ~ ` $ & , ; : / (CreateStateMachine).
_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


@dataclass(frozen=True)
class WorkflowDeclaration:
    name: str
    definition: Any  # dict (ASL), an object with to_asl(), or a project-relative path
    schedule: Any = None  # Rate, Cron or a schedule expression: starts an execution
    event_pattern: dict[str, Any] | None = None  # an EventBridge pattern that starts one
    # A blueprint's name prefix: its Task states name its own functions first.
    function_prefix: str = ""


def is_step_functions_name(name: str) -> bool:
    """A name Step Functions takes for a state machine or an execution."""
    return _NAME.fullmatch(name) is not None  # fullmatch: "$" would let a final "\n" in


def check_workflow_name(name: object) -> str:
    if not isinstance(name, str) or not is_step_functions_name(name):
        raise RegistrationError(
            f"workflow name {name!r}: Step Functions takes 1-80 characters without "
            'whitespace, brackets, wildcards or any of " # % \\ ^ | ~ ` $ & , ; : /'
        )
    return name
