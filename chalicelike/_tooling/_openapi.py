"""The REST API as an OpenAPI document: 3.1 with the views' schemas as they are (what
`generate-models` prints), or 3.0 in API Gateway's import format (what the templates embed as
the RestApi body, with real integration URIs: a Lambda proxy per route, or Step Functions'
StartExecution for a route that starts a workflow). Schemas are converted in `_openapi_schemas`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._core._cors import CORSConfig, preflight_headers
from ._manifest import AppManifest, AuthorizerSpec, RouteSpec
from ._openapi_schemas import SchemaWriter
from ._settings import StageConfig
from ._template_error import TemplateError

__all__ = [
    "REQUEST_VALIDATORS",
    "START_EXECUTION_URI",
    "StartFor",
    "UriFor",
    "answer_cors_headers",
    "calls_function",
    "openapi_document",
    "path_parameters",
    "placeholder_start",
    "placeholder_uri",
    "start_execution_integration",
    "start_request_template",
    "start_responses",
]

# A function name → the integration URI API Gateway invokes it by (a string, or a template
# intrinsic such as Fn::Sub).
UriFor = Callable[[str], Any]
# A workflow name → the StartExecution integration of a route that starts it (a format names
# the state machine and the role its own way: `start_execution_integration` builds it).
StartFor = Callable[[str], dict[str, Any]]

# API Gateway's "AWS service action" URI for Step Functions' StartExecution (Sub syntax).
START_EXECUTION_URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution"

_EMPTY = {"$ref": "#/components/schemas/Empty"}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})
API_KEY_SCHEME = "api_key"
# The request validators `api_gateway_request_validation` declares: API Gateway checks the
# required parameters, and the body against its model, before invoking the function. A
# route that declares parameters but no body gets "params": its body's model would be the
# Empty one (an object), which would refuse a list or a body the view reads itself.
REQUEST_VALIDATORS = {
    "all": {"validateRequestBody": True, "validateRequestParameters": True},
    "params": {"validateRequestBody": False, "validateRequestParameters": True},
}


def placeholder_uri(function: str) -> str:
    """Chalice's generate-models placeholders: filled in by whoever deploys the document."""
    variable = "api_handler_lambda_arn" if function == "api_handler" else f"{function}_lambda_arn"
    return (
        "arn:{partition}:apigateway:{region_name}:lambda:path/2015-03-31/functions/"
        f"{{{variable}}}/invocations"
    )


def placeholder_start(workflow: str) -> dict[str, Any]:
    """generate-models' StartExecution integration: the role's and the machine's ARNs are
    placeholders, filled in as the functions' are."""
    return start_execution_integration(
        "arn:{partition}:apigateway:{region_name}:states:action/StartExecution",
        "{api_gateway_workflows_role_arn}",
        start_request_template(f"{{{workflow}_state_machine_arn}}"),
    )


# The body's JSON as a JSON string. escapeJavaScript also turns ' into \', which JSON has no
# such escape for (Step Functions refuses the input): API Gateway's documented fix undoes it.
_INPUT = r"""$util.escapeJavaScript($input.json('$')).replaceAll("\\'","'")"""


def start_request_template(machine_arn: str) -> str:
    """The mapping template turning a request into StartExecution's parameters: the body's
    JSON becomes the execution's input, which StartExecution takes as a string (escaped)."""
    return f'{{"input": "{_INPUT}", "stateMachineArn": "{machine_arn}"}}'


def start_execution_integration(uri: Any, credentials: Any, template: Any) -> dict[str, Any]:
    """API Gateway calls StartExecution itself (an AWS integration, no Lambda) with the role
    `credentials`, and passes its JSON answer (executionArn, startDate) through as a 200
    (its errors as 400 and 500: `start_responses`)."""
    return {
        "type": "aws",
        "httpMethod": "POST",  # every AWS service action is a POST
        "uri": uri,
        "credentials": credentials,
        "requestTemplates": {"application/json": template},
        # Another content type would reach StartExecution as it came, not as its parameters:
        # API Gateway answers 415 instead.
        "passthroughBehavior": "never",
        "responses": start_responses(None)[1],
    }


