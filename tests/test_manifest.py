"""The app as data: routes, functions, authorizers and event sources, and back from JSON."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import pydantic
import pytest

from chalicelike import (
    Blueprint,
    Body,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    CustomAuthorizer,
    Header,
    IAMAuthorizer,
    JWTAuthorizer,
    Path,
    Query,
    Rate,
)
from chalicelike._tooling._manifest import (
    AppManifest,
    AuthorizerSpec,
    authorizer_from_spec,
    describe_app,
)
from tests.test_schema import check_document


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


# Typed views (issue 16): their contracts travel as OpenAPI 3.1 parts.


@dataclasses.dataclass
class NewOrder:
    sku: str
    quantity: Annotated[int, Body(ge=1)] = 1


@dataclasses.dataclass
class OrderOut:
    id: int
    sku: str


class Review(pydantic.BaseModel):
    stars: int = pydantic.Field(ge=1, le=5)

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def happy(self) -> bool:
        return self.stars > 3


def build_typed_app() -> Chalice:
    app = Chalice(app_name="typed")

    @app.route("/orders", methods=["POST"])
    def create(order: NewOrder) -> OrderOut:
        return OrderOut(1, order.sku)

    @app.route("/orders/{order_id}")
    def read(
        order_id: Annotated[int, Path(ge=1)],
        x_request_id: Annotated[str | None, Header()] = None,
    ) -> OrderOut:
        return OrderOut(order_id, "pen")

    @app.route("/orders")
    def listing(
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        tag: list[str] = [],  # noqa: B006  (the view never changes it)
        after: str | None = None,
    ) -> list[OrderOut]:
        return []

    @app.route("/reviews", methods=["POST"])
    def review(body: Review) -> Review:
        return body

    @app.route("/plain")
    def plain() -> dict[str, str]:
        return {}

    return app


def openapi_document(manifest: AppManifest) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in manifest.routes:
        operation: dict[str, Any] = {"operationId": route.view_name}
        operation["responses"] = route.responses or {"200": {"description": "Any answer"}}
        if route.parameters:
            operation["parameters"] = route.parameters
        if route.request_body is not None:
            operation["requestBody"] = route.request_body
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    info = {"title": manifest.app_name, "version": "1"}
    components = {"schemas": manifest.schemas}
    return {"openapi": "3.1.0", "info": info, "paths": paths, "components": components}


def test_typed_views_carry_their_openapi_parts() -> None:
    manifest = describe_app(build_typed_app())
    routes = {(r.path, r.method): r for r in manifest.routes}
    create = routes["/orders", "POST"]
    assert create.parameters == []
    assert create.request_body == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewOrder"}}},
    }
    assert create.responses is not None and set(create.responses) == {"200", "422"}
    read = routes["/orders/{order_id}", "GET"]
    assert [(p["name"], p["in"], p["required"]) for p in read.parameters] == [
        ("order_id", "path", True),
        ("X-Request-Id", "header", False),
    ]
    assert read.parameters[0]["schema"] == {"type": "integer", "minimum": 1}
    limit, tag, after = routes["/orders", "GET"].parameters
    assert (after["in"], after["required"], after["schema"]) == ("query", False, {"type": "string"})
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
    assert (tag["schema"]["type"], tag["style"], tag["explode"]) == ("array", "form", True)
    plain = routes["/plain", "GET"]
    assert (plain.parameters, plain.request_body, plain.responses) == ([], None, None)
    assert manifest.schemas["NewOrder"]["properties"]["quantity"]["minimum"] == 1
    check_document(openapi_document(manifest))


def test_a_pydantic_model_taken_and_given_has_both_schemas() -> None:
    manifest = describe_app(build_typed_app())
    review = next(r for r in manifest.routes if r.path == "/reviews")
    assert review.request_body is not None and review.responses is not None
    taken = review.request_body["content"]["application/json"]["schema"]["$ref"]
    given = review.responses["200"]["content"]["application/json"]["schema"]["$ref"]
    assert taken != given
    name = given.rsplit("/", 1)[1]
    assert "happy" in manifest.schemas[name]["properties"]  # what the view writes
    assert "happy" not in manifest.schemas[taken.rsplit("/", 1)[1]]["properties"]


def test_the_refusal_follows_the_apps_status() -> None:
    app = build_typed_app()
    app.api.validation_error_status = 400
    manifest = describe_app(app)
    create = next(r for r in manifest.routes if r.view_name == "create")
    assert create.responses is not None and set(create.responses) == {"200", "400"}
    assert "ValidationErrorAnswer" in manifest.schemas


def test_typed_routes_round_trip_through_json() -> None:
    manifest = describe_app(build_typed_app())
    again = AppManifest.from_json(json.loads(json.dumps(manifest.to_json())))
    assert again == manifest and again.schemas == manifest.schemas


def test_an_app_without_typed_views_has_no_contract_parts() -> None:
    manifest = describe_app(build_app())
    assert manifest.schemas == {}
    assert all(
        (r.parameters, r.request_body, r.responses) == ([], None, None) for r in manifest.routes
    )
