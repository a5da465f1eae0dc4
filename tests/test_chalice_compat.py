"""One app, written once against Chalice's API, run on Chalice 1.34 and on chalicelike.

The app is built twice from the same code, once with `chalice` and once with
`chalicelike` as the framework module; every request is sent through each
framework's own test client and the answers must be the same, route by route.
Where chalicelike deliberately differs (a Chalice gap it closes), the case says so.
"""

from __future__ import annotations

import importlib
import json
import types
from typing import Any

import pytest

import chalicelike
import chalicelike.test

chalice = pytest.importorskip("chalice")
chalice_test = pytest.importorskip("chalice.test")

ERROR_NAMES = (
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "MethodNotAllowedError",
    "RequestTimeoutError",
    "ConflictError",
    "UnprocessableEntityError",
    "TooManyRequestsError",
    "ChaliceViewError",
)
FRAMEWORKS = {"chalice": (chalice, chalice_test), "chalicelike": (chalicelike, chalicelike.test)}


def build_app(fw: types.ModuleType) -> Any:
    """A Chalice app using the features chalicelike promises, with `fw` as `chalice`."""
    app = fw.Chalice(app_name="compat")
    bp = fw.Blueprint(__name__)

    @app.route("/")
    def index():
        return {"hello": "world"}

    @app.route("/users/{user_id}", methods=["GET", "PUT"])
    def user(user_id):
        request = app.current_request
        return {"id": user_id, "method": request.method, "path": request.path}

    @app.route("/users/{user_id}/orders/{order_id}")
    def order(user_id, order_id):
        return {"user": user_id, "order": order_id}

    @app.route("/static/literal")
    def literal():
        return {"route": "literal"}

    @app.route("/static/{name}")
    def param(name):
        return {"route": "param", "name": name}

    @app.route("/files/{proxy+}")
    def files(proxy):
        return {"proxy": proxy}

    @app.route("/query")
    def query():
        params = app.current_request.query_params
        if params is None:
            return {"params": None}
        return {"params": {key: params.getlist(key) for key in params}}

    @app.route("/headers")
    def headers():
        return {"agent": app.current_request.headers.get("X-Agent")}

    @app.route("/json", methods=["POST"])
    def post_json():
        return {"got": app.current_request.json_body}

    @app.route("/form", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
    def form():
        return {"raw": app.current_request.raw_body.decode()}

    @app.route("/response")
    def custom_response():
        return fw.Response(
            body="made", headers={"Content-Type": "text/plain", "X-Custom": "1"}, status_code=201
        )

    @app.route("/none")
    def none():
        return None

    @app.route("/crash")
    def crash():
        raise RuntimeError("do not leak this")

    @app.route("/cors", methods=["GET", "POST"], cors=True)
    def cors():
        return {"cors": True}

    @app.route(
        "/cors-config",
        cors=fw.CORSConfig(
            allow_origin="https://a.example",
            allow_headers=["X-Special"],
            expose_headers=["X-Exposed"],
            max_age=600,
            allow_credentials=True,
        ),
    )
    def cors_config():
        return {}

    for error in ERROR_NAMES:
        app.route(f"/errors/{error}", name=error)(_raiser(_error_class(fw, error)))

    @bp.route("/ping")
    def bp_ping():
        return {"pong": bp.current_request.path}

    @bp.route("/")
    def bp_root():
        return {"root": True}

    app.register_blueprint(bp, url_prefix="/bp", name_prefix="bp_")

    @app.middleware("http")
    def add_header(event, get_response):
        response = get_response(event)
        response.headers["X-Middleware"] = "yes"
        return response

    return app


def _error_class(fw: types.ModuleType, name: str) -> type:
    # Chalice exports some of its view errors only from chalice.app; chalicelike exports all.
    found = getattr(fw, name, None) or getattr(importlib.import_module(f"{fw.__name__}.app"), name)
    assert isinstance(found, type)
    return found


def _raiser(error_class: type) -> Any:
    def view():
        raise error_class(f"{error_class.__name__} raised")

    return view


JSON_HEADERS = {"Content-Type": "application/json"}
CASES: list[tuple[str, str, dict[str, str], str]] = [
    ("GET", "/", {}, ""),
    ("GET", "/users/42", {}, ""),
    ("PUT", "/users/42", {}, ""),
    ("DELETE", "/users/42", {}, ""),  # 405 with Allow
    ("GET", "/users/7/orders/99", {}, ""),
    ("GET", "/static/literal", {}, ""),
    ("GET", "/static/other", {}, ""),
    ("GET", "/files/a/b/c.txt", {}, ""),
    ("GET", "/query?a=1&a=2&b=", {}, ""),
    ("GET", "/query", {}, ""),
    ("GET", "/headers", {"x-agent": "007"}, ""),
    ("POST", "/json", JSON_HEADERS, '{"n": [1, 2]}'),
    ("POST", "/json", JSON_HEADERS, "{broken"),
    ("POST", "/json", {"Content-Type": "text/plain"}, "hi"),  # 415
    ("POST", "/json", {"Content-Type": "application/json; charset=utf-8"}, "[]"),
    ("POST", "/form", {"Content-Type": "application/x-www-form-urlencoded"}, "a=1&b=2"),
    ("GET", "/response", {}, ""),
    ("GET", "/none", {}, ""),
    ("GET", "/crash", {}, ""),
    ("GET", "/cors", {}, ""),
    ("OPTIONS", "/cors", {}, ""),
    ("GET", "/cors-config", {}, ""),
    ("OPTIONS", "/cors-config", {}, ""),
    ("GET", "/bp/ping", {}, ""),
    ("GET", "/bp", {}, ""),
    *[("GET", f"/errors/{name}", {}, "") for name in ERROR_NAMES],
]


def answer(name: str, method: str, path: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    fw, fw_test = FRAMEWORKS[name]
    app = build_app(fw)
    app.log.disabled = True  # the crash case logs a traceback by design
    with fw_test.Client(app) as client:
        response = client.http.request(method, path, headers=headers, body=body.encode())
    lower = {k.lower(): v for k, v in response.headers.items()}
    # API Gateway's request id differs each time; the 403's error type is compared apart
    # (test_missing_authentication_token_names_its_error_type).
    lower.pop("x-amzn-requestid", None)
    lower.pop("x-amzn-errortype", None)
    try:
        parsed: Any = json.loads(response.body) if response.body else None
    except ValueError:
        parsed = response.body
    return {
        "status": response.status_code,
        "body": parsed,
        "headers": lower,  # every header, as Chalice's client shows them
    }


# Chalice gaps chalicelike closes: what Chalice's test client does, and what we answer.
GAPS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/files/a/b/c.txt"): (
        "Chalice's local matcher compares segment counts, so a greedy {proxy+} never matches",
        {"status": 200, "body": {"proxy": "a/b/c.txt"}},
    ),
    ("OPTIONS", "/cors"): (
        "Chalice's test client crashes on the preflight answer (its body is None)",
        {"status": 200, "body": None},
    ),
    ("OPTIONS", "/cors-config"): (
        "Chalice's test client crashes on the preflight answer (its body is None)",
        {"status": 200, "body": None},
    ),
}


