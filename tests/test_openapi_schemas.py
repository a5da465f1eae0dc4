"""JSON Schema 2020-12 written down to OpenAPI 3.0 and to API Gateway's models, `$defs`
hoisted into components, model names API Gateway takes; each result checked by the
OpenAPI validator of its version."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from chalicelike._tooling._openapi_schemas import (
    DefsHoister,
    SchemaWriter,
    api_gateway_schema,
    model_names,
    openapi_30_schema,
    openapi_31_schema,
)


def _valid(schema: Any, version: str) -> None:
    """Raises unless `schema` is a valid Schema Object of OpenAPI `version`."""
    validate(
        {
            "openapi": "3.0.3" if version == "3.0" else "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": schema, "Order": {"type": "object"}}},
        }
    )


CASES_30: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "optional",
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "default": None},
        {"type": "integer", "minimum": 1, "nullable": True, "default": None},
    ),
    (
        "optional model",
        {"anyOf": [{"$ref": "#/components/schemas/Order"}, {"type": "null"}]},
        {"allOf": [{"$ref": "#/components/schemas/Order"}], "nullable": True},
    ),
    (
        "optional union",
        {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
        {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
    ),
    ("const", {"const": "retail"}, {"enum": ["retail"]}),
    ("const null", {"const": None}, {"enum": [None], "nullable": True}),
    (
        "exclusive bounds",
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5},
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 1.5,
            "exclusiveMaximum": True,
        },
    ),
    (
        "a stricter inclusive bound wins",
        {"type": "integer", "minimum": 5, "exclusiveMinimum": 0},
        {"type": "integer", "minimum": 5},
    ),
    ("examples", {"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}),
    ("type list", {"type": ["string", "null"]}, {"type": "string", "nullable": True}),
    (
        "several types",
        {"type": ["string", "integer"]},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    ),
    ("null alone", {"type": "null"}, {"nullable": True, "enum": [None]}),
    (
        "tuple",
        {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2},
        {
            "type": "array",
            "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "minItems": 2,
        },
    ),
    (
        "tuple of one kind",
        {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
        {"type": "array", "items": {"type": "integer"}},
    ),
    ("array without items", {"type": "array"}, {"type": "array", "items": {}}),
    (
        "2020-12 only keywords",
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://example.com/s",
            "$comment": "x",
            "type": "object",
            "patternProperties": {"^x": {"type": "string"}},
            "propertyNames": {"maxLength": 3},
            "unevaluatedProperties": False,
            "dependentRequired": {"a": ["b"]},
        },
        {"type": "object"},
    ),
    (
        "nested",
        {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": ["string", "null"]}},
                "extra": {"type": "object", "additionalProperties": {"const": 1}},
            },
        },
        {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string", "nullable": True}},
                "extra": {"type": "object", "additionalProperties": {"enum": [1]}},
            },
        },
    ),
    (
        "a reference with siblings",
        {"$ref": "#/components/schemas/Order", "default": {"sku": "a"}},
        {"allOf": [{"$ref": "#/components/schemas/Order"}], "default": {"sku": "a"}},
    ),
]


@pytest.mark.parametrize(
    ("schema", "expected"), [c[1:] for c in CASES_30], ids=[c[0] for c in CASES_30]
)
def test_openapi_30_schema(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    _valid(schema, "3.1")  # what the manifest holds is valid 3.1 ...
    converted = openapi_30_schema(schema)
    assert converted == expected
    _valid(converted, "3.0")  # ... and what comes out valid 3.0


def test_openapi_30_schema_leaves_the_input_alone() -> None:
    schema = {"type": "object", "properties": {"a": {"const": 1}}}
    openapi_30_schema(schema)
    assert schema == {"type": "object", "properties": {"a": {"const": 1}}}


def test_true_and_false_schemas() -> None:
    assert openapi_30_schema(True) == {}
    assert openapi_30_schema(False) == {"not": {}}
    assert openapi_30_schema({"type": "array", "items": True}) == {"type": "array", "items": {}}


def test_api_gateway_leaves_out_what_its_models_do_not_support() -> None:
    schema = openapi_30_schema(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "format": "int64", "readOnly": True},
                "ratio": {"type": "number", "format": "int32", "exclusiveMinimum": 0},
                "count": {"type": "integer", "exclusiveMaximum": 10},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "kind": {"type": "string", "discriminator": {"propertyName": "kind"}},
            },
            "additionalProperties": False,
            "examples": [{"id": 1}],
        }
    )
    assert api_gateway_schema(schema) == {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int64"},  # an integer's int64 is fine
            "ratio": {"type": "number", "minimum": 0},
            "count": {"type": "integer", "maximum": 9},
            "either": {},
            "kind": {"type": "string"},
        },
    }


def test_openapi_31_schema_reads_3_0_spellings() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True, "example": "x"},
            "b": {"$ref": "#/components/schemas/B", "nullable": True},
            "c": {"type": ["integer", "null"], "nullable": True},
        },
    }
    converted = openapi_31_schema(schema)
    assert converted["properties"] == {
        "a": {"type": ["string", "null"], "examples": ["x"]},
        "b": {"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]},
        "c": {"type": ["integer", "null"]},
    }
    assert openapi_31_schema({"type": "integer"}) == {"type": "integer"}


def test_defs_are_hoisted_into_components_renamed_on_a_clash() -> None:
    hoister = DefsHoister({"Line": {"type": "string"}})
    schema = {
        "type": "object",
        "properties": {
            "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
            "note": {"$ref": "#/$defs/Note"},
        },
        "$defs": {
            "Line": {"type": "object", "properties": {"note": {"$ref": "#/$defs/Note"}}},
            "Note": {"type": "string", "maxLength": 10},
        },
    }
    hoisted = hoister.hoist(schema)
    assert "$defs" not in hoisted
    assert hoisted["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/Line2"}
    assert hoisted["properties"]["note"] == {"$ref": "#/components/schemas/Note"}
    assert hoister.components == {
        "Line": {"type": "string"},
        "Line2": {"type": "object", "properties": {"note": {"$ref": "#/components/schemas/Note"}}},
        "Note": {"type": "string", "maxLength": 10},
    }
    # The same definition met again is the same component, not a third.
    hoister.hoist({"$ref": "#/$defs/Note", "$defs": {"Note": {"type": "string", "maxLength": 10}}})
    assert set(hoister.components) == {"Line", "Line2", "Note"}


def test_model_names_are_alphanumeric_and_distinct() -> None:
    assert model_names(["Order", "Page_Order_", "PageOrder", "Page[Order]", "_"]) == {
        "Order": "Order",
        "Page_Order_": "PageOrder2",
        "PageOrder": "PageOrder",
        "Page[Order]": "PageOrder3",
        "_": "Model",
    }


def test_a_writer_converts_parameters_bodies_and_headers() -> None:
    writer = SchemaWriter({}, "3.0")
    parameter = {"name": "q", "in": "query", "schema": {"type": ["integer", "null"]}}
    assert writer.parameter(parameter)["schema"] == {"type": "integer", "nullable": True}
    response = {
        "description": "ok",
        "headers": {"X-Total": {"schema": {"const": 1}}},
        "content": {"application/json": {"schema": {"type": "null"}}},
    }
    converted = writer.with_content(response)
    assert converted["headers"]["X-Total"]["schema"] == {"enum": [1]}
    assert converted["content"]["application/json"]["schema"] == {"nullable": True, "enum": [None]}
    with pytest.raises(ValueError, match=r"one of 3\.1, 3\.0"):
        SchemaWriter({}, "2.0")


def test_api_gateways_models_take_null_where_the_app_does() -> None:
    # Draft 4 (API Gateway's models) has no `nullable`: the type and a reference beside it go.
    model = api_gateway_schema(
        {
            "type": "object",
            "properties": {
                "note": {"type": "string", "nullable": True, "maxLength": 3},
                "item": {"allOf": [{"$ref": "#/components/schemas/Item"}], "nullable": True},
            },
        }
    )
    assert model["properties"] == {
        "note": {"nullable": True, "maxLength": 3},
        "item": {"nullable": True},
    }
    # A parameter's schema is no model (API Gateway checks only that it is there): kept.
    assert api_gateway_schema({"type": "integer", "nullable": True}, model=False) == {
        "type": "integer",
        "nullable": True,
    }
