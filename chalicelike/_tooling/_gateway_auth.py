"""What API Gateway does with a route's authorizer before the view runs, for local use.

`begin_authorization` decides alone (Cognito, JWT, IAM, an outside authorizer, or a token
missing) or says which of the app's Lambda authorizers to call and with what identity;
`authorizer_outcome` / `authorizer_failure` turn that call's output into API Gateway's
401/403/500 or the context the view sees. Who makes the call is the caller's business:
`authorize` calls the function in-process (the test client); `chalicelike local` invokes it
through the local Lambda and caches outputs in an `AuthorizerCache`. Cognito and JWT tokens
are decoded without checking their signature (there are no keys offline); IAM signatures
cannot be checked, so only their presence is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .._auth._auth_policy import (
    check_context,
    decode_jwt_claims,
    jwt_claims_allow,
    method_arn_for,
    response_allows,
)
from .._auth._authorizers import (
    AuthorizerType,
    ChaliceAuthorizer,
    CognitoUserPoolAuthorizer,
    CustomAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
)
from .._core._aws import ACCOUNT_ID, DEFAULT_REGION, LOCAL_API_ID
from .._core._errors import InvalidResponseError
from .._core._pipeline import missing_authentication_token
from .._core._response import Response

__all__ = [
    "AuthOutcome",
    "AuthorizerCache",
    "AuthorizerCall",
    "GatewayRequest",
    "authorize",
    "authorizer_failure",
    "authorizer_outcome",
    "begin_authorization",
    "identity_values",
    "request_event",
    "token_event",
]


class AuthOutcome(NamedTuple):
    """API Gateway's own answer (401/403/500) or the authorizer context for the view."""

    answer: Response | None
    context: dict[str, Any] | None


class GatewayRequest(NamedTuple):
    """The parts of a request an authorizer may look at."""

    method: str
    path: str  # the concrete path, e.g. '/orders/7'
    resource: str  # the route, e.g. '/orders/{order_id}'
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, list[str]]
    path_params: Mapping[str, str]
    stage: str


class AuthorizerCall(NamedTuple):
    """API Gateway must call one of the app's Lambda authorizers before the route."""

    function: str  # the authorizer's name, which is also its Lambda function's
    authorizer_type: AuthorizerType
    identity: tuple[str, ...]  # the identity sources' values: API Gateway's cache key
    method_arn: str
    ttl_seconds: int  # how long API Gateway may reuse the output; 0: never


# API Gateway names the kind of each of its own errors in the x-amzn-ErrorType header.


def _unauthorized() -> AuthOutcome:
    headers: dict[str, str | list[str]] = {"x-amzn-ErrorType": "UnauthorizedException"}
    return AuthOutcome(Response({"message": "Unauthorized"}, headers, 401), None)


def _forbidden() -> AuthOutcome:
    body = {"Message": "User is not authorized to access this resource"}
    headers: dict[str, str | list[str]] = {"x-amzn-ErrorType": "AccessDeniedException"}
    return AuthOutcome(Response(body, headers, 403), None)


def _authorizer_error() -> AuthOutcome:
    # API Gateway's AuthorizerConfigurationException: a 500 whose message is null.
    headers: dict[str, str | list[str]] = {"x-amzn-ErrorType": "AuthorizerConfigurationException"}
    return AuthOutcome(Response({"message": None}, headers, 500), None)


def begin_authorization(authorizer: Any, request: GatewayRequest) -> AuthOutcome | AuthorizerCall:
    """API Gateway's decision for a request, or the Lambda authorizer call it needs first."""
    authorizer = getattr(authorizer, "_authorizer", authorizer)  # a blueprint's wrapper
    if isinstance(authorizer, ChaliceAuthorizer):
        identity = identity_values(authorizer, request)
        if identity is None:
            return _unauthorized()  # API Gateway does not even call the authorizer
        arn = method_arn_for(
            DEFAULT_REGION, ACCOUNT_ID, LOCAL_API_ID, request.stage, request.method, request.path
        )
        return AuthorizerCall(
            authorizer.name, authorizer.authorizer_type, identity, arn, authorizer.ttl_seconds
        )
    if isinstance(authorizer, (CognitoUserPoolAuthorizer, JWTAuthorizer)):
        return _jwt_authorizer(authorizer, request)
    if isinstance(authorizer, IAMAuthorizer):
        # API Gateway refuses unsigned requests to an IAM route; a signature cannot be
        # verified offline, so its presence is all that is checked.
        if "authorization" not in request.headers:
            return AuthOutcome(missing_authentication_token(), None)
        return AuthOutcome(None, {})
    if isinstance(authorizer, CustomAuthorizer):
        # An authorizer Lambda outside this app cannot run locally: check the token exists.
        if authorizer.header.lower() not in request.headers:
            return _unauthorized()
        return AuthOutcome(None, {})
    return AuthOutcome(None, None)


def identity_values(
    authorizer: ChaliceAuthorizer, request: GatewayRequest
) -> tuple[str, ...] | None:
    """The values of the authorizer's identity sources; None when one is missing or empty
    (API Gateway then answers 401 without calling the authorizer).

    A TOKEN authorizer's one source is its header. `context.*` and `stageVariables.*`
    sources have no local value to check: they count as present and key the cache by name.
    """
    if authorizer.authorizer_type is AuthorizerType.TOKEN:
        token = request.headers.get(authorizer.header.lower())
        return (token,) if token else None
    values: list[str] = []
    for source in authorizer.identity_sources:
        kind, _, name = source.rpartition(".")
        if kind == "method.request.header":
            value = request.headers.get(name.lower())
        elif kind == "method.request.querystring":
            value = ",".join(request.query.get(name) or ())
        else:
            value = source
        if not value:
            return None
        values.append(value)
    return tuple(values)


