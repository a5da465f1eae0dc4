"""A REST API's OpenAPI body spelled out as CloudFormation resources, for `chalicelike deploy`.

`package` writes the API as a RestApi `Body` plus a Stage; moto's CloudFormation reads no Body
and has no Stage or Authorizer. This rewrites a template's resources into one Resource per path
segment, one Method per operation and one Authorizer per scheme, with the Stage folded into the
Deployment: a form AWS builds the same API from, and that moto can create too. The views'
schemas become Models and API Gateway's request validators RequestValidators
(`_rest_api_models`; moto's CloudFormation makes neither, AWS makes both).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..package.templates._aws import TemplateError, short_hash
from ._resource_edits import check_keys, depend_on
from ._rest_api_models import ApiModels, add_validators
from ._rest_api_stage import deployments_of, fold_stage, stages_of

__all__ = ["explicit_rest_api"]

REST_API = "AWS::ApiGateway::RestApi"
RESOURCE = "AWS::ApiGateway::Resource"

Resources = dict[str, Any]
Properties = dict[str, Any]

_LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")
_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
_EXTENSION = "x-amazon-apigateway-"
_INTEGRATION = f"{_EXTENSION}integration"
_VALIDATORS = f"{_EXTENSION}request-validators"
_VALIDATOR = f"{_EXTENSION}request-validator"
_DOCUMENT_KEYS = frozenset(
    ["openapi", "info", "paths", "components", _VALIDATORS]
    + [f"{_EXTENSION}{name}" for name in ("binary-media-types", "endpoint-configuration", "policy")]
)
# Where an OpenAPI parameter is → how a Method's RequestParameters name it.
_PARAMETER_SOURCES = {"path": "path", "query": "querystring", "header": "header"}
# A Parameter Object's fields: API Gateway reads name, in and required; the rest (its schema
# included) is documentation, which a Method has no place for.
_PARAMETER_FIELDS = frozenset(
    {"name", "in", "required", "schema", "description", "deprecated", "example", "examples"}
    | {"style", "explode", "allowEmptyValue", "allowReserved"}
)
# RestApi properties that only steer the import of a Body: meaningless once it is gone.
_IMPORT_ONLY = ("FailOnWarnings", "Mode", "Parameters")


def explicit_rest_api(resources: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a template's `Resources` with every RestApi `Body` made explicit resources.

    Raises TemplateError (a ValueError) naming any part of a body this cannot spell, rather
    than deploying an API that differs from the one `package` describes. ApiGatewayV2 APIs
    and everything else pass through unchanged. Outputs are not seen here: they must not
    Ref a REST API stage (the package's outputs never do).
    """
    result: Resources = copy.deepcopy(dict(resources))
    for api, resource in resources.items():
        if resource.get("Type") == REST_API and "Body" in resource.get("Properties", {}):
            methods = _expand_api(result, api)
            for deployment in deployments_of(result, api):
                # AWS (and moto) refuse to deploy an API before its methods exist.
                depend_on(result[deployment], methods)
                fold_stage(result, api, deployment)
            leftover = list(stages_of(result, api))
            if leftover:
                raise TemplateError(
                    f"Stage {leftover[0]} of {api} refers to no Deployment of the template "
                    "by Ref; it cannot be folded into one"
                )
    return result


# -- the RestApi itself ---------------------------------------------------------------------


def _expand_api(result: Resources, api: str) -> list[str]:
    """Replace the api's Body with resources; the logical IDs of the Methods made."""
    properties: Properties = result[api]["Properties"]
    body = properties.pop("Body")
    if "BodyS3Location" in properties:
        raise TemplateError(f"{api} has both Body and BodyS3Location")
    for name in _IMPORT_ONLY:
        properties.pop(name, None)
    check_keys(body, f"{api} Body", _DOCUMENT_KEYS)
    _apply_document(properties, body, api)
    components = body.get("components", {})
    check_keys(components, f"{api} Body components", {"schemas", "securitySchemes"})
    schemes: dict[str, Any] = components.get("securitySchemes", {})
    parts = _ApiParts(
        schemes,
        _add_authorizers(result, api, schemes),
        ApiModels(result, api, components.get("schemas", {})),
        add_validators(result, api, body.get(_VALIDATORS, {})),
    )
    paths: dict[str, Any] = body.get("paths", {})
    resource_ids = _add_path_resources(result, api, list(paths))
    methods = []
    proxy = _proxy_integration(paths)
    for path, operations in paths.items():
        for key, operation in operations.items():
            operation = _preflight_by_proxy(key, operation, proxy)
            where = f"{api} {path} {key}"
            method = _method(operation, parts, where)
            verb = _verb(key, where)
            method.update(
                {"RestApiId": {"Ref": api}, "ResourceId": resource_ids[path], "HttpMethod": verb}
            )
            logical = f"{_path_key(api, path)}{verb.title()}"
            methods.append(_new(result, logical, "AWS::ApiGateway::Method", method))
            # A Method names its models by name, not Ref: CloudFormation must be told.
            depend_on(result[logical], parts.models.logical_ids(_model_names_of(method)))
    return methods