# An AWS integration answers 200 whatever the service said unless a selection pattern (a
# regex on the service's status code) picks another response: StartExecution's 4xx (bad
# input, an execution name taken, access denied) become a 400, its 5xx a 500.
_START_STATUSES = (("default", "200"), ("4\\d{2}", "400"), ("5\\d{2}", "500"))
# What a browser reads from an actual (not preflight) answer: the preflight's other headers
# (Allow-Headers, Allow-Methods, Max-Age) mean nothing there. Vary: only with several origins.
_ANSWER_CORS = (
    "Access-Control-Allow-Origin",
    "Vary",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Credentials",
)


def start_responses(cors: CORSConfig | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A StartExecution route's method responses (by status) and integration responses (by
    selection pattern). A non-proxy integration adds no header of its own: with CORS, each
    response carries the route's as static values, which its method response declares."""
    headers = answer_cors_headers(cors)
    method: dict[str, Any] = {}
    integration: dict[str, Any] = {}
    for pattern, status in _START_STATUSES:
        response: dict[str, Any] = {"description": f"{status} response"}
        answer: dict[str, Any] = {"statusCode": status}
        if headers:
            response["headers"] = {name: {"schema": {"type": "string"}} for name in headers}
            answer["responseParameters"] = {
                f"method.response.header.{name}": f"'{value}'" for name, value in headers.items()
            }
        response["content"] = {"application/json": {"schema": _EMPTY}}
        method[status] = response
        integration[pattern] = answer
    return method, integration


def answer_cors_headers(cors: CORSConfig | None) -> dict[str, str]:
    """The CORS headers of an answer API Gateway gives without the app: its origin, and the
    exposed headers and credentials if the config has them.

    Several allowed origins: the header names one, the request's if listed, and a static
    value cannot echo it; the answer carries `Vary: Origin` and no Allow-Origin (a browser
    then keeps it from the page, though the execution has started)."""
    if cors is None:
        return {}
    headers = cors.get_access_control_headers()
    return {name: value for name, value in headers.items() if name in _ANSWER_CORS}


def calls_function(routes: list[RouteSpec]) -> bool:
    """Whether the REST API invokes the API function: a route that starts a workflow calls
    none, but its path's CORS preflight does when several origins are allowed."""
    if any(route.workflow is None for route in routes):
        return True
    return any(_proxied_preflight(group) for group in _routes_by_path(routes).values())


def openapi_document(
    manifest: AppManifest,
    stage: StageConfig,
    uri_for: UriFor = placeholder_uri,
    api_gateway_policy: Mapping[str, Any] | None = None,
    start_for: StartFor = placeholder_start,
    *,
    version: str = "3.1",
) -> dict[str, Any]:
    """The app's routes (with their declared parameters, bodies and answers), schemas,
    authorizers, CORS preflights and binary types as OpenAPI `version` ("3.1" or "3.0")."""
    schemas = SchemaWriter(manifest.schemas, version)
    document: dict[str, Any] = {
        "openapi": "3.1.0" if version == "3.1" else "3.0.1",
        "info": {"title": manifest.app_name, "version": "1.0"},
        "paths": {},
        "components": {
            "schemas": {"Empty": {"type": "object", "title": "Empty Schema"}},
        },
        "x-amazon-apigateway-binary-media-types": list(manifest.binary_types),
    }
    schemes: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for path, routes in _routes_by_path(manifest.routes).items():
        operations: dict[str, Any] = {}
        for route in routes:
            operation_id = _operation_id(route, operation_ids)
            if route.workflow is None:
                integration = proxy_integration(uri_for(route.function))
                operation = _operation(route, integration, operation_id)
            else:
                operation = _start_operation(route, start_for(route.workflow), operation_id)
            _add_contract(operation, route, schemas)
            if stage.api_gateway_request_validation:
                _add_validator(document, operation, route)
            operations[_method_key(route.method)] = _in_order(operation)
            _add_schemes(schemes, route, uri_for)
        preflight = _preflight(routes, uri_for, operation_ids)
        if preflight is not None:
            # OpenAPI: every operation declares the path's parameters, the preflight too.
            parameters = _parameters(path)
            operations["options"] = (
                {"parameters": parameters, **preflight} if parameters else preflight
            )
        document["paths"][path] = operations
    if schemes:
        document["components"]["securitySchemes"] = schemes
    _add_access(document, stage, api_gateway_policy)
    document["components"]["schemas"] = schemas.components(document["components"]["schemas"])
    return schemas.finish(document)


