"""A view's contract as OpenAPI 3.1 parts: Parameter Objects by location, the Request Body
Object, the Responses Object with the refusal's schema, each checked in a whole document.

The contracts here are stand-ins of the shape `ViewContract` has (params, body, return_type),
so these tests pin down the writing alone; tests/test_manifest.py describes real views."""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal

import pydantic
import pytest
from openapi_schema_validator import OAS31Validator

from chalicelike._contracts._params import Body, Header, ParamLocation, Path, Query
from chalicelike._tooling._contract_spec import ERROR_ANSWER, ContractParts, contract_parts
from chalicelike._tooling._schema import REF_PREFIX
from tests.test_schema import check_document

Schema = dict[str, Any]
MISSING: Any = object()


@dataclasses.dataclass
class Spec:
    """Stands in for ParamSpec: the attributes the writer reads."""

    name: str
    location: ParamLocation
    key: str
    annotation: Any
    info: Any = None
    default: Any = MISSING
    many: bool = False  # a list-typed query parameter: ParamSpec works it out from the hint

    @property
    def required(self) -> bool:
        return self.default is MISSING


@dataclasses.dataclass
class Contract:
    """Stands in for ViewContract."""

    params: tuple[Spec, ...] = ()
    body: Spec | None = None
    return_type: Any = None


@dataclasses.dataclass
class NewOrder:
    sku: str
    quantity: int = 1


class Receipt(pydantic.BaseModel):
    sku: str
    quantity: int

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        return f"{self.quantity} x {self.sku}"


def query(
    name: str, annotation: Any, info: Any = None, default: Any = MISSING, many: bool = False
) -> Spec:
    return Spec(name, ParamLocation.QUERY, name, annotation, info, default, many)


def document(parts: ContractParts, schemas: dict[str, Schema], path: str = "/orders") -> Schema:
    operation: Schema = {"parameters": parts.parameters, "responses": parts.responses}
    if parts.request_body is not None:
        operation["requestBody"] = parts.request_body
    return {
        "openapi": "3.1.0",
        "info": {"title": "shop", "version": "1"},
        "paths": {path: {"post": operation}},
        "components": {"schemas": schemas},
    }


def written(
    contract: Contract, path: str = "/orders", **options: Any
) -> tuple[ContractParts, Schema]:
    schemas: dict[str, Schema] = {}
    parts = contract_parts(contract, schemas, **options)
    check_document(document(parts, schemas, path))
    return parts, schemas


def test_a_path_parameter_is_required_with_its_limits() -> None:
    spec = Spec("order_id", ParamLocation.PATH, "order_id", int, Path(ge=1, description="Id"))
    parts, _ = written(Contract(params=(spec,)), "/orders/{order_id}")
    assert parts.parameters == [
        {
            "name": "order_id",
            "in": "path",
            "required": True,
            "description": "Id",
            "schema": {"type": "integer", "minimum": 1},
        }
    ]


def test_query_parameters_required_without_a_default() -> None:
    contract = Contract(
        params=(
            query("limit", int, Query(ge=1, le=100), default=10),
            query("sort", Literal["asc", "desc"]),
            query("after", str | None, default=None),
        )
    )
    parts, _ = written(contract)
    limit, sort, after = parts.parameters
    assert limit == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    }
    assert sort["required"] is True and sort["schema"]["enum"] == ["asc", "desc"]
    assert after["required"] is False and "default" not in after["schema"]
    # A query string has no null: absent or text.
    assert after["schema"] == {"type": "string"}


def test_an_optional_parameter_keeps_its_limits_without_null() -> None:
    info = Query(min_length=2)
    parts, _ = written(Contract(params=(query("q", str | int | None, info, None),)))
    assert parts.parameters[0]["schema"] == {
        "anyOf": [{"type": "string"}, {"type": "integer"}],
        "minLength": 2,
    }


class Sort(enum.Enum):
    ASC = "asc"
    DESC = "desc"


def test_a_default_is_shown_as_a_client_sends_it() -> None:
    sort_spec = query("sort", Sort, default=Sort.DESC)
    contract = Contract(params=(sort_spec, query("o", Any, default=object())))
    parts, schemas = written(contract)
    sort, anything = parts.parameters
    assert sort["schema"] == {"$ref": REF_PREFIX + "Sort", "default": "desc"}
    assert schemas["Sort"]["enum"] == ["asc", "desc"]
    assert anything["schema"] == {}  # no JSON form: no default shown


