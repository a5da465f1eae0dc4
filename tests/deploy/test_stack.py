"""How a stack's change set and events are told: the change lines, and the first failure
named from CloudFormation's events (AWS's documented event shape; moto keeps no events)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelike.deploy._stack import _change_line, _failure


def _event(logical: str, status: str, reason: str = "") -> dict[str, Any]:
    return {
        "EventId": f"{logical}-{status}",
        "LogicalResourceId": logical,
        "ResourceType": "AWS::Lambda::EventSourceMapping",
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
        "Timestamp": datetime(2026, 12, 6, tzinfo=timezone.utc),
    }


def test_the_first_failure_is_named_not_the_cancellations_after_it() -> None:
    events = [
        _event("Queue", "CREATE_IN_PROGRESS"),
        _event("Mapping", "CREATE_FAILED", "Invalid EventSourceArn"),
        _event("Other", "CREATE_FAILED", "Resource creation cancelled"),
        _event("Stack", "UPDATE_ROLLBACK_COMPLETE"),
    ]
    assert _failure("shop-dev", "UPDATE_ROLLBACK_COMPLETE", events) == (
        "stack shop-dev ended UPDATE_ROLLBACK_COMPLETE: Mapping "
        "(AWS::Lambda::EventSourceMapping) failed: Invalid EventSourceArn"
    )


def test_a_failed_rollback_says_how_to_go_on() -> None:
    said = _failure("shop-dev", "UPDATE_ROLLBACK_FAILED", [])
    assert "continue-update-rollback --stack-name shop-dev" in said


def test_change_lines_mark_added_modified_removed_and_replaced() -> None:
    lines = [
        _change_line({"Action": action, "LogicalResourceId": "Fn", "ResourceType": "T", **extra})
        for action, extra in (
            ("Add", {}),
            ("Modify", {"Replacement": "True"}),
            ("Remove", {}),
        )
    ]
    assert lines == ["  + Fn (T)", "  ~ Fn (T) (replaced)", "  - Fn (T)"]
