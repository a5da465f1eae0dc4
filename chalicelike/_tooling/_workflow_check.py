"""Amazon States Language checked as the app loads, each problem naming its state: types and
their fields, StartAt and every Next (missing, dangling), unreachable states, a machine with
no way to end, JSONPaths, Retry/Catch error names, and Task states naming functions the app
does not have. Task references are made uniform on the way: `"function:NAME"` in Resource,
or in the lambda:invoke integration's FunctionName, names the app's function NAME."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._workflow_fields import (
    check_choice_rules,
    check_intrinsic,
    check_retry_numbers,
    check_state_fields,
)

__all__ = [
    "FUNCTION_PREFIX",
    "LAMBDA_INVOKE",
    "CheckedWorkflow",
    "all_states",
    "check_definition",
    "with_function_arns",
]

FUNCTION_PREFIX = "function:"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# Step Functions' own integrations, as ASL names them in AWS's main partition.
_STATES_INTEGRATION = "arn:aws:states:::"
_TYPES = frozenset({"Task", "Choice", "Parallel", "Map", "Wait", "Pass", "Succeed", "Fail"})
_TERMINAL = frozenset({"Succeed", "Fail"})
# The errors Step Functions itself names (a name outside "States." is the task's own).
_STATES_ERRORS = frozenset(
    {
        "States.ALL",
        "States.DataLimitExceeded",
        "States.ExceedToleratedFailureThreshold",
        "States.HeartbeatTimeout",
        "States.IntrinsicFailure",
        "States.ItemReaderFailed",
        "States.NoChoiceMatched",
        "States.ParameterPathFailure",
        "States.Permissions",
        "States.QueryEvaluationError",
        "States.ResultPathMatchFailure",
        "States.ResultWriterFailed",
        "States.Runtime",
        "States.TaskFailed",
        "States.Timeout",
        "States.BranchFailed",
    }
)
_PATH_FIELDS = ("InputPath", "OutputPath", "ResultPath", "ItemsPath")
# A reference path (ResultPath): $ or $$, then .name, ['name'] or [index] steps; other paths
# may also scan deep ($..name). Filters and wildcards are allowed inside [].
_REFERENCE_PATH = re.compile(r"^\$\$?((\.[^.\[\]\s]+)|(\[[^\[\]]+\]))*$")
_PATH = re.compile(r"^\$\$?((\.\.?[^.\[\]\s]+)|(\.\.)?(\[[^\[\]]+\]))*$")
_INTRINSIC = re.compile(r"^States\.[A-Za-z0-9]+\(.*\)$", re.S)


@dataclass
class CheckedWorkflow:
    definition: dict[str, Any]  # Task references made "function:<app function name>"
    functions: list[str] = field(default_factory=list)  # the app functions its Tasks call
    problems: list[str] = field(default_factory=list)


def with_function_arns(machine: Any, arn_of: Callable[[str], str], partition: str = "") -> Any:
    """A copy of `machine` whose Tasks name `arn_of(name)` instead of "function:NAME" (Step
    Functions accepts only ARNs): a Task's Resource, or the FunctionName of a lambda:invoke
    integration (.waitForTaskToken included), nested machines of Parallel and Map too. With
    `partition`, Step Functions' own integrations' ARNs are written in it (aws-cn and
    aws-us-gov refuse "arn:aws:states:::...")."""
    if not isinstance(machine, dict):
        return machine
    states = {}
    for state_name, state in machine.get("States", {}).items():
        state = dict(state)
        resource = state.get("Resource")
        if isinstance(resource, str) and resource.startswith(FUNCTION_PREFIX):
            state["Resource"] = arn_of(resource[len(FUNCTION_PREFIX) :])
        elif (
            isinstance(resource, str)
            and resource.startswith(LAMBDA_INVOKE)
            and isinstance(state.get("Parameters"), dict)
        ):
            parameters = state["Parameters"] = dict(state["Parameters"])
            target = parameters.get("FunctionName")
            if isinstance(target, str) and target.startswith(FUNCTION_PREFIX):
                parameters["FunctionName"] = arn_of(target[len(FUNCTION_PREFIX) :])
        if partition and isinstance(resource, str) and resource.startswith(_STATES_INTEGRATION):
            state["Resource"] = f"arn:{partition}:states:::{resource[len(_STATES_INTEGRATION) :]}"
        if isinstance(state.get("Branches"), list):
            state["Branches"] = [
                with_function_arns(b, arn_of, partition) for b in state["Branches"]
            ]
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                state[key] = with_function_arns(state[key], arn_of, partition)
        states[state_name] = state
    return {**machine, "States": states}


def check_definition(
    definition: Any, functions: set[str], function_prefix: str = ""
) -> CheckedWorkflow:
    """`definition` checked against the app's function names; a blueprint's workflow
    (`function_prefix`) names its own functions first."""
    import copy

    definition = copy.deepcopy(definition)  # references are rewritten in the copy
    checked = CheckedWorkflow(definition if isinstance(definition, dict) else {})
    if not isinstance(definition, dict):
        checked.problems.append("the definition is not a JSON object")
        return checked
    if _uses_jsonata(definition):
        checked.problems.append(
            "QueryLanguage JSONata: the local interpreter and the test client run JSONPath "
            "workflows only; write this one with JSONPath (InputPath, Parameters, ...)"
        )
        return checked
    _check_machine(definition, "", checked, functions, function_prefix)
    _check_unique_names(definition, checked.problems)
    return checked


def _uses_jsonata(machine: dict[str, Any]) -> bool:
    """QueryLanguage JSONata on the machine or on any state of it."""
    return '"QueryLanguage": "JSONata"' in json.dumps(machine)


def all_states(machine: Any) -> list[tuple[str, Any]]:
    """(name, state) of a machine and of its Parallel branches and Map processors, in
    definition order (a state that is not an object is listed, and not entered)."""
    states = machine.get("States") if isinstance(machine, dict) else None
    found: list[tuple[str, Any]] = []
    for name, state in states.items() if isinstance(states, dict) else ():
        found.append((name, state))
        if isinstance(state, dict):
            for branch in state.get("Branches") or []:
                found += all_states(branch)
            found += all_states(state.get("ItemProcessor") or state.get("Iterator"))
    return found


def _check_unique_names(machine: dict[str, Any], problems: list[str]) -> None:
    """A state's name is unique in the whole machine, branches and item processors too."""
    seen: set[str] = set()
    for name, _ in all_states(machine):
        if name in seen:
            problems.append(
                f"state {name!r}: the name is used twice (names are unique in "
                "the whole machine, branches and Map processors included)"
            )
        seen.add(name)