def token_event(call: AuthorizerCall) -> dict[str, Any]:
    """The event a TOKEN authorizer receives."""
    return {"type": "TOKEN", "authorizationToken": call.identity[0], "methodArn": call.method_arn}


def request_event(call: AuthorizerCall, request: GatewayRequest) -> dict[str, Any]:
    """A REST API REQUEST authorizer event built from a GatewayRequest alone (the gateway
    sends its full proxy event instead, with request ids and the client's identity)."""
    query = {name: values[-1] for name, values in request.query.items() if values}
    return {
        "type": "REQUEST",
        "methodArn": call.method_arn,
        "resource": request.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": dict(request.headers),
        "multiValueHeaders": {name: [value] for name, value in request.headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": dict(request.query) or None,
        "pathParameters": dict(request.path_params) or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": request.resource,
            "httpMethod": request.method,
            "path": f"/{request.stage}{request.path}",
            "stage": request.stage,
            "accountId": ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
        },
    }


def authorizer_outcome(call: AuthorizerCall, output: object) -> AuthOutcome:
    """What API Gateway makes of an authorizer's output: 403 unless its policy (or simple
    response) admits the request, 500 when the output is malformed, else the context.

    A context value that is not flat (an object, a list, null), which Chalice's
    AuthResponse takes, is malformed output to API Gateway: a 500.
    """
    try:
        allowed = response_allows(output, call.method_arn)
        assert isinstance(output, Mapping)  # response_allows refuses anything else
        extra = check_context(output.get("context") or {})
    except InvalidResponseError:
        return _authorizer_error()
    if not allowed:
        return _forbidden()
    context: dict[str, Any] = {}
    if "principalId" in output:
        context["principalId"] = output["principalId"]
    context.update(extra)
    return AuthOutcome(None, context)


def authorizer_failure(error_message: object) -> AuthOutcome:
    """The authorizer raised: "Unauthorized" is how it asks for a 401; anything else is 500."""
    return _unauthorized() if error_message == "Unauthorized" else _authorizer_error()


def authorize(authorizer: Any, request: GatewayRequest, lambda_context: Any) -> AuthOutcome:
    """Run a route's authorizer as API Gateway would, calling a Lambda authorizer in-process."""
    step = begin_authorization(authorizer, request)
    if isinstance(step, AuthOutcome):
        return step
    if step.authorizer_type is AuthorizerType.TOKEN:
        event = token_event(step)
    else:
        event = request_event(step, request)
    function = getattr(authorizer, "_authorizer", authorizer)
    try:
        output = function(event, lambda_context)
    except Exception as error:
        return authorizer_failure(str(error))
    return authorizer_outcome(step, output)


class AuthorizerCache:
    """Lambda authorizer outputs API Gateway may reuse: per authorizer and identity values,
    for the authorizer's ttl_seconds. Each use re-evaluates the policy against the request's
    own method ARN, as API Gateway does with a cached policy."""

    MAX_ENTRIES = 10_000  # a bound for long sessions with many tokens; far above real use

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._outputs: dict[tuple[str, tuple[str, ...]], tuple[float, object]] = {}

    def get(self, call: AuthorizerCall) -> object | None:
        if call.ttl_seconds <= 0:
            return None
        key = (call.function, call.identity)
        found = self._outputs.get(key)
        if found is None:
            return None
        if found[0] <= self._clock():
            del self._outputs[key]
            return None
        return found[1]

    def put(self, call: AuthorizerCall, output: object) -> None:
        if call.ttl_seconds <= 0:
            return
        if len(self._outputs) >= self.MAX_ENTRIES:
            self._outputs.clear()
        expires = self._clock() + call.ttl_seconds
        self._outputs[(call.function, call.identity)] = (expires, output)

    def clear(self) -> None:
        self._outputs.clear()


def _jwt_authorizer(
    authorizer: CognitoUserPoolAuthorizer | JWTAuthorizer, request: GatewayRequest
) -> AuthOutcome:
    if isinstance(authorizer, CognitoUserPoolAuthorizer):
        token = request.headers.get(authorizer.header.lower())
    else:
        token = _jwt_token(authorizer.identity_source, request)
    claims = decode_jwt_claims(token) if token else None
    if claims is None:
        return _unauthorized()
    now = time.time()
    if isinstance(authorizer, CognitoUserPoolAuthorizer):
        expired = not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now
        if claims.get("iss") not in authorizer.issuers or expired:
            return _unauthorized()
        return AuthOutcome(None, {"claims": claims})
    if not jwt_claims_allow(claims, authorizer.issuer, authorizer.audience, now, authorizer.scopes):
        return _unauthorized()
    return AuthOutcome(None, {"jwt": {"claims": claims, "scopes": claims.get("scope")}})


def _jwt_token(identity_source: str, request: GatewayRequest) -> str | None:
    """The token an HTTP API JWT authorizer reads: its identity source, a header by default."""
    kind, _, name = identity_source.rpartition(".")
    if kind == "$request.header":
        return request.headers.get(name.lower())
    if kind == "$request.querystring":
        values = request.query.get(name)
        return values[-1] if values else None
    return None  # $context / $stageVariables: no local value to read
