"""Tests for _events/_schedules.py: Rate, Cron and parse_schedule against EventBridge's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelike._core._errors import RegistrationError
from chalicelike._events._schedules import (
    Cron,
    Rate,
    ScheduleExpression,
    parse_schedule,
)

FIELDS = ("minutes", "hours", "day_of_month", "month", "day_of_week", "year")
ALLOWED = {
    "minutes": "0-59 and the wildcards , - * /",
    "hours": "0-23 and the wildcards , - * /",
    "day_of_month": "1-31 and the wildcards , - * ? / L W",
    "month": "1-12 (or JAN-DEC) and the wildcards , - * /",
    "day_of_week": "1-7 (or SUN-SAT) and the wildcards , - * ? L #",
    "year": "1970-2199 and the wildcards , - * /",
}


def error_of(build: Callable[..., Any], *args: Any) -> str:
    """The message of the RegistrationError `build(*args)` raises."""
    with pytest.raises(RegistrationError) as info:
        build(*args)
    return str(info.value)


def cron_with(field: str, value: str | int) -> list[str | int]:
    """Cron's six arguments for every day at 10:00, with `field` set to `value`.

    Setting one of the day fields puts '?' in the other, so the pair stays valid.
    """
    fields: list[str | int] = ["0", "10", "*", "*", "?", "*"]
    fields[FIELDS.index(field)] = value
    if field == "day_of_week":
        fields[2] = "?"
    return fields


def not_valid(field: str, value: str) -> str:
    return f"Cron {field} {value!r} is not valid; {field} takes {ALLOWED[field]}"


# -- Rate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (5, Rate.MINUTES, "rate(5 minutes)"),
        (2, Rate.HOURS, "rate(2 hours)"),
        (7, Rate.DAYS, "rate(7 days)"),
        (1, Rate.MINUTES, "rate(1 minute)"),
        (1, Rate.HOURS, "rate(1 hour)"),
        (1, Rate.DAYS, "rate(1 day)"),
        (10_000, Rate.MINUTES, "rate(10000 minutes)"),
    ],
)
def test_rate_uses_the_singular_unit_only_for_one(value: int, unit: str, expected: str) -> None:
    assert Rate(value, unit=unit).to_string() == expected


def test_rate_unit_constants_are_chalices() -> None:
    assert (Rate.MINUTES, Rate.HOURS, Rate.DAYS) == ("MINUTES", "HOURS", "DAYS")


@pytest.mark.parametrize("unit", ["MINUTES", "minutes", "Minutes"])
def test_rate_unit_is_kept_as_given_and_written_in_lower_case(unit: str) -> None:
    # Chalice's constants are upper case; its users also write the word itself.
    rate = Rate(5, unit=unit)
    assert (rate.unit, rate.to_string()) == (unit, "rate(5 minutes)")
    assert Rate(1, unit=unit).to_string() == "rate(1 minute)"


@pytest.mark.parametrize("value", [0, -1, 1.5, "5", True, False, None])
def test_rate_value_must_be_a_positive_whole_number(value: Any) -> None:
    assert error_of(Rate, value, Rate.MINUTES) == (
        f"Rate value must be a positive whole number, not {value!r}"
    )


@pytest.mark.parametrize("unit", ["minute", "weeks", "", None, 5])
def test_rate_unit_must_be_one_of_the_constants(unit: Any) -> None:
    assert error_of(Rate, 5, unit) == (
        "Rate unit must be Rate.MINUTES, Rate.HOURS or Rate.DAYS "
        f"('MINUTES', 'HOURS', 'DAYS'), not {unit!r}"
    )


# -- rate(...) strings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(30 days)",
    ],
)
def test_rate_strings_round_trip(expression: str) -> None:
    assert parse_schedule(expression) == expression


def test_rate_strings_are_normalised() -> None:
    assert parse_schedule("  rate(  05   minutes )\n") == "rate(5 minutes)"


@pytest.mark.parametrize("unit", ["minutes", "hours", "days"])
def test_rate_of_one_needs_the_singular_unit(unit: str) -> None:
    assert error_of(parse_schedule, f"rate(1 {unit})") == (
        f"Schedule 'rate(1 {unit})' is not valid: "
        f"a value of 1 takes the singular unit {unit[:-1]!r}"
    )


@pytest.mark.parametrize("unit", ["minute", "hour", "day"])
def test_rate_above_one_needs_the_plural_unit(unit: str) -> None:
    assert error_of(parse_schedule, f"rate(5 {unit})") == (
        f"Schedule 'rate(5 {unit})' is not valid: "
        f"a value other than 1 takes the plural unit {unit + 's'!r}"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "rate(five minutes)",
        "rate(1.5 hours)",
        "rate(-5 minutes)",
        "rate(5)",
        "rate()",
        "rate(5 minutes now)",
        "rate(minutes 5)",
    ],
)
def test_malformed_rate_strings(expression: str) -> None:
    assert error_of(parse_schedule, expression) == (
        f"Schedule {expression!r} is not valid: write 'rate(value unit)', e.g. 'rate(5 minutes)'"
    )


def test_rate_string_value_must_be_positive() -> None:
    assert error_of(parse_schedule, "rate(0 minutes)") == (
        "Schedule 'rate(0 minutes)' is not valid: the value must be 1 or more"
    )


@pytest.mark.parametrize("expression", ["rate(5 weeks)", "rate(5 Minutes)", "rate(5 s)"])
def test_rate_string_unit_must_be_known(expression: str) -> None:
    assert error_of(parse_schedule, expression) == (
        f"Schedule {expression!r} is not valid: the unit must be one of "
        "minute, minutes, hour, hours, day, days"
    )


# -- Cron: valid fields ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("minutes", v) for v in ["0", "59", "*", "0/15", "*/5", "5-10", "1,2,3", "10-30/5"]],
        *[("hours", v) for v in ["0", "23", "8-17", "0/2", "9,21", "*"]],
        *[("day_of_month", v) for v in ["1", "31", "L", "LW", "15W", "1-15", "1/5", "1,15"]],
        *[("month", v) for v in ["1", "12", "JAN", "DEC", "JAN-MAR", "JAN,JUL", "1/3", "*/2"]],
        *[("day_of_week", v) for v in ["1", "7", "SUN", "SAT", "MON-FRI", "MON,WED,FRI", "*"]],
        *[("day_of_week", v) for v in ["L", "6L", "FRIL", "2#1", "FRI#5", "1-3"]],
        *[("year", v) for v in ["1970", "2199", "*", "2024-2030", "2024/2", "2024,2026"]],
    ],
)
def test_valid_cron_fields(field: str, value: str) -> None:
    cron = Cron(*cron_with(field, value))
    assert getattr(cron, field) == value
    assert parse_schedule(cron.to_string()) == cron.to_string()


def test_cron_to_string_in_chalices_field_order() -> None:
    assert Cron(0, 10, "*", "*", "?", "*").to_string() == "cron(0 10 * * ? *)"
    assert Cron("15", "12", "?", "JAN", "MON-FRI", "2030").to_string() == (
        "cron(15 12 ? JAN MON-FRI 2030)"
    )


def test_cron_takes_ints() -> None:
    assert Cron(30, 6, 1, 12, "?", 2030).to_string() == "cron(30 6 1 12 ? 2030)"


def test_cron_names_and_letters_are_upper_cased() -> None:
    cron = Cron("0", "9", "?", "jan-mar", "mon-fri", "*")
    assert cron.to_string() == "cron(0 9 ? JAN-MAR MON-FRI *)"
    assert Cron("0", "9", "lw", "*", "?", "*").day_of_month == "LW"


# -- Cron: invalid fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "number", "allowed"),
    [
        ("minutes", "60", "60", "0-59"),
        ("minutes", "1,60", "60", "0-59"),
        ("minutes", "50-60", "60", "0-59"),
        ("minutes", "60/5", "60", "0-59"),
        ("hours", "24", "24", "0-23"),
        ("hours", "22-24", "24", "0-23"),
        ("day_of_month", "0", "0", "1-31"),
        ("day_of_month", "32", "32", "1-31"),
        ("day_of_month", "32W", "32", "1-31"),
        ("month", "0", "0", "1-12 (or JAN-DEC)"),
        ("month", "13", "13", "1-12 (or JAN-DEC)"),
        ("day_of_week", "0", "0", "1-7 (or SUN-SAT)"),
        ("day_of_week", "8", "8", "1-7 (or SUN-SAT)"),
        ("day_of_week", "8L", "8", "1-7 (or SUN-SAT)"),
        ("day_of_week", "8#1", "8", "1-7 (or SUN-SAT)"),
        ("year", "1969", "1969", "1970-2199"),
        ("year", "2200", "2200", "1970-2199"),
        ("year", "2024-2200", "2200", "1970-2199"),
    ],
)
def test_cron_numbers_out_of_range(field: str, value: str, number: str, allowed: str) -> None:
    assert error_of(Cron, *cron_with(field, value)) == (
        f"Cron {field} {number!r} is out of range {allowed}"
    )


def test_cron_int_out_of_range() -> None:
    assert error_of(Cron, 61, 10, "*", "*", "?", "*") == "Cron minutes '61' is out of range 0-59"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("minutes", v) for v in ["L", "?", "abc", "", "1,,2", "1-", "-1", "5/x", "*/", "1 2"]],
        *[("minutes", v) for v in ["MON", "1#2", "1-2-3", "²"]],
        *[("hours", v) for v in ["W", "1W", "*/1/2"]],
        *[("day_of_month", v) for v in ["MON", "W", "5L", "1#2", "L/2", "L-3", "1-5W"]],
        *[("month", v) for v in ["JANUARY", "L", "FOO", "JAN#1"]],
        *[("day_of_week", v) for v in ["2/2", "*/2", "W", "MONDAY", "1W", "2#X", "#1", "L#1"]],
        *[("year", v) for v in ["L", "?", "twenty"]],
    ],
)
def test_cron_malformed_fields(field: str, value: str) -> None:
    assert error_of(Cron, *cron_with(field, value)) == not_valid(field, value)


@pytest.mark.parametrize(
    ("field", "value", "top"),
    [
        ("minutes", "0/0", 59),
        ("minutes", "0/60", 59),
        ("hours", "0/24", 23),
        ("day_of_month", "1/0", 31),
        ("month", "JAN/13", 12),
        ("year", "2024/0", 2199),
    ],
)
def test_cron_step_out_of_range(field: str, value: str, top: int) -> None:
    assert error_of(Cron, *cron_with(field, value)) == (
        f"Cron {field} {value!r}: the step after '/' must be 1-{top}"
    )


@pytest.mark.parametrize(("field", "value"), [("day_of_month", "?,1"), ("day_of_week", "1,?")])
def test_question_mark_must_be_the_whole_field(field: str, value: str) -> None:
    assert error_of(Cron, *cron_with(field, value)) == (
        f"Cron {field} {value!r}: '?' must be the whole field"
    )


def test_hash_allows_one_expression_only() -> None:
    assert error_of(Cron, "0", "9", "?", "*", "3#1,6#3", "*") == (
        "Cron day_of_week '3#1,6#3': a field using '#' may hold one expression only"
    )


@pytest.mark.parametrize("value", ["2#0", "2#6", "MON#9"])
def test_hash_occurrence_is_one_to_five(value: str) -> None:
    assert error_of(Cron, "0", "9", "?", "*", value, "*") == (
        f"Cron day_of_week {value!r}: the occurrence after '#' must be 1-5"
    )


@pytest.mark.parametrize(
    ("day_of_month", "day_of_week"), [("*", "*"), ("1", "MON"), ("*", "MON-FRI"), ("L", "1")]
)
def test_one_day_field_must_be_a_question_mark(day_of_month: str, day_of_week: str) -> None:
    assert error_of(Cron, "0", "9", day_of_month, "*", day_of_week, "*") == (
        f"Cron day_of_month {day_of_month!r} and day_of_week {day_of_week!r}: "
        "one of day_of_month and day_of_week must be '?'"
    )


def test_both_day_fields_cannot_be_question_marks() -> None:
    assert error_of(Cron, "0", "9", "?", "*", "?", "*") == (
        "Cron day_of_month and day_of_week are both '?': only one of them may be '?'"
    )


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", [None, 1.5, True, ["0"]])
def test_cron_fields_must_be_strings_or_ints(field: str, value: Any) -> None:
    fields: list[Any] = cron_with(field, "0")
    fields[FIELDS.index(field)] = value
    assert error_of(Cron, *fields) == (f"Cron {field} must be a string or an int, not {value!r}")


# -- cron(...) strings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? 2024-2030)",
        "cron(30 6 15W JAN,JUL ? *)",
    ],
)
def test_cron_strings_round_trip(expression: str) -> None:
    assert parse_schedule(expression) == expression


def test_cron_strings_are_normalised() -> None:
    assert parse_schedule(" cron( 0  18 ?\t* mon-fri * ) ") == "cron(0 18 ? * MON-FRI *)"


@pytest.mark.parametrize(
    ("expression", "count"), [("cron(0 10 * * ?)", 5), ("cron(0 0 10 * * ? *)", 7), ("cron()", 0)]
)
def test_cron_strings_need_six_fields(expression: str, count: int) -> None:
    assert error_of(parse_schedule, expression) == (
        f"Schedule {expression!r} is not valid: a cron expression has six fields "
        f"(minutes hours day_of_month month day_of_week year), this one has {count}"
    )


def test_cron_string_errors_name_the_field() -> None:
    assert error_of(parse_schedule, "cron(0 10 ? * 8 *)") == (
        "Cron day_of_week '8' is out of range 1-7 (or SUN-SAT)"
    )
    assert error_of(parse_schedule, "cron(0 10 * * * *)") == (
        "Cron day_of_month '*' and day_of_week '*': one of day_of_month and day_of_week must be '?'"
    )


# -- parse_schedule ----------------------------------------------------------------------


def test_parse_schedule_takes_rate_and_cron_objects() -> None:
    assert parse_schedule(Rate(1, unit=Rate.HOURS)) == "rate(1 hour)"
    assert parse_schedule(Cron(0, 10, "*", "*", "?", "*")) == "cron(0 10 * * ? *)"


def test_parse_schedule_checks_other_schedule_expressions() -> None:
    class Hourly(ScheduleExpression):
        def to_string(self) -> str:
            return "rate(1 hours)"

    assert error_of(parse_schedule, Hourly()) == (
        "Schedule 'rate(1 hours)' is not valid: a value of 1 takes the singular unit 'hour'"
    )


@pytest.mark.parametrize(
    "expression",
    ["every 5 minutes", "RATE(5 minutes)", "rate 5 minutes", "cron(0 10 * * ? *", "", 5, None],
)
def test_parse_schedule_names_the_accepted_forms(expression: Any) -> None:
    assert error_of(parse_schedule, expression) == (
        "A schedule must be a Rate, a Cron, or a string 'rate(value unit)' or "
        f"'cron(minutes hours day_of_month month day_of_week year)', not {expression!r}"
    )


# -- the ScheduleExpression base ---------------------------------------------------------


def test_schedule_expressions_compare_by_their_string() -> None:
    assert Rate(5, Rate.MINUTES) == Rate(5, Rate.MINUTES)
    assert Rate(5, Rate.MINUTES) != Rate(5, Rate.HOURS)
    assert Cron(0, 10, "*", "*", "?", "*") == Cron("0", "10", "*", "*", "?", "*")
    assert Rate(5, Rate.MINUTES) != "rate(5 minutes)"
    assert len({Rate(1, Rate.DAYS), Rate(1, Rate.DAYS)}) == 1


def test_schedule_expression_repr_shows_the_expression() -> None:
    assert repr(Rate(5, unit=Rate.MINUTES)) == "<Rate rate(5 minutes)>"
    assert repr(Cron(0, 10, "*", "*", "?", "*")) == "<Cron cron(0 10 * * ? *)>"


def test_the_base_has_no_expression_of_its_own() -> None:
    with pytest.raises(NotImplementedError):
        ScheduleExpression().to_string()
