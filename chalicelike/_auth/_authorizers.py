"""Authorizers: Lambda authorizer functions (TOKEN and REQUEST) and the built-in kinds.

`ChaliceAuthorizer` is the Lambda handler API Gateway invokes: it reads the event into
an `AuthRequest`, calls the user's function and turns its `AuthResponse` (in
`_auth_policy`, with the policy evaluation) into the output API Gateway expects. The
other classes only describe configuration, for the packager and local enforcement.
No I/O, stdlib only: authorizer functions import this on their cold start.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

from .._core._errors import InvalidEventError, InvalidResponseError, RegistrationError
from .._core._structures import CaseInsensitiveMapping, MultiDict
from ._auth_policy import AuthResponse, parse_method_arn

__all__ = [
    "EXPECTED_EVENT",
    "MAX_TTL_SECONDS",
    "AuthRequest",
    "AuthorizerType",
    "ChaliceAuthorizer",
    "CognitoUserPoolAuthorizer",
    "CustomAuthorizer",
    "IAMAuthorizer",
    "JWTAuthorizer",
    "normalize_identity_source",
]

_log = logging.getLogger(__name__)

MAX_TTL_SECONDS = 3600  # API Gateway caches authorizer results for at most an hour
EXPECTED_EVENT = "an API Gateway authorizer event (type TOKEN or REQUEST, with a methodArn)"


class AuthorizerType(str, Enum):
    """What API Gateway sends a Lambda authorizer: one token, or the request's parameters."""

    TOKEN = "TOKEN"
    REQUEST = "REQUEST"


# -- what the authorizer function receives -----------------------------------------------