@pytest.mark.parametrize(("method", "path", "headers", "body"), CASES)
def test_same_answer_as_chalice(method: str, path: str, headers: dict[str, str], body: str) -> None:
    ours = answer("chalicelike", method, path, headers, body)
    gap = GAPS.get((method, path))
    if gap is None:
        assert ours == answer("chalice", method, path, headers, body)
        return
    _reason, expected = gap
    assert {key: ours[key] for key in expected} == expected
    try:
        theirs: Any = answer("chalice", method, path, headers, body)
    except Exception as error:  # the gap is a crash in Chalice's client
        theirs = error
    assert theirs != ours  # if Chalice ever closes the gap, compare in full again


def test_preflight_headers_match_chalice_local_gateway() -> None:
    """Chalice's client cannot show its preflight, so compare with its LocalGateway's output."""
    from chalice.config import Config
    from chalice.local import LocalGateway

    fw_app = build_app(chalice)
    gateway = LocalGateway(fw_app, Config())
    theirs = gateway.handle_request("OPTIONS", "/cors-config", {}, b"")
    ours = answer("chalicelike", "OPTIONS", "/cors-config", {}, "")
    assert theirs["statusCode"] == ours["status"] == 200
    expected = {k.lower(): v for k, v in theirs["headers"].items()}
    assert {k: v for k, v in ours["headers"].items() if k in expected} == expected


