"""Tests for chalicelike._auth._authorizers and chalicelike._auth._auth_policy.

Sample events follow the shapes AWS documents for API Gateway Lambda authorizers:
the TOKEN input (type, authorizationToken, methodArn), the REST REQUEST input
(resource, path, httpMethod, headers, multi-value query strings, pathParameters,
stageVariables, requestContext) and the HTTP API payload 2.0 input (routeArn,
routeKey, rawPath, comma-joined query values). Outputs are checked against the
documented policy document and context rules.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from chalicelike._auth._auth_policy import (
    AuthResponse,
    AuthRoute,
    MethodArn,
    check_context,
    decode_jwt_claims,
    is_allowed,
    jwt_claims_allow,
    method_arn_for,
    parse_method_arn,
    response_allows,
    token_scopes,
)
from chalicelike._auth._authorizers import (
    AuthorizerType,
    AuthRequest,
    ChaliceAuthorizer,
    CognitoUserPoolAuthorizer,
    CustomAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
    normalize_identity_source,
)
from chalicelike._core._errors import (
    ChaliceError,
    InvalidEventError,
    InvalidResponseError,
    RegistrationError,
)
from chalicelike._core._structures import CaseInsensitiveMapping, MultiDict

REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "abcdef123"
STAGE = "dev"
PREFIX = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}"
GET_USER_ARN = f"{PREFIX}/GET/users/42"

TOKEN_EVENT: dict[str, Any] = {
    "type": "TOKEN",
    "authorizationToken": "allow-alice",
    "methodArn": GET_USER_ARN,
}

REQUEST_EVENT: dict[str, Any] = {
    "type": "REQUEST",
    "methodArn": GET_USER_ARN,
    "resource": "/users/{id}",
    "path": "/users/42",
    "httpMethod": "GET",
    "headers": {
        "Accept": "*/*",
        "Authorization": "Bearer abc.def.ghi",
        "X-Api-Tenant": "acme",
        "CloudFront-Viewer-Country": "US",
        "Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
    },
    "multiValueHeaders": {"Accept": ["*/*"]},
    "queryStringParameters": {"tag": "b", "page": "2"},
    "multiValueQueryStringParameters": {"tag": ["a", "b"], "page": ["2"]},
    "pathParameters": {"id": "42"},
    "stageVariables": {"tier": "gold"},
    "requestContext": {
        "path": "/dev/users/42",
        "accountId": ACCOUNT,
        "resourceId": "05c7jb",
        "stage": STAGE,
        "requestId": "a7d2c1f0-8b3e-4c5d-9e6f-0123456789ab",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.4.0"},
        "resourcePath": "/users/{id}",
        "httpMethod": "GET",
        "apiId": API_ID,
    },
}

HTTP_API_EVENT: dict[str, Any] = {
    "version": "2.0",
    "type": "REQUEST",
    "routeArn": f"{PREFIX}/POST/orders/7",
    "identitySource": ["secret-token"],
    "routeKey": "POST /orders/{id}",
    "rawPath": "/orders/7",
    "rawQueryString": "item=x&item=y&rush=1",
    "cookies": ["session=1"],
    "headers": {"authorization": "secret-token", "content-type": "application/json"},
    "queryStringParameters": {"item": "x,y", "rush": "1"},
    "requestContext": {
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "http": {"method": "POST", "path": "/orders/7", "protocol": "HTTP/1.1"},
        "requestId": "id",
        "routeKey": "POST /orders/{id}",
        "stage": STAGE,
    },
    "pathParameters": {"id": "7"},
    "stageVariables": {"tier": "gold"},
}


def request_for(arn: str = GET_USER_ARN) -> AuthRequest:
    return AuthRequest("TOKEN", "token", arn)


def jwt(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
        return raw.rstrip("=")

    return f"{part(header or {'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


# -- execute-api ARNs ------------------------------------------------------------------------


def test_method_arn_for_builds_the_arn_api_gateway_sends() -> None:
    arn = method_arn_for(REGION, ACCOUNT, API_ID, STAGE, "get", "/users/42")
    assert arn == GET_USER_ARN


def test_method_arn_for_the_root_resource_ends_in_a_slash() -> None:
    assert method_arn_for(REGION, ACCOUNT, API_ID, STAGE, "GET", "/") == f"{PREFIX}/GET/"


def test_method_arn_for_other_partitions() -> None:
    arn = method_arn_for("cn-north-1", ACCOUNT, API_ID, "prod", "PUT", "/a", partition="aws-cn")
    assert arn == f"arn:aws-cn:execute-api:cn-north-1:{ACCOUNT}:{API_ID}/prod/PUT/a"


def test_parse_method_arn_splits_every_part() -> None:
    parsed = parse_method_arn(f"{PREFIX}/GET/users/42/orders")
    assert parsed == MethodArn("aws", REGION, ACCOUNT, API_ID, STAGE, "GET", "users/42/orders")
    assert parsed.stage_prefix == PREFIX
    assert str(parsed) == f"{PREFIX}/GET/users/42/orders"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/dev",
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/dev/GET",
        "not an arn",
    ],
)
def test_parse_method_arn_rejects_other_arns(arn: str) -> None:
    with pytest.raises(InvalidEventError) as error:
        parse_method_arn(arn)
    assert str(error.value) == (
        "Expected a methodArn like arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH,"
        f" got {arn!r}"
    )


# -- AuthRoute and AuthResponse ---------------------------------------------------------------


def test_auth_response_paths_allow_every_method() -> None:
    output = AuthResponse(["/users/{id}", "/"], principal_id="alice").to_dict(request_for())
    assert output == {
        "context": {},
        "principalId": "alice",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    # As Chalice writes it: the path as given, '{id}' included.
                    "Resource": [f"{PREFIX}/*/users/{{id}}", f"{PREFIX}/*/"],
                }
            ],
        },
    }


def test_auth_response_auth_routes_allow_their_methods() -> None:
    routes = [AuthRoute("/users", ["get", "POST"]), AuthRoute("/admin/stats", ["GET"])]
    output = AuthResponse(routes, "alice").to_dict(request_for())
    assert output["policyDocument"]["Statement"][0]["Resource"] == [
        f"{PREFIX}/GET/users",
        f"{PREFIX}/POST/users",
        f"{PREFIX}/GET/admin/stats",
    ]


def test_auth_response_star_path_allows_the_whole_stage() -> None:
    output = AuthResponse(["*"], "alice").to_dict(request_for())
    assert output["policyDocument"]["Statement"][0]["Resource"] == [f"{PREFIX}/*/*"]
    assert is_allowed(output["policyDocument"], f"{PREFIX}/DELETE/anything/at/all")
    assert is_allowed(output["policyDocument"], f"{PREFIX}/GET/")
    assert not is_allowed(output["policyDocument"], GET_USER_ARN.replace("/dev/", "/prod/"))


def test_auth_response_without_routes_admits_nothing() -> None:
    output = AuthResponse([], "mallory").to_dict(request_for())
    # Chalice's output: an Allow of no resource, which API Gateway reads as a denial.
    assert output["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": []}
    ]
    assert not is_allowed(output["policyDocument"], GET_USER_ARN)


def test_auth_response_routes_are_written_as_given() -> None:
    response = AuthResponse(["/a", AuthRoute("/a", ["*"])], "alice")
    assert response.resources(GET_USER_ARN) == [f"{PREFIX}/*/a", f"{PREFIX}/*/a"]


def test_auth_response_context_and_usage_key() -> None:
    context = {"tenant": "acme", "level": 3, "ratio": 0.5, "admin": False}
    response = AuthResponse(["/"], "alice", context, usage_identifier_key="key-123")
    output = response.to_dict(request_for())
    assert output["context"] == context
    assert output["usageIdentifierKey"] == "key-123"
    # Always present, as in Chalice's output: {} without context.
    assert AuthResponse(["/"], "alice").to_dict(request_for())["context"] == {}


@pytest.mark.parametrize(
    ("value", "kind"),
    [({"nested": 1}, "dict"), (["a"], "list"), (None, "NoneType"), (b"x", "bytes")],
)
def test_check_context_names_values_api_gateway_refuses(value: Any, kind: str) -> None:
    # AuthResponse keeps them, as Chalice does; API Gateway's step refuses them (a 500).
    context = {"tenant": "acme", "groups": value}
    assert AuthResponse(["/"], "alice", context).to_dict(request_for())["context"] == context
    with pytest.raises(InvalidResponseError) as error:
        check_context(context)
    assert isinstance(error.value, ChaliceError)
    assert str(error.value) == (
        f"AuthResponse context['groups'] is {kind}; API Gateway accepts only strings, "
        "numbers and booleans (no objects, lists or null)"
    )


def test_check_context_refuses_non_finite_numbers_and_non_string_keys() -> None:
    with pytest.raises(InvalidResponseError, match=r"context\['score'\] is nan"):
        check_context({"score": float("nan")})
    with pytest.raises(InvalidResponseError, match="context key 1 is not a string"):
        check_context({1: "x"})  # type: ignore[dict-item]  # what a careless authorizer returns
    with pytest.raises(InvalidResponseError, match="context must be a dict, not list"):
        AuthResponse(["/"], "alice", ["x"])  # type: ignore[arg-type]


def test_auth_response_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidResponseError, match="routes must be a list, not the string '/a'"):
        AuthResponse("/a", "alice")
    with pytest.raises(InvalidResponseError, match="principal_id must be a string, not int"):
        AuthResponse(["/a"], 7)  # type: ignore[arg-type]
    with pytest.raises(InvalidResponseError, match="route 3 is neither a path nor an AuthRoute"):
        AuthResponse([3], "alice")  # type: ignore[list-item]


def test_auth_route_checks_methods() -> None:
    assert AuthRoute("/a", ["get", "*"]).methods == ["GET", "*"]
    assert AuthRoute("/a", ["GET"]) == AuthRoute("/a", ["get"])
    assert repr(AuthRoute("/a", ["GET"])) == "AuthRoute('/a', ['GET'])"
    with pytest.raises(InvalidResponseError, match="AuthRoute '/a': unknown method 'FETCH'"):
        AuthRoute("/a", ["FETCH"])
    with pytest.raises(InvalidResponseError, match="not the string 'GET'"):
        AuthRoute("/a", "GET")
    with pytest.raises(InvalidResponseError, match="AuthRoute '/a' has no methods"):
        AuthRoute("/a", [])
    with pytest.raises(InvalidResponseError, match="path must be a non-empty string"):
        AuthRoute("", ["GET"])


def test_auth_response_policy_admits_exactly_its_routes() -> None:
    output = AuthResponse([AuthRoute("/users/*", ["GET"])], "alice").to_dict(request_for())
    policy = output["policyDocument"]
    assert is_allowed(policy, GET_USER_ARN)
    assert not is_allowed(policy, f"{PREFIX}/DELETE/users/42")
    assert not is_allowed(policy, f"{PREFIX}/GET/users")
    # A '{param}' segment is compared literally by API Gateway, as here: it admits no value.
    literal = AuthResponse([AuthRoute("/users/{id}", ["GET"])], "alice").to_dict(request_for())
    assert not is_allowed(literal["policyDocument"], GET_USER_ARN)


# -- AuthRequest ------------------------------------------------------------------------------


def test_auth_request_from_token_event() -> None:
    request = AuthRequest.from_event(copy.deepcopy(TOKEN_EVENT))
    assert (request.auth_type, request.token, request.method_arn) == (
        "TOKEN",
        "allow-alice",
        GET_USER_ARN,
    )
    assert request.headers == CaseInsensitiveMapping({})
    assert request.query_params is None
    assert request.to_original_event() == TOKEN_EVENT


def test_auth_request_from_rest_request_event() -> None:
    request = AuthRequest.from_event(copy.deepcopy(REQUEST_EVENT), header="X-Api-Tenant")
    assert request.auth_type == "REQUEST"
    assert request.token == "acme"
    assert request.method_arn == GET_USER_ARN
    assert request.headers["authorization"] == "Bearer abc.def.ghi"
    assert request.headers["CLOUDFRONT-VIEWER-COUNTRY"] == "US"
    assert isinstance(request.query_params, MultiDict)
    assert request.query_params.getlist("tag") == ["a", "b"]
    assert request.query_params["page"] == "2"
    assert request.path_params == {"id": "42"}
    assert request.stage_vars == {"tier": "gold"}
    assert request.context["resourceId"] == "05c7jb"
    assert (request.method, request.path, request.raw_path) == ("GET", "/users/{id}", "/users/42")


def test_auth_request_single_value_query_and_missing_parts() -> None:
    event = copy.deepcopy(REQUEST_EVENT)
    del event["multiValueQueryStringParameters"]
    event["headers"] = None
    event["stageVariables"] = None
    request = AuthRequest.from_event(event)
    assert request.query_params is not None
    assert request.query_params.to_lists() == {"tag": ["b"], "page": ["2"]}
    assert request.token is None
    assert len(request.headers) == 0
    assert request.stage_vars is None


def test_auth_request_from_http_api_payload_2() -> None:
    request = AuthRequest.from_event(copy.deepcopy(HTTP_API_EVENT))
    assert request.method_arn == f"{PREFIX}/POST/orders/7"
    assert request.token == "secret-token"
    assert request.method == "POST"
    assert (request.path, request.raw_path) == ("/orders/{id}", "/orders/7")
    assert request.query_params is not None
    assert request.query_params.getlist("item") == ["x", "y"]
    assert request.path_params == {"id": "7"}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("text", "got str"),
        ({"methodArn": GET_USER_ARN}, "the event has no 'type' (methodArn)"),
        ({"type": "COGNITO"}, "got type 'COGNITO'"),
        ({"type": "TOKEN", "methodArn": GET_USER_ARN}, "the TOKEN event has no authorizationToken"),
        ({"type": "TOKEN", "authorizationToken": "t"}, "the TOKEN event has no methodArn"),
        ({"type": "REQUEST", "headers": {}}, "the REQUEST event has no methodArn"),
        ({"version": "2.0", "type": "REQUEST"}, "the REQUEST event has no routeArn"),
        (
            {"type": "REQUEST", "methodArn": GET_USER_ARN, "headers": ["Authorization"]},
            "headers is list, not an object",
        ),
    ],
)
def test_auth_request_malformed_events_name_what_is_missing(event: Any, message: str) -> None:
    with pytest.raises(InvalidEventError) as error:
        AuthRequest.from_event(event)
    assert str(error.value) == (
        "Expected an API Gateway authorizer event (type TOKEN or REQUEST, with a methodArn), "
        + message
    )


# -- ChaliceAuthorizer --------------------------------------------------------------------------


def token_authorizer(request: AuthRequest) -> AuthResponse:
    if request.token == "allow-alice":
        return AuthResponse([AuthRoute("/users/*", ["GET"])], "alice", {"tenant": "acme"})
    return AuthResponse([], "anonymous")


def test_chalice_authorizer_is_the_lambda_handler() -> None:
    authorizer = ChaliceAuthorizer("auth", token_authorizer)
    output = authorizer(copy.deepcopy(TOKEN_EVENT), None)
    assert output == {
        "principalId": "alice",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": [f"{PREFIX}/GET/users/*"],
                }
            ],
        },
        "context": {"tenant": "acme"},
    }
    assert response_allows(output, GET_USER_ARN)
    denied = authorizer({**TOKEN_EVENT, "authorizationToken": "nope"}, None)
    assert not response_allows(denied, GET_USER_ARN)


def test_chalice_authorizer_defaults() -> None:
    authorizer = ChaliceAuthorizer("auth", token_authorizer)
    assert authorizer.ttl_seconds == 300
    assert authorizer.execution_role is None
    assert authorizer.header == "Authorization"
    assert authorizer.authorizer_type is AuthorizerType.TOKEN
    assert authorizer.identity_sources == ["method.request.header.Authorization"]
    assert authorizer.identity_source == "method.request.header.Authorization"
    assert authorizer.scopes is None


def test_chalice_authorizer_request_type_with_identity_sources() -> None:
    seen: list[AuthRequest] = []

    def by_tenant(request: AuthRequest) -> AuthResponse:
        seen.append(request)
        return AuthResponse(["*"], request.headers["x-api-tenant"])

    authorizer = ChaliceAuthorizer(
        "tenant",
        by_tenant,
        authorizer_type="request",
        identity_sources=["header.X-Api-Tenant", "query.page", "stageVariables.tier"],
    )
    assert authorizer.identity_source == (
        "method.request.header.X-Api-Tenant, method.request.querystring.page, stageVariables.tier"
    )
    output = authorizer(copy.deepcopy(REQUEST_EVENT), None)
    assert output is not None
    assert output["principalId"] == "acme"
    assert seen[0].token == "Bearer abc.def.ghi"


def test_chalice_authorizer_passes_dicts_through() -> None:
    authorizer = ChaliceAuthorizer(
        "simple",
        lambda request: {"isAuthorized": True, "context": {"user": "bob"}},
        authorizer_type=AuthorizerType.REQUEST,
    )
    output = authorizer(copy.deepcopy(HTTP_API_EVENT), None)
    assert output == {"isAuthorized": True, "context": {"user": "bob"}}
    assert response_allows(output, HTTP_API_EVENT["routeArn"])


def test_chalice_authorizer_rejects_other_results() -> None:
    authorizer = ChaliceAuthorizer("auth", lambda request: True)  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidResponseError) as error:
        authorizer(copy.deepcopy(TOKEN_EVENT), None)
    assert str(error.value) == ("authorizer 'auth' returned bool; return an AuthResponse or a dict")


def test_chalice_authorizer_returning_none_is_logged_and_handed_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Chalice hands None to API Gateway, which answers 500 without a word: we say why.
    authorizer = ChaliceAuthorizer("auth", lambda request: None)  # type: ignore[arg-type,return-value]
    with caplog.at_level("ERROR", logger="chalicelike._auth._authorizers"):
        assert authorizer(copy.deepcopy(TOKEN_EVENT), None) is None
    assert caplog.messages == [
        "authorizer 'auth' returned None; return an AuthResponse or a dict. API Gateway "
        "answers 500 Internal server error (AuthorizerConfigurationException)"
    ]


@pytest.mark.parametrize(
    ("method_arn", "resource"),
    [
        (
            "arn:aws:execute-api:us-west-2:123:api/stage/GET/x",
            "arn:aws:execute-api:us-west-2:123:api/stage/*/*",
        ),
        (
            "arn:aws:execute-api:us-west-2:123:api/stage",
            "arn:aws:execute-api:us-west-2:123:api/stage/*/*",
        ),
        ("placeholder", "placeholder/*/*"),
        ("", "/*/*"),
    ],
)
def test_a_method_arn_that_is_no_arn_is_read_as_chalice_reads_it(
    method_arn: str, resource: str
) -> None:
    # Users' tests send made-up methodArns; Chalice builds the policy from whatever is there.
    authorizer = ChaliceAuthorizer("auth", lambda request: AuthResponse(["*"], "user"))
    for kind in ("TOKEN", "REQUEST"):
        event = {"type": kind, "authorizationToken": "t", "methodArn": method_arn}
        output = authorizer(event, None)
        assert output is not None
        assert output["policyDocument"]["Statement"][0]["Resource"] == [resource]


def test_chalice_docs_authorizer_example_runs_unchanged() -> None:
    # Chalice's docs (Authorization, "Built-in Authorizers"), import changed; its
    # test calls the authorizer with a hand-made event and a placeholder methodArn.
    from chalicelike import Chalice

    app = Chalice(app_name="demo", configure_logs=False)

    @app.authorizer()
    def demo_auth(auth_request: Any) -> AuthResponse:
        token = auth_request.token
        if token == "allow":
            return AuthResponse(routes=["/"], principal_id="user")
        return AuthResponse(routes=[], principal_id="user")

    event = {"type": "TOKEN", "authorizationToken": "allow", "methodArn": "arn:aws:foo"}
    output = demo_auth(event, context=None)
    assert output["principalId"] == "user"
    assert output["policyDocument"]["Statement"][0]["Resource"] == ["arn:aws:foo/*/"]


def test_chalice_authorizer_with_scopes_is_a_copy() -> None:
    authorizer = ChaliceAuthorizer("auth", token_authorizer, ttl_seconds=60)
    scoped = authorizer.with_scopes(["orders/read"])
    assert scoped is not authorizer
    assert scoped.scopes == ["orders/read"]
    assert authorizer.scopes is None
    assert (scoped.name, scoped.ttl_seconds, scoped.func) == ("auth", 60, token_authorizer)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "authorizer name must be a non-empty string, not ''"),
        ({"func": "nope"}, "authorizer 'auth': 'nope' is not callable"),
        ({"ttl_seconds": 3601}, "ttl_seconds must be a whole number from 0 to 3600, not 3601"),
        ({"ttl_seconds": True}, "ttl_seconds must be a whole number from 0 to 3600, not True"),
        ({"header": ""}, "authorizer 'auth': header must be a header name, not ''"),
        ({"execution_role": 7}, "execution_role must be an ARN, not 7"),
        (
            {"authorizer_type": "COOKIE"},
            "authorizer_type must be 'TOKEN' or 'REQUEST', not 'COOKIE'",
        ),
        (
            {"identity_sources": ["header.X"]},
            "identity_sources need authorizer_type='REQUEST' (a TOKEN authorizer reads only "
            "its header)",
        ),
        ({"authorizer_type": "REQUEST", "identity_sources": []}, "identity_sources is empty"),
        (
            {"authorizer_type": "REQUEST", "identity_sources": "header.X"},
            "identity_sources must be a list of strings",
        ),
        ({"scopes": "read"}, "authorizer 'auth': scopes must be a list of strings"),
    ],
)
def test_chalice_authorizer_checks_its_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"name": "auth", "func": token_authorizer, **kwargs}
    with pytest.raises(RegistrationError) as error:
        ChaliceAuthorizer(**arguments)
    assert message in str(error.value)


# -- identity sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "normalized"),
    [
        ("method.request.header.Authorization", "method.request.header.Authorization"),
        ("header.Authorization", "method.request.header.Authorization"),
        ("method.request.querystring.token", "method.request.querystring.token"),
        ("query.token", "method.request.querystring.token"),
        ("context.sourceIp", "context.sourceIp"),
        ("stageVariables.tier", "stageVariables.tier"),
    ],
)
def test_identity_sources_are_normalized(source: str, normalized: str) -> None:
    assert normalize_identity_source(source) == normalized


def test_identity_sources_reject_path_parameters() -> None:
    with pytest.raises(RegistrationError) as error:
        normalize_identity_source("method.request.path.id")
    assert str(error.value) == (
        "identity source 'method.request.path.id': path parameters cannot be identity sources"
    )


@pytest.mark.parametrize("source", ["cookie.session", "header.", "method.request.body", ""])
def test_identity_sources_reject_unknown_forms(source: str) -> None:
    with pytest.raises(RegistrationError) as error:
        normalize_identity_source(source)
    assert str(error.value).startswith(f"identity source {source!r} is not one of ")


def test_chalice_authorizer_names_the_bad_identity_source() -> None:
    with pytest.raises(RegistrationError, match=r"identity source 'cookie\.sid' is not one of"):
        ChaliceAuthorizer(
            "auth",
            token_authorizer,
            authorizer_type="REQUEST",
            identity_sources=["header.Authorization", "cookie.sid"],
        )


# -- built-in authorizers -----------------------------------------------------------------------

POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123"
LAMBDA_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:auth/invocations"
)


def test_cognito_user_pool_authorizer() -> None:
    authorizer = CognitoUserPoolAuthorizer("pool", [POOL_ARN], header="X-Token")
    assert (authorizer.name, authorizer.provider_arns, authorizer.header) == (
        "pool",
        [POOL_ARN],
        "X-Token",
    )
    assert authorizer.issuers == [f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123"]
    assert authorizer.with_scopes(["openid"]).scopes == ["openid"]


@pytest.mark.parametrize(
    ("provider_arns", "message"),
    [
        ([], "provider_arns needs at least one ARN"),
        (POOL_ARN, "provider_arns must be a list of strings"),
    ],
)
def test_cognito_user_pool_authorizer_checks_arns(provider_arns: Any, message: str) -> None:
    with pytest.raises(RegistrationError) as error:
        CognitoUserPoolAuthorizer("pool", provider_arns)
    assert message in str(error.value)
    assert str(error.value).startswith("CognitoUserPoolAuthorizer 'pool': ")


def test_placeholder_arns_import_and_are_deploy_problems() -> None:
    # Chalice accepts any string here; API Gateway would not, so packaging will refuse.
    pool = CognitoUserPoolAuthorizer("pool", ["arn:aws:cognito:placeholder", POOL_ARN])
    assert pool.provider_arns == ["arn:aws:cognito:placeholder", POOL_ARN]
    assert pool.issuers == [f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123"]
    assert pool.deploy_problems == (
        "CognitoUserPoolAuthorizer 'pool': 'arn:aws:cognito:placeholder' is not a user pool "
        "ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID), which API Gateway needs",
    )
    custom = CustomAuthorizer("ext", "my-authorizer-uri", invoke_role_arn="role")
    assert custom.deploy_problems == (
        "CustomAuthorizer 'ext': authorizer_uri 'my-authorizer-uri' is not an API Gateway "
        "invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/"
        "ARN/invocations), which API Gateway needs",
        "CustomAuthorizer 'ext': invoke_role_arn 'role' is not an ARN, which IAM needs",
    )
    lambda_auth = ChaliceAuthorizer("auth", token_authorizer, execution_role="my-role")
    assert lambda_auth.deploy_problems == (
        "authorizer 'auth': execution_role 'my-role' is not an ARN, which IAM needs",
    )
    assert CustomAuthorizer("ok", LAMBDA_URI).deploy_problems == ()
    assert pool.with_scopes(["a"]).deploy_problems == pool.deploy_problems


def test_deployment_problems_collects_route_authorizers_once() -> None:
    from chalicelike import Chalice
    from chalicelike._events._event_sources import deployment_problems

    app = Chalice(app_name="demo", configure_logs=False)
    pool = CognitoUserPoolAuthorizer("pool", ["placeholder"])
    app.route("/a", authorizer=pool)(lambda: {})
    app.route("/b", authorizer=pool.with_scopes(["x"]))(lambda: {})
    app.authorizer(execution_role="role")(token_authorizer)
    assert deployment_problems(app) == [
        "authorizer 'token_authorizer': execution_role 'role' is not an ARN, which IAM needs",
        "CognitoUserPoolAuthorizer 'pool': 'placeholder' is not a user pool ARN "
        "(arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID), which API Gateway needs",
    ]


def test_iam_authorizer() -> None:
    authorizer = IAMAuthorizer()
    assert authorizer.name == "sigv4"
    assert authorizer.scopes is None
    assert authorizer.with_scopes(["a"]).scopes == ["a"]


def test_custom_authorizer() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/invoke-auth"
    authorizer = CustomAuthorizer("ext", LAMBDA_URI, ttl_seconds=0, invoke_role_arn=role)
    assert authorizer.authorizer_uri == LAMBDA_URI
    assert (authorizer.ttl_seconds, authorizer.header) == (0, "Authorization")
    assert authorizer.invoke_role_arn == role
    with pytest.raises(RegistrationError, match="authorizer_uri must be a non-empty string"):
        CustomAuthorizer("ext", "")
    with pytest.raises(RegistrationError, match="invoke_role_arn must be an ARN, not 7"):
        CustomAuthorizer("ext", LAMBDA_URI, invoke_role_arn=7)  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="ttl_seconds must be a whole number"):
        CustomAuthorizer("ext", LAMBDA_URI, ttl_seconds=-1)


def test_jwt_authorizer() -> None:
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123"
    authorizer = JWTAuthorizer("jwt", issuer, "client-1", scopes=["orders/read"])
    assert authorizer.issuer == issuer
    assert authorizer.audience == ["client-1"]
    assert authorizer.identity_source == "$request.header.Authorization"
    assert authorizer.scopes == ["orders/read"]
    assert JWTAuthorizer("jwt", issuer, ["a", "b"]).audience == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"issuer": "http://idp.example.com"}, "issuer must be an https:// URL"),
        ({"audience": []}, "audience needs at least one value"),
        ({"audience": [3]}, "audience holds 3, not a string"),
        ({"identity_source": "method.request.header.Authorization"}, "is not one of $request"),
    ],
)
def test_jwt_authorizer_checks_its_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "name": "jwt",
        "issuer": "https://idp.example.com",
        "audience": "api",
        **kwargs,
    }
    with pytest.raises(RegistrationError) as error:
        JWTAuthorizer(**arguments)
    assert message in str(error.value)
    assert str(error.value).startswith("JWTAuthorizer 'jwt': ")


# -- policy evaluation --------------------------------------------------------------------------


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource: Any, action: Any = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


def test_explicit_deny_wins_over_allow() -> None:
    document = policy(allow(f"{PREFIX}/*/*"), deny(f"{PREFIX}/DELETE/*"))
    assert is_allowed(document, GET_USER_ARN)
    assert not is_allowed(document, f"{PREFIX}/DELETE/users/42")


def test_nothing_matched_is_denied() -> None:
    assert not is_allowed(policy(allow(f"{PREFIX}/POST/users")), GET_USER_ARN)
    assert not is_allowed(policy(), GET_USER_ARN)


def test_resource_lists_and_single_statement_objects() -> None:
    document = {"Statement": allow([f"{PREFIX}/POST/x", GET_USER_ARN])}
    assert is_allowed(document, GET_USER_ARN)


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        (f"{PREFIX}/GET/users/*", True),
        (f"{PREFIX}/*/users/42", True),
        (f"{PREFIX}/GET/users/4?", True),
        (f"{PREFIX}/GET/users/?", False),
        (f"{PREFIX}/GET/users", False),
        (f"arn:aws:execute-api:*:*:{API_ID}/*/GET/users/*", True),
        (f"arn:aws:execute-api:{REGION}:{ACCOUNT}:otherapi/*", False),
        ("*", True),
        (f"{PREFIX}/get/users/42", False),  # ARNs are case-sensitive
    ],
)
def test_resource_wildcards(resource: str, allowed: bool) -> None:
    assert is_allowed(policy(allow(resource)), GET_USER_ARN) is allowed


def test_star_matches_across_slashes_as_iam_does() -> None:
    assert is_allowed(policy(allow(f"{PREFIX}/GET/users/*")), f"{PREFIX}/GET/users/42/secrets")


def test_special_characters_in_resources_are_literal() -> None:
    assert not is_allowed(policy(allow(f"{PREFIX}/GET/a.c")), f"{PREFIX}/GET/abc")
    assert is_allowed(policy(allow(f"{PREFIX}/GET/[x]")), f"{PREFIX}/GET/[x]")


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("execute-api:Invoke", True),
        ("execute-api:invoke", True),
        ("execute-api:*", True),
        ("*", True),
        (["s3:GetObject", "execute-api:Invoke"], True),
        ("execute-api:ManageConnections", False),
        ("s3:*", False),
    ],
)
def test_actions(action: Any, allowed: bool) -> None:
    assert is_allowed(policy(allow("*", action)), GET_USER_ARN) is allowed


def test_not_action_and_not_resource() -> None:
    document = policy(
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "NotResource": f"{PREFIX}/GET/*"},
    )
    assert is_allowed(document, GET_USER_ARN)
    assert not is_allowed(document, f"{PREFIX}/POST/users")


def test_conditions_are_read_cautiously() -> None:
    condition = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert not is_allowed(policy({**allow("*"), "Condition": condition}), GET_USER_ARN)
    document = policy(allow("*"), {**deny("*"), "Condition": condition})
    assert not is_allowed(document, GET_USER_ARN)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("nope", "policyDocument must be an object"),
        ({"Version": "2012-10-17"}, "policyDocument has no Statement list"),
        ({"Statement": ["x"]}, "policyDocument Statement[0] is not an object"),
        (
            policy({"Effect": "allow", "Action": "*", "Resource": "*"}),
            "policyDocument Statement[0] Effect must be 'Allow' or 'Deny', not 'allow'",
        ),
        (policy({"Effect": "Allow", "Resource": "*"}), "has neither Action nor NotAction"),
        (policy({"Effect": "Allow", "Action": "*"}), "has neither Resource nor NotResource"),
        (policy(allow(3)), "policy statement Resource must be a string or list of strings"),
    ],
)
def test_malformed_policies_raise(document: Any, message: str) -> None:
    with pytest.raises(InvalidResponseError) as error:
        is_allowed(document, GET_USER_ARN)
    assert message in str(error.value)


def test_response_allows_simple_responses_and_policies() -> None:
    assert response_allows({"isAuthorized": True}, GET_USER_ARN)
    assert not response_allows({"isAuthorized": False, "context": {}}, GET_USER_ARN)
    with pytest.raises(InvalidResponseError, match="isAuthorized must be a boolean, not 'true'"):
        response_allows({"isAuthorized": "true"}, GET_USER_ARN)
    with pytest.raises(InvalidResponseError, match="authorizer output has no principalId"):
        response_allows({"policyDocument": policy(allow("*"))}, GET_USER_ARN)
    with pytest.raises(InvalidResponseError, match="authorizer output must be an object"):
        response_allows(None, GET_USER_ARN)


# -- JWTs ---------------------------------------------------------------------------------------

ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123"
NOW = 1_700_000_000.0
CLAIMS: dict[str, Any] = {
    "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "iss": ISSUER,
    "aud": "client-1",
    "token_use": "id",
    "iat": NOW - 60,
    "exp": NOW + 3600,
    "email": "alice@example.com",
}


def test_decode_jwt_claims() -> None:
    assert decode_jwt_claims(jwt(CLAIMS)) == CLAIMS
    assert decode_jwt_claims("Bearer " + jwt(CLAIMS)) == CLAIMS
    unpadded = jwt({"sub": "ab"})  # payload length not a multiple of 4
    assert decode_jwt_claims(unpadded) == {"sub": "ab"}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "abc",
        "a.b",
        "a..c",
        "a.!!!.c",
        "a." + base64.urlsafe_b64encode(b"not json").decode() + ".c",
        "a." + base64.urlsafe_b64encode(b"[1, 2]").decode() + ".c",
        "a." + base64.urlsafe_b64encode(b"\xff\xfe").decode() + ".c",
    ],
)
def test_decode_jwt_claims_malformed_is_none(token: Any) -> None:
    assert decode_jwt_claims(token) is None


def test_jwt_claims_allow_a_valid_token() -> None:
    assert jwt_claims_allow(CLAIMS, ISSUER, ["other", "client-1"], NOW)
    assert jwt_claims_allow(CLAIMS, ISSUER, "client-1", NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example.com"},
        {"aud": "client-2"},
        {"aud": ["client-2", "client-3"]},
        {"exp": NOW},
        {"exp": NOW - 1},
        {"exp": "tomorrow"},
        {"exp": None},
        {"nbf": NOW + 10},
        {"iat": NOW + 10},
    ],
)
def test_jwt_claims_allow_rejects(changes: dict[str, Any]) -> None:
    claims = {**CLAIMS, **changes}
    if changes.get("exp", 0) is None:
        del claims["exp"]
    assert not jwt_claims_allow(claims, ISSUER, "client-1", NOW)


def test_jwt_claims_allow_access_tokens_by_client_id_and_scopes() -> None:
    access = {k: v for k, v in CLAIMS.items() if k != "aud"}
    access.update(client_id="client-1", token_use="access", scope="openid orders/read")
    assert jwt_claims_allow(access, ISSUER, "client-1", NOW, scopes=["orders/read"])
    assert not jwt_claims_allow(access, ISSUER, "client-1", NOW, scopes=["orders/write"])
    assert jwt_claims_allow(access, ISSUER, "client-1", NOW, scopes=[])
    assert token_scopes({"scp": ["a", "b"]}) == ["a", "b"]
    assert token_scopes({}) == []
    assert jwt_claims_allow({**CLAIMS, "aud": ["x", "client-1"]}, ISSUER, "client-1", NOW)


def test_modules_import_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, chalicelike._auth._authorizers, chalicelike._auth._auth_policy;"
        "print(sorted(m for m in ('boto3', 'botocore', 'asyncio', 'urllib.request') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- what Chalice's own authorizer tests rely on, import changed only ---------------------


def test_chalice_token_authorizer_output_is_chalice_s() -> None:
    from chalicelike import Chalice

    app = Chalice(app_name="builtin-auth", configure_logs=False)

    @app.authorizer()
    def builtin_auth(auth_request: Any) -> AuthResponse:
        return AuthResponse(["/a"], "principal")

    event = {
        "type": "TOKEN",
        "authorizationToken": "authtoken",
        "methodArn": "arn:aws:execute-api:us-west-2:1:id/dev/GET/a",
    }
    assert builtin_auth(event, None) == {
        "context": {},
        "principalId": "principal",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": ["arn:aws:execute-api:us-west-2:1:id/dev/*/a"],
                }
            ],
        },
    }


def test_chalice_auth_request_can_be_built_and_changed_by_hand() -> None:
    request = AuthRequest("TOKEN", "authtoken", f"{PREFIX}/GET/needs/auth")
    request.method_arn = f"{PREFIX}/GET/"  # Chalice's tests point it at the root resource
    output = AuthResponse([AuthRoute("/", ["GET"])], "principal").to_dict(request)
    assert output["policyDocument"]["Statement"][0]["Resource"] == [f"{PREFIX}/GET/"]


def test_built_in_authorizers_describe_themselves_as_chalice_s_do() -> None:
    # Placeholders, as in Chalice's tests: they import, and AWS's objections wait for deploy.
    cognito = CognitoUserPoolAuthorizer("Name", provider_arns=["Foo"], header="Authorization")
    assert cognito.to_swagger() == {
        "in": "header",
        "type": "apiKey",
        "name": "Authorization",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {
            "type": "cognito_user_pools",
            "providerARNs": ["Foo"],
        },
    }
    assert IAMAuthorizer().to_swagger() == {
        "in": "header",
        "type": "apiKey",
        "name": "Authorization",
        "x-amazon-apigateway-authtype": "awsSigv4",
    }
    custom = CustomAuthorizer(
        "Name", "myuri", ttl_seconds=10, header="NotAuth", invoke_role_arn="role-arn"
    )
    assert custom.to_swagger() == {
        "in": "header",
        "type": "apiKey",
        "name": "NotAuth",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token",
            "authorizerUri": "myuri",
            "authorizerResultTtlInSeconds": 10,
            "authorizerCredentials": "role-arn",
        },
    }
    assert (
        "authorizerCredentials"
        not in CustomAuthorizer("n", LAMBDA_URI).to_swagger()["x-amazon-apigateway-authorizer"]
    )
