"""A typed app's manifest, written as data (what `_describe` fills from views with declared
types): the OpenAPI, template and deploy tests build their documents from it."""

from __future__ import annotations

from typing import Any

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest, FunctionEntry, RouteSpec

ORDER: dict[str, Any] = {
    "type": "object",
    "title": "Order",
    "properties": {
        "sku": {"type": "string", "minLength": 1},
        "qty": {"type": "integer", "exclusiveMinimum": 0},
        "price": {"type": "number", "exclusiveMaximum": 1000},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "kind": {"const": "retail"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
    },
    "required": ["sku", "qty"],
    "examples": [{"sku": "a-1", "qty": 2}],
    "$defs": {
        "Line": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    },
}
ORDER_OUT: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "order": {"$ref": "#/components/schemas/Order"}},
    "required": ["id", "order"],
}
VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Code": {"type": "string"},
        "Message": {"type": "string"},
        "detail": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["Code", "Message", "detail"],
}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


UPDATE = RouteSpec(
    "/orders/{order_id}",
    "PUT",
    "update_order",
    content_types=["application/json"],
    parameters=[
        {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "default": 10},
        },
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
    ],
    request_body={"required": True, "content": _json("Order")},
    responses={
        "200": {"description": "Successful Response", "content": _json("Page_Order_")},
        "422": {"description": "Validation Error", "content": _json("ValidationError")},
    },
)
# A route of the same app with no declared types: its schemas stay "Empty".
PLAIN = RouteSpec("/orders/{order_id}", "DELETE", "delete_order")
LIST = RouteSpec(
    "/orders",
    "GET",
    "list_orders",
    parameters=[
        {
            "name": "tag",
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string"}},
        }
    ],
    responses={
        "200": {
            "description": "Successful Response",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}
                }
            },
        }
    },
)


def typed_manifest(*routes: RouteSpec) -> AppManifest:
    return AppManifest(
        "shop",
        [FunctionEntry(API_FUNCTION, "app.app", "api")],
        list(routes or (UPDATE, PLAIN, LIST)),
        [],
        schemas={
            "Order": ORDER,
            # pydantic's name for Page[Order]: not a name API Gateway takes for a model.
            "Page_Order_": {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
                    "total": {"type": "integer"},
                },
            },
            "OrderOut": ORDER_OUT,
            "ValidationError": VALIDATION_ERROR,
        },
    )
