"""Routes that start a workflow (`@app.route(..., workflow=NAME)`) in `package`'s templates:
API Gateway's StartExecution integration (REST: an `aws` integration with a role and a mapping
template; HTTP API: StepFunctions-StartExecution), the role allowed to start exactly those
machines, no Lambda permission where no route calls the API function; cfn-lint and Terraform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelike import Chalice, CORSConfig, CustomAuthorizer, JWTAuthorizer
from chalicelike._tooling._manifest import AppManifest, describe_app
from chalicelike._tooling._openapi import openapi_document
from chalicelike.package._command import _yaml as package_yaml
from chalicelike.package.templates import build_templates
from tests.package.template_support import (
    POLICY,
    cfn_lint,
    configs_for,
    dangling_terraform_references,
    resources_of_type,
    stage_for,
)
from tests.package.templates.test_terraform import _terraform_validate
from tests.workflow_support import ORDER_ASL

FUNCTIONS = ("validate", "price", "reserve", "line_total", "charge")
# StartExecution's request, as API Gateway's mapping template writes it for a machine: the
# VTL exactly as AWS documents it (escapeJavaScript's \' undone: JSON has no such escape).
VTL = r"""$util.escapeJavaScript($input.json('$')).replaceAll("\\'","'")"""
TEMPLATE = '{{"input": "' + VTL + '", "stateMachineArn": "{}"}}'
# StartExecution's errors by the regex on its status code, and the statuses they become.
ERRORS = {"4\\d{2}": "400", "5\\d{2}": "500"}
START_URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution"
PARTNER = CustomAuthorizer(
    "partner",
    header="X-Partner",
    authorizer_uri=(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:partner-auth/invocations"
    ),
)
GREETING_ASL = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}}


def _app(*, other_route: bool = False, cors: Any = None, secured: bool = False) -> Chalice:
    """The order workflow started by POST /orders; 'greeting' is declared but no route starts
    it (its machine must not be in the API's role)."""
    app = Chalice(app_name="orders")
    for name in FUNCTIONS:
        app.lambda_function(name=name)(lambda event, context: event)
    app.workflow("order", ORDER_ASL)
    app.workflow("greeting", GREETING_ASL)
    options: dict[str, Any] = {"cors": cors}
    if secured:
        options |= {"authorizer": PARTNER, "api_key_required": True}
    app.route("/orders", methods=["POST"], workflow="order", **options)(lambda: None)
    if other_route:
        app.route("/orders/{order_id}")(lambda order_id: {"id": order_id})
    return app


def _manifest(tmp_path: Path, **options: Any) -> AppManifest:
    return describe_app(_app(**options), project_dir=tmp_path)


def _template(manifest: AppManifest, fmt: str, **stage: Any) -> dict[str, Any]:
    (document,) = build_templates(
        manifest, stage_for(manifest, **stage), configs_for(manifest), POLICY, fmt
    ).values()
    return document


def _body(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["RestAPI"]["Properties"]["Body"])


def _permissions(template: dict[str, Any]) -> list[Any]:
    """The functions API Gateway may invoke, by their logical IDs."""
    found = []
    for permission in resources_of_type(template, "AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        if properties["Principal"] == "apigateway.amazonaws.com":
            found.append(properties["FunctionName"]["Fn::GetAtt"][0])
    return found


# -- REST ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_rest_route_starts_the_machine_through_a_role(tmp_path: Path, fmt: str) -> None:
    template = _template(_manifest(tmp_path), fmt)
    operation = _body(template)["paths"]["/orders"]["post"]
    assert operation["x-amazon-apigateway-integration"] == {
        "type": "aws",
        "httpMethod": "POST",
        "uri": {"Fn::Sub": START_URI},
        "credentials": {"Fn::GetAtt": ["APIGatewayStartExecutionRole", "Arn"]},
        "requestTemplates": {
            "application/json": {"Fn::Sub": TEMPLATE.format("${OrderStateMachine}")}
        },
        "passthroughBehavior": "never",
        "responses": {
            "default": {"statusCode": "200"},
            "4\\d{2}": {"statusCode": "400"},
            "5\\d{2}": {"statusCode": "500"},
        },
    }
    # StartExecution's answer (executionArn, startDate) passes through as the 200's JSON,
    # its errors as a 400 or a 500; no CORS, no headers.
    empty = {"application/json": {"schema": {"$ref": "#/components/schemas/Empty"}}}
    assert operation["responses"] == {
        status: {"description": f"{status} response", "content": empty}
        for status in ("200", "400", "500")
    }
    role = template["Resources"]["APIGatewayStartExecutionRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    (policy,) = role["Policies"]
    (start,) = policy["PolicyDocument"]["Statement"]
    # Exactly the machines routes start: 'greeting' has none.
    assert start == {
        "Effect": "Allow",
        "Action": "states:StartExecution",
        "Resource": [{"Ref": "OrderStateMachine"}],
    }
    assert "GreetingStateMachine" in template["Resources"]


def test_the_template_lands_as_the_documented_vtl(tmp_path: Path) -> None:
    """Two backslashes in the VTL: four in the JSON text (CloudFormation's Fn::Sub leaves
    backslashes alone), the same VTL back from YAML and from Terraform's local holding the
    body as a string (Terraform's templates read only ${ and %{ there)."""
    manifest = _manifest(tmp_path)
    text = json.dumps(_template(manifest, "cloudformation"))
    assert r"""replaceAll(\"\\\\'\",\"'\")""" in text
    assert VTL.count("\\") == 2
    sam = _template(manifest, "sam")
    as_yaml = yaml.safe_load(package_yaml(sam))["Resources"]["RestAPI"]["Properties"]["Body"]
    start = as_yaml["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]
    assert start["requestTemplates"]["application/json"]["Fn::Sub"].startswith('{"input": "' + VTL)
    tf = _template(manifest, "terraform")
    body = json.loads(tf["locals"]["chalicelike_openapi"])
    template = body["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]
    assert template["requestTemplates"]["application/json"].startswith('{"input": "' + VTL)


def test_cors_headers_on_every_answer_of_the_route(tmp_path: Path) -> None:
    """API Gateway adds no header to an AWS integration's answer: the route's CORS headers
    (origin, exposed headers, credentials) are static values on the 200, 400 and 500 alike,
    declared by each method response."""
    cors = CORSConfig(
        allow_origin="https://shop.example",
        expose_headers=["X-Order"],
        allow_credentials=True,
        max_age=600,
    )
    operation = _body(_template(_manifest(tmp_path, cors=cors), "sam"))["paths"]["/orders"]
    expected = {
        "Access-Control-Allow-Origin": "'https://shop.example'",
        "Access-Control-Expose-Headers": "'X-Order'",
        "Access-Control-Allow-Credentials": "'true'",
    }
    integration = operation["post"]["x-amazon-apigateway-integration"]
    assert set(integration["responses"]) == {"default", *ERRORS}
    for answer in integration["responses"].values():
        assert answer["responseParameters"] == {
            f"method.response.header.{name}": value for name, value in expected.items()
        }
    for status in ("200", "400", "500"):
        headers = operation["post"]["responses"][status]["headers"]
        assert headers == {name: {"schema": {"type": "string"}} for name in expected}
    # The preflight keeps its own (Max-Age is the preflight's alone).
    preflight = operation["options"]["x-amazon-apigateway-integration"]["responses"]["default"]
    assert preflight["responseParameters"]["method.response.header.Access-Control-Max-Age"]


def test_cors_with_several_origins_varies_by_origin(tmp_path: Path) -> None:
    """No static value can echo the request's Origin: Vary alone (see `answer_cors_headers`)."""
    cors = CORSConfig(allow_origin=["https://a.example", "https://b.example"])
    body = _body(_template(_manifest(tmp_path, cors=cors), "cloudformation"))
    integration = body["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]
    assert integration["responses"]["4\\d{2}"]["responseParameters"] == {
        "method.response.header.Vary": "'Origin'"
    }


def test_no_function_is_called_no_permission_is_written(tmp_path: Path) -> None:
    template = _template(_manifest(tmp_path, cors=True), "cloudformation")
    # One allowed origin: API Gateway answers the preflight itself (a mock).
    preflight = _body(template)["paths"]["/orders"]["options"]
    assert preflight["x-amazon-apigateway-integration"]["type"] == "mock"
    assert _permissions(template) == []
    assert "APIHandler" in template["Resources"]  # still packaged (see the report)


def test_a_route_calling_the_function_keeps_its_permission(tmp_path: Path) -> None:
    template = _template(_manifest(tmp_path, other_route=True), "cloudformation")
    paths = _body(template)["paths"]
    proxy = paths["/orders/{order_id}"]["get"]["x-amazon-apigateway-integration"]
    assert proxy["type"] == "aws_proxy"
    assert paths["/orders"]["post"]["x-amazon-apigateway-integration"]["type"] == "aws"
    assert _permissions(template) == ["APIHandler"]


def test_several_origins_send_the_preflight_to_the_function(tmp_path: Path) -> None:
    cors = CORSConfig(allow_origin=["https://a.example", "https://b.example"])
    template = _template(_manifest(tmp_path, cors=cors), "cloudformation")
    preflight = _body(template)["paths"]["/orders"]["options"]
    assert preflight["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert _permissions(template) == ["APIHandler"]


def test_authorizer_and_api_key_guard_the_route(tmp_path: Path) -> None:
    body = _body(_template(_manifest(tmp_path, secured=True, cors=True), "cloudformation"))
    operation = body["paths"]["/orders"]["post"]
    assert operation["security"] == [{"api_key": [], "partner": []}]
    assert operation["x-amazon-apigateway-integration"]["type"] == "aws"
    schemes = body["components"]["securitySchemes"]
    assert set(schemes) == {"api_key", "partner"}
    assert "security" not in body["paths"]["/orders"]["options"]  # preflights go unchecked


def test_generate_models_names_placeholders(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    document = openapi_document(manifest, stage_for(manifest))
    integration = document["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]
    assert integration["uri"] == (
        "arn:{partition}:apigateway:{region_name}:states:action/StartExecution"
    )
    assert integration["credentials"] == "{api_gateway_workflows_role_arn}"
    assert integration["requestTemplates"] == {
        "application/json": TEMPLATE.format("{order_state_machine_arn}")
    }


# -- HTTP API -----------------------------------------------------------------------------------


def _http_routes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    routes = resources_of_type(template, "AWS::ApiGatewayV2::Route").values()
    return {route["Properties"]["RouteKey"]: route["Properties"] for route in routes}


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
def test_http_route_targets_a_start_execution_integration(tmp_path: Path, fmt: str) -> None:
    template = _template(_manifest(tmp_path, other_route=True), fmt, api_gateway_type="HTTP")
    integrations = resources_of_type(template, "AWS::ApiGatewayV2::Integration")
    assert integrations["HttpAPIOrderStartExecution"]["Properties"] == {
        "ApiId": {"Ref": "HttpAPI"},
        "IntegrationType": "AWS_PROXY",
        "IntegrationSubtype": "StepFunctions-StartExecution",
        "PayloadFormatVersion": "1.0",
        "CredentialsArn": {"Fn::GetAtt": ["APIGatewayStartExecutionRole", "Arn"]},
        "RequestParameters": {
            "StateMachineArn": {"Ref": "OrderStateMachine"},
            "Input": "$request.body",
        },
    }
    routes = _http_routes(template)
    assert routes["POST /orders"]["Target"] == {
        "Fn::Sub": "integrations/${HttpAPIOrderStartExecution}"
    }
    assert routes["GET /orders/{order_id}"]["Target"] == {
        "Fn::Sub": "integrations/${HttpAPIIntegration}"
    }
    role = template["Resources"]["APIGatewayStartExecutionRole"]["Properties"]
    statement = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert statement["Resource"] == [{"Ref": "OrderStateMachine"}]
    assert _permissions(template) == ["APIHandler"]


def test_http_api_of_workflow_routes_only_calls_no_function(tmp_path: Path) -> None:
    template = _template(_manifest(tmp_path), "cloudformation", api_gateway_type="HTTP")
    integrations = resources_of_type(template, "AWS::ApiGatewayV2::Integration")
    assert set(integrations) == {"HttpAPIOrderStartExecution"}
    assert _permissions(template) == []


def test_http_preflight_goes_to_the_function(tmp_path: Path) -> None:
    """An HTTP API sends every preflight to the function, which answers with the route's
    CORSConfig (as for any route there)."""
    template = _template(_manifest(tmp_path, cors=True), "cloudformation", api_gateway_type="HTTP")
    routes = _http_routes(template)
    assert routes["OPTIONS /orders"]["Target"] == {"Fn::Sub": "integrations/${HttpAPIIntegration}"}
    assert _permissions(template) == ["APIHandler"]


def test_http_route_keeps_its_authorizer(tmp_path: Path) -> None:
    app = _app()
    jwt = JWTAuthorizer(
        "pool_jwt",
        issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
        audience=["client-one"],
    )
    app.route("/greetings", methods=["POST"], workflow="greeting", authorizer=jwt)(lambda: 0)
    manifest = describe_app(app, project_dir=tmp_path)
    template = _template(manifest, "cloudformation", api_gateway_type="HTTP")
    route = _http_routes(template)["POST /greetings"]
    assert route["Target"] == {"Fn::Sub": "integrations/${HttpAPIGreetingStartExecution}"}
    assert route["AuthorizationType"] == "JWT"
    assert route["AuthorizerId"] == {"Ref": "HttpAuthorizerPoolJwt"}
    role = template["Resources"]["APIGatewayStartExecutionRole"]["Properties"]
    statement = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert statement["Resource"] == [{"Ref": "OrderStateMachine"}, {"Ref": "GreetingStateMachine"}]
    assert cfn_lint(template) == []


# -- cfn-lint -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
@pytest.mark.parametrize("api_type", ["REST", "HTTP"])
def test_cfn_lint_finds_nothing(tmp_path: Path, fmt: str, api_type: str) -> None:
    manifest = _manifest(tmp_path, other_route=True, cors=True, secured=api_type == "REST")
    assert cfn_lint(_template(manifest, fmt, api_gateway_type=api_type)) == []
    only_workflows = _manifest(tmp_path)
    assert cfn_lint(_template(only_workflows, fmt, api_gateway_type=api_type)) == []


# -- Terraform ----------------------------------------------------------------------------------


def test_terraform_rest(tmp_path: Path) -> None:
    document = _template(_manifest(tmp_path, other_route=True), "terraform")
    assert dangling_terraform_references(document) == []
    body = json.loads(document["locals"]["chalicelike_openapi"])
    integration = body["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws"
    assert integration["uri"] == (
        "arn:${data.aws_partition.current.partition}:apigateway:"
        "${data.aws_region.current.name}:states:action/StartExecution"
    )
    assert integration["credentials"] == "${aws_iam_role.api_gateway_start_execution.arn}"
    assert integration["requestTemplates"] == {
        "application/json": TEMPLATE.format("${aws_sfn_state_machine.order.arn}")
    }
    # The same body as CloudFormation's: StartExecution's errors answered as 400 and 500.
    assert {pattern: r["statusCode"] for pattern, r in integration["responses"].items()} == {
        "default": "200",
        **ERRORS,
    }
    resources = document["resource"]
    role = resources["aws_iam_role"]["api_gateway_start_execution"]
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    policy = json.loads(resources["aws_iam_role_policy"]["api_gateway_start_execution"]["policy"])
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": ["${aws_sfn_state_machine.order.arn}"],
        }
    ]
    assert "rest_api_invoke" in resources["aws_lambda_permission"]


def test_terraform_rest_without_a_function_route(tmp_path: Path) -> None:
    document = _template(_manifest(tmp_path), "terraform")
    assert dangling_terraform_references(document) == []
    assert "aws_lambda_permission" not in document["resource"]


def test_terraform_http(tmp_path: Path) -> None:
    document = _template(_manifest(tmp_path), "terraform", api_gateway_type="HTTP")
    assert dangling_terraform_references(document) == []
    resources = document["resource"]
    assert resources["aws_apigatewayv2_integration"] == {
        "start_order": {
            "api_id": "${aws_apigatewayv2_api.http_api.id}",
            "integration_type": "AWS_PROXY",
            "integration_subtype": "StepFunctions-StartExecution",
            "payload_format_version": "1.0",
            "credentials_arn": "${aws_iam_role.api_gateway_start_execution.arn}",
            "request_parameters": {
                "StateMachineArn": "${aws_sfn_state_machine.order.arn}",
                "Input": "$request.body",
            },
        }
    }
    (route,) = resources["aws_apigatewayv2_route"].values()
    assert route["target"] == "integrations/${aws_apigatewayv2_integration.start_order.id}"
    assert "aws_lambda_permission" not in resources


@pytest.mark.slow
@pytest.mark.parametrize("api_type", ["REST", "HTTP"])
def test_terraform_validates(tmp_path: Path, api_type: str) -> None:
    manifest = _manifest(tmp_path, other_route=True, cors=True)
    document = _template(manifest, "terraform", api_gateway_type=api_type)
    (tmp_path / "tf").mkdir()
    report = json.loads(_terraform_validate(document, tmp_path / "tf"))
    assert report["valid"], report["diagnostics"]
