"""What an app declares, as plain data: its functions, routes, authorizers and event sources.

The dev server reads an app through this (built in a subprocess, so the user's code never
runs in the server and a syntax error cannot take it down); the packager turns the same
data into a template. `describe_app` builds it from a live app, `AppManifest.from_json`
reads it back, and `authorizer_from_spec` rebuilds an authorizer object API Gateway's
local stand-in can check requests with. Never imported on the Lambda path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._core._cors import cors_options
from ._workflows import WorkflowEntry

__all__ = [
    "API_FUNCTION",
    "AppManifest",
    "AuthorizerSpec",
    "FunctionEntry",
    "RouteSpec",
    "WorkflowEntry",
    "authorizer_from_spec",
    "deployed_name",
    "describe_app",
]

API_FUNCTION = "api_handler"  # Chalice's name for the function behind the REST API


def deployed_name(app_name: str, stage: str, function: str) -> str:
    """Chalice's deployed function names: '<app>-<stage>' for the API, '<app>-<stage>-<name>'."""
    if function == API_FUNCTION:
        return f"{app_name}-{stage}"
    return f"{app_name}-{stage}-{function}"


# The authorizer classes by the tag the manifest stores; their constructor arguments
# are the attributes of the same names.
_AUTHORIZER_OPTIONS: dict[str, tuple[str, ...]] = {
    "ChaliceAuthorizer": (
        "name",
        "ttl_seconds",
        "execution_role",
        "header",
        "authorizer_type",
        "identity_sources",
        "scopes",
    ),
    "CognitoUserPoolAuthorizer": ("name", "provider_arns", "header", "scopes"),
    "IAMAuthorizer": (),
    "CustomAuthorizer": (
        "name",
        "authorizer_uri",
        "ttl_seconds",
        "header",
        "invoke_role_arn",
        "scopes",
    ),
    "JWTAuthorizer": ("name", "issuer", "audience", "scopes", "identity_source"),
}


@dataclass(frozen=True)
class AuthorizerSpec:
    """A route's authorizer: its class, its constructor arguments and, for the app's own
    Lambda authorizers, the function that runs it."""

    kind: str  # a key of _AUTHORIZER_OPTIONS
    options: dict[str, Any]
    function: str | None = None


@dataclass(frozen=True)
class RouteSpec:
    """One method of one path, and what API Gateway must know about it."""

    path: str  # '/orders/{order_id}'; '/{proxy+}' for a hosted ASGI app
    method: str  # 'GET', ...; 'ANY' where the function routes every method itself
    view_name: str
    function: str = API_FUNCTION
    authorizer: AuthorizerSpec | None = None
    cors: dict[str, Any] | None = None  # CORSConfig's constructor arguments
    content_types: list[str] = field(default_factory=list)
    api_key_required: bool = False
    workflow: str | None = None  # started by API Gateway (StartExecution), no function
    # The view's declared contract as OpenAPI 3.1 objects (issue 16); empty without one.
    parameters: list[dict[str, Any]] = field(default_factory=list)  # Parameter Objects
    request_body: dict[str, Any] | None = None  # a Request Body Object
    responses: dict[str, Any] | None = None  # a Responses Object, by status


@dataclass(frozen=True)
class FunctionEntry:
    """One Lambda function: its name in the app, the handler Lambda calls, what runs it."""

    name: str
    handler: str  # 'app.app', 'app.ingest', 'chalicelib.jobs.sweep'
    kind: str  # 'api', 'authorizer', or an event source kind ('s3', 'sqs', 'schedule', ...)
    settings: dict[str, Any] = field(default_factory=dict)  # the event source's settings