TO_DICT_CASES: list[tuple[Any, dict[str, Any], int, list[str] | None]] = [
    ({"a": [1, 2]}, {}, 200, None),
    ("text", {"Content-Type": "text/plain"}, 201, None),
    ("", {"Set-Cookie": ["a=1", "b=2"], "X-One": "1"}, 204, None),
    (b"\x89PNG\x00", {"Content-Type": "image/png"}, 200, ["image/png"]),
    ({"n": 1}, {"Content-Type": "application/json"}, 200, ["application/json"]),
]


@pytest.mark.parametrize(("body", "headers", "status", "binary_types"), TO_DICT_CASES)
def test_response_to_dict_matches_chalice(
    body: Any, headers: dict[str, Any], status: int, binary_types: list[str] | None
) -> None:
    ours = chalicelike.Response(body, headers=dict(headers), status_code=status)
    theirs = chalice.Response(body, headers=dict(headers), status_code=status)
    assert ours.to_dict(binary_types) == theirs.to_dict(binary_types)


def test_response_to_dict_never_hands_lambda_raw_bytes() -> None:
    # Chalice returns bytes in "body" here, which Lambda cannot serialise to JSON.
    answer = chalicelike.Response(b"\xff\xfe", headers={"Content-Type": "text/x-odd"}).to_dict()
    assert answer["body"] == "//4="
    assert answer["isBase64Encoded"] is True


# -- Chalice's documented behaviour, one example per point, on both frameworks -------------


def build_examples_app(fw: types.ModuleType) -> Any:
    """Examples in the style of Chalice's docs and tutorials, written against its API."""
    app = fw.Chalice(app_name="examples")
    app.experimental_feature_flags.update(["WEBSOCKETS"])  # as Chalice's websocket docs do
    app.log.disabled = True  # the 500 cases log a traceback by design

    @app.route("/logo.png")
    def logo():
        return fw.Response(b"\x89PNG\r\n", headers={"Content-Type": "image/png"})

    @app.route("/plain")
    def plain():
        return fw.Response("just text", headers={"Content-Type": "text/plain"})

    @app.route("/download")
    def download():
        return fw.Response(
            "report", headers={"Content-Disposition": 'attachment; filename="文件.txt"'}
        )

    @app.route("/request/{name}", methods=["GET", "POST"])
    def request_attributes(name):
        request = app.current_request
        return {
            "name": name,
            "method": request.method,
            "path": request.path,
            "uri_params": request.uri_params,
            "query": None if request.query_params is None else dict(request.query_params),
            "function": app.lambda_context.function_name,
            "to_dict": sorted(request.to_dict()),
        }

    # A view whose signature does not take its route's parameter: Chalice serves the app
    # and answers each request to it with a 500.
    def mismatched():
        return {"never": "reached"}

    app.route("/mismatch/{item_id}")(mismatched)

    @app.route("/echo-query")
    def echo_query():
        return app.current_request.query_params

    class TeapotError(fw.ChaliceViewError):  # type: ignore[name-defined,misc]  # either framework's
        STATUS_CODE = 418

    @app.route("/teapot")
    def teapot():
        raise TeapotError("short and stout")

    def stamp(event, get_response):  # registered without the decorator
        response = get_response(event)
        response.headers["X-Stamp"] = event.path
        return response

    app.register_middleware(stamp, "http")

    @app.middleware("http")
    def gatekeeper(event, get_response):
        if event.headers.get("x-deny"):
            return fw.Response({"denied": True}, status_code=401)
        return get_response(event)

    calls = []

    def count_calls(handler):  # a plain Lambda-handler decorator, made middleware
        def wrapped(event, context):
            calls.append(context is not None)
            return handler(event, context)

        return wrapped

    app.register_middleware(fw.ConvertToMiddleware(count_calls))

    @app.route("/calls")
    def seen_calls():
        return {"calls": len(calls)}

    shop = fw.Blueprint(__name__)

    @shop.route("/items/{item_id}")
    def item(item_id):
        return {
            "item": item_id,
            "app": shop.current_app.app_name,
            "path": shop.current_request.path,
        }

    app.register_blueprint(shop, url_prefix="/shop")
    return app


