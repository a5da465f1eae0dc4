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


def typeddict_keys(hint: Any) -> tuple[frozenset[str], frozenset[str]]:
    """A TypedDict's (required, optional) keys, Required/NotRequired and total= applied."""
    required = frozenset(getattr(hint, "__required_keys__", ()))
    optional = frozenset(getattr(hint, "__optional_keys__", ()))
    return required, optional
