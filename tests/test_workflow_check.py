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


def machine(**states: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


END = {"Type": "Succeed"}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            machine(
                A={
                    "Type": "Choice",
                    "Choices": [{"Variable": "kind", "StringEqual": "book", "Next": "B"}],
                    "Default": "B",
                },
                B=END,
            ),
            [
                "state 'A': choice 0: Variable 'kind' is not a JSONPath ($.field)",
                "state 'A': choice 0: needs one comparison (StringEquals, NumericGreaterThan, "
                "IsPresent, ...), not 'StringEqual'",
            ],
        ),
        (
            machine(A={"Type": "Pass", "ResultPth": "$.x", "End": True}),
            [
                "state 'A': 'ResultPth' is not a field of a Pass state (Assign, End, InputPath, "
                "Next, Output, OutputPath, Parameters, Result, ResultPath)"
            ],
        ),
        (
            machine(A={"Type": "Wait", "End": True}),
            [
                "state 'A': a Wait needs exactly one of Seconds, Timestamp, SecondsPath, "
                "TimestampPath"
            ],
        ),
        (
            machine(
                A={"Type": "Pass", "Parameters": {"x.$": "States.Formatt('{}', $.a)"}, "End": True}
            ),
            [
                "state 'A': Parameters.x.$: States.Formatt is not an intrinsic function "
                "(States.Format, States.StringToJson, States.Array, ...)"
            ],
        ),
        (
            machine(
                A={
                    "Type": "Task",
                    "Resource": "function:validate",
                    "Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1, "BackoffRate": 0.5}],
                    "End": True,
                }
            ),
            [
                "state 'A': Retry[0]: MaxAttempts must be a whole number >= 0, not -1",
                "state 'A': Retry[0]: BackoffRate must be a number >= 1.0, not 0.5",
            ],
        ),
        (
            machine(
                A={
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "validate"},
                    "End": True,
                }
            ),
            [
                "state 'A': FunctionName 'validate' is the app's function: write "
                '"function:validate" (a bare name is a function of that name on AWS)'
            ],
        ),
        (
            machine(A={"Type": "Pass", "ResultPath": "$..b", "End": True}),
            ["state 'A': ResultPath '$..b' is not a JSONPath ($, $.field, $[0])"],
        ),
        (
            machine(A={"Type": "Parallel", "Branches": [machine(A=END)], "End": True}),
            [
                "state 'A': the name is used twice (names are unique in the whole machine, "
                "branches and Map processors included)"
            ],
        ),
        (
            {**machine(A={"Type": "Pass", "End": True}), "QueryLanguage": "JSONata"},
            [
                "QueryLanguage JSONata: the local interpreter and the test client run JSONPath "
                "workflows only; write this one with JSONPath (InputPath, Parameters, ...)"
            ],
        ),
    ],
)
def test_what_create_state_machine_refuses_is_named(
    definition: dict[str, Any], expected: list[str]
) -> None:
    assert problems(definition, {"validate", "api_handler"}) == expected


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Pass", "InputPath": "$..b", "End": True},  # a deep scan: not in ResultPath
        {"Type": "Pass", "ResultPath": None, "End": True},  # null: the input kept
        {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}, "End": True},
        {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.a", "IsPresent": True},
                        {"Not": {"Variable": "$.b", "NumericGreaterThanPath": "$.c"}},
                    ],
                    "Next": "B",
                }
            ],
            "Default": "B",
        },
    ],
)
def test_what_asl_allows_passes(state: dict[str, Any]) -> None:
    assert (
        problems(machine(A=state, B=END) if state["Type"] == "Choice" else machine(A=state)) == []
    )


def test_the_functions_listed_leave_out_the_api_handler() -> None:
    found = problems(
        machine(A={"Type": "Task", "Resource": "function:x", "End": True}), {"api_handler", "a"}
    )
    assert found == ["state 'A': 'function:x' names no function of the app (a)"]