def _add_access(
    document: dict[str, Any], stage: StageConfig, api_gateway_policy: Mapping[str, Any] | None
) -> None:
    """Who may reach the API: a private API's VPC endpoints, its resource policy."""
    if stage.api_gateway_endpoint_vpce:
        document["x-amazon-apigateway-endpoint-configuration"] = {
            "vpcEndpointIds": list(stage.api_gateway_endpoint_vpce)
        }
    if api_gateway_policy is not None:
        document["x-amazon-apigateway-policy"] = dict(api_gateway_policy)


def _add_validator(document: dict[str, Any], operation: dict[str, Any], route: RouteSpec) -> None:
    """The route's request validator (none without declared parameters or body), declared
    on the document the first time an operation names it."""
    validator = "all" if route.request_body is not None else "params" if route.parameters else None
    if validator is not None:
        operation["x-amazon-apigateway-request-validator"] = validator
        validators = document.setdefault("x-amazon-apigateway-request-validators", {})
        validators[validator] = REQUEST_VALIDATORS[validator]


def _add_contract(operation: dict[str, Any], route: RouteSpec, schemas: SchemaWriter) -> None:
    """The view's declared parameters, body and answers, over the untyped defaults.

    A path parameter is declared once: the contract's (its type) where it has one, else the
    path's string. A route that starts a workflow keeps API Gateway's own answers."""
    if not (route.parameters or route.request_body is not None or route.responses is not None):
        return
    declared = {(p["name"], p["in"]): schemas.parameter(p) for p in route.parameters}
    parameters = []
    for parameter in _parameters(route.path):
        typed = declared.pop((parameter["name"], "path"), None)
        parameters.append({**typed, "required": True} if typed is not None else parameter)
    # A path parameter the path does not name would make the document invalid: never sent.
    parameters += [p for (_, where), p in declared.items() if where != "path"]
    if parameters:
        operation["parameters"] = parameters
    if route.request_body is not None:
        operation["requestBody"] = schemas.with_content(route.request_body)
    if route.responses is not None and route.workflow is None:
        operation["responses"] = {
            str(status): schemas.with_content(response)
            for status, response in route.responses.items()
        }


_ORDER = ("operationId", "parameters", "requestBody", "responses", "security")


def _in_order(operation: dict[str, Any]) -> dict[str, Any]:
    # The same order on every operation, whatever added its parts: a reader (and a diff of
    # two templates) finds them where it expects.
    first = {key: operation[key] for key in _ORDER if key in operation}
    return {**first, **{k: v for k, v in operation.items() if k not in first}}


def _routes_by_path(routes: list[RouteSpec]) -> dict[str, list[RouteSpec]]:
    grouped: dict[str, list[RouteSpec]] = {}
    for route in routes:
        grouped.setdefault(route.path, []).append(route)
    return grouped


def _method_key(method: str) -> str:
    # API Gateway's extension for "every method": a view that routes them all itself.
    return "x-amazon-apigateway-any-method" if method == "ANY" else method.lower()


