"""Values checked against a declared type: a JSON value, or the text of a query, header or
path parameter, turned into what the hint says or refused with every reason at once.

A hint is compiled once, when its view or handler is registered, into a `Check`: a
function of (value, location, errors) that returns the typed value, or `INVALID` after
adding `FieldError`s. Coercion is lax as pydantic's default is ("3" is an int 3, "true" a
bool), the messages and error types are pydantic's, so answers read the same whichever
kind of model a view declares. pydantic models are validated by pydantic itself; pydantic
is never imported to check anything else.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from .._core._errors import RegistrationError, ValidationFailed
from ._kinds import (
    is_dataclass_type,
    is_pydantic_model,
    is_typeddict,
    split_annotated,
    typeddict_keys,
)

__all__ = [
    "INVALID",
    "Check",
    "FieldError",
    "Loc",
    "check_for",
    "loader_for",
    "pydantic_errors",
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

Check = Callable[[Any, Loc, list[FieldError]], Any]


def loader_for(hint: Any) -> Callable[[Any], Any]:
    """A function turning a value into the hint's type, raising ValidationFailed."""
    check = check_for(hint)

    def load(value: Any) -> Any:
        errors: list[FieldError] = []
        result = check(value, (), errors)
        if errors:
            raise ValidationFailed(errors)
        return result

    return load


def check_for(hint: Any) -> Check:
    """The compiled check of a hint (cached: a model met twice is compiled once)."""
    try:
        cached = _CACHE.get(hint)
    except TypeError:  # an unhashable hint (Annotated with an unhashable marker)
        return _compile(hint)
    if cached is None:
        cached = _CACHE[hint] = _Deferred(hint)  # a recursive model refers to itself
        cached.check = _compile(hint)
    return cached


