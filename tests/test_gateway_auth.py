"""API Gateway's authorizer step, as the test client and chalicelike local run it: 401, 403,
or the context (the test client enforces only the app's own Lambda authorizers)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from chalicelike import (
    AuthResponse,
    AuthRoute,
    Chalice,
    CognitoUserPoolAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
)
from chalicelike._auth._authorizers import AuthorizerType, ChaliceAuthorizer
from chalicelike._tooling._gateway_auth import (
    AuthorizerCache,
    AuthorizerCall,
    AuthOutcome,
    GatewayRequest,
    authorizer_failure,
    authorizer_outcome,
    begin_authorization,
    identity_values,
    token_event,
)
from chalicelike.test import Client

POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Abc123"
POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123"


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


def make_app() -> Chalice:
    app = Chalice(app_name="authz", configure_logs=False)

    @app.authorizer()
    def token_auth(auth_request: Any) -> AuthResponse:
        if auth_request.token == "boom":
            raise RuntimeError("the authorizer itself failed")
        if auth_request.token == "nope":
            raise Exception("Unauthorized")
        routes: list[Any] = ["/orders/*"] if auth_request.token == "allow" else []
        if auth_request.token == "read-only":
            routes = [AuthRoute("/orders/*", ["GET"])]
        return AuthResponse(routes=routes, principal_id="user-7", context={"tier": "gold"})

    @app.authorizer(authorizer_type="REQUEST", identity_sources=["header.X-Api-Key"])
    def key_auth(auth_request: Any) -> AuthResponse:
        ok = auth_request.headers.get("x-api-key") == "k-123"
        return AuthResponse(routes=["*"] if ok else [], principal_id="key")

    def echo() -> dict[str, Any]:
        return {"authorizer": app.current_request.context.get("authorizer")}

    app.route("/orders/{order_id}", methods=["GET", "DELETE"], authorizer=token_auth)(
        lambda order_id: echo()
    )
    app.route("/keys", authorizer=key_auth)(echo)

    @app.authorizer(
        authorizer_type="REQUEST", identity_sources=["header.X-Api-Key", "query.tenant"]
    )
    def tenant_auth(auth_request: Any) -> AuthResponse:
        tenant = auth_request.query_params["tenant"]
        return AuthResponse(routes=["*"], principal_id="t", context={"tenant": tenant})

    app.route("/tenants", authorizer=tenant_auth)(echo)
    query_jwt = JWTAuthorizer(
        "qjwt", issuer="https://issuer.example", audience="shop",
        identity_source="$request.querystring.access_token",
    )  # fmt: skip
    app.route("/jwt-query", authorizer=query_jwt)(echo)
    cognito = CognitoUserPoolAuthorizer("pool", provider_arns=[POOL_ARN])
    app.route("/profile", authorizer=cognito)(echo)
    http_jwt = JWTAuthorizer("jwt", issuer="https://issuer.example", audience="shop")
    app.route("/jwt", authorizer=http_jwt)(echo)
    app.route("/signed", authorizer=IAMAuthorizer())(echo)
    app.route("/open")(echo)
    return app


@pytest.fixture
def client() -> Any:
    with Client(make_app()) as test_client:
        yield test_client


def test_token_authorizer_allows_and_injects_context(client: Any) -> None:
    answer = client.http.get("/orders/7", headers={"Authorization": "allow"})
    assert answer.status_code == 200
    assert answer.json_body == {"authorizer": {"principalId": "user-7", "tier": "gold"}}


def test_missing_token_is_401_without_calling_the_authorizer(client: Any) -> None:
    answer = client.http.get("/orders/7")
    assert (answer.status_code, answer.json_body) == (401, {"message": "Unauthorized"})
    assert answer.headers["x-amzn-errortype"] == "UnauthorizedException"  # as API Gateway


@pytest.mark.parametrize(
    ("token", "error_type"),
    [("deny", "AccessDeniedException"), ("boom", "AuthorizerConfigurationException")],
)
def test_api_gateways_answers_name_their_error_type(
    client: Any, token: str, error_type: str
) -> None:
    answer = client.http.get("/orders/7", headers={"Authorization": token})
    assert answer.headers["x-amzn-errortype"] == error_type


@pytest.mark.parametrize(
    ("token", "method", "status"),
    [
        ("deny", "GET", 403),
        ("read-only", "GET", 200),
        ("read-only", "DELETE", 403),
        ("nope", "GET", 401),
        ("boom", "GET", 500),
    ],
)
def test_authorizer_outcomes(client: Any, token: str, method: str, status: int) -> None:
    answer = client.http.request(method, "/orders/7", headers={"Authorization": token})
    assert answer.status_code == status
    if status == 403:
        assert answer.json_body == {"Message": "User is not authorized to access this resource"}


def test_request_authorizer_needs_its_identity_source(client: Any) -> None:
    assert client.http.get("/keys").status_code == 401
    assert client.http.get("/keys", headers={"X-Api-Key": "wrong"}).status_code == 403
    allowed = client.http.get("/keys", headers={"X-Api-Key": "k-123"})
    assert allowed.json_body == {"authorizer": {"principalId": "key"}}


def decision(authorizer: Any, headers: dict[str, str], query: str = "") -> int:
    """The status API Gateway (and chalicelike local) answers, 200 when it lets through."""
    queries = {query.split("=")[0]: [query.split("=", 1)[1]]} if query else {}
    lower = {name.lower(): value for name, value in headers.items()}
    outcome = begin_authorization(authorizer, gateway_request(lower, queries))
    assert isinstance(outcome, AuthOutcome)
    return 200 if outcome.answer is None else outcome.answer.status_code


COGNITO = CognitoUserPoolAuthorizer("pool", provider_arns=[POOL_ARN])
HTTP_JWT = JWTAuthorizer("jwt", issuer="https://issuer.example", audience="shop")


def test_cognito_tokens_are_checked_offline() -> None:
    claims = {"iss": POOL_ISSUER, "sub": "abc", "exp": time.time() + 600, "token_use": "id"}
    assert decision(COGNITO, {"Authorization": jwt(claims)}) == 200
    expired = {**claims, "exp": time.time() - 1}
    assert decision(COGNITO, {"Authorization": jwt(expired)}) == 401
    other_pool = {**claims, "iss": "https://cognito-idp.eu-west-1.amazonaws.com/other"}
    assert decision(COGNITO, {"Authorization": jwt(other_pool)}) == 401
    assert decision(COGNITO, {"Authorization": "not-a-jwt"}) == 401
    assert decision(COGNITO, {}) == 401


def test_jwt_authorizer_checks_issuer_and_audience() -> None:
    good = {"iss": "https://issuer.example", "aud": "shop", "exp": time.time() + 60}
    assert decision(HTTP_JWT, {"Authorization": f"Bearer {jwt(good)}"}) == 200
    wrong_audience = {**good, "aud": "admin"}
    assert decision(HTTP_JWT, {"Authorization": f"Bearer {jwt(wrong_audience)}"}) == 401


def test_iam_routes_need_a_signature_header() -> None:
    outcome = begin_authorization(IAMAuthorizer(), gateway_request())
    assert isinstance(outcome, AuthOutcome) and outcome.answer is not None
    assert outcome.answer.status_code == 403
    assert outcome.answer.body == {"message": "Missing Authentication Token"}
    # API Gateway names the error type in a header.
    assert outcome.answer.headers == {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261123/eu-west-1/..."}
    assert decision(IAMAuthorizer(), signed) == 200


# -- the test client: only the app's own Lambda authorizers are enforced, as in Chalice --


@pytest.mark.parametrize("path", ["/profile", "/jwt", "/jwt-query", "/signed"])
def test_the_test_client_lets_requests_through_other_authorizers(client: Any, path: str) -> None:
    with pytest.warns(UserWarning, match="not enforced by the test client"):
        answer = client.http.get(path)
    assert (answer.status_code, answer.json_body) == (200, {"authorizer": None})


def test_the_test_client_hands_a_decoded_tokens_claims_to_the_view(client: Any) -> None:
    claims = {"iss": POOL_ISSUER, "sub": "abc", "exp": time.time() + 600, "token_use": "id"}
    with pytest.warns(UserWarning, match="CognitoUserPoolAuthorizer"):
        answer = client.http.get("/profile", headers={"Authorization": jwt(claims)})
    assert answer.status_code == 200
    assert answer.json_body["authorizer"]["claims"]["sub"] == "abc"
    good = {"iss": "https://issuer.example", "aud": "shop", "exp": time.time() + 60}
    with pytest.warns(UserWarning, match="JWTAuthorizer"):
        answer = client.http.get("/jwt", headers={"Authorization": f"Bearer {jwt(good)}"})
    assert answer.json_body["authorizer"]["jwt"]["claims"]["aud"] == "shop"


def test_routes_without_authorizer_are_untouched(client: Any) -> None:
    assert client.http.get("/open").json_body == {"authorizer": None}


def test_blueprint_authorizer_is_the_apps_once_registered() -> None:
    from chalicelike import Blueprint, RegistrationError

    blueprint = Blueprint(__name__)

    @blueprint.authorizer()
    def bp_auth(auth_request: Any) -> AuthResponse:
        return AuthResponse(routes=["*"], principal_id="bp")

    @blueprint.route("/admin", authorizer=bp_auth)
    def admin() -> dict[str, Any]:
        return {"who": blueprint.current_request.context["authorizer"]["principalId"]}

    app = Chalice(app_name="bp-authz", configure_logs=False)
    app.register_blueprint(blueprint, name_prefix="ops_")
    assert list(app.authorizers) == ["ops_bp_auth"]
    assert bp_auth.name == "ops_bp_auth"
    with Client(app) as client:
        assert client.http.get("/admin", headers={"Authorization": "t"}).json_body == {"who": "bp"}
        arn = "arn:aws:execute-api:us-east-1:123456789012:local/api/GET/admin"
        event = {"type": "TOKEN", "authorizationToken": "t", "methodArn": arn}
        assert client.lambda_.invoke("ops_bp_auth", event).payload["principalId"] == "bp"
    with pytest.raises(RegistrationError, match="authorizer must be an authorizer"):
        app.route("/x", authorizer="junk")(lambda: {})


def test_every_identity_source_of_a_request_authorizer_is_checked(client: Any) -> None:
    # The query-string source counts as much as the header: without it, no call and a 401.
    assert client.http.get("/tenants", headers={"X-Api-Key": "k"}).status_code == 401
    assert client.http.get("/tenants?tenant=", headers={"X-Api-Key": "k"}).status_code == 401
    assert client.http.get("/tenants?tenant=acme").status_code == 401
    allowed = client.http.get("/tenants?tenant=acme", headers={"X-Api-Key": "k"})
    assert allowed.json_body == {"authorizer": {"principalId": "t", "tenant": "acme"}}


def test_a_jwt_authorizer_reads_its_identity_source() -> None:
    source = "$request.querystring.access_token"
    query_jwt = JWTAuthorizer(
        "qjwt", issuer="https://issuer.example", audience="shop", identity_source=source
    )
    good = {"iss": "https://issuer.example", "aud": "shop", "exp": time.time() + 60}
    assert decision(query_jwt, {}, f"access_token={jwt(good)}") == 200
    assert decision(query_jwt, {"Authorization": jwt(good)}) == 401


# -- the steps the local gateway runs with the call in between -------------------------


def gateway_request(
    headers: dict[str, str] | None = None, query: dict[str, list[str]] | None = None
) -> GatewayRequest:
    return GatewayRequest(
        "GET", "/orders/7", "/orders/{order_id}", headers or {}, query or {}, {"order_id": "7"},
        "api",
    )  # fmt: skip


def authorizer(**options: Any) -> ChaliceAuthorizer:
    return ChaliceAuthorizer("auth", lambda request: {}, **options)


ARN = "arn:aws:execute-api:us-east-1:123456789012:local/api/GET/orders/7"


def test_a_lambda_authorizer_is_a_call_to_make_with_its_identity() -> None:
    step = begin_authorization(authorizer(ttl_seconds=60), gateway_request({"authorization": "t"}))
    assert step == AuthorizerCall("auth", AuthorizerType.TOKEN, ("t",), ARN, 60)
    assert isinstance(step, AuthorizerCall)
    assert token_event(step) == {"type": "TOKEN", "authorizationToken": "t", "methodArn": ARN}


def test_a_missing_identity_is_a_401_without_a_call() -> None:
    outcome = begin_authorization(authorizer(), gateway_request())
    assert isinstance(outcome, AuthOutcome) and outcome.answer is not None
    assert outcome.answer.status_code == 401


def test_request_identity_values_follow_the_sources_in_order() -> None:
    auth = authorizer(
        authorizer_type="REQUEST",
        identity_sources=["query.tenant", "header.X-Key", "stageVariables.env"],
    )
    request = gateway_request({"x-key": "k"}, {"tenant": ["a", "b"]})
    assert identity_values(auth, request) == ("a,b", "k", "stageVariables.env")
    assert identity_values(auth, gateway_request({"x-key": "k"})) is None
    assert identity_values(auth, gateway_request({"x-key": ""}, {"tenant": ["a"]})) is None


CALL = AuthorizerCall("auth", AuthorizerType.TOKEN, ("t",), ARN, 300)


def policy(effect: str, resource: str = "arn:aws:execute-api:*") -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(
    ("output", "status", "context"),
    [
        ({"principalId": "u", "policyDocument": policy("Allow"), "context": {"a": 1}}, None,
         {"principalId": "u", "a": 1}),
        ({"principalId": "u", "policyDocument": policy("Deny")}, 403, None),
        ({"principalId": "u", "policyDocument": policy("Allow", ARN.replace("GET", "PUT"))},
         403, None),
        ({"isAuthorized": True, "context": {"b": "x"}}, None, {"b": "x"}),
        ({"isAuthorized": False}, 403, None),
        ({"policyDocument": policy("Allow")}, 500, None),
        ({"principalId": "u", "policyDocument": "nope"}, 500, None),
        ({"principalId": "u", "policyDocument": policy("Allow"), "context": [1]}, 500, None),
        # Context values AuthResponse takes (as Chalice) but API Gateway refuses: a 500.
        ({"principalId": "u", "policyDocument": policy("Allow"), "context": {"a": {"b": 1}}},
         500, None),
        ({"principalId": "u", "policyDocument": policy("Allow"), "context": {"a": None}},
         500, None),
        ({"principalId": "u", "policyDocument": policy("Deny"), "context": {"a": [1]}},
         500, None),
        (None, 500, None),
        ("Allow", 500, None),
    ],
)  # fmt: skip
def test_the_authorizer_output_becomes_api_gateways_outcome(
    output: Any, status: int | None, context: dict[str, Any] | None
) -> None:
    outcome = authorizer_outcome(CALL, output)
    assert (outcome.answer.status_code if outcome.answer else None) == status
    assert outcome.context == context


def test_an_authorizer_that_raises_unauthorized_is_a_401_anything_else_500() -> None:
    assert authorizer_failure("Unauthorized").answer.status_code == 401
    for message in ("unauthorized", "boom", None):
        assert authorizer_failure(message).answer.status_code == 500


def test_the_cache_keeps_outputs_for_the_ttl_per_identity() -> None:
    now = [1000.0]
    cache = AuthorizerCache(clock=lambda: now[0])
    cache.put(CALL, {"principalId": "u"})
    assert cache.get(CALL) == {"principalId": "u"}
    assert cache.get(CALL._replace(identity=("other",))) is None
    assert cache.get(CALL._replace(function="another")) is None
    now[0] += 299
    assert cache.get(CALL) == {"principalId": "u"}
    now[0] += 1
    assert cache.get(CALL) is None
    uncached = CALL._replace(ttl_seconds=0)
    cache.put(uncached, {"principalId": "u"})
    assert cache.get(uncached) is None
    cache.put(CALL, {"principalId": "v"})
    cache.clear()
    assert cache.get(CALL) is None


def test_an_authorizer_returning_none_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    # Chalice passes None to API Gateway, which answers 500 "Internal server error"
    # (AuthorizerConfigurationException); the log says which authorizer and why.
    app = Chalice(app_name="authz", configure_logs=False)

    @app.authorizer()
    def forgetful(auth_request: Any) -> None:
        if auth_request.token == "allow":
            pass  # forgot to return an AuthResponse

    app.route("/orders", authorizer=forgetful)(lambda: {"ok": True})
    with caplog.at_level("ERROR", logger="chalicelike._auth._authorizers"), Client(app) as client:
        response = client.http.get("/orders", headers={"Authorization": "allow"})
    assert response.status_code == 500
    assert any("authorizer 'forgetful' returned None" in m for m in caplog.messages)