def _start_operation(
    route: RouteSpec, integration: dict[str, Any], operation_id: str
) -> dict[str, Any]:
    """A route that starts a workflow: its answers, CORS headers included (API Gateway adds
    none to a non-proxy integration's answer: only the preflight had them)."""
    cors = CORSConfig(**route.cors) if route.cors is not None else None
    method_responses, integration_responses = start_responses(cors)
    integration = {**integration, "responses": integration_responses}
    operation = _operation(route, integration, operation_id)
    operation["responses"] = method_responses
    return operation


def _operation(route: RouteSpec, integration: dict[str, Any], operation_id: str) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id}
    parameters = _parameters(route.path)
    if parameters:
        operation["parameters"] = parameters
    if route.method in _BODY_METHODS and route.content_types:
        operation["requestBody"] = {
            "content": {content_type: {"schema": _EMPTY} for content_type in route.content_types}
        }
    operation["responses"] = {
        "200": {"description": "200 response", "content": {"application/json": {"schema": _EMPTY}}}
    }
    requirement = _security_requirement(route)
    if requirement:
        operation["security"] = [requirement]
    operation["x-amazon-apigateway-integration"] = integration
    return operation


def proxy_integration(uri: Any) -> dict[str, Any]:
    """Lambda proxy: API Gateway POSTs the whole request to the function's invoke URI."""
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": uri,
        "passthroughBehavior": "when_no_match",
        "contentHandling": "CONVERT_TO_TEXT",
        "responses": {"default": {"statusCode": "200"}},
    }


def _operation_id(route: RouteSpec, taken: set[str]) -> str:
    # One view may serve several methods and paths; the IDs must stay unique (OpenAPI).
    candidates = [route.view_name, f"{route.view_name}_{route.method.lower()}"]
    chosen = next((c for c in candidates if c not in taken), None)
    number = 2
    while chosen is None:
        candidate = f"{candidates[1]}_{number}"
        chosen = candidate if candidate not in taken else None
        number += 1
    taken.add(chosen)
    return chosen


def _parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_parameters(path)
    ]


def path_parameters(path: str) -> list[str]:
    """'/a/{id}/{proxy+}' → ['id', 'proxy']: API Gateway names a greedy one without its '+'."""
    names = []
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            names.append(segment[1:-1].rstrip("+"))
    return names


def _security_requirement(route: RouteSpec) -> dict[str, list[str]]:
    # One requirement object: API Gateway checks the API key AND the authorizer.
    requirement: dict[str, list[str]] = {}
    if route.api_key_required:
        requirement[API_KEY_SCHEME] = []
    auth = route.authorizer
    if auth is not None:
        if auth.kind == "JWTAuthorizer":
            raise TemplateError(
                f"Route {route.method} {route.path} uses JWTAuthorizer "
                f"{auth.options.get('name')!r}, which only HTTP APIs have: set "
                '"api_gateway_type": "HTTP" in .chalice/config.json, or use a '
                "CognitoUserPoolAuthorizer or a Lambda authorizer"
            )
        # Only Cognito authorizers take OAuth scopes; API Gateway wants [] for the rest.
        scopes = auth.options.get("scopes") if auth.kind == "CognitoUserPoolAuthorizer" else None
        requirement[scheme_name(auth)] = list(scopes or [])
    return requirement


def scheme_name(auth: AuthorizerSpec) -> str:
    return "sigv4" if auth.kind == "IAMAuthorizer" else str(auth.options["name"])


def _add_schemes(schemes: dict[str, Any], route: RouteSpec, uri_for: UriFor) -> None:
    if route.api_key_required:
        schemes[API_KEY_SCHEME] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    if route.authorizer is not None:
        schemes[scheme_name(route.authorizer)] = security_scheme(route.authorizer, uri_for)


