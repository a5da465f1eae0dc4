"""The decorators an app and a blueprint share, each a thin wrapper over an add_* method.

`DecoratorAPI.route(...)` checks its keyword arguments and calls `add_route`;
`Chalice` stores the route at once, `Blueprint` records the call and replays it
when the blueprint is registered. Registration is data: no names built from strings.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable

from ._core._errors import NotRegisteredError, RegistrationError, UnknownArgumentError
from ._events._event_decorators import EventDecorators

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names

if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ._app import Chalice
    from ._core._middleware import EventType
    from ._core._request import Request

__all__ = [
    "ROUTE_OPTIONS",
    "Blueprint",
    "BlueprintEventHandler",
    "DecoratorAPI",
    "check_options",
    "join_url",
]

if TYPE_CHECKING:
    F = TypeVar("F", bound=Callable[..., Any])

ROUTE_OPTIONS = frozenset(
    {
        "methods",
        "name",
        "authorizer",
        "api_key_required",
        "content_types",
        "cors",
        "workflow",
        "validate_response",
    }
)


def check_options(decorator: str, given: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise UnknownArgumentError(
            f"{decorator}() got unexpected keyword arguments: {', '.join(unknown)}; "
            f"it accepts {', '.join(sorted(allowed))}"
        )


class DecoratorAPI(EventDecorators):
    """Decorators for routes, middleware and events; subclasses implement the add_* methods."""

    def route(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        check_options("route", kwargs, ROUTE_OPTIONS)

        def register(view_function: F) -> F:
            self.add_route(path, view_function, **kwargs)
            return view_function

        return register

    def middleware(self, event_type: str = "all") -> Callable[[F], F]:
        def register(func: F) -> F:
            self.register_middleware(func, event_type)
            return func

        return register

    def add_route(self, path: str, view_function: Callable[..., Any], **options: Any) -> None:
        """Register a view; `options` are route()'s keyword arguments."""
        raise NotImplementedError

    def register_middleware(self, func: Callable[..., Any], event_type: str = "all") -> None:
        raise NotImplementedError

    def workflow(
        self,
        name: str,
        definition: Any,
        *,
        schedule: Any = None,
        event_pattern: dict[str, Any] | None = None,
    ) -> None:
        """Declare a Step Functions workflow: `definition` is Amazon States Language (a
        dict, a `chalicelike.workflows` builder, or a path to an .asl.json/.asl.yaml file in
        the project) whose Task states name the app's functions ("function:<name>").
        `schedule` (Rate, Cron) or `event_pattern` (EventBridge) start executions."""
        from ._workflows._declaration import WorkflowDeclaration, check_workflow_name

        if event_pattern is not None and not isinstance(event_pattern, dict):
            raise RegistrationError(f"workflow {name!r}: event_pattern must be a dict")
        self.add_workflow(
            WorkflowDeclaration(check_workflow_name(name), definition, schedule, event_pattern)
        )

    def add_workflow(self, declaration: Any) -> None:
        raise NotImplementedError