def _check_machine(
    machine: dict[str, Any],
    where: str,
    checked: CheckedWorkflow,
    functions: set[str],
    prefix: str,
) -> None:
    problems = checked.problems
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        problems.append(f"{where}States must be an object naming at least one state")
        return
    start = machine.get("StartAt")
    if start not in states:
        problems.append(f"{where}StartAt {start!r} is not a state (states: {_names(states)})")
    for name, state in states.items():
        label = f"{where}state {name!r}"
        if not isinstance(state, dict):
            problems.append(f"{label}: not an object")
            continue
        kind = state.get("Type")
        if kind not in _TYPES:
            problems.append(f"{label}: Type {kind!r} is not one of {', '.join(sorted(_TYPES))}")
            continue
        for target in _successors(state, label, problems):
            if target not in states:
                problems.append(f"{label}: Next {target!r} is not a state ({_names(states)})")
        check_state_fields(state, label, problems)
        if kind == "Choice" and isinstance(state.get("Choices"), list):
            check_choice_rules(state["Choices"], label, problems, _is_path)
        _check_paths(state, label, problems)
        _check_errors(state, label, problems)
        if kind == "Task":
            _check_task(state, label, checked, functions, prefix)
        elif kind == "Parallel":
            branches = state.get("Branches")
            if not isinstance(branches, list) or not branches:
                problems.append(f"{label}: Branches must be a non-empty list")
            for index, branch in enumerate(branches or []):
                if isinstance(branch, dict):
                    inner = f"{label} branch {index}: "
                    _check_machine(branch, inner, checked, functions, prefix)
                else:
                    problems.append(f"{label} branch {index}: not an object")
        elif kind == "Map":
            inner_machine = state.get("ItemProcessor") or state.get("Iterator")
            if isinstance(inner_machine, dict):
                _check_machine(inner_machine, f"{label} items: ", checked, functions, prefix)
            else:
                problems.append(f"{label}: a Map needs an ItemProcessor (or Iterator)")
    if isinstance(start, str) and start in states:
        _check_reach(states, start, where, problems)


def _names(states: dict[str, Any]) -> str:
    return ", ".join(repr(name) for name in states)


def _successors(state: dict[str, Any], label: str, problems: list[str]) -> list[str]:
    """The states this one may go to, with problems of its Next/End/Choices shape."""
    kind = state["Type"]
    found: list[str] = []
    if kind == "Choice":
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            problems.append(f"{label}: a Choice needs a non-empty Choices list")
        for index, rule in enumerate(choices or []):
            target = rule.get("Next") if isinstance(rule, dict) else None
            if not isinstance(target, str):
                problems.append(f"{label}: choice {index} has no Next")
            else:
                found.append(target)
        if "Default" in state:
            found.append(str(state["Default"]))
        if "End" in state or "Next" in state:
            problems.append(f"{label}: a Choice goes on by its Choices and Default, not Next/End")
    elif kind in _TERMINAL:
        if "Next" in state or "End" in state:
            problems.append(f"{label}: a {kind} state ends the execution: no Next or End")
    else:
        has_next, ends = "Next" in state, state.get("End") is True
        if has_next == ends:
            problems.append(f'{label}: needs exactly one of Next and "End": true')
        if has_next:
            found.append(str(state["Next"]))
    for catcher in state.get("Catch") or []:
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            found.append(catcher["Next"])
        else:
            problems.append(f"{label}: each Catch needs a Next")
    return found


