"""ASL checked as the app loads: every problem names its state (and its branch), and Task
references to the app's functions are made uniform."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelike._tooling._workflow_check import check_definition
from tests.workflow_support import ORDER_ASL

FUNCTIONS = {"validate", "price", "reserve", "line_total", "charge"}


def problems(definition: Any, functions: set[str] = FUNCTIONS, prefix: str = "") -> list[str]:
    return check_definition(definition, functions, prefix).problems


def with_state(name: str, **fields: Any) -> dict[str, Any]:
    definition = copy.deepcopy(ORDER_ASL)
    definition["States"][name].update(fields)
    return definition


def test_the_order_workflow_is_valid_and_calls_its_functions() -> None:
    checked = check_definition(ORDER_ASL, FUNCTIONS)
    assert checked.problems == []
    assert checked.functions == ["validate", "price", "reserve", "line_total", "charge"]
    assert checked.definition == ORDER_ASL  # nothing to rewrite, and the input untouched


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (with_state("Validate", Next="Rout"), "state 'Validate': Next 'Rout' is not a state"),
        (
            with_state("Validate", Resource="function:validat"),
            "state 'Validate': 'function:validat' names no function of the app (charge, ",
        ),
        (
            with_state("Validate", End=True),
            "state 'Validate': needs exactly one of Next and \"End\": true",
        ),
        (with_state("Validate", Type="Job"), "state 'Validate': Type 'Job' is not one of"),
        (with_state("Validate", InputPath="items"), "state 'Validate': InputPath 'items' is not"),
        (
            with_state("Validate", Parameters={"order.$": "$..[bad"}),
            "state 'Validate': Parameters.order.$ '$..[bad' is not a JSONPath",
        ),
        (
            with_state("Charge", Catch=[{"ErrorEquals": ["States.Everything"], "Next": "Route"}]),
            "state 'Charge': Catch[0]: 'States.Everything' is not an error Step Functions raises",
        ),
        (
            with_state(
                "Charge",
                Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Oops"]}],
            ),
            "state 'Charge': Retry[0]: States.ALL must be alone, in the last rule",
        ),
        (with_state("Rejected", Next="Route"), "state 'Rejected': a Fail state ends the"),
        (
            {**ORDER_ASL, "StartAt": "Begin"},
            "StartAt 'Begin' is not a state",
        ),
    ],
)
def test_a_problem_names_its_state(definition: dict[str, Any], expected: str) -> None:
    found = problems(definition)
    assert any(expected in problem for problem in found), found


def test_unreachable_states_and_no_way_to_end_are_named() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "A"},
            "Island": {"Type": "Succeed"},
        },
    }
    assert problems(definition) == [
        "state 'Island': unreachable from StartAt 'A'",
        "no state ends the execution (no End, Succeed or Fail)",
    ]


def test_a_branch_and_a_map_are_checked_inside() -> None:
    definition = copy.deepcopy(ORDER_ASL)
    reserve = definition["States"]["Prepare"]["Branches"][1]["States"]["Reserve"]
    reserve["Parameters"]["FunctionName"] = "function:nope"
    definition["States"]["Totals"]["ItemProcessor"]["States"]["LineTotal"]["Next"] = "Gone"
    found = problems(definition)
    assert (
        "state 'Prepare' branch 1: state 'Reserve': 'function:nope' names no function" in (found[0])
    )
    assert any(
        p.startswith("state 'Totals' items: state 'LineTotal': needs exactly one of Next")
        for p in found
    ), found


def test_a_blueprint_workflow_names_its_own_functions_first() -> None:
    definition = {
        "StartAt": "Go",
        "States": {"Go": {"Type": "Task", "Resource": "function:run", "End": True}},
    }
    checked = check_definition(definition, {"run", "billing_run"}, "billing_")
    assert checked.problems == []
    assert checked.functions == ["billing_run"]
    assert checked.definition["States"]["Go"]["Resource"] == "function:billing_run"
    assert definition["States"]["Go"]["Resource"] == "function:run"  # the given one untouched
    # Not the blueprint's own: the app's.
    assert check_definition(definition, {"run"}, "billing_").functions == ["run"]


def test_other_resources_are_left_as_they_are() -> None:
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                    "Message.$": "$",
                },
                "End": True,
            }
        },
    }
    checked = check_definition(definition, FUNCTIONS)
    assert checked.problems == [] and checked.functions == []


def test_what_is_not_a_machine_says_so() -> None:
    assert problems([]) == ["the definition is not a JSON object"]
    assert problems({"StartAt": "A"}) == ["States must be an object naming at least one state"]
