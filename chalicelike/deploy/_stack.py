"""The stage's CloudFormation stack: a change set made, shown (added / modified / removed),
executed, its events streamed while it runs; a failure named by its first failing resource.

CloudFormation rolls a failed update back itself; a failed first create leaves a stack in
ROLLBACK_COMPLETE that can only be deleted, which the next deploy does before creating.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._session import AwsSession, DeployError, aws_error, aws_reason

__all__ = [
    "Say",
    "StackRun",
    "apply_template",
    "delete_stack",
    "deployed_template",
    "describe_stack",
    "settle",
]

Say = Callable[[str], None]

_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
_FAILED = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
    "DELETE_FAILED",
}
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass
class StackRun:
    """How one `apply_template` went."""

    changed: bool
    changes: list[str]
    removed_types: frozenset[str] = frozenset()  # resource types the change set removed


def describe_stack(session: AwsSession, name: str) -> dict[str, Any] | None:
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except Exception as error:
        if "does not exist" in (aws_error(error) or {}).get("Message", ""):
            return None
        raise
    stack: dict[str, Any] = stacks[0]
    return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack


def deployed_template(session: AwsSession, name: str) -> dict[str, Any]:
    body = session.client("cloudformation").get_template(StackName=name)["TemplateBody"]
    # boto3 hands a JSON body back parsed; a YAML one (made by hand) as text.
    template: dict[str, Any] = json.loads(body) if isinstance(body, str) else dict(body)
    plain: dict[str, Any] = json.loads(json.dumps(template))  # plain dicts, for comparing
    return plain


def apply_template(
    session: AwsSession,
    name: str,
    template: dict[str, Any] | str,
    parameters: dict[str, str],
    tags: dict[str, str],
    say: Say,
    progress: Say,
) -> StackRun:
    """Create or update stack `name` through a change set; `template` is the body or the
    S3 URL it was uploaded to."""
    cfn = session.client("cloudformation")
    stack = settle(session, name, progress)
    kind = "UPDATE" if stack and stack["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    source = (
        {"TemplateURL": template}
        if isinstance(template, str)
        else {"TemplateBody": json.dumps(template, separators=(",", ":"))}
    )
    change_set = cfn.create_change_set(
        StackName=name,
        ChangeSetName=f"chalicelike-{int(time.time() * 1000)}",
        ChangeSetType=kind,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=_CAPABILITIES,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        **source,
    )["Id"]
    described = _wait_change_set(session, change_set)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        cfn.delete_change_set(ChangeSetName=change_set, StackName=name)
        if any(text in reason for text in _NO_CHANGES):
            return StackRun(changed=False, changes=[])
        raise DeployError(f"CloudFormation refused the change set: {reason}")
    changes = [_change_line(change["ResourceChange"]) for change in described["Changes"]]
    removed = frozenset(
        change["ResourceChange"]["ResourceType"]
        for change in described["Changes"]
        if change["ResourceChange"]["Action"] == "Remove"
    )
    for line in changes:
        say(line)
    started = datetime.now().astimezone()
    try:
        cfn.execute_change_set(ChangeSetName=change_set, StackName=name)
    except Exception as error:  # botocore's errors have no common base with its parser's
        if isinstance(error, DeployError):
            raise
        raise DeployError(
            f"stack {name}: the change set failed: {aws_reason(error)}"
            + _failed_resource(session, name, started)
        ) from None
    _follow(session, name, started, say, progress)
    return StackRun(changed=True, changes=changes, removed_types=removed)


def _change_line(change: dict[str, Any]) -> str:
    mark = {"Add": "+", "Modify": "~", "Remove": "-"}.get(change["Action"], "?")
    replaced = " (replaced)" if change.get("Replacement") == "True" else ""
    return f"  {mark} {change['LogicalResourceId']} ({change['ResourceType']}){replaced}"


def _wait_change_set(session: AwsSession, change_set: str) -> dict[str, Any]:
    cfn = session.client("cloudformation")
    for delay in _delays():
        described: dict[str, Any] = cfn.describe_change_set(ChangeSetName=change_set)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            pages = [described]
            while pages[-1].get("NextToken"):
                pages.append(
                    cfn.describe_change_set(
                        ChangeSetName=change_set, NextToken=pages[-1]["NextToken"]
                    )
                )
            described["Changes"] = [c for page in pages for c in page.get("Changes", [])]
            return described
        time.sleep(delay)
    raise AssertionError("unreachable")


def _delays() -> Any:
    """0.2 s, growing to 2 s: a small stack settles in seconds, a large one in minutes."""
    delay = 0.2
    while True:
        yield delay
        delay = min(delay * 1.5, 2.0)


def settle(session: AwsSession, name: str, progress: Say) -> dict[str, Any] | None:
    """The stack once no operation is running on it; a failed first create deleted."""
    stack = describe_stack(session, name)
    if (
        stack
        and stack["StackStatus"].endswith("_IN_PROGRESS")
        and (stack["StackStatus"] != "REVIEW_IN_PROGRESS")
    ):
        progress(f"waiting for {name}'s running {stack['StackStatus']} to end")
        stack = _wait_idle(session, name)
    if stack and stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(_ROLLBACK_FAILED.format(name=name))
    if stack and stack["StackStatus"] in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        # A create that failed: CloudFormation allows nothing on it but deleting it.
        progress(f"deleting {name}, left by a first deploy that failed")
        delete_stack(session, name, progress)
        return None
    return stack


def _wait_idle(session: AwsSession, name: str) -> dict[str, Any] | None:
    for delay in _delays():
        stack = describe_stack(session, name)
        if stack is None or not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(delay)
    raise AssertionError("unreachable")


def _follow(session: AwsSession, name: str, started: datetime, say: Say, progress: Say) -> None:
    """Print the stack's events until it settles; raise naming the first failure. Off a
    terminal a line a minute says it is still waiting, so CI logs do not look hung."""
    seen: set[str] = set()
    events: list[dict[str, Any]] = []
    begun = time.monotonic()
    next_note = begun + 60
    for delay in _delays():
        stack = describe_stack(session, name)
        fresh = _new_events(session, name, started, seen)
        events += fresh
        for event in fresh:
            progress(_event_line(event))
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        if status in _DONE:
            return
        if status in _FAILED:
            raise DeployError(_failure(name, status, events))
        waited = time.monotonic() - begun
        if status == "REVIEW_IN_PROGRESS" and waited > 60:
            raise DeployError(
                f"stack {name}: CloudFormation has not started the change set after "
                f"{waited:.0f} s (still REVIEW_IN_PROGRESS)"
            )
        if time.monotonic() >= next_note:
            say(f"  still waiting: stack {name} is {status} after {waited:.0f} s")
            next_note += 60
        time.sleep(delay)


def _new_events(
    session: AwsSession, name: str, started: datetime, seen: set[str]
) -> list[dict[str, Any]]:
    cfn = session.client("cloudformation")
    fresh: list[dict[str, Any]] = []
    try:
        pages = cfn.get_paginator("describe_stack_events").paginate(StackName=name)
        for page in pages:
            for event in page["StackEvents"]:  # newest first
                if event["Timestamp"] < started or event["EventId"] in seen:
                    return list(reversed(fresh))
                seen.add(event["EventId"])
                fresh.append(event)
    except Exception:  # a stack deleted under us has no events to read
        pass
    return list(reversed(fresh))


def _failed_resource(session: AwsSession, name: str, started: datetime) -> str:
    """' (first failure: X (Type): reason)' from the stack's events, when it has any."""
    events = _new_events(session, name, started, set())
    failure = _failure(name, "", events)
    return f" ({failure.split(': ', 1)[1]})" if " failed: " in failure else ""


