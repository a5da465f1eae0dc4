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
    "typeddict_keys",
]


def split_annotated(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """`Annotated[int, Query(ge=1)]` → (int, (Query(ge=1),)); other hints → (hint, ())."""
    if typing.get_origin(hint) is typing.Annotated:
        return hint.__origin__, tuple(hint.__metadata__)
    return hint, ()


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

    Read from the hints, not `__required_keys__`: under `from __future__ import annotations`
    Python < 3.13 fills that before the strings are resolved, missing NotRequired[...]."""
    required = set()
    total = getattr(hint, "__total__", True)
    for name, field_hint in hints.items():
        qualifier = getattr(typing.get_origin(field_hint), "_name", None)
        if qualifier == "Required" or (qualifier != "NotRequired" and total):
            required.add(name)
    return frozenset(required)
