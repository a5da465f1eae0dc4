"""What an authorizer decides, and how API Gateway reads the decision.

execute-api ARNs; AuthRoute and AuthResponse, which build the IAM policy a Lambda
authorizer returns; and, for the test client and local server, policy evaluation as
API Gateway applies it (explicit Deny wins, then Allow, else implicit deny), HTTP API
simple responses and JWT claim checks. JWTs are decoded WITHOUT verifying signatures:
local emulation only. Stdlib only (json, base64, re), cheap on the cold path.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from .._core._errors import InvalidEventError, InvalidResponseError

if TYPE_CHECKING:
    from ._authorizers import AuthRequest

__all__ = [
    "HTTP_METHODS",
    "INVOKE_ACTION",
    "AuthResponse",
    "AuthRoute",
    "MethodArn",
    "check_context",
    "decode_jwt_claims",
    "is_allowed",
    "jwt_claims_allow",
    "method_arn_for",
    "parse_method_arn",
    "response_allows",
    "stage_prefix",
    "token_scopes",
]

INVOKE_ACTION = "execute-api:Invoke"
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class MethodArn(NamedTuple):
    """The parts of `arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`.

    `path` has no leading slash: the root resource's ARN ends in "GET/" and its path is "".
    """

    partition: str
    region: str
    account: str
    api_id: str
    stage: str
    method: str
    path: str

    @property
    def stage_prefix(self) -> str:
        """The ARN up to and including the stage: every policy resource starts with it."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
            f"{self.api_id}/{self.stage}"
        )

    def __str__(self) -> str:
        return f"{self.stage_prefix}/{self.method}/{self.path}"


def method_arn_for(
    region: str,
    account: str,
    api_id: str,
    stage: str,
    method: str,
    path: str,
    partition: str = "aws",
) -> str:
    """The methodArn API Gateway sends an authorizer for one request.

    `path` is the request's path ("/users/42"); the ARN carries it without its leading
    slash, so "/" gives an ARN ending in "/GET/".
    """
    return str(MethodArn(partition, region, account, api_id, stage, method.upper(), path[1:]))


def parse_method_arn(arn: object) -> MethodArn:
    """Split a methodArn (or an HTTP API routeArn); InvalidEventError says what is wrong."""
    expected = "a methodArn like arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH"
    if not isinstance(arn, str):
        raise InvalidEventError(f"Expected {expected}, got {type(arn).__name__}")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        raise InvalidEventError(f"Expected {expected}, got {arn!r}")
    api_id, _, rest = parts[5].partition("/")
    stage, _, rest = rest.partition("/")
    method, slash, path = rest.partition("/")
    if not (api_id and stage and method and slash):
        raise InvalidEventError(f"Expected {expected}, got {arn!r}")
    return MethodArn(parts[1], parts[3], parts[4], api_id, stage, method, path)


def stage_prefix(method_arn: str | MethodArn) -> str:
    """The ARN up to the stage, which every policy resource starts with.

    A methodArn that is no real ARN (a placeholder in a test) gets Chalice's reading: the
    text before its resource part, then the resource's first two segments (API id, stage).
    """
    if isinstance(method_arn, MethodArn):
        return method_arn.stage_prefix
    try:
        return parse_method_arn(method_arn).stage_prefix
    except InvalidEventError:
        parts = method_arn.split(":", 5)
        parts[-1] = "/".join(parts[-1].split("/")[:2])
        return ":".join(parts)


# -- what an authorizer function returns --------------------------------------------


class AuthRoute:
    """A path (and its methods) a caller may invoke: `AuthRoute("/users/{id}", ["GET"])`."""

    __slots__ = ("methods", "path")

    def __init__(self, path: str, methods: Iterable[str]) -> None:
        if not isinstance(path, str) or not path:
            raise InvalidResponseError(f"AuthRoute path must be a non-empty string, not {path!r}")
        if isinstance(methods, str):
            raise InvalidResponseError(
                f"AuthRoute methods must be a list of methods, not the string {methods!r}"
            )
        self.path = path
        self.methods: list[str] = []
        for method in methods:
            name = method.upper() if isinstance(method, str) else method
            if name != "*" and name not in HTTP_METHODS:
                raise InvalidResponseError(
                    f"AuthRoute {path!r}: unknown method {method!r} "
                    f"(use one of {', '.join(sorted(HTTP_METHODS))} or '*')"
                )
            self.methods.append(name)
        if not self.methods:
            raise InvalidResponseError(f"AuthRoute {path!r} has no methods")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuthRoute):
            return NotImplemented
        return (self.path, self.methods) == (other.path, other.methods)

    def __hash__(self) -> int:
        return hash((self.path, tuple(self.methods)))

    def __repr__(self) -> str:
        return f"AuthRoute({self.path!r}, {self.methods!r})"