def examples_app(fw: types.ModuleType) -> Any:
    if fw is chalicelike:
        with pytest.warns(chalicelike.ViewSignatureWarning):
            return build_examples_app(fw)
    return build_examples_app(fw)


EXAMPLE_CASES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/logo.png", {}),  # binary without Accept: Chalice's 400
    ("GET", "/logo.png", {"Accept": "image/png"}),
    ("GET", "/logo.png", {"Accept": "text/html,*/*;q=0.8"}),
    ("GET", "/plain", {"Content-Type": "text/plain"}),  # 415 without a body
    ("GET", "/download", {}),  # a header value beyond Latin-1
    ("GET", "/request/ann?x=1&x=2", {}),
    ("POST", "/request/bob", {}),
    ("GET", "/mismatch/7", {}),
    ("GET", "/teapot", {}),
    ("GET", "/calls", {}),
    ("GET", "/calls", {"X-Deny": "1"}),
    ("GET", "/shop/items/9", {}),
]


def client_answer(name: str, method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    fw, fw_test = FRAMEWORKS[name]
    with fw_test.Client(examples_app(fw)) as client:
        response = client.http.request(method, path, headers=headers)
    return {
        "status": response.status_code,
        "json": response.json_body,  # None for a body that is not JSON, in both
        "body": response.body,
        "disposition": {k.lower(): v for k, v in response.headers.items()}.get(
            "content-disposition"
        ),
        "stamp": {k.lower(): v for k, v in response.headers.items()}.get("x-stamp"),
    }


@pytest.mark.parametrize(("method", "path", "headers"), EXAMPLE_CASES)
def test_documented_examples_answer_as_in_chalice(
    method: str, path: str, headers: dict[str, str]
) -> None:
    assert client_answer("chalicelike", method, path, headers) == client_answer(
        "chalice", method, path, headers
    )


class _Context:
    function_name = "examples-dev"
    memory_limit_in_mb = "128"
    aws_request_id = "0f1e2d3c"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:examples-dev"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def _trimmed_event(resource: str, params: dict[str, str] | None) -> dict[str, Any]:
    """A REST event with only what Chalice reads: method and path in requestContext."""
    return {
        "requestContext": {"httpMethod": "GET", "resourcePath": resource},
        "pathParameters": params,
        "multiValueQueryStringParameters": {"x": ["1"]},
        "headers": {"Accept": "application/json"},
        "stageVariables": None,
        "body": None,
    }


def test_app_called_with_a_trimmed_event_and_context_keyword_as_in_chalice() -> None:
    answers = []
    for fw in (chalice, chalicelike):
        app = examples_app(fw)
        raw = app(_trimmed_event("/request/{name}", {"name": "cy"}), context=_Context())
        answers.append((raw["statusCode"], json.loads(raw["body"])))
    assert answers[0] == answers[1]
    assert answers[1][1]["query"] == {"x": "1"}


def test_query_params_with_an_empty_list_where_chalice_fails_the_invocation() -> None:
    # Chalice's answer escapes as a Lambda function error (KeyError); ours is served.
    event = _trimmed_event("/echo-query", None)
    event["multiValueQueryStringParameters"] = {"a": [], "b": ["2"]}
    with pytest.raises(KeyError):
        examples_app(chalice)(event, _Context())
    raw = examples_app(chalicelike)(event, _Context())
    assert (raw["statusCode"], json.loads(raw["body"])) == (200, {"b": "2"})


@pytest.mark.parametrize("fw_name", ["chalice", "chalicelike"])
def test_registrations_are_listed_under_chalices_attribute_names(fw_name: str) -> None:
    # Chalice's unit tests read what an app registered through these public attributes.
    fw = importlib.import_module(fw_name)
    app = fw.Chalice(app_name="listed")
    app.experimental_feature_flags.update(["WEBSOCKETS"])

    @app.on_s3_event(bucket="mybucket")
    def on_upload(event: Any) -> None: ...

    @app.on_ws_connect()
    def connect(event: Any) -> None: ...

    @app.on_ws_message()
    def message(event: Any) -> None: ...

    @app.lambda_function()
    def plain(event: Any, context: Any) -> dict[str, str]:
        return {"ok": "yes"}

    @app.authorizer(ttl_seconds=60)
    def auth(auth_request: Any) -> Any: ...

    assert [(s.name, s.handler_string, s.bucket) for s in app.event_sources] == [
        ("on_upload", "app.on_upload", "mybucket")
    ]
    assert sorted(app.websocket_handlers) == ["$connect", "$default"]
    assert app.websocket_handlers["$default"].name == "message"
    assert app.websocket_handlers["$default"].route_key_handled == "$default"
    [function] = app.pure_lambda_functions
    assert (function.name, function.handler_string) == ("plain", "app.plain")
    assert function({}, None) == {"ok": "yes"}
    [authorizer] = app.builtin_auth_handlers
    assert (authorizer.name, authorizer.handler_string, authorizer.ttl_seconds) == (
        "auth",
        "app.auth",
        60,
    )


LAMBDA_CASES: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/", None),
    ("GET", "/users/{user_id}", {"user_id": "7"}),
    ("DELETE", "/users/{user_id}", {"user_id": "7"}),  # 405 with Allow
    ("GET", "/response", None),
    ("GET", "/cors", None),
    ("GET", "/cors-config", None),
    ("GET", "/errors/NotFoundError", None),
]


