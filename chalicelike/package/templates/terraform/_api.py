"""The front doors in Terraform: REST API (OpenAPI body), HTTP API, Function URLs, websockets;
which ones is the deployment model's choice, the spelling is Terraform's. A route that starts
a workflow is API Gateway's StartExecution integration (`_workflows`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ...._tooling._manifest import API_FUNCTION, AppManifest, FunctionEntry
from ...._tooling._openapi import openapi_document
from .._aws import logical_id, short_hash
from .._model import Function, HttpRoute
from ._document import FUNCTION_URL_PROVIDER_VERSION, Document, tf_name
from ._domains import add_rest_domain, add_v2_domain
from ._workflows import http_start_integration, rest_start_integration, start_role

__all__ = ["function_url", "http_api", "rest_api", "websocket_api"]

APIGATEWAY = "apigateway.amazonaws.com"


def _rest_api_body(document: Document) -> None:
    """The OpenAPI body as a local (the deployment's trigger hashes it), and the role routes
    that start a workflow call StartExecution with."""
    body = openapi_document(
        _literal_contracts(document.manifest),
        document.stage,
        lambda f: document.caller(f, "invoke_arn"),
        document.deployment.api_gateway_policy,
        rest_start_integration,
        version="3.0",  # API Gateway imports OpenAPI 3.0, not 3.1
    )
    if document.deployment.route_workflows:
        start_role(document)
    document.locals["chalicelike_openapi"] = json.dumps(body, sort_keys=True)


def _literal(value: Any) -> Any:
    """A JSON value whose strings Terraform reads as written: `${` and `%{` begin its
    template sequences in any string of the file, so each is doubled."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_literal(item) for item in value]
    if isinstance(value, dict):
        return {_literal(key): _literal(item) for key, item in value.items()}
    return value


def _literal_contracts(manifest: AppManifest) -> AppManifest:
    """The views' own text in the body (a description, a pattern, an example) kept as
    written; the body's references to resources are Terraform's and stay live."""
    routes = [
        dataclasses.replace(
            route,
            parameters=_literal(route.parameters),
            request_body=_literal(route.request_body),
            responses=_literal(route.responses),
        )
        for route in manifest.routes
    ]
    return dataclasses.replace(manifest, routes=routes, schemas=_literal(manifest.schemas))


def rest_api(document: Document) -> None:
    stage = document.stage
    _rest_api_body(document)
    endpoint: dict[str, Any] = {"types": [stage.api_gateway_endpoint_type]}
    if stage.api_gateway_endpoint_vpce:
        endpoint["vpc_endpoint_ids"] = list(stage.api_gateway_endpoint_vpce)
    api: dict[str, Any] = {
        "name": document.manifest.app_name,
        "body": "${local.chalicelike_openapi}",
        # Set from the body too; repeated so that Terraform does not see drift and undo it.
        "binary_media_types": list(document.manifest.binary_types),
        "endpoint_configuration": endpoint,
        "tags": document.tags(),
    }
    if stage.minimum_compression_size is not None:
        api["minimum_compression_size"] = str(stage.minimum_compression_size)
    document.add("aws_api_gateway_rest_api", "rest_api", api)
    document.add(
        "aws_api_gateway_deployment",
        "rest_api",
        {
            "rest_api_id": "${aws_api_gateway_rest_api.rest_api.id}",
            # A deployment is a snapshot: a new body needs a new one (made before the old goes).
            "triggers": {"redeployment": "${sha1(local.chalicelike_openapi)}"},
            "lifecycle": {"create_before_destroy": True},
        },
    )
    document.add(
        "aws_api_gateway_stage",
        "rest_api",
        {
            "rest_api_id": "${aws_api_gateway_rest_api.rest_api.id}",
            "deployment_id": "${aws_api_gateway_deployment.rest_api.id}",
            "stage_name": stage.api_gateway_stage,
            "xray_tracing_enabled": document.config(API_FUNCTION).xray,
            "tags": document.tags(),
        },
    )
    for function in document.deployment.gateway_functions:
        document.permission(
            function,
            "invoke",
            "apigateway.amazonaws.com",
            "${aws_api_gateway_rest_api.rest_api.execution_arn}/*",
            # Chalice's name for the API function's
            name="rest_api_invoke" if function == API_FUNCTION else None,
        )
    if stage.api_gateway_custom_domain is not None:
        add_rest_domain(document, stage.api_gateway_custom_domain)
    document.output("RestAPIId", "${aws_api_gateway_rest_api.rest_api.id}")
    document.output("EndpointURL", "${aws_api_gateway_stage.rest_api.invoke_url}/")


def function_url(document: Document, function: str) -> None:
    name = tf_name(function)
    document.add(
        "aws_lambda_function_url",
        name,
        {
            "function_name": document.fn(function, "function_name"),
            **document.qualifier(function),  # the alias's own URL, if it has one
            "authorization_type": "NONE",
        },
    )
    document.add(
        "aws_lambda_permission",
        f"{name}_url",
        {
            "function_name": document.fn(function, "function_name"),
            **document.qualifier(function),
            "action": "lambda:InvokeFunctionUrl",
            "principal": "*",
            "function_url_auth_type": "NONE",
        },
    )
    # Since October 2025 a public URL also needs InvokeFunction, limited to URL calls;
    # the provider can say so from 6.29 on.
    document.require_provider(FUNCTION_URL_PROVIDER_VERSION)
    document.add(
        "aws_lambda_permission",
        f"{name}_url_invoke",
        {
            "function_name": document.fn(function, "function_name"),
            **document.qualifier(function),
            "action": "lambda:InvokeFunction",
            "principal": "*",
            "invoked_via_function_url": True,
        },
    )
    label = "EndpointURL" if function == API_FUNCTION else f"{logical_id(function)}URL"
    document.output(label, f"${{aws_lambda_function_url.{name}.function_url}}")


def http_api(document: Document) -> None:
    api = "${aws_apigatewayv2_api.http_api.id}"
    document.add(
        "aws_apigatewayv2_api",
        "http_api",
        {"name": document.manifest.app_name, "protocol_type": "HTTP", "tags": document.tags()},
    )
    integrations = _http_integrations(document)
    for route in document.deployment.http_routes:
        body: dict[str, Any] = {
            "api_id": api,
            "route_key": route.key,
            "target": f"integrations/${{{integrations[route.workflow]}.id}}",
            "authorization_type": "NONE",
        }
        body.update(_route_auth(document, route))
        document.add("aws_apigatewayv2_route", f"route_{short_hash(route.key).lower()}", body)
    document.add(
        "aws_apigatewayv2_stage",
        "http_api",
        {"api_id": api, "name": document.stage.api_gateway_stage, "auto_deploy": True},
    )
    for function in document.deployment.gateway_functions:
        document.permission(
            function, "invoke", APIGATEWAY, "${aws_apigatewayv2_api.http_api.execution_arn}/*"
        )
    if document.stage.api_gateway_custom_domain is not None:
        add_v2_domain(document, document.stage.api_gateway_custom_domain, "http_api", "Api")
    document.output("HttpAPIId", api)
    document.output("EndpointURL", "${aws_apigatewayv2_stage.http_api.invoke_url}/")


def _http_integrations(document: Document) -> dict[str | None, str]:
    """The HTTP API's integrations: the API function's (key None) where a route calls it,
    and one StartExecution per workflow routes start (by its name)."""
    api = "${aws_apigatewayv2_api.http_api.id}"
    integrations: dict[str | None, str] = {}
    if document.deployment.api_function_called:
        integrations[None] = document.add(
            "aws_apigatewayv2_integration",
            "http_api",
            {
                "api_id": api,
                "integration_type": "AWS_PROXY",
                "integration_uri": document.caller(API_FUNCTION),
                "payload_format_version": "2.0",
            },
        )
    workflows = document.deployment.route_workflows
    if workflows:
        start_role(document)
    for workflow in workflows:
        name = workflow.entry.name
        integrations[name] = document.add(
            "aws_apigatewayv2_integration",
            f"start_{tf_name(name)}",
            {"api_id": api, **http_start_integration(name)},
        )
    return integrations


def _route_auth(document: Document, route: HttpRoute) -> dict[str, Any]:
    authorizer = route.authorizer
    if authorizer is None:
        return {} if route.authorization == "NONE" else {"authorization_type": route.authorization}
    name = tf_name(authorizer.name)
    if name not in document.resources.get("aws_apigatewayv2_authorizer", {}):
        uri = document.caller(authorizer.function, "invoke_arn") if authorizer.function else None
        body = authorizer.settings(uri)
        body.update({"api_id": "${aws_apigatewayv2_api.http_api.id}", "name": name})
        document.add("aws_apigatewayv2_authorizer", name, body)
    result: dict[str, Any] = {
        "authorization_type": route.authorization,
        "authorizer_id": f"${{aws_apigatewayv2_authorizer.{name}.id}}",
    }
    if route.scopes:
        result["authorization_scopes"] = list(route.scopes)
    return result


def websocket_api(document: Document, functions: list[Function]) -> None:
    handlers = [function.entry for function in functions]
    api = "${aws_apigatewayv2_api.websocket_api.id}"
    body = document.deployment.websocket_api() | {"tags": document.tags()}
    document.add("aws_apigatewayv2_api", "websocket_api", body)
    routes = [_add_websocket_route(document, entry) for entry in handlers]
    keys = document.deployment.websocket_route_keys()
    document.add(
        "aws_apigatewayv2_deployment",
        "websocket_api_deployment",
        {
            "api_id": api,
            "triggers": {"redeployment": json.dumps(keys)},
            "lifecycle": {"create_before_destroy": True},
            "depends_on": routes,
        },
    )
    document.add(
        "aws_apigatewayv2_stage",
        "websocket_api_stage",
        {
            "api_id": api,
            "name": document.stage.websocket_api_stage,
            "deployment_id": "${aws_apigatewayv2_deployment.websocket_api_deployment.id}",
        },
    )
    domain = document.stage.websocket_api_custom_domain
    if domain is not None:
        add_v2_domain(document, domain, "websocket_api", "Websocket", "websocket_api_stage")
    document.output("WebsocketAPIId", api)
    document.output(
        "WebsocketConnectEndpointURL",
        "${aws_apigatewayv2_stage.websocket_api_stage.invoke_url}/",
    )


def _add_websocket_route(document: Document, entry: FunctionEntry) -> str:
    """One handler's route ($connect, $default, $disconnect), integration and permission."""
    name = tf_name(entry.name)
    api = "${aws_apigatewayv2_api.websocket_api.id}"
    integration = document.add(
        "aws_apigatewayv2_integration",
        f"{name}_api_integration",
        {
            "api_id": api,
            "connection_type": "INTERNET",
            # Lambda takes JSON: a binary frame reaches the handler as base64 text (Chalice).
            "content_handling_strategy": "CONVERT_TO_TEXT",
            "integration_type": "AWS_PROXY",
            "integration_uri": document.caller(entry.name, "invoke_arn"),
        },
    )
    document.permission(
        entry.name,
        "invoke_permission",
        APIGATEWAY,
        "${aws_apigatewayv2_api.websocket_api.execution_arn}/*",
    )
    return document.add(
        "aws_apigatewayv2_route",
        f"{name}_route",
        {
            "api_id": api,
            "route_key": entry.settings["route_key"],
            "target": f"integrations/${{{integration}.id}}",
        },
    )
