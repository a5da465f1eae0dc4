"""LocalGateway over real HTTP (uvicorn on 127.0.0.1, requests): routing, events, bodies,
CORS, the four authorizer kinds and API Gateway's own answers, for REST (1.0) and HTTP API
(2.0) payloads; the app runs in-process (AppLambda), and through WorkerPool at the end."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests.adapters

from chalicelike import (
    AuthResponse,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    IAMAuthorizer,
    JWTAuthorizer,
    Response,
)
from chalicelike._tooling._describe import describe_project
from chalicelike._tooling._manifest import describe_app
from chalicelike.local._functions import function_specs
from chalicelike.local._gateway import LocalGateway
from chalicelike.local._pool import WorkerPool
from chalicelike.local._traces import TraceStore
from tests.local.gateway_support import (
    AppLambda,
    AppState,
    GatewayHarness,
    app_server,
    gateway_server,
)

POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123"
POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def shop_app() -> Chalice:
    app = Chalice(app_name="shop", configure_logs=False)

    @app.authorizer(ttl_seconds=300)
    def token_auth(auth_request: Any) -> Any:
        token = auth_request.token
        if token.startswith("boom"):
            raise RuntimeError("the authorizer itself failed")
        if token.startswith("nope"):
            raise Exception("Unauthorized")
        if token.startswith("junk"):
            return {"principalId": "x"}  # no policy: API Gateway answers 500
        routes = ["/private/*"] if token.startswith("allow") else []
        return AuthResponse(routes=routes, principal_id="user-7", context={"tier": "gold"})

    @app.authorizer(
        ttl_seconds=0,
        authorizer_type="REQUEST",
        identity_sources=["header.X-Api-Key", "query.tenant"],
    )
    def key_auth(auth_request: Any) -> AuthResponse:
        ok = auth_request.headers.get("x-api-key") == "k-123"
        tenant = auth_request.query_params["tenant"]
        return AuthResponse(["*"] if ok else [], principal_id="key", context={"tenant": tenant})

    def seen() -> dict[str, Any]:
        request = app.current_request
        return {
            "authorizer": request.context.get("authorizer"),
            "event": request.to_original_event(),
        }

    app.route("/private/{item}", authorizer=token_auth)(lambda item: seen())
    app.route("/keys", authorizer=key_auth)(seen)
    cognito = CognitoUserPoolAuthorizer("pool", provider_arns=[POOL_ARN])
    app.route("/profile", authorizer=cognito)(seen)
    app.route("/jwt", authorizer=JWTAuthorizer("jwt", "https://issuer.example", "shop"))(seen)
    app.route("/signed", authorizer=IAMAuthorizer())(seen)
    app.route("/keyed", api_key_required=True)(seen)

    @app.route("/orders/{order_id}", methods=["GET", "DELETE"])
    def order(order_id: str) -> dict[str, Any]:
        request = app.current_request
        query = request.query_params
        return {
            "order_id": order_id,
            "method": request.method,
            "tags": query.getlist("tag") if query else [],
            "x_tag": request.headers.get("x-tag"),
            "event": request.to_original_event(),
        }

    @app.route(
        "/echo",
        methods=["POST", "PUT"],
        content_types=["application/json", "application/octet-stream", "text/plain"],
    )
    def echo() -> dict[str, Any]:
        request = app.current_request
        is_json = request.headers.get("content-type") == "application/json"
        return {
            "json": request.json_body if is_json else None,
            "raw": base64.b64encode(request.raw_body).decode(),
            "is_base64": request.to_original_event().get("isBase64Encoded"),
        }

    @app.route("/png")
    def png() -> Response:
        return Response(PNG, headers={"Content-Type": "image/png"})

    @app.route("/cookies")
    def cookies() -> Response:
        request = app.current_request
        return Response(
            {"cookie": request.headers.get("cookie")},
            headers={"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"]},
        )

    cors = CORSConfig(allow_origin="https://shop.example", max_age=600, expose_headers=["X-Total"])
    app.route("/cors", methods=["GET", "PUT"], cors=cors)(lambda: {"cors": True})

    @app.route("/slow")
    def slow() -> dict[str, Any]:
        seconds = float(app.current_request.query_params["seconds"])
        time.sleep(seconds)
        return {"slept": seconds}

    @app.route("/big")
    def big() -> str:
        return "x" * (6 * 1024 * 1024 + 1)

    return app


@pytest.fixture(scope="module")
def rest_server() -> Iterator[GatewayHarness]:
    with app_server(shop_app()) as harness:
        yield harness


@pytest.fixture(scope="module")
def http_api_server() -> Iterator[GatewayHarness]:
    with app_server(shop_app(), payload_version="2.0") as harness:
        yield harness


@pytest.fixture
def rest(rest_server: GatewayHarness) -> GatewayHarness:
    rest_server.local_lambda.calls.clear()
    rest_server.log.clear()
    return rest_server


@pytest.fixture
def http_api(http_api_server: GatewayHarness) -> GatewayHarness:
    http_api_server.local_lambda.calls.clear()
    http_api_server.log.clear()
    return http_api_server


# -- routing and the REST event ---------------------------------------------------------


def test_a_route_with_path_params_gets_a_rest_event(rest: GatewayHarness) -> None:
    answer = rest.get("/orders/7?tag=a&tag=b")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["order_id"], body["method"], body["tags"]) == ("7", "GET", ["a", "b"])
    event = body["event"]
    assert (event["resource"], event["path"]) == ("/orders/{order_id}", "/orders/7")
    assert event["pathParameters"] == {"order_id": "7"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    context = event["requestContext"]
    assert (context["path"], context["stage"]) == ("/orders/7", "api")
    # API Gateway's response headers carry the ids the event had.
    assert answer.headers["x-amzn-RequestId"] == context["requestId"]
    assert answer.headers["x-amz-apigw-id"] == context["extendedRequestId"]
    assert answer.headers["X-Amzn-Trace-Id"] == event["headers"]["x-amzn-trace-id"]
    assert answer.headers["Content-Type"] == "application/json"
    assert rest.local_lambda.calls_to("api_handler")[0] == event


def test_a_rest_api_answers_403_for_unknown_paths_and_methods(rest: GatewayHarness) -> None:
    for method, path in [("GET", "/nowhere"), ("POST", "/orders/7"), ("HEAD", "/orders/7")]:
        answer = rest.request(method, path)
        assert answer.status_code == 403
        if method != "HEAD":
            assert answer.json() == {"message": "Missing Authentication Token"}
    assert rest.local_lambda.calls == []
    assert rest.get("/orders/7/").status_code == 200  # API Gateway routes '/a/' to '/a'


def test_repeated_headers_and_query_parameters_reach_the_view(rest: GatewayHarness) -> None:
    host, port = rest.url[len("http://") :].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("GET", "/orders/9?tag=x&tag=y%20z")
        connection.putheader("X-Tag", "first")
        connection.putheader("X-Tag", "second")
        connection.endheaders()
        body = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert body["tags"] == ["x", "y z"]
    assert body["x_tag"] == "first,second"
    event = body["event"]
    assert event["multiValueHeaders"]["x-tag"] == ["first", "second"]
    assert event["headers"]["x-tag"] == "second"
    assert event["queryStringParameters"] == {"tag": "y z"}


def test_cookies_go_both_ways(rest: GatewayHarness) -> None:
    answer = rest.get("/cookies", headers={"Cookie": "s=1; t=2"})
    assert answer.json() == {"cookie": "s=1; t=2"}
    assert answer.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]


def test_json_bodies_go_both_ways(rest: GatewayHarness) -> None:
    answer = rest.request("POST", "/echo", json={"n": [1, 2]})
    assert answer.status_code == 200
    assert answer.json()["json"] == {"n": [1, 2]}
    assert answer.json()["is_base64"] is False


def test_a_binary_body_goes_up_base64_encoded(rest: GatewayHarness) -> None:
    data = bytes(range(256))
    headers = {"Content-Type": "application/octet-stream"}
    answer = rest.request("PUT", "/echo", data=data, headers=headers)
    assert answer.json()["is_base64"] is True
    assert base64.b64decode(answer.json()["raw"]) == data
    event = rest.local_lambda.calls_to("api_handler")[0]
    assert base64.b64decode(event["body"]) == data


def test_a_binary_answer_comes_down_as_bytes(rest: GatewayHarness) -> None:
    answer = rest.get("/png")
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.content == PNG


def test_the_gateway_answers_a_cors_preflight_itself(rest: GatewayHarness) -> None:
    answer = rest.request(
        "OPTIONS",
        "/cors",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "PUT"},
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,PUT,OPTIONS"
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert answer.headers["Access-Control-Max-Age"] == "600"
    assert rest.local_lambda.calls == []
    # No CORS on the route: no OPTIONS method, so API Gateway's 403.
    assert rest.request("OPTIONS", "/orders/7").status_code == 403


def test_answers_of_a_cors_route_carry_its_headers(rest: GatewayHarness) -> None:
    answer = rest.get("/cors", headers={"Origin": "https://shop.example"})
    assert answer.json() == {"cors": True}
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert answer.headers["Access-Control-Expose-Headers"] == "X-Total"


def test_an_api_key_route_needs_a_key(rest: GatewayHarness) -> None:
    assert rest.get("/keyed").status_code == 403
    assert rest.get("/keyed").json() == {"message": "Forbidden"}
    assert rest.get("/keyed", headers={"X-Api-Key": "any"}).status_code == 200


# -- authorizers ------------------------------------------------------------------------


def test_a_token_authorizer_runs_in_the_local_lambda(rest: GatewayHarness) -> None:
    answer = rest.get("/private/1", headers={"Authorization": "allow-1"})
    assert answer.status_code == 200
    authorizer = answer.json()["authorizer"]
    assert authorizer["principalId"] == "user-7" and authorizer["tier"] == "gold"
    assert isinstance(authorizer["integrationLatency"], int)
    (auth_event,) = rest.local_lambda.calls_to("token_auth")
    assert auth_event == {
        "type": "TOKEN",
        "authorizationToken": "allow-1",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:local/api/GET/private/1",
    }


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        ("deny-1", 403, {"Message": "User is not authorized to access this resource"}),
        ("nope-1", 401, {"message": "Unauthorized"}),
        ("boom-1", 500, {"message": None}),
        ("junk-1", 500, {"message": None}),
    ],
)
def test_token_authorizer_refusals(
    rest: GatewayHarness, token: str, status: int, body: dict[str, Any]
) -> None:
    answer = rest.get("/private/1", headers={"Authorization": token})
    assert (answer.status_code, answer.json()) == (status, body)
    assert rest.local_lambda.calls_to("api_handler") == []
    if token.startswith(("boom", "junk")):
        assert any("authorizer token_auth" in line for line in rest.problems())


def test_no_token_is_401_without_calling_the_authorizer(rest: GatewayHarness) -> None:
    assert rest.get("/private/1").status_code == 401
    assert rest.local_lambda.calls == []


def test_authorizer_outputs_are_cached_for_their_ttl(rest: GatewayHarness) -> None:
    for item in ("1", "2", "3"):
        assert rest.get(f"/private/{item}", headers={"Authorization": "allow-c"}).ok
    assert len(rest.local_lambda.calls_to("token_auth")) == 1
    # A cached Deny is reused as well, and still refuses.
    for _ in range(2):
        assert rest.get("/private/1", headers={"Authorization": "deny-c"}).status_code == 403
    assert len(rest.local_lambda.calls_to("token_auth")) == 2
    # A new manifest (a reload) starts with an empty cache.
    rest.state.manifest = dataclasses.replace(rest.state.manifest)
    assert rest.get("/private/1", headers={"Authorization": "allow-c"}).ok
    assert len(rest.local_lambda.calls_to("token_auth")) == 3


def test_a_request_authorizer_needs_all_its_identity_sources(rest: GatewayHarness) -> None:
    assert rest.get("/keys", headers={"X-Api-Key": "k-123"}).status_code == 401
    assert rest.get("/keys?tenant=acme").status_code == 401
    assert rest.local_lambda.calls == []
    answer = rest.get("/keys?tenant=acme", headers={"X-Api-Key": "k-123"})
    assert answer.status_code == 200
    assert answer.json()["authorizer"]["tenant"] == "acme"
    (auth_event,) = rest.local_lambda.calls_to("key_auth")
    assert auth_event["type"] == "REQUEST"
    assert auth_event["methodArn"].endswith("/api/GET/keys")
    assert auth_event["multiValueHeaders"]["x-api-key"] == ["k-123"]
    assert auth_event["multiValueQueryStringParameters"] == {"tenant": ["acme"]}
    assert "body" not in auth_event
    wrong = rest.get("/keys?tenant=acme", headers={"X-Api-Key": "wrong"})
    assert wrong.status_code == 403
    assert len(rest.local_lambda.calls_to("key_auth")) == 2  # ttl 0: called every time


def test_cognito_claims_reach_the_view(rest: GatewayHarness) -> None:
    claims = {"iss": POOL_ISSUER, "sub": "abc", "exp": time.time() + 600}
    answer = rest.get("/profile", headers={"Authorization": jwt(claims)})
    assert answer.status_code == 200
    assert answer.json()["authorizer"]["claims"]["sub"] == "abc"
    expired = {**claims, "exp": time.time() - 1}
    assert rest.get("/profile", headers={"Authorization": jwt(expired)}).status_code == 401


def test_a_jwt_authorizer_checks_the_audience(rest: GatewayHarness) -> None:
    good = {"iss": "https://issuer.example", "aud": "shop", "exp": time.time() + 60}
    answer = rest.get("/jwt", headers={"Authorization": f"Bearer {jwt(good)}"})
    assert answer.json()["authorizer"]["jwt"]["claims"]["aud"] == "shop"
    other = {**good, "aud": "admin"}
    assert rest.get("/jwt", headers={"Authorization": f"Bearer {jwt(other)}"}).status_code == 401


def test_an_iam_route_needs_a_signature(rest: GatewayHarness) -> None:
    answer = rest.get("/signed")
    assert (answer.status_code, answer.json()) == (403, {"message": "Missing Authentication Token"})
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/..."}
    assert rest.get("/signed", headers=signed).status_code == 200


# -- API Gateway's own answers --------------------------------------------------------------


def test_a_request_above_10_mb_is_413(rest: GatewayHarness) -> None:
    big = b"x" * (10 * 1024 * 1024 + 1)
    answer = rest.request("POST", "/echo", data=big, headers={"Content-Type": "text/plain"})
    assert (answer.status_code, answer.json()) == (413, {"message": "Request Too Long"})
    chunked = rest.request(
        "POST", "/echo", data=iter([big[:6_000_000], big[6_000_000:]]),
        headers={"Content-Type": "text/plain"},
    )  # fmt: skip
    assert chunked.status_code == 413
    assert rest.local_lambda.calls == []


def test_an_event_above_6_mb_is_413(rest: GatewayHarness) -> None:
    # 5 MB of binary is 6.7 MB once base64-encoded in the event: Lambda refuses it.
    data = b"\x00" * (5 * 1024 * 1024)
    headers = {"Content-Type": "application/octet-stream"}
    answer = rest.request("POST", "/echo", data=data, headers=headers)
    assert (answer.status_code, answer.json()) == (413, {"message": "Request Too Long"})
    assert rest.local_lambda.calls == []


def test_a_response_above_6_mb_is_502(rest: GatewayHarness) -> None:
    answer = rest.get("/big")
    assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})
    assert any("exceeded" in line for line in rest.problems())


def test_a_throttled_function_is_429(rest: GatewayHarness) -> None:
    rest.local_lambda.throttled.add("api_handler")
    try:
        answer = rest.get("/orders/1")
    finally:
        rest.local_lambda.throttled.clear()
    assert (answer.status_code, answer.json()) == (429, {"message": "Too Many Requests"})


def test_a_function_timing_out_is_504(rest: GatewayHarness) -> None:
    rest.local_lambda.timeout = 0.2
    try:
        answer = rest.get("/slow?seconds=0.6")
    finally:
        rest.local_lambda.timeout = 5.0
    assert (answer.status_code, answer.json()) == (504, {"message": "Endpoint request timed out"})


def test_api_gateway_stops_waiting_at_its_integration_timeout(rest: GatewayHarness) -> None:
    rest.gateway.integration_timeout = 0.1
    try:
        started = time.monotonic()
        answer = rest.get("/slow?seconds=0.5")
        waited = time.monotonic() - started
    finally:
        rest.gateway.integration_timeout = 29.0
    assert (answer.status_code, answer.json()) == (504, {"message": "Endpoint request timed out"})
    assert waited < 0.45
    assert any("timeout error" in line for line in rest.problems())
    time.sleep(0.5)  # the function itself runs on, as on AWS; let it finish


def test_a_function_error_is_502_and_logged() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise ValueError("kaboom")

    with app_server(handler) as server:
        answer = server.request("POST", "/anything/at/all")
        assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})
        assert any("customer function error: ValueError: kaboom" in p for p in server.problems())


def test_a_malformed_proxy_response_is_502_and_says_why() -> None:
    def handler(event: Any, context: Any) -> Any:
        return {"statusCode": "200", "body": "hi"}

    with app_server(handler) as server:
        answer = server.get("/")
        assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})
        (problem,) = server.problems()
        assert "Malformed Lambda proxy response: statusCode must be an integer" in problem


def test_any_routes_serve_every_method_and_answers_default_to_json() -> None:
    def handler(event: Any, context: Any) -> Any:
        return {
            "statusCode": 201,
            "headers": {"X-Resource": event["resource"]},
            "multiValueHeaders": {"X-Proxy": [event["pathParameters"]["proxy"], "2"]},
            "body": event["httpMethod"],
        }

    with app_server(handler) as server:
        for method in ("GET", "POST", "DELETE", "PATCH"):
            answer = server.request(method, "/deep/path")
            assert (answer.status_code, answer.text) == (201, method)
            assert answer.headers["Content-Type"] == "application/json"
            assert answer.headers["X-Resource"] == "/{proxy+}"
            assert answer.raw.headers.getlist("X-Proxy") == ["deep/path", "2"]


def test_a_route_whose_function_is_missing_is_500() -> None:
    app = Chalice(app_name="lonely", configure_logs=False)
    app.route("/")(lambda: {})
    with app_server(app) as server:
        del server.local_lambda.handlers["api_handler"]
        answer = server.get("/")
        assert (answer.status_code, answer.json()) == (500, {"message": "Internal server error"})
        assert any("no function 'api_handler'" in line for line in server.problems())


def test_a_broken_app_is_502_naming_the_error_until_it_is_fixed() -> None:
    app = Chalice(app_name="fixable", configure_logs=False)
    app.route("/")(lambda: {"fixed": True})
    state = AppState(error="app.py, line 8\n    def order(:\nSyntaxError: invalid syntax")
    with gateway_server(AppLambda(app), state) as server:
        answer = server.get("/")
        assert answer.status_code == 502
        assert answer.json() == {"message": "Internal server error", "error": state.error}
        page = server.get("/", headers={"Accept": "text/html,*/*"})
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<pre>app.py, line 8\n    def order(:\nSyntaxError" in page.text
        assert any("SyntaxError" in line for line in server.problems())
        state.error, state.manifest = None, describe_app(app)
        assert server.get("/").json() == {"fixed": True}


def test_an_unexpected_gateway_failure_is_a_500_and_the_server_goes_on() -> None:
    app = Chalice(app_name="steady", configure_logs=False)
    app.route("/")(lambda: {"ok": True})

    class ExplodingState:
        explode = True

        async def current(self) -> Any:
            if self.explode:
                raise RuntimeError("state exploded")
            return describe_app(app)

    state = ExplodingState()
    with gateway_server(AppLambda(app), state) as server:
        answer = server.get("/")
        assert answer.status_code == 500
        assert answer.json() == {
            "message": "Internal server error",
            "error": "RuntimeError: state exploded",
        }
        assert any("Traceback" in line for line in server.problems())
        state.explode = False
        assert server.get("/").json() == {"ok": True}


def test_every_request_is_logged_as_an_access_log_line(rest: GatewayHarness) -> None:
    answer = rest.get("/orders/5?tag=x")
    (line,) = rest.log
    assert line.startswith("127.0.0.1 - - [")
    assert f'"GET /orders/5?tag=x HTTP/1.1" 200 {len(answer.content)} ' in line
    assert line.endswith(answer.headers["x-amzn-RequestId"])


def test_a_client_gone_mid_upload_calls_no_function() -> None:
    app = shop_app()
    local_lambda = AppLambda(app)
    gateway = LocalGateway(AppState.of(app), local_lambda)
    scope = {
        "type": "http", "method": "POST", "path": "/echo", "raw_path": b"/echo",
        "query_string": b"", "client": ("127.0.0.1", 1),
        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"10")],
    }  # fmt: skip
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(gateway(scope, receive, send))
    assert sent == [] and local_lambda.calls == []


def test_the_gateway_serves_lifespan_and_refuses_unknown_payload_versions() -> None:
    app = shop_app()
    gateway = LocalGateway(AppState.of(app), AppLambda(app))
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    asyncio.run(gateway({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(ValueError, match="payload_version must be"):
        LocalGateway(AppState.of(app), AppLambda(app), payload_version="3.0")


# -- HTTP API, payload 2.0 -----------------------------------------------------------------


def test_an_http_api_sends_payload_2(http_api: GatewayHarness) -> None:
    answer = http_api.get("/orders/7?tag=a&tag=b", headers={"Cookie": "s=1; t=2"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["tags"] == ["a", "b"]
    event = body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /orders/{order_id}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/orders/7", "tag=a&tag=b")
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["pathParameters"] == {"order_id": "7"}
    assert event["requestContext"]["stage"] == "$default"
    assert answer.headers["apigw-requestid"] == event["requestContext"]["requestId"]
    assert "x-amzn-RequestId" not in answer.headers


def test_an_http_api_answers_404_off_route(http_api: GatewayHarness) -> None:
    for method, path in [("GET", "/nowhere"), ("POST", "/orders/7"), ("OPTIONS", "/orders/7")]:
        answer = http_api.request(method, path)
        assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
    assert http_api.local_lambda.calls == []


def test_an_http_api_carries_cookies_and_binary_both_ways(http_api: GatewayHarness) -> None:
    answer = http_api.get("/cookies", headers={"Cookie": "s=1; t=2"})
    assert answer.json() == {"cookie": "s=1; t=2"}
    assert answer.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert http_api.get("/png").content == PNG
    data = bytes(range(256))
    headers = {"Content-Type": "application/octet-stream"}
    echoed = http_api.request("POST", "/echo", data=data, headers=headers).json()
    assert echoed["is_base64"] is True and base64.b64decode(echoed["raw"]) == data


def test_an_http_api_nests_authorizer_contexts(http_api: GatewayHarness) -> None:
    answer = http_api.get("/private/1", headers={"Authorization": "allow-v2"})
    assert answer.json()["authorizer"] == {"lambda": {"tier": "gold"}, "principalId": "user-7"}
    (auth_event,) = http_api.local_lambda.calls_to("token_auth")
    assert auth_event["methodArn"].endswith(":local/$default/GET/private/1")
    keys = http_api.get("/keys?tenant=acme", headers={"X-Api-Key": "k-123"})
    assert keys.json()["authorizer"]["lambda"] == {"tenant": "acme"}
    (request_event,) = http_api.local_lambda.calls_to("key_auth")
    assert request_event["version"] == "2.0"
    assert request_event["identitySource"] == ["k-123", "acme"]
    good = {"iss": "https://issuer.example", "aud": "shop", "exp": time.time() + 60}
    claims = http_api.get("/jwt", headers={"Authorization": jwt(good)}).json()["authorizer"]
    assert claims["jwt"]["claims"]["aud"] == "shop"


def test_an_http_api_answers_a_preflight(http_api: GatewayHarness) -> None:
    answer = http_api.request("OPTIONS", "/cors", headers={"Origin": "https://shop.example"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,PUT,OPTIONS"
    assert http_api.local_lambda.calls == []


def test_an_http_api_times_out_with_503(http_api: GatewayHarness) -> None:
    http_api.local_lambda.timeout = 0.2
    try:
        answer = http_api.get("/slow?seconds=0.6")
    finally:
        http_api.local_lambda.timeout = 5.0
    assert (answer.status_code, answer.json()) == (503, {"message": "Service Unavailable"})


@pytest.mark.parametrize(
    ("returned", "status", "body"),
    [
        ({"hello": "world"}, 200, b'{"hello": "world"}'),
        ("plain text", 200, b"plain text"),
        ({"statusCode": 418, "body": "teapot", "cookies": ["c=1"]}, 418, b"teapot"),
    ],
)
def test_an_http_api_infers_answers_from_plain_values(
    returned: Any, status: int, body: bytes
) -> None:
    with app_server(lambda event, context: returned, payload_version="2.0") as server:
        answer = server.get("/x")
        assert (answer.status_code, answer.content) == (status, body)
        assert answer.headers["Content-Type"] == "application/json"
        if "cookies" in returned:
            assert answer.headers["Set-Cookie"] == "c=1"


def test_an_http_api_function_error_is_500() -> None:
    def handler(event: Any, context: Any) -> Any:
        raise KeyError("nope")

    with app_server(handler, payload_version="2.0") as server:
        answer = server.get("/x")
        assert (answer.status_code, answer.json()) == (500, {"message": "Internal Server Error"})


# -- through the real worker pool ------------------------------------------------------------

POOL_APP = """\
import time
from chalicelike import Chalice, Response

