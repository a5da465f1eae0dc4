"""The REST API as OpenAPI 3: routes, proxy integrations, authorizers, CORS preflights; the
views' declared parameters, bodies and answers in 3.1 and in API Gateway's 3.0; its request
validators."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from chalicelike._tooling._manifest import (
    API_FUNCTION,
    AppManifest,
    AuthorizerSpec,
    FunctionEntry,
    RouteSpec,
)
from chalicelike._tooling._openapi import (
    openapi_document,
    path_parameters,
    placeholder_uri,
)
from chalicelike._tooling._settings import StageConfig
from chalicelike.package.templates._aws import TemplateError
from tests.package.template_support import EVERYTHING, manifest_of
from tests.package.templates.contract_support import typed_manifest

STAGE = StageConfig(app_name="everything", stage="dev")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(manifest_of(EVERYTHING), STAGE, version="3.0")


def _manifest(*routes: RouteSpec, binary_types: list[str] | None = None) -> AppManifest:
    functions = [FunctionEntry(API_FUNCTION, "app.app", "api")]
    return AppManifest("shop", functions, list(routes), binary_types or [])


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation of the OpenAPI 3.0 schema
    assert document["openapi"] == "3.0.1"
    assert document["info"]["title"] == "everything"


def test_an_untyped_app_is_valid_openapi_3_1_too() -> None:
    document = openapi_document(manifest_of(EVERYTHING), STAGE)  # 3.1 unless asked
    validate(document)  # the 3.1 schema, picked from the document's "openapi"
    assert document["openapi"] == "3.1.0"
    assert document["components"]["schemas"] == {
        "Empty": {"type": "object", "title": "Empty Schema"}
    }


def test_every_route_is_a_proxy_integration_to_the_api_function(document: dict[str, Any]) -> None:
    expected = {
        ("/", "get"),
        ("/orders", "get"),
        ("/orders", "post"),
        ("/orders/{order_id}", "get"),
        ("/orders/{order_id}", "delete"),
        ("/staff", "get"),
        ("/admin", "put"),
        ("/partners/{partner_id}", "get"),
    }
    found = {(p, m) for p, ops in document["paths"].items() for m in ops if m != "options"}
    assert found == expected
    for path, method in expected:
        integration = document["paths"][path][method]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        assert integration["httpMethod"] == "POST"  # Lambda's Invoke API, whatever the route
        assert integration["uri"] == placeholder_uri(API_FUNCTION)


def test_path_parameters_are_declared_on_every_operation(document: dict[str, Any]) -> None:
    for method in ("get", "delete", "options"):
        parameters = document["paths"]["/orders/{order_id}"][method]["parameters"]
        assert parameters == [
            {"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    assert path_parameters("/files/{bucket}/{proxy+}") == ["bucket", "proxy"]


def test_binary_media_types_and_content_types(document: dict[str, Any]) -> None:
    assert document["x-amazon-apigateway-binary-media-types"] == [
        "application/octet-stream",
        "image/png",
    ]
    body = document["paths"]["/admin"]["put"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/octet-stream"}
    assert "requestBody" not in document["paths"]["/staff"]["get"]  # GET carries no body


def test_a_token_authorizer_is_a_lambda_authorizer_with_its_ttl(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["token_auth"]
    assert scheme["x-amazon-apigateway-authtype"] == "custom"
    assert scheme["name"] == "Authorization"
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "token",
        "authorizerUri": placeholder_uri("token_auth"),
        "authorizerResultTtlInSeconds": 120,
    }


def test_a_request_authorizer_lists_its_identity_sources(document: dict[str, Any]) -> None:
    authorizer = document["components"]["securitySchemes"]["team_auth"][
        "x-amazon-apigateway-authorizer"
    ]
    assert authorizer["type"] == "request"
    assert authorizer["identitySource"] == (
        "method.request.header.X-Team, method.request.querystring.team"
    )
    assert authorizer["authorizerResultTtlInSeconds"] == 300


def test_cognito_iam_and_custom_authorizers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["staff_pool"]["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"],
    }
    assert document["paths"]["/staff"]["get"]["security"] == [{"staff_pool": ["staff/read"]}]
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert document["paths"]["/admin"]["put"]["security"] == [{"sigv4": []}]
    partner = schemes["partner"]["x-amazon-apigateway-authorizer"]
    assert partner["authorizerUri"].endswith("function:partner-auth/invocations")
    assert partner["authorizerResultTtlInSeconds"] == 60


def test_an_api_key_and_an_authorizer_are_both_required(document: dict[str, Any]) -> None:
    # One requirement object: API Gateway wants the key AND the token (two objects = OR).
    assert document["paths"]["/orders"]["get"]["security"] == [{"api_key": [], "token_auth": []}]
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }


def _mock_headers(operation: dict[str, Any]) -> dict[str, str]:
    integration = operation["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock"
    parameters = integration["responses"]["default"]["responseParameters"]
    return {k.removeprefix("method.response.header."): v for k, v in parameters.items()}


def test_a_cors_preflight_is_a_mock_with_the_routes_headers(document: dict[str, Any]) -> None:
    headers = _mock_headers(document["paths"]["/orders"]["options"])
    assert headers["Access-Control-Allow-Origin"] == "'https://shop.example.com'"
    assert headers["Access-Control-Allow-Methods"] == "'GET,POST,OPTIONS'"
    assert headers["Access-Control-Max-Age"] == "'600'"
    assert "X-Api-Key" in headers["Access-Control-Allow-Headers"]
    root = _mock_headers(document["paths"]["/"]["options"])
    assert root["Access-Control-Allow-Origin"] == "'*'"
    assert root["Access-Control-Allow-Methods"] == "'GET,OPTIONS'"
    assert "options" not in document["paths"]["/staff"]  # no CORS there


def test_several_allowed_origins_send_the_preflight_to_the_function(
    document: dict[str, Any],
) -> None:
    # A mock can only answer one fixed origin; the app echoes the request's if listed.
    preflight = document["paths"]["/orders/{order_id}"]["options"]
    assert preflight["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert "security" not in preflight  # browsers send no credentials with a preflight


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [
        op["operationId"]
        for ops in document["paths"].values()
        for op in ops.values()
        if "operationId" in op
    ]
    assert len(ids) == len(set(ids))
    assert document["paths"]["/orders"]["get"]["operationId"] == "list_or_add_orders"
    assert document["paths"]["/orders"]["post"]["operationId"] == "list_or_add_orders_post"


def test_an_app_that_routes_options_itself_gets_no_generated_preflight() -> None:
    cors: dict[str, Any] = {
        "allow_origin": "*",
        "allow_headers": [],
        "expose_headers": [],
        "max_age": None,
        "allow_credentials": None,
    }
    manifest = _manifest(
        RouteSpec("/a", "GET", "a", cors=cors), RouteSpec("/a", "OPTIONS", "a_options")
    )
    options = openapi_document(manifest, STAGE)["paths"]["/a"]["options"]
    assert options["x-amazon-apigateway-integration"]["type"] == "aws_proxy"


def test_mounted_apps_take_any_method() -> None:
    manifest = _manifest(
        RouteSpec("/api", "ANY", "mount"), RouteSpec("/api/{proxy+}", "ANY", "mount")
    )
    paths = openapi_document(manifest, STAGE)["paths"]
    assert list(paths["/api/{proxy+}"]) == ["x-amazon-apigateway-any-method"]
    validate(openapi_document(manifest, STAGE))


def test_a_jwt_authorizer_needs_an_http_api() -> None:
    jwt = AuthorizerSpec(
        "JWTAuthorizer",
        {
            "name": "jwt",
            "issuer": "https://x",
            "audience": ["a"],
            "scopes": None,
            "identity_source": "$request.header.A",
        },
    )
    with pytest.raises(TemplateError, match="api_gateway_type"):
        openapi_document(_manifest(RouteSpec("/a", "GET", "a", authorizer=jwt)), STAGE)


def test_private_endpoints_and_resource_policies() -> None:
    policy = {"Version": "2012-10-17", "Statement": []}
    stage = StageConfig(
        app_name="shop",
        stage="dev",
        api_gateway_endpoint_type="PRIVATE",
        api_gateway_endpoint_vpce=["vpce-0123456789abcdef0"],
    )
    document = openapi_document(
        _manifest(RouteSpec("/a", "GET", "a")), stage, api_gateway_policy=policy
    )
    assert document["x-amazon-apigateway-endpoint-configuration"] == {
        "vpcEndpointIds": ["vpce-0123456789abcdef0"]
    }
    assert document["x-amazon-apigateway-policy"] == policy


def test_integration_uris_come_from_the_caller() -> None:
    document = openapi_document(_manifest(RouteSpec("/a", "GET", "a")), STAGE, lambda f: f"uri:{f}")
    assert document["paths"]["/a"]["get"]["x-amazon-apigateway-integration"]["uri"] == (
        "uri:api_handler"
    )


# -- the views' contracts (issue 16) ------------------------------------------------------------


def _typed(version: str, stage: StageConfig = STAGE) -> dict[str, Any]:
    return openapi_document(typed_manifest(), stage, version=version)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_a_typed_app_is_a_valid_document_in_both_versions(version: str) -> None:
    document = _typed(version)
    validate(document)
    assert document["openapi"] == {"3.1": "3.1.0", "3.0": "3.0.1"}[version]


def test_declared_parameters_join_the_paths_one_per_name() -> None:
    operation = _typed("3.1")["paths"]["/orders/{order_id}"]["put"]
    assert operation["parameters"] == [
        # The contract's schema wins over the path's string; a path parameter stays required.
        {"name": "order_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "default": 10},
        },
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
    ]
    # The route of the same path without a contract keeps the path's string.
    untyped = _typed("3.1")["paths"]["/orders/{order_id}"]["delete"]
    assert untyped["parameters"] == [
        {"name": "order_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]


def test_the_body_and_answers_are_the_declared_ones() -> None:
    document = _typed("3.1")
    operation = document["paths"]["/orders/{order_id}"]["put"]
    assert operation["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
    }
    assert set(operation["responses"]) == {"200", "422"}
    untyped = document["paths"]["/orders/{order_id}"]["delete"]
    assert untyped["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Empty"
    }
    assert "x-amazon-apigateway-integration" in operation  # still API Gateway's to call


def test_3_1_keeps_json_schema_2020_12_and_hoists_defs() -> None:
    schemas = _typed("3.1")["components"]["schemas"]
    assert set(schemas) == {"Empty", "Order", "Line", "Page_Order_", "OrderOut", "ValidationError"}
    order = schemas["Order"]
    assert "$defs" not in order
    assert order["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/Line"}
    assert order["properties"]["qty"] == {"type": "integer", "exclusiveMinimum": 0}
    assert order["properties"]["note"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert order["properties"]["kind"] == {"const": "retail"}
    assert order["examples"] == [{"sku": "a-1", "qty": 2}]


def test_3_0_is_api_gateways_import_form() -> None:
    document = _typed("3.0")
    schemas = document["components"]["schemas"]
    # "Model names can only contain alphanumeric characters": renamed, references too.
    assert "PageOrder" in schemas and "Page_Order_" not in schemas
    put = document["paths"]["/orders/{order_id}"]["put"]
    assert put["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PageOrder"
    }
    properties = schemas["Order"]["properties"]
    # Draft 4 models have no `nullable`: a type beside it would refuse the null the app takes.
    assert properties["note"] == {"nullable": True, "default": None}
    assert properties["kind"] == {"enum": ["retail"]}
    # API Gateway supports no exclusiveMinimum: an integer's is the next one's minimum...
    assert properties["qty"] == {"type": "integer", "minimum": 1}
    # ... and a number's bound becomes inclusive (the app still refuses 1000 itself).
    assert properties["price"] == {"type": "number", "maximum": 1000}
    # "The example tag is not supported": neither 3.1's examples nor 3.0's example is left.
    assert "examples" not in schemas["Order"] and "example" not in schemas["Order"]
    assert properties["lines"]["items"] == {"$ref": "#/components/schemas/Line"}


def test_request_validation_is_off_unless_the_stage_asks() -> None:
    document = _typed("3.0")
    assert "x-amazon-apigateway-request-validators" not in document
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert all("x-amazon-apigateway-request-validator" not in op for op in operations)


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_request_validation_checks_routes_with_declared_parameters_or_body(version: str) -> None:
    stage = StageConfig(app_name="shop", stage="dev", api_gateway_request_validation=True)
    document = _typed(version, stage)
    validate(document)
    assert document["x-amazon-apigateway-request-validators"] == {
        "all": {"validateRequestBody": True, "validateRequestParameters": True},
        "params": {"validateRequestBody": False, "validateRequestParameters": True},
    }
    paths = document["paths"]
    assert paths["/orders/{order_id}"]["put"]["x-amazon-apigateway-request-validator"] == "all"
    # Parameters but no declared body: the body is not checked against the Empty model.
    assert paths["/orders"]["get"]["x-amazon-apigateway-request-validator"] == "params"
    # Nothing declared, nothing to check: API Gateway passes the request on as before.
    assert "x-amazon-apigateway-request-validator" not in paths["/orders/{order_id}"]["delete"]


def test_an_app_without_contracts_declares_no_validator_even_when_asked() -> None:
    stage = StageConfig(app_name="shop", stage="dev", api_gateway_request_validation=True)
    document = openapi_document(_manifest(RouteSpec("/a", "GET", "a")), stage, version="3.0")
    assert "x-amazon-apigateway-request-validators" not in document


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"3\.2"):
        openapi_document(typed_manifest(), STAGE, version="3.2")
