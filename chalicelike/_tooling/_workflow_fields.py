"""The fields of each ASL state checked as CreateStateMachine checks them: which fields its
type takes, a Wait's one duration, Choice rules (a path and one known comparison, or And /
Or / Not of rules), Retry numbers, and the intrinsic functions a `.$` value may call. Each
problem names the state; `_workflow_check` walks the machine and calls these."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["check_choice_rules", "check_intrinsic", "check_retry_numbers", "check_state_fields"]

_IO = {"InputPath", "OutputPath", "Assign", "Output"}
_RESULT = {"ResultPath", "ResultSelector", "Parameters", "Arguments"}
_FLOW = {"Next", "End"}
_ERRORS = {"Retry", "Catch"}
# The fields each type takes (Amazon States Language; JSONPath and JSONata fields both).
FIELDS: dict[str, set[str]] = {
    "Task": _IO | _RESULT | _FLOW | _ERRORS | {
        "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
        "HeartbeatSecondsPath", "Credentials",
    },
    "Choice": _IO | {"Choices", "Default"},
    "Parallel": _IO | _RESULT | _FLOW | _ERRORS | {"Branches"},
    "Map": _IO | _RESULT | _FLOW | _ERRORS | {
        "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader",
        "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "Label",
        "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
        "ToleratedFailureCount", "ToleratedFailureCountPath",
    },
    "Wait": _IO | _FLOW | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Pass": _IO | _FLOW | {"Result", "ResultPath", "Parameters"},
    "Succeed": {"InputPath", "OutputPath", "Output"},
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
}  # fmt: skip
_COMMON = {"Type", "Comment", "QueryLanguage"}
_WAIT = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
_COMPARISONS = frozenset(
    f"{kind}{test}{suffix}"
    for kind, tests in (
        ("String", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Numeric", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Timestamp", ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")),
        ("Boolean", ("Equals",)),
    )
    for test in tests
    for suffix in ("", "Path")
) | {"StringMatches", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}
_INTRINSICS = frozenset(
    {
        "Format", "StringToJson", "JsonToString", "Array", "ArrayPartition", "ArrayContains",
        "ArrayRange", "ArrayGetItem", "ArrayLength", "ArrayUnique", "Base64Encode",
        "Base64Decode", "Hash", "JsonMerge", "MathRandom", "MathAdd", "StringSplit", "UUID",
    }
)  # fmt: skip
_CALLED = re.compile(r"States\.([A-Za-z0-9]+)\(")


def check_state_fields(state: dict[str, Any], label: str, problems: list[str]) -> None:
    kind = state["Type"]
    unknown = sorted(set(state) - FIELDS[kind] - _COMMON)
    if unknown:
        problems.append(
            f"{label}: {', '.join(map(repr, unknown))} is not a field of a {kind} state "
            f"({', '.join(sorted(FIELDS[kind]))})"
        )
    if kind == "Wait" and sum(name in state for name in _WAIT) != 1:
        problems.append(f"{label}: a Wait needs exactly one of {', '.join(_WAIT)}")


def check_choice_rules(
    rules: list[Any], label: str, problems: list[str], is_path: Any, top: bool = True
) -> None:
    """Each rule: Variable (a path) and one comparison, or And/Or (lists of rules) or Not (a
    rule); only the top-level rules have a Next. `is_path` tells a JSONPath."""
    for index, rule in enumerate(rules):
        where = f"{label}: choice {index}" if top else f"{label}"
        if not isinstance(rule, dict):
            problems.append(f"{where}: not an object")
            continue
        if not top and "Next" in rule:
            problems.append(f"{where}: a rule inside And/Or/Not has no Next")
        combined = [name for name in ("And", "Or", "Not") if name in rule]
        if combined:
            inner = rule[combined[0]]
            inner_rules = [inner] if combined[0] == "Not" else inner
            if not isinstance(inner_rules, list) or not inner_rules:
                problems.append(f"{where}: {combined[0]} needs rules")
                continue
            check_choice_rules(inner_rules, f"{where} {combined[0]}", problems, is_path, False)
            continue
        variable = rule.get("Variable")
        if not isinstance(variable, str) or not is_path(variable):
            problems.append(f"{where}: Variable {variable!r} is not a JSONPath ($.field)")
        tests = [name for name in rule if name not in ("Variable", "Next", "Comment")]
        if len(tests) != 1 or tests[0] not in _COMPARISONS:
            problems.append(
                f"{where}: needs one comparison (StringEquals, NumericGreaterThan, IsPresent, "
                f"...), not {', '.join(map(repr, tests)) or 'none'}"
            )
        elif tests[0].endswith("Path") and not (
            isinstance(rule[tests[0]], str) and is_path(rule[tests[0]])
        ):
            problems.append(f"{where}: {tests[0]} {rule[tests[0]]!r} is not a JSONPath")


def check_retry_numbers(rule: dict[str, Any], where: str, problems: list[str]) -> None:
    """Step Functions' bounds: MaxAttempts >= 0, IntervalSeconds and MaxDelaySeconds >= 1,
    BackoffRate >= 1.0, JitterStrategy FULL or NONE."""
    bounds = {"MaxAttempts": 0, "IntervalSeconds": 1, "MaxDelaySeconds": 1}
    for name, lowest in bounds.items():
        value = rule.get(name)
        if value is not None and (type(value) is not int or value < lowest):
            problems.append(f"{where}: {name} must be a whole number >= {lowest}, not {value!r}")
    rate = rule.get("BackoffRate")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1
    ):
        problems.append(f"{where}: BackoffRate must be a number >= 1.0, not {rate!r}")
    if rule.get("JitterStrategy", "FULL") not in ("FULL", "NONE"):
        problems.append(f"{where}: JitterStrategy must be FULL or NONE")


def check_intrinsic(text: str, where: str, problems: list[str]) -> None:
    for name in _CALLED.findall(text):
        if name not in _INTRINSICS:
            problems.append(
                f"{where}: States.{name} is not an intrinsic function (States.Format, "
                "States.StringToJson, States.Array, ...)"
            )
