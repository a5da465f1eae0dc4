"""What kind of type a hint is: a model (dataclass, TypedDict, pydantic model), a container
of something, or a plain value. The validator, the serialiser and the schema writer all
walk hints by these answers, so a type means the same thing to each of them."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

__all__ = [
    "contains_model",
    "is_dataclass_type",
    "is_model_type",
    "is_pydantic_model",
    "is_typeddict",
    "split_annotated",
    "type_name",
    "typeddict_keys",
]


def split_annotated(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """`Annotated[int, Query(ge=1)]` → (int, (Query(ge=1),)); other hints → (hint, ())."""
    if typing.get_origin(hint) is typing.Annotated:
        return hint.__origin__, tuple(hint.__metadata__)
    return hint, ()


def type_name(hint: Any) -> str:
    """A hint as a message names it: `Order`, `list[Order]`."""
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def is_pydantic_model(hint: Any) -> bool:
    # Looked up by attribute, so checking a hint never imports pydantic.
    return (
        isinstance(hint, type)
        and hasattr(hint, "__pydantic_validator__")
        and hasattr(hint, "model_fields")
    )


def is_dataclass_type(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__total__")


def is_model_type(hint: Any) -> bool:
    """A type with named fields: a dataclass, a TypedDict or a pydantic model."""
    return is_pydantic_model(hint) or is_dataclass_type(hint) or is_typeddict(hint)


def contains_model(hint: Any) -> bool:
    """Whether a model appears anywhere in the hint (`list[Order]`, `Order | None`)."""
    hint, _ = split_annotated(hint)
    if is_model_type(hint):
        return True
    return any(contains_model(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)


def typeddict_keys(hint: Any, hints: dict[str, Any]) -> frozenset[str]:
    """A TypedDict's required keys, given its resolved field hints (include_extras).

    A key's own Required[...] / NotRequired[...] decides (read from the resolved hint: under
    `from __future__ import annotations` Python < 3.13 fills `__required_keys__` before the
    strings are resolved, missing them); otherwise `__required_keys__`, which knows each
    key's class's `total=` along the inheritance chain."""
    declared = frozenset(getattr(hint, "__required_keys__", ()))
    required = set()
    for name, field_hint in hints.items():
        qualifier = _key_qualifier(field_hint)
        if qualifier == "Required" or (qualifier is None and name in declared):
            required.add(name)
    return frozenset(required)


def _key_qualifier(field_hint: Any) -> str | None:
    """'Required' / 'NotRequired' when the hint is so wrapped (also inside Annotated)."""
    while True:
        origin = typing.get_origin(field_hint)
        if origin is typing.Annotated:
            field_hint = field_hint.__origin__
            continue
        name = getattr(origin, "_name", None)
        return name if name in ("Required", "NotRequired") else None
