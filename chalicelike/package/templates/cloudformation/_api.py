"""The stack's front doors: a REST API (OpenAPI body), an HTTP API (`api_gateway_type` HTTP),
Function URLs (`function_url`; on the API function it replaces API Gateway), websockets. A
route that starts a workflow is API Gateway's StartExecution integration (`_workflows`)."""

from __future__ import annotations

from typing import Any

from ...._tooling._manifest import API_FUNCTION, FunctionEntry
from ...._tooling._openapi import openapi_document
from .._aws import (
    ACCOUNT,
    PARTITION,
    REGION,
    invoke_uri,
    logical_id,
    pascal_case,
    rest_api_stage_id,
    short_hash,
    sub,
)
from .._model import Function, HttpAuthorizer, HttpRoute
from ._domains import add_rest_domain, add_v2_domain
from ._stack import Stack
from ._workflows import http_start_integration, rest_start_integration, start_role

__all__ = ["function_url", "http_api", "rest_api", "websocket_api"]

APIGATEWAY = "apigateway.amazonaws.com"


def _execute_api_arn(api: str) -> Any:
    return sub(f"arn:{PARTITION}:execute-api:{REGION}:{ACCOUNT}:${{{api}}}/*")


def _endpoint(api: str, stage: str, scheme: str = "https") -> Any:
    return sub(f"{scheme}://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}/")


def _uri_for(stack: Stack, function: str) -> Any:
    """The URI API Gateway invokes the function by (its alias, if it has one)."""
    return stack.caller_sub(function, invoke_uri)


def rest_api(stack: Stack) -> None:
    stage = stack.stage
    policy = stack.deployment.api_gateway_policy
    # API Gateway imports OpenAPI 3.0, not 3.1: the body is its import form.
    body = openapi_document(
        stack.manifest,
        stage,
        lambda f: _uri_for(stack, f),
        policy,
        rest_start_integration,
        version="3.0",
    )
    if stack.deployment.route_workflows:
        start_role(stack)
    endpoint: dict[str, Any] = {"Types": [stage.api_gateway_endpoint_type]}
    if stage.api_gateway_endpoint_vpce:
        endpoint["VpcEndpointIds"] = list(stage.api_gateway_endpoint_vpce)
    properties: dict[str, Any] = {
        "Name": stack.manifest.app_name,
        "Body": body,
        "EndpointConfiguration": endpoint,
        "Tags": stack.tag_list(),
    }
    if stage.minimum_compression_size is not None:
        properties["MinimumCompressionSize"] = stage.minimum_compression_size
    stack.add("RestAPI", "AWS::ApiGateway::RestApi", properties)
    # A Deployment is a snapshot: CloudFormation never redeploys one whose properties are
    # unchanged, so its logical ID carries the body's hash and a new API gets a new one.
    deployment = stack.add(
        f"RestAPIDeployment{short_hash(body)}",
        "AWS::ApiGateway::Deployment",
        {"RestApiId": {"Ref": "RestAPI"}, "Description": f"{stack.manifest.app_name} API"},
    )
    stack.add(
        rest_api_stage_id(stage.api_gateway_stage),
        "AWS::ApiGateway::Stage",
        {
            "RestApiId": {"Ref": "RestAPI"},
            "DeploymentId": {"Ref": deployment},
            "StageName": stage.api_gateway_stage,
            "TracingEnabled": stack.config(API_FUNCTION).xray,
            "Tags": stack.tag_list(),
        },
    )
    for function in stack.deployment.gateway_functions:
        stack.permission(function, "Invoke", APIGATEWAY, _execute_api_arn("RestAPI"))
    if stage.api_gateway_custom_domain is not None:
        add_rest_domain(stack, stage.api_gateway_custom_domain)
    stack.output("RestAPIId", {"Ref": "RestAPI"})
    stack.output(
        "EndpointURL", _endpoint("RestAPI", stage.api_gateway_stage), "The REST API's base URL"
    )