def _proxy_integration(paths: dict[str, Any]) -> dict[str, Any] | None:
    """The first Lambda proxy integration of the API (they all call the API function)."""
    for operations in paths.values():
        for operation in operations.values():
            integration = operation.get(_INTEGRATION, {})
            if integration.get("type") == "aws_proxy":
                return dict(integration)
    return None


def _preflight_by_proxy(key: str, operation: dict[str, Any], proxy: Any) -> dict[str, Any]:
    """A CORS preflight (`options` with a `mock` integration) answered by the API function.

    AWS documents a MOCK integration as taking no Uri, and moto's CloudFormation cannot make
    one without it; a proxied preflight is built by both, and the app answers OPTIONS with
    the same headers (as `chalicelike local` does). The cost: one invocation per preflight
    the browser has not cached (Access-Control-Max-Age)."""
    if key != "options" or proxy is None:
        return operation
    if operation.get(_INTEGRATION, {}).get("type") != "mock":
        return operation
    proxied = {k: v for k, v in operation.items() if k not in (_INTEGRATION, "responses")}
    proxied[_INTEGRATION] = proxy
    proxied["responses"] = {"200": {"description": "200 response"}}
    return proxied


def _apply_document(properties: Properties, body: dict[str, Any], api: str) -> None:
    """The document-wide extensions, as the RestApi's own properties."""
    info = body.get("info", {})
    # `version` is the document's own version: API Gateway keeps it only as documentation.
    check_keys(info, f"{api} Body info", {"title", "version"})
    properties.setdefault("Name", info.get("title"))
    binary_types = body.get("x-amazon-apigateway-binary-media-types")
    if binary_types:
        properties["BinaryMediaTypes"] = list(binary_types)
    if "x-amazon-apigateway-policy" in body:
        properties["Policy"] = body["x-amazon-apigateway-policy"]
    endpoint = body.get("x-amazon-apigateway-endpoint-configuration")
    if endpoint is not None:
        where = f"{api} x-amazon-apigateway-endpoint-configuration"
        check_keys(endpoint, where, {"vpcEndpointIds"})
        # A private API's endpoints: the RestApi's EndpointConfiguration names them already.
        configuration = properties.setdefault("EndpointConfiguration", {"Types": ["PRIVATE"]})
        ids = configuration.setdefault("VpcEndpointIds", list(endpoint["vpcEndpointIds"]))
        if ids != list(endpoint["vpcEndpointIds"]):
            raise TemplateError(f"{where} names other VPC endpoints than the RestApi")


# -- paths --------------------------------------------------------------------------------------


def _add_path_resources(result: Resources, api: str, paths: list[str]) -> dict[str, Any]:
    """One Resource per path segment; every path (and prefix) → the ResourceId a Method takes."""
    root = {"Fn::GetAtt": [api, "RootResourceId"]}
    ids: dict[str, Any] = {"/": root}
    for path in paths:
        if not path.startswith("/") or (path != "/" and "" in path[1:].split("/")):
            raise TemplateError(f"{api} path {path!r} is not /segment/segment...")
        prefix = ""
        for segment in path[1:].split("/") if path != "/" else []:
            parent = ids.get(prefix or "/")
            prefix = f"{prefix}/{segment}"
            if prefix not in ids:
                properties = {"RestApiId": {"Ref": api}, "ParentId": parent, "PathPart": segment}
                logical = _new(result, _path_key(api, prefix), RESOURCE, properties)
                ids[prefix] = {"Ref": logical}
    return ids


