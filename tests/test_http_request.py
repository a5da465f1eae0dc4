"""The neutral HttpRequest and the one serve path every front door shares (HttpPipeline.serve):
route, API Gateway's own answers, the Request (one initialiser), middleware, view, render."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelike import Chalice, Request
from chalicelike._core._errors import InvalidEventError
from chalicelike._core._http_request import HttpEventSource, HttpRequest, read_rest_event
from chalicelike._core._response import RenderedResponse
from chalicelike.test import Client


def make_app() -> Chalice:
    app = Chalice(app_name="serve", configure_logs=False)

    @app.route("/orders/{order_id}", methods=["GET", "PUT"])
    def order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        assert request is not None
        return {"id": order_id, "params": request.uri_params, "query": request.query_params}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not served here")

    app.mount("/docs", inner)
    return app


def served(app: Chalice, http: HttpRequest) -> RenderedResponse:
    answer = app.http_pipeline.serve(http)
    assert answer is not None
    return answer


def test_one_serve_path_for_a_request_from_any_door() -> None:
    app = make_app()
    answer = served(app, HttpRequest(None, "GET", "/orders/7", {}, b"", query_string="a=1"))
    assert answer.status_code == 200
    assert json.loads(answer.body) == {"id": "7", "params": {"order_id": "7"}, "query": {"a": "1"}}


def test_serve_answers_as_the_gateway_the_request_stands_for() -> None:
    app = make_app()
    # Off Lambda and behind a REST API, an unknown path is API Gateway REST's 403; behind
    # an HTTP API or an ALB, the app routes for itself and answers 404.
    for source, status in [(None, 403), (HttpEventSource.REST_API, 403)]:
        answer = served(app, HttpRequest(source, "GET", "/nowhere", {}, b""))
        assert answer.status_code == status
    answer = served(app, HttpRequest(HttpEventSource.HTTP_API, "GET", "/nowhere", {}, b""))
    assert answer.status_code == 404
    assert served(app, HttpRequest(None, "POST", "/orders/7", {}, b"")).status_code == 405


def test_serve_leaves_a_mounted_apps_path_to_its_door() -> None:
    app = make_app()
    assert app.http_pipeline.serve(HttpRequest(None, "GET", "/docs/index", {}, b"")) is None


def test_a_rest_apis_matched_resource_and_parameters_are_trusted() -> None:
    app = make_app()
    http = HttpRequest(
        HttpEventSource.REST_API,
        "GET",
        "/stage-less/anything",
        {},
        b"",
        resource="/orders/{order_id}",
        path_params={"order_id": "from-gateway"},
    )
    assert json.loads(served(app, http).body)["id"] == "from-gateway"


def test_chalices_constructor_reads_the_event_through_the_same_reader() -> None:
    event = {
        "resource": "/orders/{order_id}",
        "path": "/orders/7",
        "httpMethod": "GET",
        "headers": {"Accept": "*/*"},
        "multiValueHeaders": {"Accept": ["*/*"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"order_id": "7"},
        "stageVariables": None,
        "requestContext": {"resourcePath": "/orders/{order_id}", "httpMethod": "GET"},
        "body": None,
        "isBase64Encoded": False,
    }
    http = read_rest_event(event)
    assert (http.method, http.route_path, http.resource) == ("GET", "/orders/7", event["resource"])
    request = Request(event, "ctx")
    assert (request.method, request.path, request.uri_params) == (
        "GET",
        event["resource"],
        {"order_id": "7"},
    )
    assert request.lambda_context == "ctx" and request.to_original_event() is event
    with pytest.raises(InvalidEventError, match="Malformed API Gateway REST API"):
        Request({"requestContext": {}})


def test_the_test_client_runs_what_lambda_runs() -> None:
    # The client sends the app the REST event API Gateway would (through app(event, context)),
    # so a view sees a whole event, and Chalice's constructor rebuilds the same request.
    app = Chalice(app_name="through-lambda", configure_logs=False)
    seen: list[Request] = []

    @app.route("/items/{item_id}", methods=["POST"], content_types=["text/plain"])
    def item(item_id: str) -> str:
        request = app.current_request
        assert request is not None
        seen.append(request)
        return "ok"

    with Client(app) as client:
        answer = client.http.post(
            "/items/9?tag=a&tag=b", headers={"Content-Type": "text/plain"}, body="hi"
        )
    assert answer.status_code == 200
    event = seen[0].to_original_event()
    assert event["resource"] == "/items/{item_id}" and event["path"] == "/items/9"
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["requestContext"]["stage"] == "api"
    assert event["body"] == "hi" and event["stageVariables"] == {}
    assert Request(event).to_dict() == seen[0].to_dict()
    assert app.lambda_context.function_name == "api_handler"


def test_a_rest_event_malformed_in_several_fields_names_them_in_one_order() -> None:
    # Headers first, then the body, the query and the path parameters: the same field is
    # named whatever the reader checks first internally.
    event: dict[str, Any] = {
        "resource": "/orders/{order_id}",
        "path": "/orders/7",
        "httpMethod": "GET",
        "headers": {"Host": 5},
        "body": 12,
        "multiValueQueryStringParameters": {"tag": "a"},
        "pathParameters": ["7"],
        "requestContext": {},
    }
    expected = {
        "headers": "header 'Host' must be a string",
        "body": "body must be a string, not int",
        "multiValueQueryStringParameters": "must map names to lists of strings",
        "pathParameters": "field 'pathParameters' must be an object, not list",
    }
    for field, message in expected.items():
        with pytest.raises(InvalidEventError, match=message):
            read_rest_event(event)
        del event[field]
    assert read_rest_event(event).path_params is None


def test_the_rest_reader_sets_every_field_the_initialiser_sets() -> None:
    # read_rest_event fills an HttpRequest without its initialiser: a field added to the
    # class must be set there too, to what the initialiser would set.
    event = {
        "resource": "/orders/{order_id}",
        "path": "/orders/7",
        "httpMethod": "get",
        "headers": {"Accept": "*/*"},
        "multiValueHeaders": {"Accept": ["*/*"]},
        "multiValueQueryStringParameters": {"tag": ["a"]},
        "pathParameters": {"order_id": "7"},
        "requestContext": {},
        "body": "{}",
    }
    read = read_rest_event(event)
    made = HttpRequest(
        HttpEventSource.REST_API,
        "GET",
        "/orders/7",
        {"accept": "*/*"},
        b"{}",
        query={"tag": ["a"]},
        resource="/orders/{order_id}",
        path_params={"order_id": "7"},
    )
    made.event = event
    lazy = {"_headers", "_header_source"}  # REST's are read on first use
    assert {n: getattr(read, n) for n in HttpRequest.__slots__ if n not in lazy} == {
        n: getattr(made, n) for n in HttpRequest.__slots__ if n not in lazy
    }
    assert read.headers == made.headers