# -- HTTP API -------------------------------------------------------------------------------


def http_api(stack: Stack) -> None:
    stage = stack.stage
    stack.add(
        "HttpAPI",
        "AWS::ApiGatewayV2::Api",
        {"Name": stack.manifest.app_name, "ProtocolType": "HTTP", "Tags": stack.tags()},
    )
    integrations = _http_integrations(stack)
    authorizers: dict[str, str] = {}
    for route in stack.deployment.http_routes:
        properties: dict[str, Any] = {
            "ApiId": {"Ref": "HttpAPI"},
            "RouteKey": route.key,
            "Target": sub(f"integrations/${{{integrations[route.workflow]}}}"),
        }
        properties.update(_http_route_auth(stack, route, authorizers))
        stack.add(f"HttpRoute{short_hash(route.key)}", "AWS::ApiGatewayV2::Route", properties)
    stack.add(
        "HttpAPIStage",
        "AWS::ApiGatewayV2::Stage",
        # AutoDeploy: every change to a route deploys itself, no Deployment to keep fresh.
        {"ApiId": {"Ref": "HttpAPI"}, "StageName": stage.api_gateway_stage, "AutoDeploy": True},
    )
    for function in stack.deployment.gateway_functions:
        stack.permission(function, "Invoke", APIGATEWAY, _execute_api_arn("HttpAPI"))
    if stage.api_gateway_custom_domain is not None:
        add_v2_domain(stack, stage.api_gateway_custom_domain, "HttpAPI", "HttpAPIStage", "Api")
    stack.output("HttpAPIId", {"Ref": "HttpAPI"})
    stack.output(
        "EndpointURL", _endpoint("HttpAPI", stage.api_gateway_stage), "The HTTP API's base URL"
    )