def _path_key(api: str, path: str) -> str:
    """'/books/{isbn}' → 'RestAPIResourceBooksIsbnXXXXXXXX': readable, and the hash keeps
    '/a-b' and '/ab' apart; the root's methods are 'RestAPIRoot<Verb>'."""
    if path == "/":
        return f"{api}Root"
    words = re.split(r"[^A-Za-z0-9]+", path)
    readable = "".join(word[:1].upper() + word[1:] for word in words)
    return f"{api}Resource{readable[: max(0, 200 - len(api))]}{short_hash(path)}"


def _verb(key: str, where: str) -> str:
    # API Gateway's extension for "every method": one integration serves them all.
    verb = "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()
    if verb not in _VERBS:
        raise TemplateError(f"{where}: not an HTTP method API Gateway has")
    return verb


# -- methods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ApiParts:
    """What an API's methods refer to: its security schemes and the resources made of
    them, its models and its request validators."""

    schemes: dict[str, Any]
    authorizers: dict[str, str]  # scheme name -> logical ID
    models: ApiModels
    validators: dict[str, str]  # validator name -> logical ID


def _method(operation: dict[str, Any], parts: _ApiParts, where: str) -> Properties:
    """An OpenAPI operation → an AWS::ApiGateway::Method's properties (all but the ids)."""
    properties: Properties = {"AuthorizationType": "NONE"}
    # An inline schema's model is named after the operation: 'list_orders' → 'ListOrders...'.
    words = re.split(r"[^A-Za-z0-9]+", str(operation.get("operationId", "")))
    hint = "".join(word[:1].upper() + word[1:] for word in words)
    for key, value in operation.items():
        at = f"{where} {key}"
        if key == "security":
            properties.update(_security(value, parts.schemes, parts.authorizers, at))
        elif key == "requestBody":
            check_keys(value, at, {"content", "required", "description"})
            properties["RequestModels"] = _models(value["content"], parts, at, f"{hint}Request")
        elif key == "responses":
            properties["MethodResponses"] = _method_responses(value, parts, at, hint)
        elif key == _VALIDATOR:
            if value not in parts.validators:
                raise TemplateError(f"{at}: no {_VALIDATORS} {value!r}")
            properties["RequestValidatorId"] = {"Ref": parts.validators[value]}
        elif key in _OPERATION_FIELDS:
            name, convert = _OPERATION_FIELDS[key]
            properties[name] = convert(value, f"{where} {key}")
        else:
            raise TemplateError(f"{where}: {key!r} has no CloudFormation spelling here")
    return properties


def _request_parameters(parameters: list[dict[str, Any]], where: str) -> dict[str, bool]:
    """As API Gateway's importer declares them: method.request.<source>.<name>: required
    (with a request validator, API Gateway refuses a request that lacks a required one)."""
    declared = {}
    for parameter in parameters:
        check_keys(parameter, where, _PARAMETER_FIELDS)
        source = _PARAMETER_SOURCES.get(parameter.get("in", ""))
        if source is None:
            raise TemplateError(f"{where}: API Gateway has no {parameter.get('in')!r} parameters")
        declared[f"method.request.{source}.{parameter['name']}"] = bool(parameter.get("required"))
    return declared


def _models(content: dict[str, Any], parts: _ApiParts, where: str, hint: str) -> dict[str, str]:
    """{'application/json': {'schema': {'$ref': '#/components/schemas/Empty'}}} → {..: 'Empty'};
    a schema written inline is a model of its own, named after the operation."""
    models = {}
    for content_type, media in content.items():
        at = f"{where} {content_type}"
        check_keys(media, at, {"schema", "example", "examples"})
        models[content_type] = parts.models.name_for(media.get("schema", {}), at, hint)
    return models


def _model_names_of(method: Properties) -> list[str]:
    names = list(method.get("RequestModels", {}).values())
    for response in method.get("MethodResponses", []):
        names += list(response.get("ResponseModels", {}).values())
    return names