def _check_reach(states: dict[str, Any], start: str, where: str, problems: list[str]) -> None:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states or not isinstance(states[name], dict):
            continue
        seen.add(name)
        todo += _successors(states[name], "", [])
    for name in states:
        if name not in seen:
            problems.append(f"{where}state {name!r}: unreachable from StartAt {start!r}")
    ends = [
        name
        for name in seen
        if isinstance(states[name], dict)
        and (states[name].get("Type") in _TERMINAL or states[name].get("End") is True)
    ]
    if not ends:
        problems.append(f"{where}no state ends the execution (no End, Succeed or Fail)")


def _check_paths(state: dict[str, Any], label: str, problems: list[str]) -> None:
    for name in _PATH_FIELDS:
        value = state.get(name)
        if value is None:  # null: the input discarded (ResultPath: the input kept)
            continue
        pattern = _REFERENCE_PATH if name == "ResultPath" else _PATH
        if not isinstance(value, str) or not pattern.match(value):
            problems.append(f"{label}: {name} {value!r} is not a JSONPath ($, $.field, $[0])")
    for name in ("Parameters", "ResultSelector", "ItemSelector"):
        _check_templates(state.get(name), f"{label}: {name}", problems)


def _check_templates(value: Any, where: str, problems: list[str]) -> None:
    """Keys ending in '.$' take a path or an intrinsic function, in any nesting."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(key, str) and key.endswith(".$"):
                ok = isinstance(inner, str) and (_PATH.match(inner) or _INTRINSIC.match(inner))
                if not ok:
                    problems.append(f"{where}.{key} {inner!r} is not a JSONPath or States.*()")
                elif _INTRINSIC.match(inner):
                    check_intrinsic(inner, f"{where}.{key}", problems)
            else:
                _check_templates(inner, f"{where}.{key}", problems)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_templates(inner, f"{where}[{index}]", problems)


def _check_errors(state: dict[str, Any], label: str, problems: list[str]) -> None:
    for field_name in ("Retry", "Catch"):
        rules = state.get(field_name)
        if rules is None:
            continue
        if not isinstance(rules, list):
            problems.append(f"{label}: {field_name} must be a list")
            continue
        for index, rule in enumerate(rules):
            names = rule.get("ErrorEquals") if isinstance(rule, dict) else None
            where = f"{label}: {field_name}[{index}]"
            if not isinstance(names, list) or not names:
                problems.append(f"{where} needs a non-empty ErrorEquals list")
                continue
            for name in names:
                if (
                    isinstance(name, str)
                    and name.startswith("States.")
                    and name not in (_STATES_ERRORS)
                ):
                    problems.append(
                        f"{where}: {name!r} is not an error Step Functions raises "
                        f"(States.ALL, States.TaskFailed, States.Timeout, ...)"
                    )
            if "States.ALL" in names and (len(names) > 1 or index != len(rules) - 1):
                problems.append(f"{where}: States.ALL must be alone, in the last rule")
            if field_name == "Retry":
                check_retry_numbers(rule, where, problems)


def _check_task(
    state: dict[str, Any],
    label: str,
    checked: CheckedWorkflow,
    functions: set[str],
    prefix: str,
) -> None:
    resource = state.get("Resource")
    if not isinstance(resource, str) or not resource:
        checked.problems.append(f"{label}: a Task needs a Resource")
        return
    parameters = state.get("Parameters")
    if resource.startswith(FUNCTION_PREFIX):
        state["Resource"] = FUNCTION_PREFIX + _function(resource, label, checked, functions, prefix)
    elif resource.startswith(LAMBDA_INVOKE) and isinstance(parameters, dict):
        target = parameters.get("FunctionName")
        if isinstance(target, str) and target.startswith(FUNCTION_PREFIX):
            parameters["FunctionName"] = FUNCTION_PREFIX + _function(
                target, label, checked, functions, prefix
            )
        elif isinstance(target, str) and (target in functions or prefix + target in functions):
            # On AWS a bare name calls a function of that name, not the app's.
            checked.problems.append(
                f"{label}: FunctionName {target!r} is the app's function: write "
                f'"function:{target}" (a bare name is a function of that name on AWS)'
            )


def _function(
    reference: str, label: str, checked: CheckedWorkflow, functions: set[str], prefix: str
) -> str:
    """The app function `reference` ("function:NAME") names: a blueprint's own first."""
    name = reference[len(FUNCTION_PREFIX) :]
    for candidate in (prefix + name, name) if prefix else (name,):
        if candidate in functions:
            if candidate not in checked.functions:
                checked.functions.append(candidate)
            return candidate
    known = ", ".join(sorted(functions - {"api_handler"})) or "none"
    checked.problems.append(f"{label}: {reference!r} names no function of the app ({known})")
    return name


def _is_path(value: str) -> bool:
    return bool(_PATH.match(value))