def check_context(context: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """The context an authorizer returns, checked: API Gateway takes only flat values.

    Values must be strings, numbers or booleans (no objects, lists or null); API
    Gateway answers 500 for anything else, so we say which key is wrong instead.
    """
    if not isinstance(context, Mapping):
        raise InvalidResponseError(
            f"AuthResponse context must be a dict, not {type(context).__name__}"
        )
    checked: dict[str, str | int | float | bool] = {}
    for key, value in context.items():
        if not isinstance(key, str):
            raise InvalidResponseError(f"AuthResponse context key {key!r} is not a string")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidResponseError(
                f"AuthResponse context[{key!r}] is {value!r}; JSON has no such number"
            )
        if not isinstance(value, (str, int, float, bool)):
            raise InvalidResponseError(
                f"AuthResponse context[{key!r}] is {type(value).__name__}; API Gateway accepts "
                "only strings, numbers and booleans (no objects, lists or null)"
            )
        checked[key] = value
    return checked


class AuthResponse:
    """What an authorizer function returns: the routes a principal may call, and context.

    `routes` holds paths (every method) or AuthRoute objects; the path "*" means every
    route in the stage. No routes at all admits nothing.
    """

    __slots__ = ("context", "principal_id", "routes", "usage_identifier_key")

    def __init__(
        self,
        routes: Iterable[str | AuthRoute],
        principal_id: str,
        context: Mapping[str, Any] | None = None,
        *,
        usage_identifier_key: str | None = None,
    ) -> None:
        if isinstance(routes, str):
            raise InvalidResponseError(
                f"AuthResponse routes must be a list, not the string {routes!r}"
            )
        if not isinstance(principal_id, str):
            raise InvalidResponseError(
                f"AuthResponse principal_id must be a string, not {type(principal_id).__name__}"
            )
        self.routes: list[str | AuthRoute] = []
        for route in routes:
            if not isinstance(route, (str, AuthRoute)):
                raise InvalidResponseError(
                    f"AuthResponse route {route!r} is neither a path nor an AuthRoute"
                )
            self.routes.append(route)
        self.principal_id = principal_id
        if context is not None and not isinstance(context, Mapping):
            raise InvalidResponseError(
                f"AuthResponse context must be a dict, not {type(context).__name__}"
            )
        # Taken as given, as Chalice does; API Gateway's refusal of values that are not
        # flat (objects, lists, null) is its step's business (check_context).
        self.context: dict[str, Any] = {} if context is None else dict(context)
        self.usage_identifier_key = usage_identifier_key

    def resources(self, method_arn: str | MethodArn) -> list[str]:
        """The policy's resource ARNs, in the order of `routes`, in the request's stage.

        As Chalice writes them: a route's path as given, '{param}' segments included,
        which API Gateway compares literally (use '*' to stand for a segment). With no
        routes the list is empty: the Allow statement admits nothing.
        """
        prefix = stage_prefix(method_arn)
        resources: list[str] = []
        for route in self.routes:
            path, methods = (
                (route, ["*"]) if isinstance(route, str) else (route.path, route.methods)
            )
            resource = "*" if path == "*" else path.removeprefix("/")
            resources.extend(f"{prefix}/{method}/{resource}" for method in methods)
        return resources

    def to_dict(self, request: AuthRequest) -> dict[str, Any]:
        """The output API Gateway expects from a Lambda authorizer, for this request."""
        statement = {
            "Action": INVOKE_ACTION,
            "Effect": "Allow",
            "Resource": self.resources(request.method_arn),
        }
        output: dict[str, Any] = {
            "principalId": self.principal_id,
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        }
        # Always there, {} when empty, as Chalice's output (and tests comparing with it) has it.
        output["context"] = dict(self.context)
        if self.usage_identifier_key is not None:
            output["usageIdentifierKey"] = self.usage_identifier_key
        return output

    def __repr__(self) -> str:
        return f"AuthResponse({self.routes!r}, {self.principal_id!r}, {self.context!r})"


# -- policy evaluation ------------------------------------------------------------------


@lru_cache(maxsize=512)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: '*' is any run of characters ('/' included, so ".../GET/users/*"
    # also covers ".../GET/users/1/secrets"), '?' is exactly one character.
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _matches(patterns: object, value: str, field: str, ignore_case: bool) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise InvalidResponseError(f"policy statement {field} must be a string or list of strings")
    return any(_glob(p, ignore_case).fullmatch(value) for p in patterns)


def _statement_applies(statement: Mapping[str, Any], method_arn: str) -> bool:
    # Action names are case-insensitive in IAM; ARNs are not.
    if "Action" in statement:
        action = _matches(statement["Action"], INVOKE_ACTION, "Action", True)
    elif "NotAction" in statement:
        action = not _matches(statement["NotAction"], INVOKE_ACTION, "NotAction", True)
    else:
        raise InvalidResponseError("policy statement has neither Action nor NotAction")
    if "Resource" in statement:
        resource = _matches(statement["Resource"], method_arn, "Resource", False)
    elif "NotResource" in statement:
        resource = not _matches(statement["NotResource"], method_arn, "NotResource", False)
    else:
        raise InvalidResponseError("policy statement has neither Resource nor NotResource")
    return action and resource


def _statements(policy_document: object) -> list[Mapping[str, Any]]:
    if not isinstance(policy_document, Mapping):
        raise InvalidResponseError("policyDocument must be an object")
    statements = policy_document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise InvalidResponseError("policyDocument has no Statement list")
    for index, statement in enumerate(statements):
        if not isinstance(statement, Mapping):
            raise InvalidResponseError(f"policyDocument Statement[{index}] is not an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise InvalidResponseError(
                f"policyDocument Statement[{index}] Effect must be 'Allow' or 'Deny', "
                f"not {statement.get('Effect')!r}"
            )
    return statements


def is_allowed(policy_document: object, method_arn: str) -> bool:
    """Whether an authorizer's policy lets the request with `method_arn` through.

    As IAM evaluates it: a matching Deny always wins, then a matching Allow grants,
    and anything not matched is denied. A statement with a Condition cannot be judged
    locally, so it is read the cautious way: an Allow never matches, a Deny always does.
    A malformed document raises InvalidResponseError (API Gateway answers 500 then).
    """
    allowed = False
    for statement in _statements(policy_document):
        deny = statement["Effect"] == "Deny"
        applies = deny if "Condition" in statement else _statement_applies(statement, method_arn)
        if applies and deny:
            return False
        allowed = allowed or applies
    return allowed


def response_allows(output: object, method_arn: str) -> bool:
    """Whether an authorizer's output admits the request, in either documented form.

    HTTP API "simple responses" are `{"isAuthorized": bool, "context": {...}}`; every
    other output must carry `principalId` and a `policyDocument`.
    """
    if not isinstance(output, Mapping):
        raise InvalidResponseError(f"authorizer output must be an object, not {output!r}")
    if "isAuthorized" in output:
        decision = output["isAuthorized"]
        if not isinstance(decision, bool):
            raise InvalidResponseError(f"isAuthorized must be a boolean, not {decision!r}")
        return decision
    if "principalId" not in output:
        raise InvalidResponseError("authorizer output has no principalId")
    return is_allowed(output.get("policyDocument"), method_arn)


# -- JWTs (unverified; local emulation only) --------------------------------------------


def decode_jwt_claims(token: object) -> dict[str, Any] | None:
    """The claims of a JWT, or None when `token` is not a well-formed JWT.

    The signature is NOT verified: this serves local emulation of Cognito and JWT
    authorizers, never a deployed check. A "Bearer " prefix is accepted, as HTTP API
    JWT authorizers accept it.
    """
    if not isinstance(token, str):
        return None
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return None
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token grants: `scope` (space-separated) or `scp` (a list)."""
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [s for s in scope if isinstance(s, str)]
    return []


def jwt_claims_allow(
    claims: Mapping[str, Any],
    issuer: str,
    audience: str | Iterable[str],
    now: float,
    scopes: Iterable[str] | None = None,
) -> bool:
    """Whether JWT claims pass the checks an HTTP API JWT authorizer makes.

    `iss` equals the issuer; `aud` (or, for access tokens without one, `client_id`)
    is one of the audiences; `exp` is after `now`; `nbf` and `iat`, when present, are
    not after it; and when the route has scopes the token holds at least one of them.
    """
    if claims.get("iss") != issuer:
        return False
    accepted = {audience} if isinstance(audience, str) else set(audience)
    aud = claims.get("aud", claims.get("client_id"))
    auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not accepted.intersection(a for a in auds if isinstance(a, str)):
        return False
    exp = claims.get("exp")
    if not _number(exp) or exp <= now:
        return False
    for name in ("nbf", "iat"):
        if name in claims and (not _number(claims[name]) or claims[name] > now):
            return False
    if scopes is not None:
        wanted = list(scopes)
        if wanted and not set(wanted).intersection(token_scopes(claims)):
            return False
    return True
