"""The three requests the models benchmark sends each app, and what each must answer.

REST API (payload 1.0) proxy events built on benchmarks/events.py's GET: a POST /orders
with a valid Order, a GET /orders/{order_id}?verbose=true&limit=2, and a POST whose body
breaks two of Order's rules (answered 422 before the view runs, by every framework).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from events import REST_GET

ORDER = {
    "customer": "acme",
    "items": [
        {"sku": "BOOK-1", "quantity": 2, "unit_price": 12.5},
        {"sku": "PEN-7", "quantity": 10, "unit_price": 1.25, "note": "blue"},
    ],
    "coupon": "SPRING",
}
# quantity 0 breaks `ge=1`, "lost" is no Status: two errors, both in the body.
BAD_ORDER = {
    "customer": "acme",
    "items": [{"sku": "BOOK-1", "quantity": 0, "unit_price": 12.5}],
    "status": "lost",
}


def _rest_event(method: str, resource: str, path: str, body: str | None) -> dict[str, Any]:
    """A copy of events.REST_GET turned into another method, resource and body."""
    event = copy.deepcopy(REST_GET)
    event.update(resource=resource, path=path, httpMethod=method, body=body)
    event["requestContext"].update(resourcePath=resource, httpMethod=method, path=f"/dev{path}")
    if body is not None:
        # API Gateway passes the client's headers through; a JSON POST carries these two.
        extra = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        event["headers"].update(extra)
        event["multiValueHeaders"].update({name: [value] for name, value in extra.items()})
    return event


def _post(order: dict[str, Any]) -> dict[str, Any]:
    event = _rest_event("POST", "/orders", "/orders", json.dumps(order))
    # A path without parameters or a query string: API Gateway sends null for both.
    event.update(
        pathParameters=None, queryStringParameters=None, multiValueQueryStringParameters=None
    )
    return event


def _get() -> dict[str, Any]:
    event = _rest_event("GET", "/orders/{order_id}", "/orders/42", None)
    query = {"verbose": "true", "limit": "2"}
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    return event


CASES: dict[str, dict[str, Any]] = {
    "POST /orders": _post(ORDER),
    "GET /orders/42": _get(),
    "POST bad body": _post(BAD_ORDER),
}

_ITEMS_OUT = [{**item, "note": item.get("note")} for item in ORDER["items"]]
EXPECTED: dict[str, tuple[int, Any]] = {
    "POST /orders": (
        200,
        {
            "id": 1001,
            "customer": "acme",
            "status": "pending",
            "items": _ITEMS_OUT,
            "total": 37.5,
            "coupon": "SPRING",
        },
    ),
    "GET /orders/42": (
        200,
        {
            "id": 42,
            "customer": "acme",
            "status": "paid",
            "items": [
                {"sku": "BOOK-1", "quantity": 2, "unit_price": 12.5, "note": None},
                {"sku": "PEN-7", "quantity": 10, "unit_price": 1.25, "note": "blue"},
            ],
            "total": 37.5,
            "coupon": None,
        },
    ),
    # Each framework words its 422 its own way; all list the errors under "detail".
    "POST bad body": (422, {("body", "items", 0, "quantity"), ("body", "status")}),
}


def fresh(case: str) -> dict[str, Any]:
    return copy.deepcopy(CASES[case])


def problem(case: str, answer: Any) -> str:
    """What is wrong with an app's answer to CASES[case]; '' if nothing."""
    status, expected = EXPECTED[case]
    if not isinstance(answer, dict) or answer.get("statusCode") != status:
        return f"{case}: expected {status}, got {answer!r}"
    body = json.loads(answer.get("body") or "null")
    if status == 422:
        body = {tuple(error["loc"]) for error in body.get("detail", [])}
    if body != expected:
        return f"{case}: expected {expected}, got {body!r}"
    return ""
