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
import enum
import types
import typing
from collections.abc import Callable
from typing import Any

from .._core._errors import RegistrationError, ValidationFailed
from ._kinds import (
    is_dataclass_type,
    is_pydantic_model,
    is_typeddict,
    split_annotated,
    type_name,
    typeddict_keys,
)
from ._limits import limited, limits_of
from ._values import (
    INVALID,
    MAX_ERRORS,
    PLAIN_CONTAINERS,
    SIMPLE,
    Check,
    FieldError,
    Loc,
    anything,
    instance_of,
    none,
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
    limits = limits_of(metadata)
    if limits:
        return limited(check, limits)
    return check


def _compile_base(hint: Any) -> Check:
    if hint is Any or hint is object:
        return anything
    if hint is None or hint is type(None):
        return none
    simple = SIMPLE.get(hint)
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
        plain = PLAIN_CONTAINERS.get(hint)
        if plain is not None:
            return instance_of(*plain)
    return _other(hint)


# A TypedDict's Required[X] / NotRequired[X]: X, its key's presence is the model's concern.
_KEY_QUALIFIERS = frozenset(
    qualifier
    for qualifier in (getattr(typing, "Required", None), getattr(typing, "NotRequired", None))
    if qualifier is not None
)


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
            result = option_check(value, (*loc, type_name(option)), attempt)
            if not attempt:
                return result
            found.extend(attempt)
        errors.extend(found)
        return INVALID

    return check


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
        items = []
        for index, element in enumerate(value):
            items.append(item(element, (*loc, index), errors))
            if len(errors) >= MAX_ERRORS:
                return INVALID  # enough to tell the client; the rest is not read
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
        result = {}
        for name, element in value.items():
            result[key(name, (*loc, str(name)), errors)] = item(element, (*loc, str(name)), errors)
            if len(errors) >= MAX_ERRORS:
                return INVALID
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