def _mapping(event: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEventError(
            f"Expected {EXPECTED_EVENT}, {key} is {type(value).__name__}, not an object"
        )
    return value


def _method_arn(event: Mapping[str, Any], key: str) -> str:
    """The event's methodArn (routeArn), as it is: like Chalice, one that is no real ARN
    (a placeholder in a test) is taken, and the policy is built from it as well as can be."""
    value = event.get(key)
    if not isinstance(value, str):
        raise InvalidEventError(
            f"Expected {EXPECTED_EVENT}, the {event['type']} event has no {key}"
        )
    return value


def _arn_method(method_arn: str) -> str | None:
    try:
        return parse_method_arn(method_arn).method
    except InvalidEventError:
        return None


def _query_params(event: Mapping[str, Any]) -> MultiDict | None:
    multi = _mapping(event, "multiValueQueryStringParameters")
    if multi:
        return MultiDict({k: list(v) for k, v in multi.items() if isinstance(v, list)})
    single = _mapping(event, "queryStringParameters")
    return MultiDict({k: [v] for k, v in single.items()}) if single else None


class AuthRequest:
    """The request an authorizer judges.

    TOKEN events carry only `token` and `method_arn`. REQUEST events (REST APIs, and
    HTTP API payload 1.0 and 2.0) also carry headers, query and path parameters, stage
    variables and the request context; there `token` is the value of the authorizer's
    header. As on Request, `path` is the route's pattern ("/users/{id}") and
    `raw_path` the path requested ("/users/42").
    """

    __slots__ = (
        "_event",
        "auth_type",
        "context",
        "headers",
        "method",
        "method_arn",
        "path",
        "path_params",
        "query_params",
        "raw_path",
        "stage_vars",
        "token",
    )

    def __init__(
        self,
        auth_type: str,
        token: str | None,
        method_arn: str,
        *,
        headers: Mapping[str, str] | None = None,
        query_params: MultiDict | None = None,
        path_params: dict[str, str] | None = None,
        stage_vars: dict[str, str] | None = None,
        context: dict[str, Any] | None = None,
        method: str | None = None,
        path: str | None = None,
        raw_path: str | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        self.auth_type = auth_type
        self.token = token
        self.method_arn = method_arn
        if not isinstance(headers, CaseInsensitiveMapping):
            headers = CaseInsensitiveMapping(headers)
        self.headers: CaseInsensitiveMapping = headers
        self.query_params = query_params
        self.path_params = path_params
        self.stage_vars = stage_vars
        self.context: dict[str, Any] = context or {}
        self.method = method
        self.path = path
        self.raw_path = raw_path
        self._event: dict[str, Any] = event if event is not None else self._token_event()

    def _token_event(self) -> dict[str, Any]:
        return {
            "type": self.auth_type,
            "authorizationToken": self.token,
            "methodArn": self.method_arn,
        }

    @classmethod
    def from_event(cls, event: object, header: str = "Authorization") -> AuthRequest:
        """Read a Lambda authorizer event; InvalidEventError names what is missing."""
        if not isinstance(event, dict):
            raise InvalidEventError(f"Expected {EXPECTED_EVENT}, got {type(event).__name__}")
        auth_type = event.get("type")
        if auth_type == "TOKEN":
            token = event.get("authorizationToken")
            if not isinstance(token, str):
                raise InvalidEventError(
                    f"Expected {EXPECTED_EVENT}, the TOKEN event has no authorizationToken"
                )
            return cls("TOKEN", token, _method_arn(event, "methodArn"), event=event)
        if auth_type == "REQUEST":
            return cls._from_request_event(event, header)
        if auth_type is None:
            keys = ", ".join(sorted(str(k) for k in event)[:8]) or "no keys"
            raise InvalidEventError(f"Expected {EXPECTED_EVENT}, the event has no 'type' ({keys})")
        raise InvalidEventError(f"Expected {EXPECTED_EVENT}, got type {auth_type!r}")

    @classmethod
    def _from_request_event(cls, event: dict[str, Any], header: str) -> AuthRequest:
        v2 = event.get("version") == "2.0"
        method_arn = _method_arn(event, "routeArn" if v2 else "methodArn")
        raw_headers = _mapping(event, "headers") or {}
        headers = CaseInsensitiveMapping(raw_headers)
        context = _mapping(event, "requestContext") or {}
        if v2:
            # payload 2.0: "routeKey": "GET /users/{id}", "rawPath", comma-joined query values
            _, _, pattern = str(event.get("routeKey", "")).partition(" ")
            http = context.get("http")
            method = (http.get("method") if isinstance(http, dict) else None) or _arn_method(
                method_arn
            )
            path, raw_path = pattern or event.get("rawPath"), event.get("rawPath")
            single = _mapping(event, "queryStringParameters")
            query = MultiDict({k: v.split(",") for k, v in single.items()}) if single else None
        else:
            method = event.get("httpMethod") or _arn_method(method_arn)
            path, raw_path = event.get("resource"), event.get("path")
            query = _query_params(event)
        return cls(
            "REQUEST",
            headers.get(header),
            method_arn,
            headers=headers,
            query_params=query,
            path_params=_mapping(event, "pathParameters"),
            stage_vars=_mapping(event, "stageVariables"),
            context=context,
            method=method,
            path=path,
            raw_path=raw_path,
            event=event,
        )

    def to_original_event(self) -> dict[str, Any]:
        return self._event

    def __repr__(self) -> str:
        return f"AuthRequest({self.auth_type!r}, method_arn={self.method_arn!r})"


# -- identity sources ----------------------------------------------------------------------

_SOURCE_PREFIXES = (
    "method.request.header.",
    "method.request.querystring.",
    "context.",
    "stageVariables.",
)
_SHORT_SOURCES = {"header.": "method.request.header.", "query.": "method.request.querystring."}


def normalize_identity_source(source: object) -> str:
    """An identity source in AWS's spelling; 'header.X' and 'query.X' are accepted too.

    Errors name the source as it was written.
    """
    if not isinstance(source, str):
        raise RegistrationError(f"identity source {source!r} is not a string")
    full = source
    for short, prefix in _SHORT_SOURCES.items():
        if source.startswith(short):
            full = prefix + source[len(short) :]
            break
    if full.startswith("method.request.path."):
        # AWS: path parameters reach a REQUEST authorizer but cannot be identity sources.
        raise RegistrationError(
            f"identity source {source!r}: path parameters cannot be identity sources"
        )
    if any(full.startswith(p) and len(full) > len(p) for p in _SOURCE_PREFIXES):
        return full
    raise RegistrationError(
        f"identity source {source!r} is not one of method.request.header.NAME, "
        "method.request.querystring.NAME, context.NAME, stageVariables.NAME "
        "(or the short forms header.NAME, query.NAME)"
    )


# -- argument checks shared by every authorizer ---------------------------------------------


def _name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise RegistrationError(f"{kind} name must be a non-empty string, not {name!r}")
    return name


def _header(kind: str, name: str, header: object) -> str:
    if not isinstance(header, str) or not header.strip():
        raise RegistrationError(f"{kind} {name!r}: header must be a header name, not {header!r}")
    return header


def _ttl(kind: str, name: str, ttl_seconds: object) -> int:
    if (
        not isinstance(ttl_seconds, int)
        or isinstance(ttl_seconds, bool)
        or not 0 <= ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise RegistrationError(
            f"{kind} {name!r}: ttl_seconds must be a whole number from 0 to "
            f"{MAX_TTL_SECONDS}, not {ttl_seconds!r}"
        )
    return ttl_seconds


def _strings(kind: str, name: str, field: str, values: object) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise RegistrationError(f"{kind} {name!r}: {field} must be a list of strings")
    result = list(values)
    for value in result:
        if not isinstance(value, str) or not value:
            raise RegistrationError(f"{kind} {name!r}: {field} holds {value!r}, not a string")
    return result


def _optional_arn(
    kind: str, name: str, field: str, value: object, problems: list[str]
) -> str | None:
    """A role ARN or None; a string that is no ARN is a deploy problem (Chalice takes it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RegistrationError(f"{kind} {name!r}: {field} must be an ARN, not {value!r}")
    if not value.startswith("arn:"):
        problems.append(f"{kind} {name!r}: {field} {value!r} is not an ARN, which IAM needs")
    return value


def _user_pool_issuer(arn: str) -> str | None:
    """https://cognito-idp.REGION.amazonaws.com/POOL_ID for a user pool ARN, else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[5].startswith("userpool/"):
        return None
    return f"https://cognito-idp.{parts[3]}.amazonaws.com/{parts[5][len('userpool/') :]}"


_Scoped = TypeVar("_Scoped", bound="_ScopedAuthorizer")


class _ScopedAuthorizer:
    """An authorizer a route can use with its own OAuth scopes (`with_scopes`).

    `deploy_problems` names what Chalice accepts here but API Gateway would refuse (a
    placeholder ARN in a test): `package` stops on them, `local` warns.
    """

    name: str
    scopes: list[str] | None
    deploy_problems: tuple[str, ...] = ()

    def with_scopes(self: _Scoped, scopes: Iterable[str]) -> _Scoped:
        """A copy of this authorizer requiring `scopes` on the route that uses it."""
        checked = _strings(type(self).__name__, self.name, "scopes", scopes)
        clone = copy.copy(self)
        clone.scopes = checked
        return clone


# -- the Lambda authorizer function ----------------------------------------------------------


class ChaliceAuthorizer(_ScopedAuthorizer):
    """A Lambda authorizer built from a function taking an AuthRequest.

    Calling it with `(event, context)` is the Lambda handler: the function's
    AuthResponse becomes the policy document; a dict it returns is passed through
    (an HTTP API simple response, `{"isAuthorized": True}`, for one).
    """

    def __init__(
        self,
        name: str,
        func: Callable[[AuthRequest], AuthResponse | dict[str, Any]],
        ttl_seconds: int = 300,
        execution_role: str | None = None,
        header: str = "Authorization",
        authorizer_type: str | AuthorizerType = AuthorizerType.TOKEN,
        identity_sources: Iterable[str] | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        kind = "authorizer"
        self.name = _name(kind, name)
        if not callable(func):
            raise RegistrationError(f"authorizer {name!r}: {func!r} is not callable")
        self.func = func
        self.ttl_seconds = _ttl(kind, name, ttl_seconds)
        problems: list[str] = []
        self.execution_role = _optional_arn(kind, name, "execution_role", execution_role, problems)
        self.deploy_problems = tuple(problems)
        self.header = _header(kind, name, header)
        self._observer: Any = None  # set when tracing or metrics are on (_observe)
        try:
            self.authorizer_type = AuthorizerType(
                authorizer_type.upper() if isinstance(authorizer_type, str) else authorizer_type
            )
        except ValueError:
            raise RegistrationError(
                f"authorizer {name!r}: authorizer_type must be 'TOKEN' or 'REQUEST', "
                f"not {authorizer_type!r}"
            ) from None
        sources = _strings(kind, name, "identity_sources", identity_sources)
        if sources is not None and self.authorizer_type is AuthorizerType.TOKEN:
            raise RegistrationError(
                f"authorizer {name!r}: identity_sources need authorizer_type='REQUEST' "
                "(a TOKEN authorizer reads only its header)"
            )
        if sources is not None and not sources:
            raise RegistrationError(f"authorizer {name!r}: identity_sources is empty")
        self.identity_sources: list[str] = (
            [normalize_identity_source(s) for s in sources]
            if sources is not None
            else [f"method.request.header.{self.header}"]
        )
        self.scopes = _strings(kind, name, "scopes", scopes)

    @property
    def handler_string(self) -> str:
        """The handler Chalice records for the function: app.<function name>."""
        return f"app.{getattr(self.func, '__name__', self.name)}"

    @property
    def identity_source(self) -> str:
        """The IdentitySource API Gateway's configuration takes: sources, comma-separated."""
        return ", ".join(self.identity_sources)

    def observe_with(self, observer: Any) -> None:
        """Run each call through `observer.run(name, "authorizer", call, event, context)`."""
        self._observer = observer

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        observer = self._observer
        if observer is not None:
            result: dict[str, Any] | None = observer.run(
                self.name, "authorizer", self._handle, event, context
            )
            return result
        return self._handle(event, context)

    def _handle(self, event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        request = AuthRequest.from_event(event, self.header)
        result = self.func(request)
        if isinstance(result, AuthResponse):
            return result.to_dict(request)
        if isinstance(result, dict):
            return result
        if result is None:
            # Chalice hands None on, and API Gateway answers 500 "Internal server error"
            # (AuthorizerConfigurationException) without saying why: say it here.
            _log.error(
                "authorizer %r returned None; return an AuthResponse or a dict. API Gateway "
                "answers 500 Internal server error (AuthorizerConfigurationException)",
                self.name,
            )
            return None
        raise InvalidResponseError(
            f"authorizer {self.name!r} returned {type(result).__name__}; "
            "return an AuthResponse or a dict"
        )

    def __repr__(self) -> str:
        return f"ChaliceAuthorizer({self.name!r}, type={self.authorizer_type.value})"


# -- built-in authorizers: configuration only ---------------------------------------------------


class CognitoUserPoolAuthorizer(_ScopedAuthorizer):
    """API Gateway checks a Cognito user pool token from `header`."""

    def __init__(
        self,
        name: str,
        provider_arns: Iterable[str],
        header: str = "Authorization",
        scopes: Iterable[str] | None = None,
    ) -> None:
        kind = "CognitoUserPoolAuthorizer"
        self.name = _name(kind, name)
        arns = _strings(kind, name, "provider_arns", provider_arns)
        if not arns:
            raise RegistrationError(f"{kind} {name!r}: provider_arns needs at least one ARN")
        # Chalice takes any string (tests use placeholders); API Gateway only pool ARNs.
        self.deploy_problems = tuple(
            f"{kind} {name!r}: {arn!r} is not a user pool ARN "
            "(arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID), which API Gateway needs"
            for arn in arns
            if _user_pool_issuer(arn) is None
        )
        self.provider_arns = arns
        self.header = _header(kind, name, header)
        self.scopes = _strings(kind, name, "scopes", scopes)

    @property
    def issuers(self) -> list[str]:
        """The `iss` claim of each pool's tokens: https://cognito-idp.REGION.amazonaws.com/ID.

        A placeholder that is no pool ARN has none (it is in `deploy_problems`).
        """
        issuers = (_user_pool_issuer(arn) for arn in self.provider_arns)
        return [issuer for issuer in issuers if issuer is not None]

    def to_swagger(self) -> dict[str, Any]:
        """The OpenAPI security scheme API Gateway reads for this authorizer, as Chalice's."""
        scheme = _api_key_scheme(self.header, "cognito_user_pools")
        scheme["x-amazon-apigateway-authorizer"] = {
            "type": "cognito_user_pools",
            "providerARNs": list(self.provider_arns),
        }
        return scheme


class IAMAuthorizer(_ScopedAuthorizer):
    """API Gateway checks the caller's SigV4 signature and IAM permissions."""

    def __init__(self) -> None:
        self.name = "sigv4"
        self.scopes = None

    def to_swagger(self) -> dict[str, Any]:
        """The OpenAPI security scheme API Gateway reads for SigV4, as Chalice's."""
        return _api_key_scheme("Authorization", "awsSigv4")


class CustomAuthorizer(_ScopedAuthorizer):
    """An existing Lambda authorizer, named by its API Gateway invocation URI."""

    def __init__(
        self,
        name: str,
        authorizer_uri: str,
        ttl_seconds: int = 300,
        header: str = "Authorization",
        invoke_role_arn: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        kind = "CustomAuthorizer"
        self.name = _name(kind, name)
        if not isinstance(authorizer_uri, str) or not authorizer_uri:
            raise RegistrationError(
                f"{kind} {name!r}: authorizer_uri must be a non-empty string, "
                f"not {authorizer_uri!r}"
            )
        problems: list[str] = []
        # arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations;
        # Chalice takes any string (tests use placeholders), API Gateway only that.
        if not (
            authorizer_uri.startswith("arn:")
            and ":apigateway:" in authorizer_uri
            and authorizer_uri.endswith("/invocations")
        ):
            problems.append(
                f"{kind} {name!r}: authorizer_uri {authorizer_uri!r} is not an API Gateway "
                "invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/"
                "ARN/invocations), which API Gateway needs"
            )
        self.authorizer_uri = authorizer_uri
        self.ttl_seconds = _ttl(kind, name, ttl_seconds)
        self.header = _header(kind, name, header)
        self.invoke_role_arn = _optional_arn(
            kind, name, "invoke_role_arn", invoke_role_arn, problems
        )
        self.deploy_problems = tuple(problems)
        self.scopes = _strings(kind, name, "scopes", scopes)

    def to_swagger(self) -> dict[str, Any]:
        """The OpenAPI security scheme API Gateway reads for this authorizer, as Chalice's."""
        authorizer: dict[str, Any] = {
            "type": "token",
            "authorizerUri": self.authorizer_uri,
            "authorizerResultTtlInSeconds": self.ttl_seconds,
        }
        if self.invoke_role_arn is not None:
            authorizer["authorizerCredentials"] = self.invoke_role_arn
        scheme = _api_key_scheme(self.header, "custom")
        scheme["x-amazon-apigateway-authorizer"] = authorizer
        return scheme


def _api_key_scheme(header: str, auth_type: str) -> dict[str, Any]:
    # API Gateway's OpenAPI extensions describe every authorizer as an apiKey scheme
    # read from a header, its kind in x-amazon-apigateway-authtype.
    return {
        "in": "header",
        "type": "apiKey",
        "name": header,
        "x-amazon-apigateway-authtype": auth_type,
    }


_JWT_SOURCE_PREFIXES = (
    "$request.header.",
    "$request.querystring.",
    "$context.",
    "$stageVariables.",
)


class JWTAuthorizer(_ScopedAuthorizer):
    """An HTTP API JWT authorizer: API Gateway validates the token against an issuer."""

    def __init__(
        self,
        name: str,
        issuer: str,
        audience: str | Iterable[str],
        scopes: Iterable[str] | None = None,
        identity_source: str = "$request.header.Authorization",
    ) -> None:
        kind = "JWTAuthorizer"
        self.name = _name(kind, name)
        if not (isinstance(issuer, str) and issuer.startswith("https://") and len(issuer) > 8):
            raise RegistrationError(
                f"{kind} {name!r}: issuer must be an https:// URL, not {issuer!r}"
            )
        self.issuer = issuer
        audiences = _strings(
            kind, name, "audience", [audience] if isinstance(audience, str) else audience
        )
        if not audiences:
            raise RegistrationError(f"{kind} {name!r}: audience needs at least one value")
        self.audience = audiences
        if not (
            isinstance(identity_source, str)
            and any(
                identity_source.startswith(p) and len(identity_source) > len(p)
                for p in _JWT_SOURCE_PREFIXES
            )
        ):
            raise RegistrationError(
                f"{kind} {name!r}: identity_source {identity_source!r} is not one of "
                "$request.header.NAME, $request.querystring.NAME, $context.NAME, "
                "$stageVariables.NAME"
            )
        self.identity_source = identity_source
        self.scopes = _strings(kind, name, "scopes", scopes)
