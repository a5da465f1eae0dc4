"""A view's contract written as OpenAPI 3.1 objects for the manifest: its Parameter Objects,
Request Body Object and Responses Object, the named schemas they refer to added to the
manifest's components. Read by `describe_app`; the OpenAPI writers take it from there.
"""

from __future__ import annotations

import json
import typing
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from .._contracts._jsonable import jsonable
from .._contracts._params import ParamLocation
from ._schema import REF_PREFIX, Schema, schema_for

__all__ = ["ERROR_ANSWER", "ContractParts", "contract_parts"]

ERROR_ANSWER = "ValidationErrorAnswer"
# The body of a refused request: Chalice's error shape (Code, Message) plus the list of
# bad fields FastAPI's and Powertools' clients read (`detail`, pydantic's loc/msg/type).
_ERROR_ANSWER_SCHEMA: Schema = {
    "title": ERROR_ANSWER,
    "type": "object",
    "properties": {
        "Code": {"type": "string"},
        "Message": {"type": "string"},
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["loc", "msg", "type"],
            },
        },
    },
    "required": ["Code", "Message", "detail"],
}


@dataclass(frozen=True)
class ContractParts:
    """The RouteSpec fields a contract fills."""

    parameters: list[dict[str, Any]]
    request_body: dict[str, Any] | None
    responses: dict[str, Any] | None


def contract_parts(
    contract: Any, schemas: MutableMapping[str, Schema], error_status: int = 422
) -> ContractParts:
    """The OpenAPI parts of a `ViewContract`; `error_status` (the app's
    `validation_error_status`) is used unless the contract carries its own."""
    parameters = [_parameter(spec, schemas) for spec in contract.params]
    body = contract.body
    request_body = None
    if body is not None:
        request_body = {"required": bool(body.required), "content": _json(body, schemas)}
        description = getattr(body.info, "description", None)
        if isinstance(description, str):
            request_body["description"] = description
    status = getattr(contract, "error_status", None) or error_status
    return ContractParts(parameters, request_body, _responses(contract, schemas, status))


def _declared(spec: Any) -> Any:
    """The parameter's type with its marker put back, so the limits reach the schema."""
    info = spec.info
    if info is None:
        return spec.annotation
    metadata = info if isinstance(info, tuple) else (info,)
    args = (spec.annotation, *metadata)
    return typing.Annotated[args]


def _json(spec: Any, schemas: MutableMapping[str, Schema]) -> dict[str, Any]:
    return {"application/json": {"schema": schema_for(_declared(spec), schemas)}}


def _parameter(spec: Any, schemas: MutableMapping[str, Schema]) -> dict[str, Any]:
    location = spec.location
    schema = _without_null(schema_for(_declared(spec), schemas))
    parameter: dict[str, Any] = {
        "name": _name_in_request(spec),
        "in": location.value,
        # OpenAPI: a path parameter's `required` must be true.
        "required": location is ParamLocation.PATH or bool(spec.required),
    }
    description = schema.pop("description", None) or getattr(spec.info, "description", None)
    if isinstance(description, str):
        parameter["description"] = description
    if not parameter["required"]:
        default = _json_default(spec.default)
        if default is not None:
            schema["default"] = default
    parameter["schema"] = schema
    if spec.many:  # a list-typed query parameter (ParamSpec decided it, for `bind` too)
        # `?tag=a&tag=b`: how API Gateway's multiValueQueryStringParameters carries a list.
        parameter.update(style="form", explode=True)
    return parameter


def _without_null(schema: Schema) -> Schema:
    """`str | None` as a parameter: the value is absent or text, never JSON's null (a query
    string or a header has no null), so the null choice is left out."""
    choices = schema.get("anyOf")
    if not isinstance(choices, list) or {"type": "null"} not in choices:
        return schema
    rest = [choice for choice in choices if choice != {"type": "null"}]
    others = {key: value for key, value in schema.items() if key != "anyOf"}
    if len(rest) == 1:
        return {**rest[0], **others}
    return {"anyOf": rest, **others}


def _name_in_request(spec: Any) -> str:
    alias = getattr(spec.info, "alias", None)
    if spec.location is not ParamLocation.HEADER:
        return str(spec.key)
    if isinstance(alias, str) and alias:
        return alias  # as the view spelled it
    # The contract reads headers lower-cased; a client sends them as X-Request-Id.
    return "-".join(part.capitalize() for part in str(spec.key).split("-"))


def _json_default(value: Any) -> Any:
    """A default as a client sends it (an enum's value), or None when JSON has no form
    for it (or when it is None)."""
    value = jsonable(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def _responses(
    contract: Any, schemas: MutableMapping[str, Schema], error_status: int
) -> dict[str, Any]:
    status = str(getattr(contract, "status", None) or 200)
    answer: dict[str, Any] = {"description": "The view's answer"}
    # The declared return hint, checked or not (validate_response=False, `-> dict[str, int]`).
    return_type = getattr(contract, "declared_return", None) or getattr(
        contract, "return_type", None
    )
    if return_type is not None:
        schema = schema_for(return_type, schemas, mode="serialization")
        answer["content"] = {"application/json": {"schema": schema}}
    responses = {status: answer}
    if contract.params or contract.body is not None:
        responses[str(error_status)] = {
            "description": (
                "The request does not fit the view's declared parameters or body; "
                "`detail` names every bad field"
            ),
            "content": {"application/json": {"schema": _error_answer(schemas)}},
        }
    return responses


def _error_answer(schemas: MutableMapping[str, Schema]) -> Schema:
    """A reference to the refusal's schema, added once (under `ValidationErrorAnswer2`
    should the app have a type of that name)."""
    name, number = ERROR_ANSWER, 1
    while name in schemas and schemas[name] != _ERROR_ANSWER_SCHEMA:
        number += 1
        name = f"{ERROR_ANSWER}{number}"
    schemas.setdefault(name, json.loads(json.dumps(_ERROR_ANSWER_SCHEMA)))
    return {"$ref": REF_PREFIX + name}
