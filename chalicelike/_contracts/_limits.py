"""The limits `Annotated` metadata puts on a value (gt, ge, lt, le, multiple_of, min_length,
max_length, pattern), read from our markers, annotated-types' or pydantic's objects alike,
and checked after the value's own type with pydantic's messages."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from typing import Any

from ._values import INVALID, Check, FieldError, Loc

__all__ = ["limited", "limits_of"]

_LIMIT_NAMES = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")


def limits_of(metadata: tuple[Any, ...]) -> dict[str, Any]:
    """The limits named by Annotated metadata (our markers, annotated-types, FieldInfo)."""
    found: dict[str, Any] = {}
    for item in metadata:
        for name in _LIMIT_NAMES:
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
        for nested in getattr(item, "metadata", ()) or ():  # pydantic FieldInfo keeps them here
            found.update(limits_of((nested,)))
    return found


def limited(check: Check, limits: dict[str, Any]) -> Check:
    tests = _limit_tests(limits)

    def check_limited(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        result = check(value, loc, errors)
        if result is INVALID:
            return result
        for test in tests:
            failure = test(result)
            if failure is not None:
                errors.append(FieldError(loc, *failure))
                return INVALID
        return result

    return check_limited


LimitTest = Callable[[Any], "tuple[str, str] | None"]


def _limit_tests(limits: dict[str, Any]) -> list[LimitTest]:
    tests: list[LimitTest] = []
    bounds = (
        ("gt", lambda v, b: v > b, "greater than", "greater_than"),
        ("ge", lambda v, b: v >= b, "greater than or equal to", "greater_than_equal"),
        ("lt", lambda v, b: v < b, "less than", "less_than"),
        ("le", lambda v, b: v <= b, "less than or equal to", "less_than_equal"),
    )
    for name, holds, words, error_type in bounds:
        if name in limits:
            tests.append(_bound(limits[name], holds, words, error_type))
    if "multiple_of" in limits:
        step = limits["multiple_of"]
        tests.append(
            lambda v: (
                None
                if not isinstance(v, (int, float, decimal.Decimal)) or v % step == 0
                else (f"Input should be a multiple of {step}", "multiple_of")
            )
        )
    if "min_length" in limits or "max_length" in limits:
        tests.append(_length(limits.get("min_length"), limits.get("max_length")))
    if "pattern" in limits:
        pattern = re.compile(limits["pattern"])
        tests.append(
            lambda v: (
                None
                if not isinstance(v, str) or pattern.search(v)
                else (f"String should match pattern '{pattern.pattern}'", "string_pattern_mismatch")
            )
        )
    return tests


def _bound(bound: Any, holds: Callable[[Any, Any], bool], words: str, error_type: str) -> LimitTest:
    def test(value: Any) -> tuple[str, str] | None:
        if isinstance(value, (int, float, decimal.Decimal)) and not holds(value, bound):
            return f"Input should be {words} {bound}", error_type
        return None

    return test


def _length(shortest: int | None, longest: int | None) -> LimitTest:
    def test(value: Any) -> tuple[str, str] | None:
        if not hasattr(value, "__len__"):
            return None
        size = len(value)
        text = isinstance(value, str)
        noun, unit = ("String", "character") if text else ("Value", "item")
        prefix = "string_" if text else ""
        if shortest is not None and size < shortest:
            plural = "s" if shortest != 1 else ""
            return f"{noun} should have at least {shortest} {unit}{plural}", f"{prefix}too_short"
        if longest is not None and size > longest:
            plural = "s" if longest != 1 else ""
            return f"{noun} should have at most {longest} {unit}{plural}", f"{prefix}too_long"
        return None

    return test
