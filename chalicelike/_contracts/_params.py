"""Where a view's parameter comes from, and the limits its value must keep:
`Annotated[int, Query(ge=1)]`, `Annotated[str, Header(alias="x-request-id")]`.

The markers are plain data read when the view is registered; the checks they ask for are
made by `_coerce`. Any other metadata object with the same attribute names (ge, le,
max_length, ...: annotated-types' Ge, pydantic's FieldInfo) is honoured the same way.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["CONSTRAINTS", "Body", "Header", "ParamInfo", "ParamLocation", "Path", "Query"]


class ParamLocation(enum.Enum):
    """Where in the request a value is read (OpenAPI's `in`, plus the body)."""

    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    BODY = "body"


# The limits a marker may carry, by attribute name (JSON Schema's keyword beside each).
CONSTRAINTS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
}


class ParamInfo:
    """What a view says of one parameter beyond its type; subclassed per location."""

    location: ParamLocation = ParamLocation.QUERY

    __slots__ = (
        "alias",
        "description",
        "examples",
        "ge",
        "gt",
        "le",
        "lt",
        "max_length",
        "min_length",
        "multiple_of",
        "pattern",
    )

    def __init__(
        self,
        *,
        alias: str | None = None,
        description: str | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        multiple_of: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        examples: list[Any] | None = None,
    ) -> None:
        self.alias = alias  # the name in the request, when it is not the parameter's
        self.description = description
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.multiple_of = multiple_of
        self.min_length, self.max_length = min_length, max_length
        self.pattern = pattern
        self.examples = examples

    def constraints(self) -> dict[str, Any]:
        """The limits given, by attribute name."""
        return {
            name: getattr(self, name) for name in CONSTRAINTS if getattr(self, name) is not None
        }

    def __repr__(self) -> str:
        given = {
            name: getattr(self, name) for name in self.__slots__ if getattr(self, name) is not None
        }
        inner = ", ".join(f"{name}={value!r}" for name, value in given.items())
        return f"{type(self).__name__}({inner})"


class Query(ParamInfo):
    """A query string parameter; `list[...]` takes every value of a repeated name."""

    location = ParamLocation.QUERY
    __slots__ = ()


class Header(ParamInfo):
    """A request header, matched without regard to case; `x_request_id` reads
    `X-Request-Id` unless `alias` names the header."""

    location = ParamLocation.HEADER
    __slots__ = ()


class Path(ParamInfo):
    """A path parameter (`{order_id}`): needed only to add limits or a description."""

    location = ParamLocation.PATH
    __slots__ = ()


class Body(ParamInfo):
    """The JSON body, for a type that would otherwise be read from the query (`list[int]`)."""

    location = ParamLocation.BODY
    __slots__ = ()