def _event_line(event: dict[str, Any]) -> str:
    reason = f"  {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
    return (
        f"  {event['Timestamp']:%H:%M:%S} {event['ResourceStatus']:<20} "
        f"{event['LogicalResourceId']} ({event['ResourceType']}){reason}"
    )


_ROLLBACK_FAILED = (
    "stack {name} is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll an update back, and "
    "takes no update until it can; fix what its events name, then run `aws cloudformation "
    "continue-update-rollback --stack-name {name}`"
)


def _failure(name: str, status: str, events: list[dict[str, Any]]) -> str:
    said = f"stack {name} ended {status} (see its events in the CloudFormation console)"
    for event in events:  # oldest first: the first failure caused the rest
        reason = event.get("ResourceStatusReason", "")
        if event["ResourceStatus"].endswith("_FAILED") and "cancelled" not in reason:
            said = (
                f"stack {name} ended {status}: {event['LogicalResourceId']} "
                f"({event['ResourceType']}) failed: {reason}"
            )
            break
    if status == "UPDATE_ROLLBACK_FAILED":
        said += "; " + _ROLLBACK_FAILED.format(name=name).split(": ", 1)[1]
    return said


def delete_stack(session: AwsSession, name: str, progress: Say) -> bool:
    """Delete stack `name` and wait; False when there was none."""
    stack = describe_stack(session, name)
    if stack is None:
        return False
    started = datetime.now().astimezone()
    session.client("cloudformation").delete_stack(StackName=name)
    seen: set[str] = set()
    for delay in _delays():
        for event in _new_events(session, name, started, seen):
            progress(_event_line(event))
        stack = describe_stack(session, name)
        if stack is None:
            return True
        if stack["StackStatus"] == "DELETE_FAILED":
            raise DeployError(
                f"stack {name} could not be deleted: {stack.get('StackStatusReason', '')}"
            )
        time.sleep(delay)
    raise AssertionError("unreachable")