def _http_integrations(stack: Stack) -> dict[str | None, str]:
    """The HTTP API's integrations: the API function's (key None) where a route calls it,
    and one StartExecution per workflow routes start (by its name)."""
    integrations: dict[str | None, str] = {}
    if stack.deployment.api_function_called:
        integrations[None] = stack.add(
            "HttpAPIIntegration",
            "AWS::ApiGatewayV2::Integration",
            {
                "ApiId": {"Ref": "HttpAPI"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": stack.caller_arn(API_FUNCTION),
                "PayloadFormatVersion": "2.0",
            },
        )
    workflows = stack.deployment.route_workflows
    if workflows:
        start_role(stack)
    for workflow in workflows:
        name = workflow.entry.name
        integrations[name] = stack.add(
            f"HttpAPI{logical_id(name)}StartExecution",
            "AWS::ApiGatewayV2::Integration",
            {"ApiId": {"Ref": "HttpAPI"}, **http_start_integration(name)},
        )
    return integrations


def _http_route_auth(stack: Stack, route: HttpRoute, authorizers: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {"AuthorizationType": route.authorization}
    authorizer = route.authorizer
    if authorizer is None:
        return result
    if authorizer.name not in authorizers:
        authorizers[authorizer.name] = stack.add(
            f"HttpAuthorizer{logical_id(authorizer.name)}",
            "AWS::ApiGatewayV2::Authorizer",
            _http_authorizer(stack, authorizer)
            | {"ApiId": {"Ref": "HttpAPI"}, "Name": authorizer.name},
        )
    result["AuthorizerId"] = {"Ref": authorizers[authorizer.name]}
    if route.scopes:
        result["AuthorizationScopes"] = list(route.scopes)
    return result


def _http_authorizer(stack: Stack, authorizer: HttpAuthorizer) -> dict[str, Any]:
    function = authorizer.function
    uri = _uri_for(stack, function) if function is not None else None
    # CloudFormation's one singular: IdentitySource, a list all the same.
    return pascal_case(authorizer.settings(uri), {"identity_sources": "IdentitySource"})


# -- Function URLs and websockets ---------------------------------------------------------------


def function_url(stack: Stack, function: str) -> None:
    function_id = logical_id(function)
    target = stack.function_arn(function)
    properties: dict[str, Any] = {"AuthType": "NONE", "TargetFunctionArn": target}
    alias_id = stack.alias_resource(function)
    if alias_id is not None:
        # The alias's own URL: Lambda invokes the version the alias points at. Lambda
        # refuses a URL for an alias that does not exist yet, hence the DependsOn.
        properties["Qualifier"] = stack.alias_name(function)
    url = stack.add(
        f"{function_id}Url",
        "AWS::Lambda::Url",
        properties,
        depends_on=[alias_id] if alias_id is not None else None,
    )
    # Since October 2025 a public URL needs both grants: InvokeFunctionUrl, and
    # InvokeFunction limited to calls made through the URL; on the alias, for the alias's URL.
    stack.add(
        f"{function_id}UrlPermission",
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": stack.caller_arn(function),
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    )
    stack.add(
        f"{function_id}UrlInvokePermission",
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": stack.caller_arn(function),
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
    )
    name = "EndpointURL" if function == API_FUNCTION else f"{function_id}URL"
    stack.output(name, {"Fn::GetAtt": [url, "FunctionUrl"]}, f"{function}'s Function URL")


def websocket_api(stack: Stack, functions: list[Function]) -> None:
    handlers = [function.entry for function in functions]
    properties = pascal_case(stack.deployment.websocket_api())
    stack.add("WebsocketAPI", "AWS::ApiGatewayV2::Api", properties | {"Tags": stack.tags()})
    routes = [_add_websocket_route(stack, entry) for entry in handlers]
    keys = stack.deployment.websocket_route_keys()
    # As for REST: a new set of routes needs a new Deployment to be served.
    deployment = stack.add(
        f"WebsocketAPIDeployment{short_hash(keys)}",
        "AWS::ApiGatewayV2::Deployment",
        {"ApiId": {"Ref": "WebsocketAPI"}},
        depends_on=routes,
    )
    stack.add(
        "WebsocketAPIStage",
        "AWS::ApiGatewayV2::Stage",
        {
            "ApiId": {"Ref": "WebsocketAPI"},
            "DeploymentId": {"Ref": deployment},
            "StageName": stack.stage.websocket_api_stage,
        },
    )
    domain = stack.stage.websocket_api_custom_domain
    if domain is not None:
        add_v2_domain(stack, domain, "WebsocketAPI", "WebsocketAPIStage", "Websocket")
    stack.output("WebsocketAPIId", {"Ref": "WebsocketAPI"})
    stack.output(
        "WebsocketConnectEndpointURL",
        _endpoint("WebsocketAPI", stack.stage.websocket_api_stage, "wss"),
        "Where websocket clients connect",
    )


def _add_websocket_route(stack: Stack, entry: FunctionEntry) -> str:
    """One handler's route ($connect, $default, $disconnect), integration and permission."""
    function_id = logical_id(entry.name)
    integration = stack.add(
        f"{function_id}APIIntegration",
        "AWS::ApiGatewayV2::Integration",
        {
            "ApiId": {"Ref": "WebsocketAPI"},
            "ConnectionType": "INTERNET",
            # Lambda takes JSON: a binary frame reaches the handler as base64 text (Chalice).
            "ContentHandlingStrategy": "CONVERT_TO_TEXT",
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": _uri_for(stack, entry.name),
        },
    )
    stack.permission(entry.name, "Invoke", APIGATEWAY, _execute_api_arn("WebsocketAPI"))
    return stack.add(
        f"{function_id}Route",
        "AWS::ApiGatewayV2::Route",
        {
            "ApiId": {"Ref": "WebsocketAPI"},
            "RouteKey": entry.settings["route_key"],
            "Target": sub(f"integrations/${{{integration}}}"),
        },
    )