def _method_responses(
    responses: dict[str, Any], parts: _ApiParts, where: str, hint: str
) -> list[dict[str, Any]]:
    # `description` is documentation only: API Gateway keeps none on a method response.
    spelled = []
    for status, response in responses.items():
        at = f"{where} {status}"
        check_keys(response, at, {"description", "headers", "content"})
        entry: dict[str, Any] = {"StatusCode": str(status)}
        if response.get("headers"):
            # false: the integration may leave a header out (what the importer declares).
            entry["ResponseParameters"] = {
                f"method.response.header.{name}": False for name in response["headers"]
            }
        if response.get("content"):
            named = f"{hint}Response{status}"
            entry["ResponseModels"] = _models(response["content"], parts, at, named)
        spelled.append(entry)
    return spelled


def _operation_name(operation_id: str, where: str) -> str:
    return operation_id


# -- integrations -------------------------------------------------------------------------------

# x-amazon-apigateway-integration's fields that _openapi writes → the Method Integration's
# (any other is refused by name: better than deploying an API that differs from the body).
_INTEGRATION_FIELDS = {
    "type": "Type",
    "httpMethod": "IntegrationHttpMethod",
    "uri": "Uri",
    "passthroughBehavior": "PassthroughBehavior",
    "contentHandling": "ContentHandling",
    "requestTemplates": "RequestTemplates",
    "credentials": "Credentials",  # the role an AWS integration (StartExecution) calls with
}
_RESPONSE_FIELDS = {"statusCode": "StatusCode", "responseParameters": "ResponseParameters"}


def _integration(integration: dict[str, Any], where: str) -> Properties:
    """`aws_proxy` → AWS_PROXY with the body's very Uri; `aws` (a route starting a workflow)
    → AWS with its Uri, Credentials, RequestTemplates and a response per selection pattern
    (StartExecution's errors, with the route's CORS headers); `mock` → MOCK, with no Uri or
    IntegrationHttpMethod (CloudFormation: "If you specify MOCK, don't specify" a Uri)."""
    spelled: Properties = {}
    for key, value in integration.items():
        if key == "responses":
            spelled["IntegrationResponses"] = _integration_responses(value, f"{where} responses")
        elif key in _INTEGRATION_FIELDS:
            spelled[_INTEGRATION_FIELDS[key]] = value
        else:
            raise TemplateError(f"{where}: {key!r} has no CloudFormation spelling here")
    # The OpenAPI extension spells these enums in lower case; CloudFormation's are upper.
    for name in ("Type", "PassthroughBehavior"):
        if isinstance(spelled.get(name), str):
            spelled[name] = spelled[name].upper()
    if "Type" not in spelled:
        raise TemplateError(f"{where}: no type")
    return spelled


