"""Tests for chalicelike._doors._lambda_http beyond the five front doors of tests/lambda_events.py:
VPC Lattice (event structures 1.0 and 2.0) served as a sixth, and the events that look like
HTTP requests but are not (authorizer events, Lambda@Edge response triggers), refused by name.

The Lattice events follow the shapes AWS documents for Lambda targets of VPC Lattice.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelike import Chalice, Response
from chalicelike._core._errors import InvalidEventError
from chalicelike._doors._http_events import HttpEventSource, identify_source, parse_http_event
from tests.lambda_events import Context

HOST = "orders-0a1b2c3d4e5f67890.7d67968.vpc-lattice-svcs.eu-west-1.on.aws"


def lattice_v1(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Structure 1.0: snake-case fields, one string per header and query parameter."""
    return {
        "raw_path": path,
        "method": method,
        "headers": {"host": HOST, "user-agent": "curl/8.4.0", **(headers or {})},
        "query_string_parameters": query or {},
        "body": base64.b64encode(body).decode(),
        "is_base64_encoded": True,
    }


def lattice_v2(
    method: str,
    path: str,
    headers: dict[str, list[str]] | None = None,
    body: bytes = b"",
    query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Structure 2.0: camel-case fields, lists of values, and a requestContext."""
    event: dict[str, Any] = {
        "version": "2.0",
        "path": path,
        "method": method,
        "headers": {"host": [HOST], "user-agent": ["curl/8.4.0"], **(headers or {})},
        "body": body.decode(),
        "isBase64Encoded": False,
        "requestContext": {
            "serviceNetworkArn": "arn:aws:vpc-lattice:eu-west-1:1234:servicenetwork/sn-0a1b",
            "serviceArn": "arn:aws:vpc-lattice:eu-west-1:123456789012:service/svc-0c2d",
            "targetGroupArn": "arn:aws:vpc-lattice:eu-west-1:123456789012:targetgroup/tg-0e3f",
            "identity": {"sourceVpcArn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0a4b"},
            "region": "eu-west-1",
            "timeEpoch": "1795453200000000",
        },
    }
    if query is not None:
        event["queryStringParameters"] = query
    return event


@pytest.fixture
def app() -> Chalice:
    app = Chalice(app_name="lattice", configure_logs=False)

    @app.route("/orders/{order_id}", methods=["GET", "PUT"])
    def order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        query = request.query_params
        return {
            "id": order_id,
            "method": request.method,
            "agent": request.headers.get("User-Agent"),
            "tags": None if query is None else query.getlist("tag"),
            "json": request.json_body,
            "context": sorted(request.context),
        }

    @app.route("/cookies")
    def cookies() -> Response:
        return Response("", headers={"Set-Cookie": ["a=1", "b=2"]}, status_code=201)

    return app


def answer_of(raw: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    json.dumps(raw)  # Lambda serialises it
    assert set(raw) == {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
    assert raw["statusDescription"].startswith(f"{raw['statusCode']} ")
    body = base64.b64decode(raw["body"]) if raw["isBase64Encoded"] else raw["body"].encode()
    return raw["statusCode"], raw["headers"], json.loads(body) if body else None


def test_lattice_v1_is_served(app: Chalice) -> None:
    event = lattice_v1(
        "PUT",
        "/orders/42",
        {"content-type": "application/json"},
        b'{"qty": 2}',
        {"tag": "a"},
    )
    assert identify_source(event) is HttpEventSource.VPC_LATTICE
    status, headers, body = answer_of(app(event, Context()))
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert body == {
        "id": "42",
        "method": "PUT",
        "agent": "curl/8.4.0",
        "tags": ["a"],
        "json": {"qty": 2},
        "context": [],
    }


def test_lattice_v2_is_served(app: Chalice) -> None:
    event = lattice_v2("GET", "/orders/7", query={"tag": ["a", "b"]})
    assert identify_source(event) is HttpEventSource.VPC_LATTICE_V2
    status, _, body = answer_of(app(event, Context()))
    assert status == 200
    assert body["tags"] == ["a", "b"]
    assert body["context"] == [
        "identity",
        "region",
        "serviceArn",
        "serviceNetworkArn",
        "targetGroupArn",
        "timeEpoch",
    ]


@pytest.mark.parametrize("build", [lattice_v1, lattice_v2])
def test_lattice_unknown_path_and_repeated_headers(app: Chalice, build: Any) -> None:
    status, _, body = answer_of(app(build("GET", "/nowhere"), Context()))
    assert (status, body) == (404, {"message": "Not Found"})  # the app routes for itself
    status, headers, _ = answer_of(app(build("GET", "/cookies"), Context()))
    assert (status, headers["Set-Cookie"]) == (201, "a=1,b=2")


def test_a_lattice_query_name_with_no_values_is_no_name_at_all() -> None:
    # Read by HttpRequest's initialiser, as every door but REST's is.
    event = lattice_v2("GET", "/orders/7", query={"tag": [], "page": ["1"]})
    assert parse_http_event(event).query == {"page": ["1"]}
    assert event["queryStringParameters"] == {"tag": [], "page": ["1"]}


def test_lattice_v1_query_in_the_raw_path(app: Chalice) -> None:
    event = lattice_v1("GET", "/orders/9?tag=x&tag=y")
    del event["query_string_parameters"]
    _, _, body = answer_of(app(event, Context()))
    assert (body["id"], body["tags"]) == ("9", ["x", "y"])


def test_malformed_lattice_event_names_the_field(app: Chalice) -> None:
    event = lattice_v2("GET", "/orders/1")
    event["headers"]["accept"] = [3]
    with pytest.raises(InvalidEventError) as caught:
        app(event, Context())
    assert str(caught.value) == (
        "Malformed VPC Lattice (event structure 2.0) event: "
        "'accept' must be a string or a list of strings"
    )


def test_mounted_app_under_lattice_is_refused_by_name(app: Chalice) -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None: ...

    app.mount("/legacy", asgi)
    with pytest.raises(InvalidEventError, match="Mangum, which does not read VPC Lattice"):
        app(lattice_v2("GET", "/legacy/x"), Context())


# -- events that are not requests for the app ------------------------------------------


def test_rest_request_authorizer_event_is_refused(app: Chalice) -> None:
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/orders/1",
        "resource": "/orders/{order_id}",
        "path": "/orders/1",
        "httpMethod": "GET",
        "headers": {"Authorization": "allow"},
        "pathParameters": {"order_id": "1"},
        "requestContext": {"resourcePath": "/orders/{order_id}", "httpMethod": "GET"},
    }
    with pytest.raises(InvalidEventError) as caught:
        app(event, Context())
    assert str(caught.value).startswith(
        "This is an API Gateway REQUEST authorizer event (it has methodArn), not an HTTP request"
    )


@pytest.mark.parametrize(
    "event",
    [
        {"type": "TOKEN", "authorizationToken": "allow", "methodArn": "arn:aws:execute-api:x"},
        {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/",
            "rawPath": "/orders/1",
            "requestContext": {"http": {"method": "GET", "path": "/orders/1"}},
        },
    ],
    ids=["token", "http-api-v2"],
)
def test_other_authorizer_events_are_refused(app: Chalice, event: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventError, match=r"authorizer event .* \(@app\.authorizer"):
        app(event, Context())


@pytest.mark.parametrize("trigger", ["origin-response", "viewer-response"])
def test_lambda_edge_response_triggers_are_refused(app: Chalice, trigger: str) -> None:
    cf = {
        "config": {"distributionId": "E2QWRUHEXAMPLE", "eventType": trigger},
        "request": {"method": "GET", "uri": "/orders/1", "querystring": "", "headers": {}},
        "response": {"status": "200", "statusDescription": "OK", "headers": {}},
    }
    with pytest.raises(InvalidEventError) as caught:
        app({"Records": [{"cf": cf}]}, Context())
    assert str(caught.value).startswith(f"This is a Lambda@Edge {trigger} event")