@dataclass(frozen=True)
class AppManifest:
    app_name: str
    functions: list[FunctionEntry]
    routes: list[RouteSpec]
    binary_types: list[str]
    mounts: list[str] = field(default_factory=list)  # paths hosted ASGI apps are mounted at
    # What AWS would refuse that Chalice accepts at import (an empty bucket name, a
    # placeholder ARN), one message each: `package` stops on them, `local` warns.
    deploy_problems: list[str] = field(default_factory=list)
    workflows: list[WorkflowEntry] = field(default_factory=list)  # Step Functions machines
    # The named schemas the routes' contracts refer to ("#/components/schemas/<name>").
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def workflow(self, name: str) -> WorkflowEntry | None:
        return next((entry for entry in self.workflows if entry.name == name), None)

    def function(self, name: str) -> FunctionEntry | None:
        return next((entry for entry in self.functions if entry.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppManifest:
        routes = []
        for route in data["routes"]:
            auth = route.get("authorizer")
            routes.append(
                RouteSpec(**{**route, "authorizer": AuthorizerSpec(**auth) if auth else None})
            )
        return cls(
            app_name=data["app_name"],
            functions=[FunctionEntry(**entry) for entry in data["functions"]],
            routes=routes,
            binary_types=list(data["binary_types"]),
            mounts=list(data.get("mounts", [])),
            deploy_problems=list(data.get("deploy_problems", [])),
            workflows=[WorkflowEntry(**entry) for entry in data.get("workflows", [])],
            schemas=dict(data.get("schemas", {})),
        )


def describe_app(
    app: Any, module_name: str = "app", project_dir: Path | None = None
) -> AppManifest:
    """Read a live app (a Chalice app, or any handler `app.py` exposes as `app`); its
    workflows' files are read from `project_dir` (default: the current directory), and a
    workflow that is not valid raises WorkflowError naming every problem."""
    from .._app import Chalice
    from .._events._event_sources import deployment_problems
    from ._workflows import workflow_entries

    api_handler = f"{module_name}.app"
    if not isinstance(app, Chalice):
        # A hosted ASGI/WSGI app (asgi_handler): one function routing every request itself.
        routes = [RouteSpec(p, "ANY", "app") for p in ("/", "/{proxy+}")]
        return AppManifest("app", [FunctionEntry(API_FUNCTION, api_handler, "api")], routes, [])
    schemas: dict[str, dict[str, Any]] = {}  # the named types of the routes' contracts
    routes = [_route_spec(e, schemas, app.api) for ms in app.routes.values() for e in ms.values()]
    mounts = [path for path, _ in app.mounts]
    for path in mounts:
        prefix = path.rstrip("/")
        routes += [RouteSpec(p, "ANY", "mount") for p in (prefix or "/", f"{prefix}/{{proxy+}}")]
    functions = []
    if routes:
        functions.append(FunctionEntry(API_FUNCTION, api_handler, "api"))
    for name, authorizer in app.authorizers.items():
        functions.append(FunctionEntry(name, _handler_of(authorizer.func), "authorizer"))
    for name, handler in app.handlers.items():
        source = handler.source
        settings = _plain(source.settings)
        if source.kind.value == "websocket":
            name = _websocket_function_name(settings, name, functions)
        functions.append(
            FunctionEntry(name, _handler_of(handler.func), source.kind.value, settings)
        )
    names = [entry.name for entry in functions]
    workflows = workflow_entries(app, names, project_dir or Path.cwd())
    _check_workflow_routes(routes, workflows)
    return AppManifest(
        app.app_name,
        functions,
        routes,
        list(app.api.binary_types),
        mounts,
        deployment_problems(app),
        workflows,
        schemas,
    )


def _check_workflow_routes(routes: list[RouteSpec], workflows: list[WorkflowEntry]) -> None:
    from ._workflows import WorkflowError

    declared = {entry.name for entry in workflows}
    problems = [
        f"route {route.method} {route.path} starts workflow {route.workflow!r}, which the app "
        f"does not declare (workflows: {', '.join(sorted(declared)) or 'none'})"
        for route in routes
        if route.workflow is not None and route.workflow not in declared
    ]
    if problems:
        raise WorkflowError("\n".join(problems))


# Chalice names a websocket route's function after the route, whatever the handler is
# called: its config section (lambda_functions.websocket_connect), the deployed name
# (<app>-<stage>-websocket_connect) and the template's IDs (WebsocketConnect) all use it.
_WEBSOCKET_FUNCTIONS = {
    "$connect": "websocket_connect",
    "$default": "websocket_message",
    "$disconnect": "websocket_disconnect",
}


def _websocket_function_name(
    settings: Mapping[str, Any], name: str, functions: list[FunctionEntry]
) -> str:
    chalice_name = _WEBSOCKET_FUNCTIONS.get(str(settings.get("route_key")))
    taken = {entry.name for entry in functions}
    return chalice_name if chalice_name and chalice_name not in taken else name


def _route_spec(entry: Any, schemas: dict[str, dict[str, Any]], api: Any) -> RouteSpec:
    """The route as data; a view that declares types adds its OpenAPI parts (issue 16)."""
    contract = getattr(entry, "contract", None)
    parts: dict[str, Any] = {}
    if contract is not None:
        from ._contract_spec import contract_parts  # only apps with contracts load it

        status = getattr(api, "validation_error_status", 422)
        parts = vars(contract_parts(contract, schemas, status))
    cors = entry.cors
    return RouteSpec(
        path=entry.uri_pattern,
        method=entry.method,
        view_name=entry.view_name,
        authorizer=_authorizer_spec(entry.authorizer) if entry.authorizer is not None else None,
        cors=None if cors is None else cors_options(cors),
        content_types=list(entry.content_types),
        api_key_required=bool(entry.api_key_required),
        workflow=getattr(entry, "workflow", None),
        **parts,
    )


def _authorizer_spec(authorizer: Any) -> AuthorizerSpec:
    authorizer = getattr(authorizer, "_authorizer", authorizer)  # a blueprint's wrapper
    kind = type(authorizer).__name__
    options = {name: _plain(getattr(authorizer, name)) for name in _AUTHORIZER_OPTIONS[kind]}
    function = authorizer.name if kind == "ChaliceAuthorizer" else None
    return AuthorizerSpec(kind, options, function)


def authorizer_from_spec(spec: AuthorizerSpec) -> Any:
    """An authorizer object like the app's; a Lambda authorizer's function cannot run here
    (the local Lambda runs it), so its stand-in refuses to be called."""
    from .._auth import _authorizers

    cls = getattr(_authorizers, spec.kind)
    if spec.kind == "ChaliceAuthorizer":
        options = dict(spec.options)
        scopes = options.pop("scopes")
        if options["authorizer_type"] == "TOKEN":
            options.pop("identity_sources")
        authorizer = cls(func=_runs_in_a_worker, **options)
        return authorizer.with_scopes(scopes) if scopes is not None else authorizer
    return cls(**spec.options)


def _runs_in_a_worker(request: Any) -> Any:
    raise RuntimeError("a Lambda authorizer runs in its own function, not in the gateway")


def _handler_of(func: Any) -> str:
    """The handler string Lambda imports: where the decorated function's name is bound."""
    return f"{func.__module__}.{func.__name__}"


def _plain(value: Any) -> Any:
    """JSON-able settings: Rate/Cron become their expressions, enums their values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "to_string"):
        return value.to_string()
    if hasattr(value, "value"):
        return _plain(value.value)
    return str(value)
