"""Typed values back to JSON's: what a checked answer becomes before the response is written.

Dataclasses become dicts of their fields, pydantic models their `model_dump(mode="json")`,
enums their values, dates and times ISO text, UUIDs and Decimals text (as pydantic writes
them, so a Decimal keeps its digits). Everything else JSON knows passes unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Any

__all__ = ["jsonable"]

_PLAIN = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """`value` with every typed part turned into what `json.dumps` writes."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {_key(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    serializer = getattr(type(value), "__pydantic_serializer__", None)
    if serializer is not None:
        # by_alias: the names the model's schema (and its clients) use, as FastAPI writes them.
        return serializer.to_python(value, mode="json", by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    return value  # left for the response's own check, which names what it cannot write


def _key(key: Any) -> Any:
    if isinstance(key, enum.Enum):
        return key.value
    return key
