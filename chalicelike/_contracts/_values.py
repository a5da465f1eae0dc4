"""The parts every check is made of (where an error is, what it says, the INVALID marker)
and the checks of plain values: text, numbers, booleans, decimals, dates, times, UUIDs and
unparameterised containers, each lax as pydantic's default is and with its messages."""

from __future__ import annotations

import datetime
import decimal
import enum
import math
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = [
    "INVALID",
    "MAX_ERRORS",
    "PLAIN_CONTAINERS",
    "SIMPLE",
    "Check",
    "FieldError",
    "Loc",
    "anything",
    "instance_of",
    "none",
]

Loc = tuple["str | int", ...]


class FieldError(NamedTuple):
    """One reason a value was refused: where (`("body", "items", 0, "qty")`), why, and
    pydantic's name for the kind of error."""

    loc: Loc
    msg: str
    type: str

    def to_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()  # what a Check returns after recording why

# Checking stops at this many errors: a 1 MB body of bad items must not become a 50 MB
# answer (over Lambda's 6 MB response limit) or the memory to build one.
MAX_ERRORS = 20

Check = Callable[[Any, Loc, list[FieldError]], Any]


def anything(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    return value


def none(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if value is None:
        return None
    errors.append(FieldError(loc, "Input should be None", "none_required"))
    return INVALID


def _str(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    errors.append(FieldError(loc, "Input should be a valid string", "string_type"))
    return INVALID


def _int(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        errors.append(
            FieldError(
                loc, "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
            )
        )  # fmt: skip
        return INVALID
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        errors.append(
            FieldError(
                loc, "Input should be a valid integer, got a number with a fractional part",
                "int_from_float",
            )
        )  # fmt: skip
        return INVALID
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    errors.append(FieldError(loc, "Input should be a valid integer", "int_type"))
    return INVALID


def _float(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            errors.append(
                FieldError(
                    loc, "Input should be a valid number, unable to parse string as a number",
                    "float_parsing",
                )
            )  # fmt: skip
            return INVALID
    else:
        errors.append(FieldError(loc, "Input should be a valid number", "float_type"))
        return INVALID
    if math.isfinite(number):
        return number
    # NaN and ±Infinity ("nan", 1e999) are no JSON number: no answer could carry them back.
    errors.append(FieldError(loc, "Input should be a finite number", "finite_number"))
    return INVALID


_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


def _bool(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    elif type(value) is int and value in (0, 1):
        return bool(value)
    errors.append(
        FieldError(
            loc, "Input should be a valid boolean, unable to interpret input", "bool_parsing"
        )
    )
    return INVALID


def _decimal(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            pass
    errors.append(FieldError(loc, "Input should be a valid decimal", "decimal_parsing"))
    return INVALID


def _parsed(kind: type, parse: Callable[[str], Any], name: str, error_type: str) -> Check:
    """A check for a type read from its ISO text (dates, times, UUIDs)."""

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if isinstance(value, kind) and not (kind is datetime.date and type(value) is not kind):
            return value
        if isinstance(value, str):
            try:
                return parse(value.strip())
            except ValueError:
                pass
        errors.append(FieldError(loc, f"Input should be a valid {name}", error_type))
        return INVALID

    return check


def _iso_datetime(text: str) -> datetime.datetime:
    # Python 3.10's fromisoformat does not read the 'Z' JSON dates usually end with.
    return datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _iso_time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


SIMPLE: dict[Any, Check] = {
    str: _str,
    int: _int,
    float: _float,
    bool: _bool,
    decimal.Decimal: _decimal,
    datetime.datetime: _parsed(datetime.datetime, _iso_datetime, "datetime", "datetime_parsing"),
    datetime.date: _parsed(datetime.date, datetime.date.fromisoformat, "date", "date_parsing"),
    datetime.time: _parsed(datetime.time, _iso_time, "time", "time_parsing"),
    uuid.UUID: _parsed(uuid.UUID, uuid.UUID, "UUID", "uuid_parsing"),
}

# Unparameterised containers: checked for their kind only.
PLAIN_CONTAINERS: dict[Any, tuple[tuple[type, ...], str, str]] = {
    list: ((list, tuple), "list", "list_type"),
    tuple: ((list, tuple), "tuple", "tuple_type"),
    set: ((list, tuple, set, frozenset), "set", "set_type"),
    frozenset: ((list, tuple, set, frozenset), "frozenset", "frozen_set_type"),
    dict: ((dict,), "dictionary", "dict_type"),
}


def instance_of(kinds: tuple[type, ...], name: str, error_type: str) -> Check:
    convert = {"tuple": tuple, "set": set, "frozenset": frozenset}.get(name)

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if isinstance(value, kinds):
            return convert(value) if convert is not None else value
        errors.append(FieldError(loc, f"Input should be a valid {name}", error_type))
        return INVALID

    return check