@pytest.mark.parametrize(("method", "resource", "params"), LAMBDA_CASES)
def test_lambda_rest_answer_is_chalices_dict(
    method: str, resource: str, params: dict[str, str] | None
) -> None:
    # Only the app's own headers (no Content-Type added), no isBase64Encoded when false.
    answers = []
    for fw in (chalice, chalicelike):
        event = _trimmed_event(resource, params)
        event["requestContext"]["httpMethod"] = method
        answers.append(build_app(fw)(event, _Context()))
    assert answers[1] == answers[0]


def test_client_gives_repeated_headers_as_a_list_as_chalices_client() -> None:
    answers = []
    for name in ("chalice", "chalicelike"):
        fw, fw_test = FRAMEWORKS[name]
        app = fw.Chalice(app_name="cookies")
        response = fw.Response
        app.route("/")(lambda r=response: r("", headers={"Set-Cookie": ["a=1", "b=2"]}))
        app.route("/one")(lambda r=response: r("", headers={"Vary": ["Origin"]}))
        with fw_test.Client(app) as client:
            answers.append([dict(client.http.get(path).headers) for path in ("/", "/one")])
    assert answers[1] == [{"set-cookie": ["a=1", "b=2"]}, {"vary": ["Origin"]}]
    lowered = [[{k.lower(): v for k, v in h.items()} for h in pair] for pair in answers]
    assert lowered[1] == lowered[0]


def test_client_gives_empty_uri_params_and_stage_vars_as_chalices_client() -> None:
    answers = []
    for name in ("chalice", "chalicelike"):
        fw, fw_test = FRAMEWORKS[name]
        app = fw.Chalice(app_name="empty-params")

        @app.route("/")
        def index(app: Any = app) -> Any:
            request = app.current_request
            return {"uri": request.uri_params, "stage": request.stage_vars}

        with fw_test.Client(app) as client:
            answers.append(client.http.get("/").json_body)
    assert answers[1] == answers[0] == {"uri": {}, "stage": {}}