class _Deferred:
    """A hint's check, callable before it is compiled (a dataclass that contains itself)."""

    __slots__ = ("check", "hint")

    def __init__(self, hint: Any) -> None:
        self.hint = hint
        self.check: Check | None = None

    def __call__(self, value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        assert self.check is not None  # compiled before any value is checked
        return self.check(value, loc, errors)


_CACHE: dict[Any, _Deferred] = {}


def _compile(hint: Any) -> Check:
    base, metadata = split_annotated(hint)
    check = _compile_base(base)
    limits = _limits(metadata)
    if limits:
        return _limited(check, limits)
    return check


def _compile_base(hint: Any) -> Check:
    if hint is Any or hint is object:
        return _anything
    if hint is None or hint is type(None):
        return _none
    simple = _SIMPLE.get(hint)
    if simple is not None:
        return simple
    origin = typing.get_origin(hint)
    if origin is not None and origin in _KEY_QUALIFIERS:
        return check_for(typing.get_args(hint)[0])
    if origin is typing.Union or origin is types.UnionType:
        return _union(typing.get_args(hint))
    if origin is typing.Literal:
        return _literal(typing.get_args(hint))
    if origin is not None:
        return _container(hint, origin, typing.get_args(hint))
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return _enum(hint)
        if is_pydantic_model(hint):
            return _pydantic_model(hint)
        if is_dataclass_type(hint):
            return _dataclass(hint)
        if is_typeddict(hint):
            return _typeddict(hint)
        plain = _PLAIN_CONTAINERS.get(hint)
        if plain is not None:
            return _instance_of(*plain)
    return _other(hint)


# A TypedDict's Required[X] / NotRequired[X]: X, its key's presence is the model's concern.
_KEY_QUALIFIERS = frozenset(
    qualifier
    for qualifier in (getattr(typing, "Required", None), getattr(typing, "NotRequired", None))
    if qualifier is not None
)


# -- plain values ------------------------------------------------------------------------


def _anything(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
    return value


def _none(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
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
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
        errors.append(
            FieldError(
                loc, "Input should be a valid number, unable to parse string as a number",
                "float_parsing",
            )
        )  # fmt: skip
        return INVALID
    errors.append(FieldError(loc, "Input should be a valid number", "float_type"))
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


_SIMPLE: dict[Any, Check] = {
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
_PLAIN_CONTAINERS: dict[Any, tuple[tuple[type, ...], str, str]] = {
    list: ((list, tuple), "list", "list_type"),
    tuple: ((list, tuple), "tuple", "tuple_type"),
    set: ((list, tuple, set, frozenset), "set", "set_type"),
    frozenset: ((list, tuple, set, frozenset), "frozenset", "frozen_set_type"),
    dict: ((dict,), "dictionary", "dict_type"),
}


def _instance_of(kinds: tuple[type, ...], name: str, error_type: str) -> Check:
    convert = {"tuple": tuple, "set": set, "frozenset": frozenset}.get(name)

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if isinstance(value, kinds):
            return convert(value) if convert is not None else value
        errors.append(FieldError(loc, f"Input should be a valid {name}", error_type))
        return INVALID

    return check


def _enum(hint: type[enum.Enum]) -> Check:
    by_value = {member.value: member for member in hint}
    # Query and header values are text: "2" names the member whose value is 2.
    by_text = {str(member.value): member for member in hint}
    expected = _choices([member.value for member in hint])

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if isinstance(value, hint):
            return value
        try:
            member = by_value.get(value)
        except TypeError:  # an unhashable value (a list) is no member
            member = None
        if member is None and isinstance(value, str):
            member = by_text.get(value)
        if member is not None:
            return member
        errors.append(FieldError(loc, f"Input should be {expected}", "enum"))
        return INVALID

    return check


def _literal(allowed: tuple[Any, ...]) -> Check:
    by_text = {str(v): v for v in allowed if not isinstance(v, bool)}
    expected = _choices(list(allowed))

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        for option in allowed:
            if value == option and type(value) is type(option):
                return option
        if isinstance(value, str) and value in by_text:
            return by_text[value]
        errors.append(FieldError(loc, f"Input should be {expected}", "literal_error"))
        return INVALID

    return check


def _choices(values: list[Any]) -> str:
    shown = [repr(v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} or {shown[-1]}"


def _union(options: tuple[Any, ...]) -> Check:
    optional = type(None) in options
    rest = [option for option in options if option is not type(None)]
    checks = [(option, check_for(option)) for option in rest]
    if len(checks) == 1:
        (_, only) = checks[0]

        def check_optional(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
            if value is None and optional:
                return None
            return only(value, loc, errors)

        return check_optional

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if value is None and optional:
            return None
        # An exact type first (an int stays an int in `int | str`), then in order.
        for option, _ in checks:
            if isinstance(option, type) and type(value) is option:
                return value
        found: list[FieldError] = []
        for option, option_check in checks:
            attempt: list[FieldError] = []
            result = option_check(value, (*loc, _type_name(option)), attempt)
            if not attempt:
                return result
            found.extend(attempt)
        errors.extend(found)
        return INVALID

    return check


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


# -- containers ----------------------------------------------------------------------------


def _container(hint: Any, origin: Any, args: tuple[Any, ...]) -> Check:
    import collections.abc as abc

    if origin in (list, set, frozenset, abc.Sequence, abc.Set, abc.Iterable, abc.Collection):
        item = check_for(args[0] if args else Any)
        kinds: dict[Any, type] = {set: set, frozenset: frozenset, abc.Set: set}
        kind = kinds.get(origin, list)
        return _sequence(item, kind)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(check_for(args[0]), tuple)
        return _fixed_tuple(tuple(check_for(arg) for arg in args))
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        key = check_for(args[0] if args else Any)
        item = check_for(args[1] if len(args) > 1 else Any)
        return _mapping(key, item)
    return _other(hint)


def _sequence(item: Check, kind: type) -> Check:
    names: dict[type, str] = {set: "set", frozenset: "frozenset", tuple: "tuple"}
    name = names.get(kind, "list")

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)) or (
            kind is list and isinstance(value, (set, frozenset))
        ):
            errors.append(FieldError(loc, f"Input should be a valid {name}", f"{name}_type"))
            return INVALID
        before = len(errors)
        items = [item(element, (*loc, index), errors) for index, element in enumerate(value)]
        if len(errors) != before:
            return INVALID
        return items if kind is list else kind(items)

    return check


def _fixed_tuple(items: tuple[Check, ...]) -> Check:
    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if not isinstance(value, (list, tuple)) or len(value) != len(items):
            errors.append(
                FieldError(
                    loc, f"Input should be a valid tuple of {len(items)} items", "tuple_type"
                )
            )
            return INVALID
        before = len(errors)
        result = tuple(
            c(v, (*loc, i), errors) for i, (c, v) in enumerate(zip(items, value, strict=True))
        )
        return INVALID if len(errors) != before else result

    return check


def _mapping(key: Check, item: Check) -> Check:
    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if not isinstance(value, dict):
            errors.append(FieldError(loc, "Input should be a valid dictionary", "dict_type"))
            return INVALID
        before = len(errors)
        result = {
            key(name, (*loc, str(name)), errors): item(element, (*loc, str(name)), errors)
            for name, element in value.items()
        }
        return INVALID if len(errors) != before else result

    return check


# -- models ------------------------------------------------------------------------------------


def _field_hints(model: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(model, include_extras=True)
    except Exception as error:  # a name the module cannot resolve
        raise RegistrationError(
            f"The type hints of {model.__qualname__} cannot be resolved: {error}"
        ) from None


_NO_DEFAULT = object()
# Values that are surely not a model's fields (anything else may be read by attribute).
_NOT_OBJECTS = (str, bytes, int, float, list, tuple, set, frozenset)


def _dataclass(model: type) -> Check:
    hints = _field_hints(model)
    fields = [
        (
            field.name,
            check_for(hints.get(field.name, Any)),
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
        )
        for field in dataclasses.fields(model)
        if field.init
    ]
    return _fields_check(model, fields, lambda values: model(**values))


def _typeddict(model: type) -> Check:
    hints = _field_hints(model)
    required = typeddict_keys(model, hints)
    fields = [(name, check_for(hint), name in required) for name, hint in hints.items()]
    return _fields_check(model, fields, lambda values: values)


def _fields_check(
    model: type, fields: list[tuple[str, Check, bool]], build: Callable[[dict[str, Any]], Any]
) -> Check:
    """A check reading named fields from a dict (or, for an answer, an object's attributes:
    a view may return another class's instance with the fields its return type names)."""
    name = model.__name__
    is_dataclass = is_dataclass_type(model)

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if is_dataclass and isinstance(value, model):
            return value
        from_dict = isinstance(value, dict)
        if not from_dict and (value is None or isinstance(value, _NOT_OBJECTS)):
            errors.append(
                FieldError(loc, f"Input should be a valid dictionary or instance of {name}",
                           "model_type")
            )  # fmt: skip
            return INVALID
        before = len(errors)
        values: dict[str, Any] = {}
        for field, field_check, required in fields:
            raw = value.get(field, _NO_DEFAULT) if from_dict else getattr(value, field, _NO_DEFAULT)
            if raw is _NO_DEFAULT:
                if required:
                    errors.append(FieldError((*loc, field), "Field required", "missing"))
                continue
            values[field] = field_check(raw, (*loc, field), errors)
        if len(errors) != before:
            return INVALID
        return build(values)

    return check


def _pydantic_model(model: Any) -> Check:
    validator = model.__pydantic_validator__

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        if isinstance(value, model):
            return value
        try:
            # from_attributes: a view may answer with an object (an ORM row, another model).
            return validator.validate_python(value, from_attributes=True)
        except Exception as error:
            found = pydantic_errors(error, loc)
            if found is None:
                raise
            errors.extend(found)
            return INVALID

    return check


def pydantic_errors(error: Exception, loc: Loc) -> list[FieldError] | None:
    """A pydantic ValidationError's errors under `loc`; None for any other exception."""
    if type(error).__name__ != "ValidationError" or not hasattr(error, "errors"):
        return None
    return [
        FieldError((*loc, *found["loc"]), str(found["msg"]), str(found["type"]))
        for found in error.errors(include_url=False)
    ]


def _other(hint: Any) -> Check:
    """A type outside our own set (pydantic's EmailStr, a constrained type): pydantic's
    TypeAdapter checks it when pydantic is installed; without it the view is refused."""
    try:
        import pydantic
    except ImportError:
        raise RegistrationError(
            f"Type {hint!r} is not one chalicelike checks by itself (str, int, float, bool, "
            "Decimal, datetime, date, time, UUID, Enum, Literal, unions, lists, tuples, sets, "
            "dicts, dataclasses, TypedDicts); install pydantic (the `models` extra) for others"
        ) from None
    try:
        adapter = pydantic.TypeAdapter(hint)
    except Exception as error:
        raise RegistrationError(f"Type {hint!r} cannot be validated: {error}") from None

    def check(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        try:
            return adapter.validate_python(value)
        except pydantic.ValidationError as error:
            errors.extend(pydantic_errors(error, loc) or [])
            return INVALID

    return check


# -- limits (ge, max_length, pattern, ...) ---------------------------------------------------


_LIMIT_NAMES = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")


def _limits(metadata: tuple[Any, ...]) -> dict[str, Any]:
    """The limits named by Annotated metadata (our markers, annotated-types, FieldInfo)."""
    found: dict[str, Any] = {}
    for item in metadata:
        for name in _LIMIT_NAMES:
            value = getattr(item, name, None)
            if value is not None:
                found[name] = value
        for nested in getattr(item, "metadata", ()) or ():  # pydantic FieldInfo keeps them here
            found.update(_limits((nested,)))
    return found


def _limited(check: Check, limits: dict[str, Any]) -> Check:
    tests = _limit_tests(limits)

    def limited(value: Any, loc: Loc, errors: list[FieldError]) -> Any:
        result = check(value, loc, errors)
        if result is INVALID:
            return result
        for test in tests:
            failure = test(result)
            if failure is not None:
                errors.append(FieldError(loc, *failure))
                return INVALID
        return result

    return limited


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
