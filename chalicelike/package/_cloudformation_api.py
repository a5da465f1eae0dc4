"""The stack's front doors: a REST API (OpenAPI body), an HTTP API (`api_gateway_type` HTTP),
Function URLs (`function_url`; on the API function it replaces API Gateway), websockets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._tooling._manifest import API_FUNCTION, AuthorizerSpec, FunctionEntry, RouteSpec
from ._custom_domains import add_rest_domain, add_v2_domain
from ._openapi import openapi_document
from ._resources import (
    ACCOUNT,
    PARTITION,
    REGION,
    TemplateError,
    functions_of_kind,
    gateway_functions,
    invoke_uri,
    logical_id,
    rest_api_stage_id,
    short_hash,
    sub,
)

if TYPE_CHECKING:
    from ._cloudformation import Stack

APIGATEWAY = "apigateway.amazonaws.com"


def _execute_api_arn(api: str) -> Any:
    return sub(f"arn:{PARTITION}:execute-api:{REGION}:{ACCOUNT}:${{{api}}}/*")


def _endpoint(api: str, stage: str, scheme: str = "https") -> Any:
    return sub(f"{scheme}://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}/")


def _uri_for(function: str) -> Any:
    return sub(invoke_uri(f"${{{logical_id(function)}.Arn}}"))


def add_front_doors(stack: Stack, api_gateway_policy: Mapping[str, Any] | None) -> None:
    manifest = stack.manifest
    for entry in manifest.functions:
        if stack.config(entry.name).function_url:
            add_function_url(stack, entry.name)
    if manifest.routes and not stack.config(API_FUNCTION).function_url:
        if stack.stage.api_gateway_type == "HTTP":
            add_http_api(stack)
        else:
            add_rest_api(stack, api_gateway_policy)
    elif manifest.routes:
        refuse_gateway_features(manifest.routes)
    if functions_of_kind(manifest, "websocket"):
        add_websocket_api(stack)


def add_rest_api(stack: Stack, api_gateway_policy: Mapping[str, Any] | None) -> None:
    stage = stack.stage
    body = openapi_document(stack.manifest, stage, _uri_for, api_gateway_policy)
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
    for function in gateway_functions(stack.manifest):
        stack.permission(function, "Invoke", APIGATEWAY, _execute_api_arn("RestAPI"))
    if stage.api_gateway_custom_domain is not None:
        add_rest_domain(stack, stage.api_gateway_custom_domain)
    stack.output("RestAPIId", {"Ref": "RestAPI"})
    stack.output(
        "EndpointURL", _endpoint("RestAPI", stage.api_gateway_stage), "The REST API's base URL"
    )


# -- HTTP API -------------------------------------------------------------------------------


def add_http_api(stack: Stack) -> None:
    stage = stack.stage
    stack.add(
        "HttpAPI",
        "AWS::ApiGatewayV2::Api",
        {"Name": stack.manifest.app_name, "ProtocolType": "HTTP", "Tags": stack.tags()},
    )
    integration = stack.add(
        "HttpAPIIntegration",
        "AWS::ApiGatewayV2::Integration",
        {
            "ApiId": {"Ref": "HttpAPI"},
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": stack.function_arn(API_FUNCTION),
            "PayloadFormatVersion": "2.0",
        },
    )
    authorizers: dict[str, str] = {}
    routes = []
    for route in http_routes(stack.manifest.routes):
        properties: dict[str, Any] = {
            "ApiId": {"Ref": "HttpAPI"},
            "RouteKey": route_key(route),
            "Target": sub(f"integrations/${{{integration}}}"),
        }
        properties.update(_http_route_auth(stack, route, authorizers))
        routes.append(
            stack.add(
                f"HttpRoute{short_hash(route_key(route))}", "AWS::ApiGatewayV2::Route", properties
            )
        )
    stack.add(
        "HttpAPIStage",
        "AWS::ApiGatewayV2::Stage",
        # AutoDeploy: every change to a route deploys itself, no Deployment to keep fresh.
        {"ApiId": {"Ref": "HttpAPI"}, "StageName": stage.api_gateway_stage, "AutoDeploy": True},
    )
    for function in gateway_functions(stack.manifest):
        stack.permission(function, "Invoke", APIGATEWAY, _execute_api_arn("HttpAPI"))
    if stage.api_gateway_custom_domain is not None:
        add_v2_domain(stack, stage.api_gateway_custom_domain, "HttpAPI", "HttpAPIStage", "Api")
    stack.output("HttpAPIId", {"Ref": "HttpAPI"})
    stack.output(
        "EndpointURL", _endpoint("HttpAPI", stage.api_gateway_stage), "The HTTP API's base URL"
    )


def http_routes(routes: list[RouteSpec]) -> list[RouteSpec]:
    """The routes, plus an OPTIONS route to the function where CORS is on.

    An HTTP API's own CORS setting is API-wide; routing preflights to the function keeps
    each route's CORSConfig, which the app answers with (as it does locally).
    """
    result = list(routes)
    paths_with_options = {r.path for r in routes if r.method in ("OPTIONS", "ANY")}
    for route in routes:
        if route.cors is not None and route.path not in paths_with_options:
            result.append(RouteSpec(route.path, "OPTIONS", f"{route.view_name}_preflight"))
            paths_with_options.add(route.path)
    for route in result:
        if route.api_key_required:
            raise TemplateError(
                f"Route {route.method} {route.path} requires an API key; HTTP APIs have no "
                'API keys. Use "api_gateway_type": "REST" or drop api_key_required'
            )
    return result


def route_key(route: RouteSpec) -> str:
    return f"{route.method} {route.path}"


def _http_route_auth(stack: Stack, route: RouteSpec, authorizers: dict[str, str]) -> dict[str, Any]:
    auth = route.authorizer
    if auth is None:
        return {"AuthorizationType": "NONE"}
    if auth.kind == "IAMAuthorizer":
        return {"AuthorizationType": "AWS_IAM"}
    name = str(auth.options["name"])
    if name not in authorizers:
        authorizers[name] = stack.add(
            f"HttpAuthorizer{logical_id(name)}",
            "AWS::ApiGatewayV2::Authorizer",
            http_authorizer(auth, _uri_for) | {"ApiId": {"Ref": "HttpAPI"}, "Name": name},
        )
    result: dict[str, Any] = {
        "AuthorizationType": "JWT" if auth.kind == "JWTAuthorizer" else "CUSTOM",
        "AuthorizerId": {"Ref": authorizers[name]},
    }
    if auth.kind == "JWTAuthorizer" and auth.options.get("scopes"):
        result["AuthorizationScopes"] = list(auth.options["scopes"])
    return result


def http_authorizer(auth: AuthorizerSpec, uri_for: Any) -> dict[str, Any]:
    """An HTTP API authorizer in CloudFormation's spelling (Terraform's generator maps it)."""
    options = auth.options
    if auth.kind == "JWTAuthorizer":
        return {
            "AuthorizerType": "JWT",
            "IdentitySource": [options["identity_source"]],
            "JwtConfiguration": {
                "Issuer": options["issuer"],
                "Audience": list(options["audience"]),
            },
        }
    if auth.kind == "CognitoUserPoolAuthorizer":
        raise TemplateError(
            f"CognitoUserPoolAuthorizer {options['name']!r} on an HTTP API: API Gateway checks "
            "Cognito tokens there with a JWT authorizer, which needs the app client IDs. Use "
            "JWTAuthorizer(issuer='https://cognito-idp.REGION.amazonaws.com/POOL_ID', "
            "audience=[CLIENT_ID])"
        )
    # Without simple responses API Gateway expects an IAM policy back, which is what an
    # AuthResponse produces. The app's authorizers read payload 2.0; an authorizer from
    # elsewhere (CustomAuthorizer) was written for REST, whose event 1.0 resembles.
    properties: dict[str, Any] = {
        "AuthorizerType": "REQUEST",
        "AuthorizerPayloadFormatVersion": "2.0" if auth.kind == "ChaliceAuthorizer" else "1.0",
        "AuthorizerResultTtlInSeconds": options["ttl_seconds"],
        "IdentitySource": _http_identity_sources(auth),
    }
    if auth.kind == "ChaliceAuthorizer":
        properties["AuthorizerUri"] = uri_for(str(auth.function))
        credentials = options.get("execution_role")
    else:
        properties["AuthorizerUri"] = options["authorizer_uri"]
        credentials = options.get("invoke_role_arn")
    if credentials:
        properties["AuthorizerCredentialsArn"] = credentials
    return properties


def _http_identity_sources(auth: AuthorizerSpec) -> list[str]:
    sources = auth.options.get("identity_sources") or [
        f"method.request.header.{auth.options['header']}"
    ]
    # REST spells them method.request.header.X; HTTP APIs $request.header.X.
    converted = []
    for source in sources:
        for rest, http in (
            ("method.request.header.", "$request.header."),
            ("method.request.querystring.", "$request.querystring."),
            ("context.", "$context."),
            ("stageVariables.", "$stageVariables."),
        ):
            if source.startswith(rest):
                converted.append(http + source[len(rest) :])
                break
    return converted


# -- Function URLs and websockets ---------------------------------------------------------------


def refuse_gateway_features(routes: list[RouteSpec]) -> None:
    for route in routes:
        if route.authorizer is not None or route.api_key_required:
            raise TemplateError(
                f"Route {route.method} {route.path} has an authorizer or needs an API key, "
                "which a Function URL cannot check: use API Gateway (function_url false)"
            )


def add_function_url(stack: Stack, function: str) -> None:
    function_id = logical_id(function)
    url = stack.add(
        f"{function_id}Url",
        "AWS::Lambda::Url",
        {"AuthType": "NONE", "TargetFunctionArn": stack.function_arn(function)},
    )
    # Since October 2025 a public URL needs both grants: InvokeFunctionUrl, and
    # InvokeFunction limited to calls made through the URL.
    stack.add(
        f"{function_id}UrlPermission",
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionName": stack.function_arn(function),
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    )
    stack.add(
        f"{function_id}UrlInvokePermission",
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": stack.function_arn(function),
            "Principal": "*",
            "InvokedViaFunctionUrl": True,
        },
    )
    name = "EndpointURL" if function == API_FUNCTION else f"{function_id}URL"
    stack.output(name, {"Fn::GetAtt": [url, "FunctionUrl"]}, f"{function}'s Function URL")


def add_websocket_api(stack: Stack) -> None:
    handlers = functions_of_kind(stack.manifest, "websocket")
    stack.add(
        "WebsocketAPI",
        "AWS::ApiGatewayV2::Api",
        {
            "Name": f"{stack.manifest.app_name}-{stack.stage.stage}-websocket-api",
            "ProtocolType": "WEBSOCKET",
            # Chalice's: a message's "action" field picks its route; none matched → $default.
            "RouteSelectionExpression": "$request.body.action",
            "Tags": stack.tags(),
        },
    )
    routes = [_add_websocket_route(stack, entry) for entry in handlers]
    keys = sorted(str(e.settings["route_key"]) for e in handlers)
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
            "IntegrationUri": _uri_for(entry.name),
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
