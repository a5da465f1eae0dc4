"""What API Gateway does with a route's authorizer before the view runs, for local use.

The test client (and later `chalicelike local`) call `authorize` for a routed request:
it answers 401 or 403 as API Gateway would, or returns the `requestContext.authorizer`
the view then sees. Lambda authorizers are really called; Cognito and JWT tokens are
decoded without checking their signature (there are no keys offline); IAM signatures
cannot be checked, so only their presence is.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._auth_policy import decode_jwt_claims, jwt_claims_allow, method_arn_for, response_allows
from ._authorizers import (
    AuthorizerType,
    ChaliceAuthorizer,
    CognitoUserPoolAuthorizer,
    CustomAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
)
from ._response import Response

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "123456789012"
LOCAL_API_ID = "local"


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


def _unauthorized() -> AuthOutcome:
    return AuthOutcome(Response({"message": "Unauthorized"}, status_code=401), None)


def _forbidden() -> AuthOutcome:
    body = {"Message": "User is not authorized to access this resource"}
    return AuthOutcome(Response(body, status_code=403), None)


def authorize(authorizer: Any, request: GatewayRequest, lambda_context: Any) -> AuthOutcome:
    """Run a route's authorizer as API Gateway would; see the module docstring."""
    authorizer = getattr(authorizer, "_authorizer", authorizer)  # a blueprint's wrapper
    if isinstance(authorizer, ChaliceAuthorizer):
        return _lambda_authorizer(authorizer, request, lambda_context)
    if isinstance(authorizer, (CognitoUserPoolAuthorizer, JWTAuthorizer)):
        return _jwt_authorizer(authorizer, request)
    if isinstance(authorizer, IAMAuthorizer):
        # API Gateway refuses unsigned requests to an IAM route; a signature cannot be
        # verified offline, so its presence is all that is checked.
        if "authorization" not in request.headers:
            return AuthOutcome(
                Response({"message": "Missing Authentication Token"}, status_code=403), None
            )
        return AuthOutcome(None, {})
    if isinstance(authorizer, CustomAuthorizer):
        # An authorizer Lambda outside this app cannot run locally: check the token exists.
        if authorizer.header.lower() not in request.headers:
            return _unauthorized()
        return AuthOutcome(None, {})
    return AuthOutcome(None, None)


def _lambda_authorizer(
    authorizer: ChaliceAuthorizer, request: GatewayRequest, lambda_context: Any
) -> AuthOutcome:
    arn = method_arn_for(
        LOCAL_REGION, LOCAL_ACCOUNT, LOCAL_API_ID, request.stage, request.method, request.path
    )
    token = request.headers.get(authorizer.header.lower())
    if authorizer.authorizer_type is AuthorizerType.TOKEN:
        if not token:
            return _unauthorized()  # API Gateway does not even call the authorizer
        event: dict[str, Any] = {
            "type": "TOKEN",
            "authorizationToken": token,
            "methodArn": arn,
        }
    else:
        if not _identity_present(authorizer, request):
            return _unauthorized()
        event = _request_event(arn, request)
    try:
        output = authorizer(event, lambda_context)
    except Exception as error:
        # A Lambda authorizer says 401 by raising "Unauthorized"; anything else is a 500.
        if str(error) == "Unauthorized":
            return _unauthorized()
        return AuthOutcome(Response({"message": None}, status_code=500), None)
    if not response_allows(output, arn):
        return _forbidden()
    context = {"principalId": output.get("principalId")}
    context.update(output.get("context") or {})
    return AuthOutcome(None, context)


def _identity_present(authorizer: ChaliceAuthorizer, request: GatewayRequest) -> bool:
    """A REQUEST authorizer runs only when every identity source has a value."""
    for source in authorizer.identity_sources or []:
        kind, _, name = source.rpartition(".")
        if kind.endswith("header") and not request.headers.get(name.lower()):
            return False
        if kind.endswith("querystring") and not request.query.get(name):
            return False
    return True


def _request_event(arn: str, request: GatewayRequest) -> dict[str, Any]:
    query = {name: values[-1] for name, values in request.query.items() if values}
    return {
        "type": "REQUEST",
        "methodArn": arn,
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
            "accountId": LOCAL_ACCOUNT,
            "apiId": LOCAL_API_ID,
        },
    }


def _jwt_authorizer(
    authorizer: CognitoUserPoolAuthorizer | JWTAuthorizer, request: GatewayRequest
) -> AuthOutcome:
    header = "authorization"
    if isinstance(authorizer, CognitoUserPoolAuthorizer):
        header = authorizer.header.lower()
    token = request.headers.get(header)
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