def test_a_query_list_is_an_array_sent_as_repeated_names() -> None:
    contract = Contract(
        params=(
            query("tag", list[str], default=[], many=True),
            query("id", set[int] | None, many=True),
        )
    )
    parts, _ = written(contract)
    tag, ids = parts.parameters
    assert tag["schema"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert (tag["style"], tag["explode"]) == ("form", True)
    assert (ids["style"], ids["explode"]) == ("form", True)


def test_a_plain_query_value_has_no_style() -> None:
    parts, _ = written(Contract(params=(query("q", str),)))
    assert "style" not in parts.parameters[0]


def test_headers_are_named_as_clients_send_them() -> None:
    contract = Contract(
        params=(
            Spec("x_request_id", ParamLocation.HEADER, "x-request-id", str),
            Spec("key", ParamLocation.HEADER, "x-api-key", str, Header(alias="X-API-Key"), None),
        )
    )
    parts, _ = written(contract)
    assert [(p["name"], p["in"], p["required"]) for p in parts.parameters] == [
        ("X-Request-Id", "header", True),
        ("X-API-Key", "header", False),
    ]


def test_a_description_goes_on_the_parameter() -> None:
    info = Query(description="Free text", examples=["pen"], max_length=20)
    parts, _ = written(Contract(params=(query("q", str, info),)))
    assert parts.parameters[0]["description"] == "Free text"
    assert parts.parameters[0]["schema"] == {
        "type": "string",
        "maxLength": 20,
        "examples": ["pen"],
    }


def test_the_body_refers_to_its_component() -> None:
    body = Spec("order", ParamLocation.BODY, "order", NewOrder)
    parts, schemas = written(Contract(body=body))
    assert parts.request_body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "NewOrder"}}},
    }
    assert schemas["NewOrder"]["required"] == ["sku"]


def test_an_optional_body_with_a_marker() -> None:
    info = Body(min_length=1, description="The ids to delete")
    body = Spec("ids", ParamLocation.BODY, "ids", list[int], info, default=None)
    parts, _ = written(Contract(body=body))
    assert parts.request_body is not None
    assert parts.request_body["required"] is False
    assert parts.request_body["description"] == "The ids to delete"
    schema = parts.request_body["content"]["application/json"]["schema"]
    assert schema["minItems"] == 1 and schema["items"] == {"type": "integer"}


def test_the_answer_is_the_return_type_as_written() -> None:
    contract = Contract(
        body=Spec("order", ParamLocation.BODY, "order", NewOrder), return_type=Receipt
    )
    parts, schemas = written(contract)
    assert parts.responses is not None
    ok = parts.responses["200"]
    assert ok["description"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": REF_PREFIX + "Receipt"}
    # Serialisation mode: the computed field is in what the view answers.
    assert "summary" in schemas["Receipt"]["properties"]


def test_an_undeclared_answer_has_no_schema() -> None:
    parts, _ = written(Contract(params=(query("q", str),)))
    assert parts.responses is not None
    assert parts.responses["200"] == {"description": "The view's answer"}


def test_a_declared_status_is_used() -> None:
    contract = Contract(body=Spec("order", ParamLocation.BODY, "order", NewOrder))
    contract.status = 201  # type: ignore[attr-defined]
    parts, _ = written(contract)
    assert parts.responses is not None and set(parts.responses) == {"201", "422"}


@pytest.mark.parametrize("status", [422, 400])
def test_the_refusal_under_the_apps_status(status: int) -> None:
    parts, schemas = written(Contract(params=(query("q", int),)), error_status=status)
    assert parts.responses is not None
    refusal = parts.responses[str(status)]
    assert refusal["description"]
    ref = refusal["content"]["application/json"]["schema"]
    assert ref == {"$ref": REF_PREFIX + ERROR_ANSWER}
    body: dict[str, Any] = {
        "Code": "UnprocessableEntityError",
        "Message": "1 validation error: query.q: Input should be a valid integer",
        "detail": [{"loc": ["query", "q"], "msg": "Input should be ...", "type": "int_parsing"}],
    }
    validator = OAS31Validator(schemas[ERROR_ANSWER])
    assert validator.is_valid(body)
    assert validator.is_valid({**body, "detail": [{**body["detail"][0], "loc": ["body", 0]}]})
    assert not validator.is_valid({**body, "detail": [{"loc": [None], "msg": "", "type": ""}]})
    assert not validator.is_valid({"Code": "x", "Message": "y"})


def test_a_contract_own_error_status_wins() -> None:
    contract = Contract(params=(query("q", int),))
    contract.error_status = 400  # type: ignore[attr-defined]
    parts, _ = written(contract, error_status=422)
    assert parts.responses is not None and set(parts.responses) == {"200", "400"}


def test_nothing_to_refuse_without_parameters_or_body() -> None:
    parts, schemas = written(Contract(return_type=list[Receipt]))
    assert parts.parameters == [] and parts.request_body is None
    assert parts.responses is not None and set(parts.responses) == {"200"}
    assert ERROR_ANSWER not in schemas


def test_an_apps_own_type_named_like_the_refusal_keeps_its_name() -> None:
    theirs = dataclasses.make_dataclass(ERROR_ANSWER, [("reason", str)])
    schemas: dict[str, Schema] = {}
    body = Spec("x", ParamLocation.BODY, "x", theirs)
    parts = contract_parts(Contract(body=body), schemas)
    assert parts.responses is not None
    assert parts.responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": REF_PREFIX + ERROR_ANSWER + "2"
    }
    assert schemas[ERROR_ANSWER]["properties"] == {"reason": {"type": "string"}}
    again = contract_parts(Contract(body=body), schemas)
    assert again == parts and len(schemas) == 2  # described again: nothing new


def test_routes_share_the_components() -> None:
    schemas: dict[str, Schema] = {}
    body = Spec("order", ParamLocation.BODY, "order", NewOrder)
    first = contract_parts(Contract(body=body), schemas)
    second = contract_parts(Contract(body=body, return_type=Annotated[NewOrder, "doc"]), schemas)
    assert first.request_body == second.request_body
    assert set(schemas) == {"NewOrder", ERROR_ANSWER}