app = Chalice(app_name="pooled")


@app.route("/orders/{order_id}")
def order(order_id):
    return {"order_id": order_id, "request_id": app.lambda_context.aws_request_id}


@app.route("/png", methods=["GET", "POST"], content_types=["application/octet-stream"])
def png():
    body = app.current_request.raw_body or bytes(range(256))
    return Response(body, headers={"Content-Type": "image/png"})


@app.route("/slow")
def slow():
    time.sleep(5)
    return {}
"""

MALFORMED_APP = """\
def app(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}
"""


@pytest.fixture
def pooled(tmp_path: Path) -> Any:
    """`with pooled(app_source, timeout=None) as server`: a project served by WorkerPool."""

    @contextlib.contextmanager
    def serve_project(source: str, timeout: float | None = None) -> Iterator[GatewayHarness]:
        project = tmp_path / "project"
        project.mkdir()
        (project / "app.py").write_text(source)
        manifest = asyncio.run(describe_project(project, "dev"))
        specs = function_specs(manifest, project, "dev")
        if timeout is not None:
            specs = [dataclasses.replace(spec, timeout=timeout) for spec in specs]
        with gateway_server(WorkerPool(specs), AppState(manifest)) as harness:
            yield harness

    return serve_project


def test_the_worker_pool_serves_routes_and_binary(pooled: Any) -> None:
    with pooled(POOL_APP) as server:
        answer = server.get("/orders/3")
        assert answer.json()["order_id"] == "3"
        # The route declares its content type and the answer is binary: as in Chalice, the
        # request names both (else 415 and 400).
        binary = {"Content-Type": "application/octet-stream", "Accept": "image/png"}
        assert server.request("GET", "/png", headers=binary).content == bytes(range(256))
        up = server.request("POST", "/png", data=PNG, headers=binary)
        assert (up.headers["Content-Type"], up.content) == ("image/png", PNG)
        assert server.get("/nope").status_code == 403


@pytest.mark.slow
def test_the_worker_pool_times_out_with_504(pooled: Any) -> None:
    with pooled(POOL_APP, timeout=1.0) as server:
        answer = server.get("/slow")
        assert (answer.status_code, answer.json()) == (
            504,
            {"message": "Endpoint request timed out"},
        )
        assert server.get("/orders/4").json()["order_id"] == "4"  # a fresh worker serves on


def test_the_worker_pool_reports_a_malformed_response(pooled: Any) -> None:
    with pooled(MALFORMED_APP) as server:
        answer = server.get("/whatever")
        assert (answer.status_code, answer.json()) == (502, {"message": "Internal server error"})
        assert any("body must be a string, not dict" in p for p in server.problems())


def test_keep_alive_clients_reuse_one_connection(rest: GatewayHarness) -> None:
    rest.get("/orders/1")
    adapter = rest.session.get_adapter(rest.url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    pool = adapter.poolmanager.connection_from_url(rest.url)
    opened = pool.num_connections
    answers = [rest.get(path) for path in ("/orders/1", "/nowhere", "/private/1", "/png")]
    assert [a.status_code for a in answers] == [200, 403, 401, 200]
    assert pool.num_connections == opened


# -- X-Ray -------------------------------------------------------------------------------

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
CLIENT_SEGMENT = "53995c3f42cd8ad8"


def _fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";"))


def test_a_rest_api_continues_the_clients_trace_below_its_stage_segment() -> None:
    traces = TraceStore()
    with app_server(shop_app(), traces=traces) as server:
        sent = f"Root={ROOT};Parent={CLIENT_SEGMENT};Sampled=0"
        answer = server.get("/orders/7", headers={"X-Amzn-Trace-Id": sent})
        assert answer.status_code == 200
        assert answer.headers["X-Amzn-Trace-Id"] == f"Root={ROOT}"
        # The event shows the request as the client sent it; the function's own header
        # names the gateway's segment as its Parent, sampled (everything is, locally).
        assert answer.json()["event"]["headers"]["x-amzn-trace-id"] == sent
        [(name, given, source)] = server.local_lambda.traced
        assert (name, source) == ("api_handler", "GET /orders/{order_id}")
        [segment] = traces.trace(ROOT) or []
        assert given == f"Root={ROOT};Parent={segment['id']};Sampled=1"
        assert (segment["name"], segment["origin"]) == ("shop/api", "AWS::ApiGateway::Stage")
        assert segment["parent_id"] == CLIENT_SEGMENT
        assert segment["http"]["request"]["method"] == "GET"
        assert segment["http"]["request"]["url"] == f"{server.url}/orders/7"
        assert segment["http"]["response"]["status"] == 200
        assert segment["start_time"] <= segment["end_time"]
        assert "error" not in segment and "fault" not in segment


def test_a_rest_api_starts_a_trace_for_a_request_without_a_readable_header() -> None:
    traces = TraceStore()
    with app_server(shop_app(), traces=traces) as server:
        for sent in ({}, {"X-Amzn-Trace-Id": "Root=not-a-trace;Parent=zz"}):
            server.local_lambda.traced.clear()
            answer = server.get("/orders/7", headers=sent)
            root = _fields(answer.headers["X-Amzn-Trace-Id"])["Root"]
            assert root != ROOT
            assert answer.json()["event"]["headers"]["x-amzn-trace-id"] == f"Root={root}"
            [segment] = traces.trace(root) or []
            assert "parent_id" not in segment
            [(_, given, _)] = server.local_lambda.traced
            assert _fields(given or "") == {"Root": root, "Parent": segment["id"], "Sampled": "1"}
        # API Gateway's own refusals are in the trace too: a 4xx is an error.
        answer = server.get("/nowhere")
        root = _fields(answer.headers["X-Amzn-Trace-Id"])["Root"]
        [refused] = traces.trace(root) or []
        assert refused["http"]["response"]["status"] == 403 and refused["error"] is True


def test_an_http_api_adds_no_segment_but_passes_the_clients_trace_on() -> None:
    traces = TraceStore()
    with app_server(shop_app(), payload_version="2.0", traces=traces) as server:
        sent = f"Root={ROOT};Parent={CLIENT_SEGMENT};Sampled=1"
        assert server.get("/orders/7", headers={"X-Amzn-Trace-Id": sent}).status_code == 200
        [(_, given, source)] = server.local_lambda.traced
        assert (given, source) == (sent, "GET /orders/{order_id}")
        assert len(traces) == 0  # X-Ray traces REST APIs only