def _integration_responses(responses: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Keyed by the selection pattern the backend's answer is matched with; 'default' is the
    response chosen when none matches (no SelectionPattern)."""
    spelled = []
    for pattern, response in responses.items():
        check_keys(response, f"{where} {pattern}", set(_RESPONSE_FIELDS))
        entry = {_RESPONSE_FIELDS[key]: value for key, value in response.items()}
        if "StatusCode" not in entry:
            raise TemplateError(f"{where} {pattern}: no statusCode")
        entry["StatusCode"] = str(entry["StatusCode"])
        if pattern != "default":
            entry["SelectionPattern"] = pattern
        spelled.append(entry)
    return spelled


_OPERATION_FIELDS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "operationId": ("OperationName", _operation_name),
    "parameters": ("RequestParameters", _request_parameters),
    "x-amazon-apigateway-integration": ("Integration", _integration),
}


# -- security -----------------------------------------------------------------------------------


def _scheme_kind(name: str, scheme: dict[str, Any], where: str) -> str:
    """'authorizer' (Lambda or Cognito), 'iam' (SigV4) or 'api_key' (the x-api-key header)."""
    check_keys(
        scheme,
        where,
        {"type", "name", "in", "x-amazon-apigateway-authtype", "x-amazon-apigateway-authorizer"},
    )
    if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
        raise TemplateError(f"{where}: API Gateway reads only apiKey schemes in a header")
    auth_type = scheme.get("x-amazon-apigateway-authtype")
    if "x-amazon-apigateway-authorizer" in scheme:
        return "authorizer"
    if auth_type == "awsSigv4":
        return "iam"
    if auth_type is None and str(scheme.get("name")).lower() == "x-api-key":
        return "api_key"
    raise TemplateError(f"{where}: scheme {name!r} is no authorizer, SigV4 or API key")


def _security(
    requirements: list[dict[str, list[str]]],
    schemes: dict[str, Any],
    authorizers: dict[str, str],
    where: str,
) -> Properties:
    """One requirement object: API Gateway checks its API key AND its authorizer; it has no
    way to say "this scheme OR that one", so a second requirement object is refused."""
    if len(requirements) > 1:
        raise TemplateError(f"{where}: API Gateway takes one requirement object, not alternatives")
    properties: Properties = {}
    for name, scopes in (requirements[0] if requirements else {}).items():
        if name not in schemes:
            raise TemplateError(f"{where}: no securityScheme {name!r}")
        kind = _scheme_kind(name, schemes[name], f"{where} {name}")
        if kind == "api_key":
            properties["ApiKeyRequired"] = True
            continue
        if "AuthorizationType" in properties:
            raise TemplateError(f"{where}: API Gateway takes one authorizer per method")
        if kind == "iam":
            properties["AuthorizationType"] = "AWS_IAM"
        else:
            authorizer = schemes[name]["x-amazon-apigateway-authorizer"]
            cognito = authorizer.get("type") == "cognito_user_pools"
            properties["AuthorizationType"] = "COGNITO_USER_POOLS" if cognito else "CUSTOM"
            properties["AuthorizerId"] = {"Ref": authorizers[name]}
        if scopes and properties["AuthorizationType"] != "COGNITO_USER_POOLS":
            raise TemplateError(f"{where}: only Cognito authorizers take scopes ({name!r})")
        if scopes:
            properties["AuthorizationScopes"] = list(scopes)
    properties.setdefault("AuthorizationType", "NONE")
    return properties


_AUTHORIZER_FIELDS = {
    "authorizerUri": "AuthorizerUri",
    "authorizerCredentials": "AuthorizerCredentials",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "identitySource": "IdentitySource",
    "providerARNs": "ProviderARNs",
}
_AUTHORIZER_TYPES = {
    "token": "TOKEN",
    "request": "REQUEST",
    "cognito_user_pools": "COGNITO_USER_POOLS",
}


def _add_authorizers(result: Resources, api: str, schemes: dict[str, Any]) -> dict[str, str]:
    """One AWS::ApiGateway::Authorizer per scheme that has one; scheme name → logical ID.

    The Lambda permission letting API Gateway call an authorizer is already in the template.
    """
    made = {}
    for name, scheme in schemes.items():
        where = f"{api} securitySchemes {name}"
        if _scheme_kind(name, scheme, where) != "authorizer":
            continue
        authorizer = scheme["x-amazon-apigateway-authorizer"]
        kind = _AUTHORIZER_TYPES.get(authorizer.get("type"))
        if kind is None:
            raise TemplateError(f"{where}: authorizer type {authorizer.get('type')!r}")
        properties: Properties = {"RestApiId": {"Ref": api}, "Name": name, "Type": kind}
        if kind != "REQUEST":
            # TOKEN and Cognito read one header, the scheme's; REQUEST names its sources.
            properties["IdentitySource"] = f"method.request.header.{scheme['name']}"
        if "x-amazon-apigateway-authtype" in scheme:
            properties["AuthType"] = scheme["x-amazon-apigateway-authtype"]
        for key, value in authorizer.items():
            if key != "type":
                if key not in _AUTHORIZER_FIELDS:
                    raise TemplateError(f"{where}: {key!r} has no CloudFormation spelling here")
                properties[_AUTHORIZER_FIELDS[key]] = value
        readable = re.sub(r"[^A-Za-z0-9]", "", name)[:100]
        logical = f"{api}Authorizer{readable}{short_hash(name)}"
        made[name] = _new(result, logical, "AWS::ApiGateway::Authorizer", properties)
    return made


# -- shared ---------------------------------------------------------------------------------------


def _new(result: Resources, logical: str, kind: str, properties: Properties) -> str:
    if not _LOGICAL_ID.fullmatch(logical):
        raise TemplateError(f"{logical!r} is no CloudFormation logical ID")
    if logical in result:
        raise TemplateError(f"{logical} is in the template already")
    result[logical] = {"Type": kind, "Properties": properties}
    return logical