def security_scheme(auth: AuthorizerSpec, uri_for: UriFor) -> dict[str, Any]:
    """The securitySchemes entry API Gateway builds an authorizer from."""
    options = auth.options
    if auth.kind == "IAMAuthorizer":
        return _api_key_scheme("Authorization", "awsSigv4")
    if auth.kind == "CognitoUserPoolAuthorizer":
        scheme = _api_key_scheme(options["header"], "cognito_user_pools")
        scheme["x-amazon-apigateway-authorizer"] = {
            "type": "cognito_user_pools",
            "providerARNs": list(options["provider_arns"]),
        }
        return scheme
    scheme = _api_key_scheme(options["header"], "custom")
    lambda_auth: dict[str, Any] = {"type": "token"}
    if auth.kind == "ChaliceAuthorizer":
        lambda_auth["authorizerUri"] = uri_for(str(auth.function))
        credentials = options.get("execution_role")
        if options.get("authorizer_type") == "REQUEST":
            lambda_auth["type"] = "request"
            lambda_auth["identitySource"] = ", ".join(options["identity_sources"])
    else:  # CustomAuthorizer: a Lambda authorizer deployed elsewhere
        lambda_auth["authorizerUri"] = options["authorizer_uri"]
        credentials = options.get("invoke_role_arn")
    if credentials:
        lambda_auth["authorizerCredentials"] = credentials
    lambda_auth["authorizerResultTtlInSeconds"] = options["ttl_seconds"]
    scheme["x-amazon-apigateway-authorizer"] = lambda_auth
    return scheme


def _api_key_scheme(header: str, auth_type: str) -> dict[str, Any]:
    return {
        "type": "apiKey",
        "name": header,
        "in": "header",
        "x-amazon-apigateway-authtype": auth_type,
    }


def _preflight(routes: list[RouteSpec], uri_for: UriFor, taken: set[str]) -> dict[str, Any] | None:
    """The OPTIONS method API Gateway answers CORS preflights with, if the path has CORS.

    One allowed origin: a mock integration answers, with no Lambda call (Chalice's way).
    Several: the header can name only one, so the preflight goes to the function, which
    echoes the request's Origin when it is listed.
    """
    cors_by_method = _cors_by_method(routes)
    if cors_by_method is None:
        return None
    if _proxied_preflight(routes):
        return {
            "operationId": _operation_id(
                RouteSpec(routes[0].path, "OPTIONS", f"{routes[0].view_name}_preflight"), taken
            ),
            "responses": {"200": {"description": "200 response"}},
            "x-amazon-apigateway-integration": proxy_integration(uri_for(routes[0].function)),
        }
    headers = preflight_headers(cors_by_method, None)
    return {
        "responses": {
            "200": {
                "description": "200 response",
                "headers": {name: {"schema": {"type": "string"}} for name in headers},
                "content": {"application/json": {"schema": _EMPTY}},
            }
        },
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "passthroughBehavior": "when_no_match",
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseParameters": {
                        f"method.response.header.{name}": f"'{value}'"
                        for name, value in headers.items()
                    },
                }
            },
        },
    }


def _cors_by_method(routes: list[RouteSpec]) -> dict[str, CORSConfig | None] | None:
    """The path's CORS settings by method; None when API Gateway answers no preflight there
    (the app answers OPTIONS itself, or no route has CORS)."""
    if any(route.method == "OPTIONS" for route in routes):
        return None
    cors_by_method = {
        route.method: CORSConfig(**route.cors) if route.cors is not None else None
        for route in routes
    }
    enabled = any(config is not None for config in cors_by_method.values())
    return cors_by_method if enabled else None


def _proxied_preflight(routes: list[RouteSpec]) -> bool:
    """Whether the path's preflight goes to the function (several allowed origins)."""
    cors_by_method = _cors_by_method(routes)
    if cors_by_method is None:
        return False
    enabled = [config for config in cors_by_method.values() if config is not None]
    return not isinstance(enabled[0].allow_origin, str)