class Blueprint(DecoratorAPI):
    """A set of routes and middleware registered onto an app later, with optional prefixes."""

    def __init__(self, import_name: str) -> None:
        self._import_name = import_name
        self._deferred: list[Callable[[Any, str, str], None]] = []
        self._current_app: Chalice | None = None
        self._workflow_names: set[str] = set()

    @property
    def current_app(self) -> Chalice:
        if self._current_app is None:
            raise NotRegisteredError(
                f"Blueprint {self._import_name!r} has no app yet: call "
                "app.register_blueprint(...) before using current_app, current_request, "
                "lambda_context or log"
            )
        return self._current_app

    @property
    def current_request(self) -> Request | None:
        return self.current_app.current_request

    @property
    def lambda_context(self) -> Any:
        return self.current_app.lambda_context

    @property
    def log(self) -> logging.Logger:
        return self.current_app.log

    def add_route(
        self,
        path: str,
        view_function: Callable[..., Any],
        **kwargs: Any,
    ) -> None:
        check_options("route", kwargs, ROUTE_OPTIONS)
        if not isinstance(path, str) or not path.startswith("/"):
            raise RegistrationError(f"Route path must be a string starting with '/': {path!r}")

        def replay(app: Any, name_prefix: str, url_prefix: str) -> None:
            options = dict(kwargs)
            view_name = options.get("name") or getattr(view_function, "__name__", "")
            if not view_name:
                raise RegistrationError(
                    f"Route {path!r} in blueprint {self._import_name!r}: the view has no "
                    "__name__ (a functools.partial?); pass name=..."
                )
            options["name"] = name_prefix + view_name
            if options.get("workflow") in self._workflow_names:  # the blueprint's own
                options["workflow"] = name_prefix + options["workflow"]
            app.add_route(join_url(url_prefix, path), view_function, **options)

        self._deferred.append(replay)

    def register_middleware(self, func: Callable[..., Any], event_type: str = "all") -> None:
        self._deferred.append(lambda app, _n, _u: app.register_middleware(func, event_type))

    def add_event_source(
        self,
        kind: EventType,
        func: Callable[..., Any],
        name: str | None,
        settings: dict[str, Any],
        per_record: bool = False,
    ) -> BlueprintEventHandler:
        handler = BlueprintEventHandler(self._import_name, func)

        def replay(app: Any, name_prefix: str, _url_prefix: str) -> None:
            function_name = name_prefix + (name or func.__name__)
            handler.bind(app.add_event_source(kind, func, function_name, settings, per_record))

        self._deferred.append(replay)
        return handler

    def add_workflow(self, declaration: Any) -> None:
        import dataclasses

        self._workflow_names.add(declaration.name)

        def replay(app: Any, name_prefix: str, _url_prefix: str) -> None:
            named = name_prefix + declaration.name
            app.add_workflow(
                dataclasses.replace(declaration, name=named, function_prefix=name_prefix)
            )

        self._deferred.append(replay)

    def add_authorizer(self, name: str, func: Callable[..., Any], options: dict[str, Any]) -> Any:
        authorizer = _BlueprintAuthorizer(name, func, options)
        self._deferred.append(
            lambda app, prefix, _u: authorizer.bind(
                app.add_authorizer(prefix + name, func, options)
            )
        )
        return authorizer

    def register(self, app: Chalice, name_prefix: str | None, url_prefix: str | None) -> None:
        """Replay every recorded registration onto `app` (called by register_blueprint)."""
        # None and "" both mean "no prefix", as in Chalice.
        if url_prefix not in (None, "") and (
            not isinstance(url_prefix, str) or not url_prefix.startswith("/")
        ):
            raise RegistrationError(f"url_prefix must start with '/': {url_prefix!r}")
        self._current_app = app
        for replay in self._deferred:
            replay(app, name_prefix or "", url_prefix or "")


class _BlueprintAuthorizer:
    """A blueprint's authorizer: usable in its routes now; once the blueprint is registered
    it is the app's authorizer (with the name prefix), so routes and app agree."""

    def __init__(self, name: str, func: Callable[..., Any], options: dict[str, Any]) -> None:
        from ._auth._authorizers import ChaliceAuthorizer

        self._authorizer = ChaliceAuthorizer(name, func, **options)  # validates now

    def bind(self, authorizer: Any) -> None:
        self._authorizer = authorizer

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._authorizer, attribute)

    def __call__(self, event: Any, context: Any) -> Any:
        return self._authorizer(event, context)


class BlueprintEventHandler:
    """What a blueprint's event decorator returns: the app's handler once registered.

    On Lambda a blueprint function's handler is `chalicelib.<module>.<function>` (Chalice's
    handler string), so Lambda imports the blueprint's module, not app.py: nothing has
    registered the blueprint yet. The first call then imports the task's app.py, which
    registers it (so the app's middleware applies, as everywhere else).
    """

    def __init__(self, blueprint_name: str, func: Callable[..., Any]) -> None:
        self.func = func
        self._blueprint_name = blueprint_name
        self._handler: Callable[[Any, Any], Any] | None = None
        self.__name__ = getattr(func, "__name__", "handler")
        self.__doc__ = getattr(func, "__doc__", None)

    def bind(self, handler: Callable[[Any, Any], Any]) -> None:
        self._handler = handler

    def __call__(self, event: Any, context: Any) -> Any:
        handler = self._handler
        if handler is None:
            handler = self._handler_from_task_app()
        return handler(event, context)

    def _handler_from_task_app(self) -> Callable[[Any, Any], Any]:
        imported = _import_task_app()
        if self._handler is not None:
            return self._handler
        where = "app.py" if imported else "an app"
        raise NotRegisteredError(
            f"{self.__name__!r} belongs to blueprint {self._blueprint_name!r}, which is not "
            f"registered to {where} yet: call app.register_blueprint(...)"
            + (" in app.py (Lambda imports it to find the blueprint's app)" if imported else "")
        )


def _import_task_app() -> bool:
    """Import the Lambda task's app.py as module `app`, as Lambda's `app.app` handler does,
    unless it is imported already; True when the task has one. Importing it registers its
    blueprints."""
    root = os.environ.get("LAMBDA_TASK_ROOT")
    if not root or not os.path.isfile(os.path.join(root, "app.py")):
        return False
    if "app" not in sys.modules:
        if root not in sys.path:
            sys.path.insert(0, root)
        importlib.import_module("app")
    return True


def join_url(url_prefix: str, path: str) -> str:
    """'/api' + '/users' -> '/api/users'; '/api' + '/' -> '/api'."""
    if not url_prefix:
        return path
    prefix = url_prefix.rstrip("/")
    if path == "/":
        return prefix or "/"
    return prefix + path