@pytest.mark.parametrize("kind", ["cognito", "iam"])
def test_client_lets_requests_through_builtin_authorizers_as_chalices_client(kind: str) -> None:
    answers = []
    for name in ("chalice", "chalicelike"):
        fw, fw_test = FRAMEWORKS[name]
        app = fw.Chalice(app_name="guarded")
        guard = (
            fw.CognitoUserPoolAuthorizer("pool", provider_arns=["arn:aws:cognito-idp:x"])
            if kind == "cognito"
            else fw.IAMAuthorizer()
        )
        app.route("/", authorizer=guard)(lambda: {"ok": True})
        with fw_test.Client(app) as client, pytest.warns(UserWarning, match="test client|local"):
            response = client.http.get("/")
        answers.append((response.status_code, response.json_body))
    assert answers[1] == answers[0] == (200, {"ok": True})


@pytest.mark.parametrize(("value", "unit"), [(5, "MINUTES"), (1, "HOURS"), (2, "days")])
def test_rate_as_chalices(value: int, unit: str) -> None:
    ours, theirs = chalicelike.Rate(value, unit=unit), chalice.Rate(value, unit=unit)
    assert (ours.unit, ours.to_string()) == (theirs.unit, theirs.to_string())
    assert (chalicelike.Rate.MINUTES, chalicelike.Rate.DAYS) == (chalice.Rate.MINUTES, "DAYS")


def test_any_schedule_string_imports_as_in_chalice() -> None:
    # EventBridge refuses it at deploy: a deploy problem for package and local, not an error.
    for fw in (chalice, chalicelike):
        app = fw.Chalice(app_name="schedules")
        app.schedule("every 5 minutes")(lambda event: None)
        [source] = app.event_sources
        assert source.schedule_expression == "every 5 minutes"


def test_current_request_and_lambda_context_stay_set_after_a_call_as_in_chalice() -> None:
    for fw in (chalice, chalicelike):
        app = examples_app(fw)
        context = _Context()
        app(_trimmed_event("/request/{name}", {"name": "cy"}), context)
        assert app.current_request.path == "/request/{name}"
        assert app.lambda_context is context
        with FRAMEWORKS[fw.__name__][1].Client(app) as client:
            client.http.get("/request/ann")
        assert app.current_request.uri_params == {"name": "ann"}
        assert app.lambda_context.function_name == "api_handler"


def test_hand_built_sqs_records_without_message_id_read_as_in_chalice() -> None:
    seen = []
    for fw in (chalice, chalicelike):
        app = fw.Chalice(app_name="queue")

        @app.on_sqs_message(queue="jobs")
        def work(event: Any) -> None:
            seen.append([(r.body, r.receipt_handle) for r in event])

        work({"Records": [{"body": "b", "receiptHandle": "r"}]}, _Context())
    assert seen[1] == seen[0] == [("b", "r")]


AUTH_ROUTES: list[Any] = [
    [],
    ["*"],
    ["/foo/{id}", "/"],
    [("/foo/{id}", ["GET", "PUT"])],
    ["/a", ("/a", ["*"])],
]


@pytest.mark.parametrize("routes", AUTH_ROUTES)
@pytest.mark.parametrize("context", [None, {"k": "v", "n": None, "nested": {"b": 1}}])
def test_auth_response_to_dict_is_chalices(routes: list[Any], context: Any) -> None:
    arn = "arn:aws:execute-api:us-west-2:123:rest-api-id/dev/GET/foo/7"
    dicts = []
    for fw in (chalice, chalicelike):
        built = [r if isinstance(r, str) else fw.AuthRoute(*r) for r in routes]
        app_module = importlib.import_module(f"{fw.__name__}.app")
        request = app_module.AuthRequest("TOKEN", "tok", arn)
        dicts.append(fw.AuthResponse(built, principal_id="p", context=context).to_dict(request))
    assert dicts[1] == dicts[0]
