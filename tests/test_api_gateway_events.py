"""The one builder of API Gateway's events (REST payload 1.0, HTTP API 2.0), read back by the
Lambda door's parser as AWS's own; and the stand-in AWS facts kept in one place."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelike._core._aws import ACCOUNT_ID, LOCAL_API_ID
from chalicelike._doors._api_gateway_events import (
    GatewayFacts,
    http_api_event,
    request_id,
    request_time,
    rest_api_event,
)
from chalicelike._doors._http_events import HttpEventSource, parse_http_event

PACKAGE = Path(__file__).resolve().parent.parent / "chalicelike"
FACTS = GatewayFacts("req-1", 1_714_564_800_000, domain="api.example.com:8443", user_agent="t/1")


def test_a_rest_event_reads_back_as_the_request_it_describes() -> None:
    event = rest_api_event(
        "POST",
        "/orders/7",
        "/orders/{id}",
        {"Content-Type": ["application/json"], "X-Tag": ["a", "b"]},
        {"expand": ["items", "price"]},
        {"id": "7"},
        '{"n": 1}',
        False,
        "dev",
        FACTS,
        context_path="/dev/orders/7",
    )
    assert event["headers"]["X-Tag"] == "b"  # the single-value form keeps the last
    assert event["multiValueHeaders"]["X-Tag"] == ["a", "b"]
    assert event["queryStringParameters"] == {"expand": "price"}
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT_ID and context["apiId"] == LOCAL_API_ID
    assert context["path"] == "/dev/orders/7" and context["stage"] == "dev"
    assert context["domainPrefix"] == "api"
    assert context["requestTime"] == "01/May/2024:12:00:00 +0000"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "t/1"
    http = parse_http_event(event)
    assert http.source is HttpEventSource.REST_API
    assert (http.method, http.route_path, http.resource) == ("POST", "/orders/7", "/orders/{id}")
    assert http.path_params == {"id": "7"}
    assert http.query == {"expand": ["items", "price"]}
    assert http.headers["x-tag"] == "a,b" and http.body == b'{"n": 1}'


def test_a_rest_event_without_query_or_params_carries_nulls() -> None:
    event = rest_api_event("GET", "/", "/", {}, {}, None, None, False, "api", FACTS)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None and event["stageVariables"] is None
    assert event["body"] is None and event["requestContext"]["path"] == "/"


def test_an_http_api_event_reads_back_with_its_stage_and_cookies() -> None:
    event = http_api_event(
        "GET",
        "/prod/users/3",
        "/prod/users/3",
        "a=1&a=2",
        {"accept": "*/*"},
        {"a": ["1", "2"]},
        {"id": "3"},
        None,
        False,
        "GET /users/{id}",
        "prod",
        FACTS,
        cookies=["s=1", "t=2"],
    )
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert "body" not in event and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["userAgent"] == "t/1"
    http = parse_http_event(event)
    assert http.source is HttpEventSource.HTTP_API
    assert (http.route_path, http.root_path) == ("/users/3", "/prod")
    assert http.headers["cookie"] == "s=1; t=2"


def test_request_time_is_made_once_per_second() -> None:
    assert request_time(1_714_564_800_999) == "01/May/2024:12:00:00 +0000"
    assert request_time(1_714_564_801_000) == "01/May/2024:12:00:01 +0000"


# Modules of other parts still spelling the account out, until they import _core._aws.
def test_the_account_id_is_written_once() -> None:
    found = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"\b123456789012\b", path.read_text())
    }
    assert found == {"_core/_aws.py"}


def test_request_ids_are_fresh_uuid4s() -> None:
    import uuid

    ids = {request_id() for _ in range(50)}
    assert len(ids) == 50
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and str(parsed) == value
