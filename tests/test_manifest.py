"""The app as data: routes, functions, authorizers and event sources, and back from JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelike import (
    Blueprint,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    CustomAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
    Rate,
)
from chalicelike._tooling._manifest import (
    AppManifest,
    AuthorizerSpec,
    authorizer_from_spec,
    describe_app,
)


def build_app() -> Chalice:
    app = Chalice(app_name="shop")
    cognito = CognitoUserPoolAuthorizer(
        "pool", provider_arns=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/x"]
    )

    @app.authorizer(ttl_seconds=30)
    def gate(auth_request: Any) -> Any:
        return None

    @app.route("/orders/{order_id}", methods=["GET", "PUT"], authorizer=gate)
    def order(order_id: str) -> dict[str, str]:
        return {}

    @app.route("/me", authorizer=cognito.with_scopes(["read"]), cors=CORSConfig(max_age=5))
    def me() -> dict[str, str]:
        return {}

    @app.route("/iam", authorizer=IAMAuthorizer())
    def iam() -> dict[str, str]:
        return {}

    @app.route(
        "/custom",
        authorizer=CustomAuthorizer(
            "ext", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/x/invocations"
        ),
    )
    def custom() -> dict[str, str]:
        return {}

    @app.route("/jwt", authorizer=JWTAuthorizer("j", "https://issuer.example", "aud"))
    def jwt() -> dict[str, str]:
        return {}

    @app.on_sqs_message(queue="orders", batch_size=5)
    def take(event: Any) -> None:
        return None

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def sweep(event: Any) -> None:
        return None

    jobs = Blueprint(__name__)

    @jobs.lambda_function()
    def nightly(event: Any, context: Any) -> None:
        return None

    app.register_blueprint(jobs)
    return app


def test_functions_name_the_handler_lambda_imports() -> None:
    manifest = describe_app(build_app())
    functions = {entry.name: entry for entry in manifest.functions}
    assert functions["api_handler"].handler == "app.app"
    assert functions["gate"].kind == "authorizer"
    assert functions["gate"].handler == f"{__name__}.gate"
    assert functions["take"].kind == "sqs"
    assert functions["take"].settings["batch_size"] == 5
    assert functions["sweep"].settings["expression"] == "rate(5 minutes)"
    assert functions["nightly"].kind == "pure_lambda"


def test_routes_carry_authorizers_and_cors() -> None:
    manifest = describe_app(build_app())
    routes = {(r.path, r.method): r for r in manifest.routes}
    assert set(routes) >= {("/orders/{order_id}", "GET"), ("/orders/{order_id}", "PUT")}
    gate = routes["/orders/{order_id}", "GET"].authorizer
    assert gate is not None and gate.function == "gate" and gate.options["ttl_seconds"] == 30
    me = routes["/me", "GET"]
    assert me.cors is not None and me.cors["max_age"] == 5
    assert me.authorizer is not None and me.authorizer.options["scopes"] == ["read"]
    assert routes["/iam", "GET"].authorizer == AuthorizerSpec("IAMAuthorizer", {}, None)


def test_json_round_trip_is_lossless() -> None:
    manifest = describe_app(build_app())
    assert AppManifest.from_json(json.loads(json.dumps(manifest.to_json()))) == manifest


@pytest.mark.parametrize("path", ["/orders/{order_id}", "/me", "/iam", "/custom", "/jwt"])
def test_authorizers_rebuild_with_the_same_settings(path: str) -> None:
    app = build_app()
    original = app.routes[path]["GET"].authorizer
    spec = next(r for r in describe_app(app).routes if r.path == path).authorizer
    assert spec is not None
    rebuilt = authorizer_from_spec(spec)
    assert type(rebuilt) is type(original)
    for name in ("name", "header", "scopes", "ttl_seconds", "issuer", "audience"):
        assert getattr(rebuilt, name, None) == getattr(original, name, None), name


def test_a_lambda_authorizer_stand_in_refuses_to_run() -> None:
    spec = next(r for r in describe_app(build_app()).routes if r.path == "/orders/{order_id}")
    assert spec.authorizer is not None
    with pytest.raises(RuntimeError, match="runs in its own function"):
        authorizer_from_spec(spec.authorizer).func(None)


def test_mounts_and_hosted_apps_route_every_method() -> None:
    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        return None

    app = Chalice(app_name="m")
    app.mount("/api", asgi)
    manifest = describe_app(app)
    assert [(r.path, r.method) for r in manifest.routes] == [
        ("/api", "ANY"),
        ("/api/{proxy+}", "ANY"),
    ]
    hosted = describe_app(asgi)
    assert [(r.path, r.method) for r in hosted.routes] == [("/", "ANY"), ("/{proxy+}", "ANY")]
    assert [f.name for f in hosted.functions] == ["api_handler"]


def test_an_app_without_routes_has_no_api_function() -> None:
    app = Chalice(app_name="events-only")

    @app.lambda_function()
    def work(event: Any, context: Any) -> None:
        return None

    assert [f.name for f in describe_app(app).functions] == ["work"]


def test_websocket_functions_have_chalices_names() -> None:
    # Chalice names them after the route, whatever the handler is called: config keys
    # (lambda_functions.websocket_connect), deployed names and template IDs follow.
    app = Chalice(app_name="chat")

    @app.on_ws_connect()
    def joined(event: Any) -> None:
        return None

    @app.on_ws_message(name="said")
    def said(event: Any) -> None:
        return None

    @app.on_ws_disconnect()
    def left(event: Any) -> None:
        return None

    functions = {f.name: f.handler for f in describe_app(app).functions}
    assert functions == {
        "websocket_connect": f"{__name__}.joined",
        "websocket_message": f"{__name__}.said",
        "websocket_disconnect": f"{__name__}.left",
    }


def test_what_aws_would_refuse_travels_with_the_manifest() -> None:
    app = Chalice(app_name="placeholders")

    @app.on_s3_event(bucket="")
    def ingest(event: Any) -> None:
        return None

    manifest = describe_app(app)
    assert manifest.deploy_problems == [
        "s3 handler 'ingest': bucket is empty: S3 needs the bucket's name"
    ]
    again = AppManifest.from_json(json.loads(json.dumps(manifest.to_json())))
    assert again.deploy_problems == manifest.deploy_problems
