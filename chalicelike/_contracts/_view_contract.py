"""A view's contract: what its signature declares it takes (path, query, header, body) and
returns, read once at registration and applied to every request before the view runs.

`contract_for` answers None for a view that declares nothing beyond Chalice's own
(`def get(name)` or `def get(name: str) -> dict`): such a view is called as it always was,
at no cost. Otherwise `ViewContract.bind` turns the request into the view's arguments or
raises ValidationFailed naming every bad field, and `answer` checks the result against
the declared return type and makes it JSON's (fields the type does not declare dropped).
"""

from __future__ import annotations

import copy
import json
import types
import typing
from typing import Any

from .._core._errors import AnswerInvalidError, ValidationFailed
from .._core._response import Response, error_response
from ._coerce import INVALID, Check, FieldError, check_for, pydantic_errors
from ._jsonable import jsonable
from ._kinds import is_pydantic_model, split_annotated, type_name
from ._params import ParamLocation
from ._values import MAX_ERRORS

__all__ = ["MISSING", "ParamSpec", "ViewContract"]

MISSING: Any = object()


class ParamSpec:
    """One argument the contract fills: where it is read, under which name, how checked."""

    __slots__ = ("annotation", "check", "default", "info", "key", "location", "many", "name")

    def __init__(
        self,
        name: str,
        location: ParamLocation,
        key: str,
        annotation: Any,
        info: Any,
        default: Any,
        hint: Any,
    ) -> None:
        self.name = name
        self.location = location
        self.key = key  # the name in the request (a header's is lower-cased when read)
        self.annotation = annotation
        self.info = info  # the ParamInfo (or other metadata) it was declared with, if any
        self.default = default
        self.check: Check = check_for(hint)
        # A list-typed query parameter takes every value of a repeated name.
        self.many = location is ParamLocation.QUERY and _is_sequence(annotation)

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def __repr__(self) -> str:
        return f"ParamSpec({self.name!r}, {self.location.value}, key={self.key!r})"


class ViewContract:
    """What one view declares; `bind` and `answer` apply it to a request and a result."""

    __slots__ = (
        "body",
        "declared_return",
        "params",
        "pydantic_body",
        "reads_query",
        "return_check",
        "return_type",
        "view_name",
    )

    def __init__(
        self,
        view_name: str,
        params: tuple[ParamSpec, ...],
        body: ParamSpec | None,
        return_type: Any,
        declared_return: Any = None,
    ) -> None:
        self.view_name = view_name
        # The return hint as written, for the API's documentation, whether checked or not.
        self.declared_return = declared_return if declared_return is not None else return_type
        self.params = params
        self.body = body
        self.return_type = return_type  # None: the answer is not checked
        self.return_check: Check | None = None if return_type is None else check_for(return_type)
        # Decided once, not on every request: whether any argument comes from the query.
        self.reads_query = any(p.location is ParamLocation.QUERY for p in params)
        # A pydantic body is read from the raw bytes by pydantic itself (no json.loads).
        self.pydantic_body = body is not None and is_pydantic_model(body.annotation)

    @property
    def validate_response(self) -> bool:
        return self.return_check is not None

    def bind(self, request: Any, uri_params: dict[str, str]) -> dict[str, Any]:
        """The view's keyword arguments from the request, or ValidationFailed."""
        errors: list[FieldError] = []
        kwargs: dict[str, Any] = {}
        query = request.query_params if self.reads_query else None
        for spec in self.params:
            raw = _read(spec, request, uri_params, query)
            if raw is MISSING:
                if spec.required:
                    errors.append(FieldError((spec.location.value, spec.key), "Field required",
                                             "missing"))  # fmt: skip
                else:
                    kwargs[spec.name] = copy.copy(spec.default)  # a [] default is the view's own
                continue
            kwargs[spec.name] = spec.check(raw, (spec.location.value, spec.key), errors)
        if self.body is not None:
            self._bind_body(request, kwargs, errors)
        if errors:
            raise ValidationFailed(errors)
        return kwargs

    def _bind_body(self, request: Any, kwargs: dict[str, Any], errors: list[FieldError]) -> None:
        spec = self.body
        assert spec is not None  # bind() checked
        raw = request.raw_body
        if not raw:
            if spec.required:
                errors.append(FieldError(("body",), "Field required", "missing"))
            else:
                kwargs[spec.name] = copy.copy(spec.default)
            return
        if self.pydantic_body:
            try:
                kwargs[spec.name] = spec.annotation.__pydantic_validator__.validate_json(raw)
            except Exception as error:
                found = pydantic_errors(error, ("body",))
                if found is None:
                    raise
                errors.extend(found)
            return
        try:
            value = json.loads(raw, parse_constant=_refuse_constant)
            result = spec.check(value, ("body",), errors)
        except ValueError as error:
            errors.append(FieldError(("body",), f"Invalid JSON: {_json_problem(error)}",
                                     "json_invalid"))  # fmt: skip
            return
        except RecursionError:
            # A body nested thousands deep (a JSON bomb): the client's fault, not a 500.
            errors.append(FieldError(("body",), "JSON nested too deeply", "recursion_loop"))
            return
        if result is not INVALID:
            kwargs[spec.name] = result

    def answer(self, result: Any) -> Any:
        """The view's result checked against its return type, as JSON values; a Response
        passes with its body made JSON's (its status and headers are the view's choice)."""
        if isinstance(result, Response):
            if not isinstance(result.body, (str, bytes, dict, list)) and result.body is not None:
                result.body = jsonable(result.body)
            return result
        check = self.return_check
        if check is None:
            return jsonable(result)
        errors: list[FieldError] = []
        checked = check(result, ("response",), errors)
        if errors:
            raise AnswerInvalidError(
                f"The answer of view {self.view_name!r} does not fit its return type "
                f"{type_name(self.return_type)}: {ValidationFailed(errors)}"
            )
        return jsonable(checked)

    @staticmethod
    def refusal(failed: ValidationFailed, status: int) -> Response:
        """The answer to a request that does not fit: 422 (or the app's chosen 400), every
        field named in `detail`, in the shape FastAPI's and Powertools' clients read."""
        code = "BadRequestError" if status == 400 else "UnprocessableEntityError"
        response = error_response(code, str(failed), status)
        response.body["detail"] = [error.to_dict() for error in failed.errors[:MAX_ERRORS]]
        return response


def _refuse_constant(name: str) -> Any:
    """json.loads' hook for NaN and ±Infinity: not JSON (RFC 8259), and no answer could
    carry them back."""
    raise ValueError(f"{name} is not a JSON number")


def _json_problem(error: ValueError) -> str:
    """What was wrong with a body, in words of our own (not Python's advice)."""
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(error, json.JSONDecodeError) or "JSON number" in str(error):
        return str(error)
    return "a number too large"  # int() refusing over 4,300 digits (CVE-2020-10735)


def _read(spec: ParamSpec, request: Any, uri_params: dict[str, str], query: Any) -> Any:
    location = spec.location
    if location is ParamLocation.PATH:
        return uri_params.get(spec.key, MISSING)
    if location is ParamLocation.QUERY:
        if query is None or spec.key not in query:
            return MISSING
        return query.getlist(spec.key) if spec.many else query.get(spec.key)
    value = request.headers.get(spec.key)
    return MISSING if value is None else value


def _is_sequence(hint: Any) -> bool:
    base, _ = split_annotated(hint)
    origin = typing.get_origin(base)
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_sequence(arg) for arg in typing.get_args(base) if arg is not type(None))
    return origin in (list, set, frozenset, tuple) or base in (list, set, frozenset, tuple)
