"""The app object: holds the registrations and is itself the handler.

`Chalice(...)` keeps the route table and middleware, exposes the request being
served (`current_request`, per request via contextvars, so concurrent requests in
threads or tasks never see each other's; after a Lambda call, the last one), and
is callable both as an ASGI app (`app(scope, receive, send)`) and as a Lambda
handler (`app(event, context)`). Tracing, JSON logs and metrics (`_observe`) are
loaded only when turned on (or `app.tracer` / `app.metrics` is used): then each
Lambda invocation runs through an `Observer`; otherwise the handlers run as they are.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence

from ._core import _context
from ._core._cors import CORSConfig, resolve_cors
from ._core._errors import RegistrationError
from ._core._middleware import EventType, MiddlewareStack
from ._core._response import DEFAULT_BINARY_TYPES, Response
from ._core._route_options import check_same_cors, checked_content_types, checked_methods
from ._core._routing import (
    RouteEntry,
    RouteTable,
    SegmentKind,
    check_view_signature,
    inspect_target,
    parse_path,
)
from ._registry import ROUTE_OPTIONS, Blueprint, DecoratorAPI, check_options

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names

__all__ = ["APIGateway", "Chalice"]

if TYPE_CHECKING:
    from typing import Any

    # The HTTP pipeline is imported when the first request arrives: a function that only
    # handles events never loads it.
    from ._core._pipeline import HttpPipeline
    from ._core._request import Request
    from ._core._types import ASGIApp
    from ._events._event_sources import EventHandler, EventSource
    from ._events._websockets import WebsocketAPI
    from ._observe._invocation import Observer
    from ._observe._metrics import Metrics
    from ._observe._tracing import NoOpTracer, XRayTracer


_ABSENT: Any = object()  # an argument not given to app(...)


def _tracing_requested() -> bool:
    # The contract with the packager and `chalicelike local`: config `xray: true`.
    return os.environ.get("CHALICELIKE_XRAY", "").lower() == "true"


def _json_logs_requested() -> bool:
    # Lambda's advanced logging controls (LoggingConfig LogFormat), or `local`'s log_format.
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


class APIGateway:
    """API-wide HTTP settings: binary media types and the default CORS setting."""

    _DEFAULT_BINARY_TYPES = DEFAULT_BINARY_TYPES

    def __init__(self, on_cors_change: Callable[[], None] | None = None) -> None:
        self.binary_types: list[str] = self.default_binary_types
        self._cors: bool | CORSConfig = False
        self._on_cors_change = on_cors_change
        self._validation_error_status = 422

    @property
    def validation_error_status(self) -> int:
        """The status of a request refused by a view's declared types: 422 (FastAPI's and
        Powertools'), or 400 for clients that expect Chalice's BadRequestError."""
        return self._validation_error_status

    @validation_error_status.setter
    def validation_error_status(self, value: int) -> None:
        if value not in (400, 422):
            raise RegistrationError(f"validation_error_status must be 400 or 422, not {value!r}")
        self._validation_error_status = value

    @property
    def default_binary_types(self) -> list[str]:
        return list(self._DEFAULT_BINARY_TYPES)

    @property
    def cors(self) -> bool | CORSConfig:
        return self._cors

    @cors.setter
    def cors(self, value: bool | CORSConfig) -> None:
        resolve_cors(value, False)  # raises a RegistrationError for a wrong type
        previous, self._cors = self._cors, value
        if self._on_cors_change is not None:
            try:
                self._on_cors_change()
            except RegistrationError:
                self._cors = previous  # refused: leave every route as it was
                raise


class Chalice(DecoratorAPI):
    """A Chalice-compatible app: `app = Chalice(app_name="shop")`."""

    FORMAT_STRING = "%(name)s - %(levelname)s - %(message)s"

    def __init__(
        self,
        app_name: str,
        debug: bool = False,
        configure_logs: bool = True,
        env: MutableMapping[str, str] | None = None,
    ) -> None:
        if not isinstance(app_name, str) or not app_name:
            raise RegistrationError(f"app_name must be a non-empty string, not {app_name!r}")
        self.app_name = app_name
        self.api = APIGateway(on_cors_change=self._apply_api_cors)
        self.log = logging.getLogger(app_name)
        self.configure_logs = configure_logs
        self.env: MutableMapping[str, str] = os.environ if env is None else env
        self._debug = debug
        # Chalice's opt-in flags (e.g. "WEBSOCKETS", "BLUEPRINTS"): chalicelike needs none,
        # as every feature is on, but apps set them and the packager may read them.
        self.experimental_feature_flags: set[str] = set()
        self._route_table = RouteTable()
        self._cors_given: dict[RouteEntry, object] = {}  # the cors= each route was given
        # Built here once and handed to the pipeline and each event source.
        self.middleware_stack = MiddlewareStack()
        self._mounts: list[tuple[str, Any]] = []
        self._event_handlers: dict[str, EventHandler] = {}
        self._websocket_api: WebsocketAPI | None = None
        self._authorizers: dict[str, Any] = {}
        self._workflows: dict[str, Any] = {}  # name -> _workflows._declaration.WorkflowDeclaration
        self._pipeline: HttpPipeline | None = None
        self._asgi: Any = None
        self._lambda_http: Any = None
        # The last Lambda call's, set by the Lambda door (`_doors/_lambda_http`) after it.
        self._last_request: Request | None = None
        self._last_lambda_context: Any = None
        # Observability, imported only when on: the Observer runs each invocation.
        self._observer: Observer | None = None
        self._tracer: XRayTracer | None = None
        self._metrics: Metrics | None = None
        # True while app.metrics holds the puts of the call during which it was first used
        # (that call started unobserved): the pipeline and event handlers release them.
        self._metrics_held = False
        # ASGI servers tell ASGI 3 from ASGI 2 by asking whether `app.__call__` is a
        # coroutine function. Ours is not, since Lambda calls the same object
        # synchronously, so the instance answers that question with a coroutine
        # function; calls still go through the class's __call__.
        self.__dict__["__call__"] = self._asgi_entry
        if configure_logs:
            self._configure_logging()
        if _tracing_requested() or _json_logs_requested():
            self._start_observing(tracing=_tracing_requested())

    # -- state of the request being served ----------------------------------------

    # Outside a request, the last request a Lambda call or the test client served on
    # this app (Chalice keeps it on the app too, and users' tests read it after a call).

    @property
    def current_request(self) -> Request | None:
        request: Request | None = _context.current_request.get()
        return self._last_request if request is None else request

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        _context.current_request.set(request)
        self._last_request = request

    @property
    def lambda_context(self) -> Any:
        context = _context.current_lambda_context()
        return self._last_lambda_context if context is None else context

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        # Scoped as the value it replaces: the request's while one is served, an event
        # handler's while it runs (reset after it), else the app's own. Never the ContextVar
        # at top level: every later request in this thread would read it.
        request = _context.current_request.get()
        if request is not None:
            request.lambda_context = context
        elif _context.lambda_context.get() is not None:
            _context.lambda_context.set(context)
        self._last_lambda_context = context

    @property
    def routes(self) -> dict[str, dict[str, RouteEntry]]:
        return self._route_table.routes

    @property
    def route_table(self) -> RouteTable:
        return self._route_table

    # -- logging -----------------------------------------------------------------------

    @property
    def debug(self) -> bool:
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = value
        self._configure_log_level()

    def _configure_logging(self) -> None:
        # Lambda timestamps each line itself, so the format carries none. Loggers are
        # shared by name: a second app of the same name (a test, a reload) reuses the
        # handler but still gets the level its own `debug` asks for.
        handler = next(
            (
                h
                for h in self.log.handlers
                if isinstance(h, logging.StreamHandler) and h.stream is sys.stdout
            ),
            None,
        )
        if handler is None:
            handler = logging.StreamHandler(sys.stdout)
            self.log.propagate = False
            self.log.addHandler(handler)
        handler.setLevel(logging.NOTSET)
        if _json_logs_requested():
            from ._observe._json_logs import JsonFormatter

            handler.setFormatter(JsonFormatter())
            # Lambda drops a JSON line below the application log level whatever the
            # logger's own level (an app's setLevel(DEBUG) included): so does the handler.
            handler.setLevel(self._lambda_log_level(quiet=True) or logging.NOTSET)
        elif handler.formatter is None or type(handler.formatter).__name__ == "JsonFormatter":
            handler.setFormatter(logging.Formatter(self.FORMAT_STRING))
        self._configure_log_level()

    def _lambda_log_level(self, quiet: bool = False) -> int | None:
        """AWS_LAMBDA_LOG_LEVEL as a logging level; None when unset or unknown (logged
        unless `quiet`: the app log's own level is set next, and says it once)."""
        if not os.environ.get("AWS_LAMBDA_LOG_LEVEL"):
            return None
        from ._observe._json_logs import lambda_log_level

        try:
            return lambda_log_level()
        except ValueError as error:
            if not quiet:
                self.log.error("%s; the app log keeps its own level", error)
            return None

    def _configure_log_level(self) -> None:
        if not self.configure_logs:
            return
        # Lambda's application log level (LoggingConfig) drops lower lines anyway: it is
        # the app log's level, whatever `debug` says.
        level = self._lambda_log_level() or (logging.DEBUG if self._debug else logging.ERROR)
        self.log.setLevel(level)

    # -- observability (tracing, metrics) -----------------------------------------------

    @property
    def tracer(self) -> XRayTracer | NoOpTracer:
        """X-Ray subsegments for your code: `with app.tracer.subsegment("pricing") as sub:`
        and `@app.tracer.capture`; no-ops that cost nothing when tracing is off."""
        if self._tracer is not None:
            return self._tracer
        from ._observe._tracing import NO_OP_TRACER

        return NO_OP_TRACER

    @property
    def metrics(self) -> Metrics:
        """CloudWatch metrics in Embedded Metric Format: `app.metrics.put("Orders", 1)`,
        written when the invocation ends; the namespace is the app's name by default."""
        if self._metrics is None:
            from ._observe._metrics import Metrics

            self._metrics = Metrics(self.app_name)
            if self._observer is None:
                # From the next invocation on, each one flushes its metrics as it ends.
                self._start_observing(tracing=False)
                if _context.current_request.get() is not None or (
                    _context.lambda_context.get() is not None
                ):
                    # First used inside a call that began unobserved: its puts are held
                    # and written once as it ends, like every later call's.
                    self._metrics.hold()
                    self._metrics_held = True
        return self._metrics

    def _release_held_metrics(self) -> None:
        """Write the held puts of the call that first used app.metrics, as it ends."""
        self._metrics_held = False
        if self._metrics is not None:
            self._metrics.release()

    def _start_observing(self, tracing: bool) -> None:
        from ._observe._invocation import Observer

        if tracing:
            from ._observe._tracing import load_tracer

            self._tracer = load_tracer(self.log)
            # Middleware and views as subsegments: the chains rebuild with the tracer.
            self.middleware_stack.set_instrument(self._tracer)
        self._observer = Observer(self._tracer)
        self._lambda_http = None  # rebuilt, observed, on the next call
        for handler in self._event_handlers.values():
            handler.observe_with(self._observer)
        for authorizer in self._authorizers.values():
            authorizer.observe_with(self._observer)

    # -- registration --------------------------------------------------------------

    def add_route(
        self,
        path: str,
        view_function: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        authorizer: Any = None,
        api_key_required: bool | None = None,
        content_types: Sequence[str] | None = None,
        cors: bool | CORSConfig | None = None,
        workflow: str | None = None,
        validate_response: bool = True,
        **unknown: Any,
    ) -> None:
        check_options("add_route", unknown, ROUTE_OPTIONS)
        view_name: str = name or str(getattr(view_function, "__name__", repr(view_function)))
        method_list = checked_methods(methods, view_name)
        type_list = checked_content_types(content_types, view_name)
        contract = None
        if workflow is None:
            contract = _contract_of(view_function, path, view_name, validate_response)
            _check_body_type(contract, type_list, view_name)
        if contract is None:  # with one, the contract says what the view is called with
            check_view_signature(view_function, path, view_name)
        if workflow is not None:
            view_function = _starts_workflow(view_function, view_name, workflow)
        if authorizer is not None and not hasattr(authorizer, "with_scopes"):
            raise RegistrationError(
                f"In view {view_name!r}, authorizer must be an authorizer (@app.authorizer, "
                f"CognitoUserPoolAuthorizer, IAMAuthorizer, CustomAuthorizer, JWTAuthorizer), "
                f"not {authorizer!r}"
            )
        cors_config = resolve_cors(cors, self.api.cors)
        existing = self.routes.get(path, {})
        check_same_cors(path, [*existing.values()], cors_config, view_name)
        entries = [
            RouteEntry(
                view_function,
                view_name,
                path,
                method,
                api_key_required=api_key_required,
                content_types=type_list,
                cors=cors_config,
                authorizer=authorizer,
                workflow=workflow,
            )
            for method in method_list
        ]
        for entry in entries:
            entry.contract = contract
        self._route_table.add(*entries)
        for entry in entries:
            self._cors_given[entry] = cors

    def _apply_api_cors(self) -> None:
        # Chalice reads app.api.cors only for routes declared after it is set; here it
        # applies to every route that did not choose for itself, whenever it is set.
        inherited = resolve_cors(None, self.api.cors)
        for path, entries in self.routes.items():
            chosen = [e for e in entries.values() if self._cors_given.get(e) is not None]
            if any(self._cors_given.get(e) is None for e in entries.values()):
                check_same_cors(path, chosen, inherited, "app.api.cors")
        for entry, given in self._cors_given.items():
            if given is None:
                entry.cors = inherited

    def register_middleware(self, func: Callable[..., Any], event_type: str = "all") -> None:
        kind = EventType.parse(event_type)
        if not callable(func):
            raise RegistrationError(f"Middleware must be callable, not {func!r}")
        self.middleware_stack.add(kind, func)

    def mount(self, path: str, asgi_app: ASGIApp) -> None:
        """Serve another ASGI app (FastAPI, Starlette) under `path`, beside this app's routes.

        Requests whose path matches none of this app's routes and starts with `path`
        go to `asgi_app`, with `path` added to its ASGI root_path: under an ASGI
        server, on Lambda (through Mangum) and in the test client alike.
        """
        if not isinstance(path, str) or not path.startswith("/") or path == "/":
            raise RegistrationError(f"Mount path must start with '/' and not be '/': {path!r}")
        if path.endswith("/") or "{" in path or "}" in path:
            raise RegistrationError(
                f"Mount path must be a plain prefix without a trailing slash or parameters: "
                f"{path!r}"
            )
        if not callable(asgi_app):
            raise RegistrationError(f"mount() needs an ASGI application, not {asgi_app!r}")
        if any(prefix == path for prefix, _ in self._mounts):
            raise RegistrationError(f"Something is already mounted at {path!r}")
        self._mounts.append((path, asgi_app))
        self._mounts.sort(key=lambda mounted: len(mounted[0]), reverse=True)  # longest first

    @property
    def mounts(self) -> list[tuple[str, Any]]:
        """The mounted ASGI apps as (path, app), longest path first."""
        return list(self._mounts)

    def mounted_app(self, path: str) -> tuple[str, Any] | None:
        """The (prefix, app) mounted over a request path, if any."""
        for prefix, asgi_app in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix, asgi_app
        return None

    def register_blueprint(
        self, blueprint: Blueprint, name_prefix: str | None = None, url_prefix: str | None = None
    ) -> None:
        if not isinstance(blueprint, Blueprint):
            raise RegistrationError(f"register_blueprint expects a Blueprint, not {blueprint!r}")
        blueprint.register(self, name_prefix, url_prefix)

    def add_event_source(
        self,
        kind: EventType,
        func: Callable[..., Any],
        name: str | None,
        settings: dict[str, Any],
        per_record: bool = False,
    ) -> EventHandler:
        handler_name = getattr(func, "__name__", "")
        function_name = name or handler_name
        if not function_name:
            raise RegistrationError(f"{func!r} has no __name__: pass name=... to the decorator")
        if function_name in self._event_handlers:
            raise RegistrationError(
                f"Two event handlers are named {function_name!r}; Lambda function names must "
                "be unique within an app: pass name=... to one of them"
            )
        route_key = settings.get("route_key") if kind is EventType.WEBSOCKET else None
        if route_key is not None and any(
            other.source.settings.get("route_key") == route_key
            for other in self._event_handlers.values()
            if other.source.kind is EventType.WEBSOCKET
        ):
            raise RegistrationError(f"A websocket handler for {route_key!r} is already registered")
        # Here, not at the top: an app of routes alone never loads the event layer's handlers.
        from ._events._event_sources import EventHandler, EventSource, event_class_for

        source = EventSource(kind, function_name, handler_name, dict(settings), per_record)
        handler = EventHandler(self, func, event_class_for(kind), source)
        if self._observer is not None:
            handler.observe_with(self._observer)
        self._event_handlers[function_name] = handler
        return handler

    def add_workflow(self, declaration: Any) -> None:
        from ._workflows._declaration import check_workflow_name

        check_workflow_name(declaration.name)  # a blueprint's prefix may have broken it
        if declaration.name in self._workflows:
            raise RegistrationError(f"Two workflows are named {declaration.name!r}")
        self._workflows[declaration.name] = declaration

    @property
    def workflows(self) -> dict[str, Any]:
        """The declared workflows by name (read by the dev server, packager and test client)."""
        return dict(self._workflows)

    def add_authorizer(self, name: str, func: Callable[..., Any], options: dict[str, Any]) -> Any:
        from ._auth._authorizers import ChaliceAuthorizer

        if name in self._authorizers:
            raise RegistrationError(f"Two authorizers are named {name!r}: pass name=... to one")
        authorizer = ChaliceAuthorizer(name, func, **options)
        if self._observer is not None:
            authorizer.observe_with(self._observer)
        self._authorizers[name] = authorizer
        return authorizer

    @property
    def authorizers(self) -> dict[str, Any]:
        """The app's own Lambda authorizers by name (each also its own Lambda function)."""
        return dict(self._authorizers)

    @property
    def websocket_api(self) -> WebsocketAPI:
        """Sends to websocket connections (boto3, imported on the first send)."""
        if self._websocket_api is None:
            from ._events._websockets import WebsocketAPI

            self._websocket_api = WebsocketAPI(self.env)
        return self._websocket_api

    @websocket_api.setter
    def websocket_api(self, value: WebsocketAPI) -> None:
        self._websocket_api = value

    @property
    def event_sources(self) -> list[EventSource]:
        """The triggers' sources in registration order, as Chalice lists them: websocket
        handlers and pure functions are in `websocket_handlers` / `pure_lambda_functions`."""
        return [
            handler.source
            for handler in self._event_handlers.values()
            if handler.source.kind not in (EventType.WEBSOCKET, EventType.PURE_LAMBDA)
        ]

    @property
    def websocket_handlers(self) -> dict[str, EventSource]:
        """Websocket handlers' sources by route key ($connect, $default, $disconnect)."""
        return {
            handler.source.settings["route_key"]: handler.source
            for handler in self._event_handlers.values()
            if handler.source.kind is EventType.WEBSOCKET
        }

    @property
    def pure_lambda_functions(self) -> list[EventHandler]:
        """The `@app.lambda_function()` handlers, as Chalice lists them."""
        return [
            handler
            for handler in self._event_handlers.values()
            if handler.source.kind is EventType.PURE_LAMBDA
        ]

    @property
    def builtin_auth_handlers(self) -> list[Any]:
        """The app's own Lambda authorizers (`@app.authorizer()`), as Chalice lists them."""
        return list(self._authorizers.values())

    @property
    def handlers(self) -> dict[str, EventHandler]:
        """The event handlers by Lambda function name (the test client invokes these)."""
        return dict(self._event_handlers)

    # -- serving ---------------------------------------------------------------------

    @property
    def http_pipeline(self) -> HttpPipeline:
        """The pipeline for callers that run async views on their own thread's loop."""
        if self._pipeline is None:
            from ._core._pipeline import HttpPipeline

            self._pipeline = HttpPipeline(self, _run_on_thread_loop)
        return self._pipeline

    def _make_lambda_http(self) -> Callable[[Any, Any], Any]:
        from ._doors._lambda_http import LambdaHttpHandler

        handler = LambdaHttpHandler(self)
        if self._observer is None:
            return handler  # nothing on: Lambda calls the door itself
        return self._observer.http_handler(handler)

    async def _asgi_entry(self, scope: Any, receive: Any, send: Any) -> None:
        await self(scope, receive, send)

    def __call__(self, event: Any, context: Any = _ABSENT, send: Any = _ABSENT) -> Any:
        # Lambda calls app(event, context); users' tests also write app(event, context=ctx).
        # An ASGI server calls app(scope, receive, send).
        if send is _ABSENT and context is not _ABSENT:  # Lambda, the hot path, tested first
            handler = self._lambda_http
            if handler is None:
                handler = self._lambda_http = self._make_lambda_http()
            return handler(event, context)
        if send is not _ABSENT and context is not _ABSENT:
            if self._asgi is None:
                from ._doors._asgi import AsgiAdapter

                self._asgi = AsgiAdapter(self)
            return self._asgi(event, context, send)
        raise TypeError(
            f"{self.app_name!r} is called as app(scope, receive, send) by an ASGI server or "
            "app(event, context) by Lambda; it got no context"
        )


def _contract_of(
    view_function: Callable[..., Any], path: str, view_name: str, validate_response: bool
) -> Any:
    """The view's ViewContract, or None: a view without hints, or with only Chalice's plain
    ones (`name: str`, `-> dict`), never loads the contract machinery."""
    hints = getattr(inspect_target(view_function), "__annotations__", None)
    if not hints:
        return None
    from ._contracts._plain_hints import declares_nothing

    params = [s.text for s in parse_path(path) if s.kind is not SegmentKind.LITERAL]
    if declares_nothing(hints, params):
        return None
    from ._contracts._signature import contract_for

    return contract_for(view_function, params, view_name, validate_response=validate_response)


def _check_body_type(contract: Any, content_types: list[str], view_name: str) -> None:
    """A declared body is read as JSON: a route that takes no JSON could never fill it."""
    if contract is None or contract.body is None:
        return
    json_types = ("application/json", "application/*", "*/*")
    if any(t.lower() in json_types or t.lower().endswith("+json") for t in content_types):
        return
    raise RegistrationError(
        f"In view {view_name!r}, {contract.body.name!r} is read from a JSON body, but the route "
        f"takes {', '.join(content_types)}: add 'application/json' to content_types, or read "
        "the body yourself (app.current_request.raw_body)"
    )


def _run_on_thread_loop(coro: Any) -> Any:
    # Imported on the first async view only: a sync app's cold start never pays for it.
    from ._core._coroutines import run_coroutine

    return run_coroutine(coro)


def _starts_workflow(view: Callable[..., Any], view_name: str, workflow: str) -> Callable[..., Any]:
    """A route that starts `workflow`: API Gateway's StartExecution integration answers it on
    AWS (and `local` and the test client do the same), so the view is never called; served
    any other way (an ASGI server), it says so with a 501."""
    from ._workflows._declaration import check_workflow_name

    check_workflow_name(workflow)

    def starts_workflow(*_args: Any, **_kwargs: Any) -> Response:
        return Response(
            body={
                "Code": "NotImplemented",
                "Message": f"route {view_name!r} starts workflow {workflow!r} through API "
                "Gateway's StartExecution integration: deploy the app, or serve it with "
                "`chalicelike local`",
            },
            status_code=501,
        )

    starts_workflow.__wrapped__ = view  # type: ignore[attr-defined]
    starts_workflow.__name__ = getattr(view, "__name__", "starts_workflow")
    return starts_workflow
