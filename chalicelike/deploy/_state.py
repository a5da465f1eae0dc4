"""What AWS holds for a stage, read once at the start of a deploy and in parallel with the
packaging: the stack, its template and resources, each function's code and update state,
and the next release number. A code-only deploy decides from this alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._aliases import each, function_listing
from ._session import AwsSession, aws_error
from ._stack import deployed_template, describe_stack

__all__ = ["FunctionState", "StackState", "read_state"]

FUNCTION = "AWS::Lambda::Function"


@dataclass(frozen=True)
class FunctionState:
    code_sha256: str
    updating: bool  # Lambda refuses a publish or another update until this one ends
    highest_release: int


@dataclass
class StackState:
    name: str
    stack: dict[str, Any] | None = None
    template: dict[str, Any] | None = None
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> physical id
    functions: dict[str, FunctionState] = field(default_factory=dict)  # by deployed name

    @property
    def settled(self) -> bool:
        """Idle after a create or update that held (a rolled-back one left the old template)."""
        status = self.stack["StackStatus"] if self.stack else ""
        return status.endswith("_COMPLETE") and not status.startswith(("DELETE", "REVIEW"))

    @property
    def next_release(self) -> int:
        return max((f.highest_release for f in self.functions.values()), default=0) + 1

    def function_names(self, logical_ids: list[str]) -> dict[str, str]:
        return {f: self.physical[f] for f in logical_ids if f in self.physical}


def read_state(session: AwsSession, name: str, with_functions: bool = True) -> StackState:
    """The stage's stack; with `with_functions`, each function's code and releases too (what a
    deploy decides on; after an update only the stack's resources are needed)."""
    state = StackState(name, describe_stack(session, name))
    if state.stack is None:
        return state
    state.template = deployed_template(session, name)
    pages = session.client("cloudformation").get_paginator("list_stack_resources")
    functions: list[str] = []
    for page in pages.paginate(StackName=name):
        for resource in page["StackResourceSummaries"]:
            physical = resource.get("PhysicalResourceId")
            if physical:
                state.physical[resource["LogicalResourceId"]] = physical
                if resource["ResourceType"] == FUNCTION:
                    functions.append(physical)
    if with_functions:
        found = each(lambda function: _function_state(session, function), functions)
        state.functions = {f: s for f, s in zip(functions, found, strict=True) if s is not None}
    return state


def _function_state(session: AwsSession, function: str) -> FunctionState | None:
    try:
        # One listing: $LATEST's code hash beside the versions. Its update state is not in
        # the list's subset where AWS leaves it out; a conflict then waits (`when_idle`).
        latest, versions = function_listing(session, function)
    except Exception as error:
        if aws_error(error) is None:
            raise
        return None  # listed by a stack that is mid-update: not there any more
    if not latest:
        return None
    session.learn_account(latest["FunctionArn"])
    return FunctionState(
        code_sha256=latest["CodeSha256"],
        updating=latest.get("LastUpdateStatus") == "InProgress",
        highest_release=max((v.release or 0 for v in versions), default=0),
    )
