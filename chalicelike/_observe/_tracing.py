"""X-Ray tracing for the app (`app.tracer`), through aws-xray-sdk, and its no-op twin.

On when CHALICELIKE_XRAY is "true" (the packager's templates and `chalicelike local`
set it from config `xray: true`). The SDK is imported only then: it patches botocore,
requests and httpx where installed, and `XRayTracer` opens the handler's subsegment
(from `Observer.run`), one per middleware and the view (as the chain's `Instrument`),
and the user's own. Off, `NO_OP_TRACER` answers the same calls doing nothing.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._core._errors import ChaliceViewError
from ._invocation import current_invocation

if TYPE_CHECKING:
    import logging

    from ._invocation import Invocation

    # A middleware chain's link and a middleware, as _core._middleware types them.
    Handler = Callable[[Any], Any]
    Middleware = Callable[[Any, Handler], Any]

__all__ = [
    "NO_OP_SUBSEGMENT",
    "NO_OP_TRACER",
    "NoOpSubsegment",
    "NoOpTracer",
    "XRayTracer",
    "load_tracer",
]

F = TypeVar("F", bound=Callable[..., Any])

XRAY_ENV = "CHALICELIKE_XRAY"  # "true" turns tracing on (read by the app)
# What the SDK patches, where the app can import it (boto3 is patched through botocore).
PATCHED_LIBRARIES = ("botocore", "requests", "httpx")
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect (~15 ms)
_patched: set[str] = set()  # patched once per process, as the SDK's patches are global


class NoOpSubsegment:
    """What `app.tracer.subsegment(...)` gives when tracing is off: every call does nothing."""

    __slots__ = ()

    def __enter__(self) -> NoOpSubsegment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any = None) -> None:
        return None


NO_OP_SUBSEGMENT = NoOpSubsegment()


class NoOpTracer:
    """`app.tracer` with tracing off: the decorator returns the function itself."""

    enabled = False

    def subsegment(self, name: str) -> NoOpSubsegment:
        return NO_OP_SUBSEGMENT

    @overload
    def capture(self, name: F) -> F: ...
    @overload
    def capture(self, name: str | None = None) -> Callable[[F], F]: ...
    def capture(self, name: Any = None) -> Any:
        if callable(name):  # @app.tracer.capture
            return name
        return _unchanged  # @app.tracer.capture("name")


def _unchanged(func: F) -> F:
    return func


NO_OP_TRACER = NoOpTracer()


class _Subsegment:
    """`with tracer.subsegment(name) as sub`: an X-Ray subsegment of the current invocation;
    an exception leaving the block is recorded on it and goes on."""

    __slots__ = ("_name", "_recorder", "_sub")

    def __init__(self, recorder: Any, name: str) -> None:
        self._recorder = recorder
        self._name = name
        self._sub: Any = None

    def __enter__(self) -> Any:
        invocation = current_invocation.get()
        if invocation is None or invocation.trace_id is None:
            return NO_OP_SUBSEGMENT  # no traced invocation (init, a thread of its own)
        self._sub = self._recorder.begin_subsegment(self._name)
        return NO_OP_SUBSEGMENT if self._sub is None else self._sub

    def __exit__(self, exc_type: Any, error: BaseException | None, tb: Any) -> None:
        sub, self._sub = self._sub, None
        if sub is None:
            return
        if isinstance(error, Exception):
            # A ChaliceViewError (raised by middleware, say) is an answer of its status.
            status = error.STATUS_CODE if isinstance(error, ChaliceViewError) else None
            _record(sub, error, self._recorder, status)
        self._recorder.end_subsegment()


class XRayTracer:
    """`app.tracer` with tracing on, over the SDK's global recorder."""

    enabled = True

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def subsegment(self, name: str) -> _Subsegment:
        if not isinstance(name, str) or not name:
            raise ValueError(f"A subsegment needs a non-empty name, not {name!r}")
        return _Subsegment(self._recorder, name)

    @overload
    def capture(self, name: F) -> F: ...
    @overload
    def capture(self, name: str | None = None) -> Callable[[F], F]: ...
    def capture(self, name: Any = None) -> Any:
        """`@app.tracer.capture` or `@app.tracer.capture("name")`: each call a subsegment."""
        if callable(name):
            return self._captured(name, getattr(name, "__name__", "function"))
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"capture() takes a subsegment name or nothing, not {name!r}")
        label: str | None = name
        return lambda func: self._captured(
            func, label or str(getattr(func, "__name__", "function"))
        )

    def _captured(self, func: F, name: str) -> F:
        code = getattr(func, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:

            @functools.wraps(func)
            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                with _Subsegment(self._recorder, name):
                    return await func(*args, **kwargs)

            return traced_async  # type: ignore[return-value]

        @functools.wraps(func)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with _Subsegment(self._recorder, name):
                return func(*args, **kwargs)

        return traced  # type: ignore[return-value]

    # -- the handler's subsegment (Observer.run) ----------------------------------------

    def run(
        self, invocation: Invocation, call: Callable[[Any, Any], Any], event: Any, context: Any
    ) -> Any:
        """`call(event, context)` inside a subsegment named after the function."""
        recorder = self._recorder
        sub = recorder.begin_subsegment(invocation.function)
        if sub is None:
            return call(event, context)
        sub.put_annotation("function", invocation.function)
        sub.put_annotation("cold_start", invocation.cold_start)
        if invocation.request_id:
            sub.put_annotation("request_id", invocation.request_id)
        if invocation.source != "http":
            sub.put_annotation("event_source", invocation.source)
        try:
            return call(event, context)
        except Exception as error:  # recorded, then Lambda sees it as the runtime would
            sub.add_exception(error, _stack(error, recorder))
            raise
        finally:
            if invocation.route is not None:  # known once the view was found
                sub.put_annotation("route", invocation.route)
            recorder.end_subsegment()

    # -- middleware and the view (the chain's Instrument) ---------------------------------

    def wrap(self, handler: Handler, middleware: Middleware | None) -> Handler:
        recorder = self._recorder
        if middleware is not None:
            name = f"middleware {getattr(middleware, '__name__', type(middleware).__name__)}"

            def traced_middleware(event: Any) -> Any:
                with _Subsegment(recorder, name):
                    return handler(event)

            return traced_middleware

        def traced_view(event: Any) -> Any:
            invocation = current_invocation.get()
            if invocation is None or invocation.trace_id is None:
                return handler(event)
            with _Subsegment(recorder, _view_name(event, invocation)):
                return handler(event)

        return traced_view

    def view_failed(self, error: BaseException, status: int) -> None:
        """Record an exception a view raised on its subsegment, with the status the
        pipeline answers: X-Ray marks a 4xx `error` (429 also `throttle`), a 5xx `fault`."""
        invocation = current_invocation.get()
        if invocation is None or invocation.trace_id is None:
            return
        sub = self._recorder.current_subsegment()
        if sub is not None:
            _record(sub, error, self._recorder, status)


def _view_name(event: Any, invocation: Invocation) -> str:
    """'view <name>' for a routed HTTP request (noting its route), else 'handler <function>'."""
    route = getattr(event, "_route", None)  # a Request carries the RouteMatch it was made for
    entry = getattr(route, "entry", None)
    if entry is None:
        return "view" if route is not None else f"handler {invocation.function}"
    # The app's own route, over what the event named (a '/{proxy+}' in front of the app).
    invocation.route = f"{entry.method} {entry.uri_pattern}"
    return f"view {entry.view_name}"


def _record(sub: Any, error: BaseException, recorder: Any, status: int | None) -> None:
    """The exception as the subsegment's cause, flagged as X-Ray reads the status it
    became: the SDK marks any exception a fault, right for a 5xx (or no status); a 4xx is
    the client's `error` instead (429 also `throttle`)."""
    sub.add_exception(error, _stack(error, recorder))
    if status is not None and 400 <= status < 500:
        sub.fault = False
        sub.add_error_flag()
        if status == 429:
            sub.add_throttle_flag()


def _stack(error: BaseException, recorder: Any) -> list[Any]:
    return traceback.extract_tb(error.__traceback__, limit=recorder.max_trace_back)


def load_tracer(log: logging.Logger) -> XRayTracer | None:
    """The tracer, with the SDK configured and libraries patched; None (and one log line
    naming the fix) when aws-xray-sdk is not installed: the app runs untraced."""
    try:
        from aws_xray_sdk.core import patch, xray_recorder
        from aws_xray_sdk.core.lambda_launcher import LambdaContext
    except ImportError:
        log.error(
            "%s is true but aws-xray-sdk is not installed, so tracing is off: install "
            "`pip install chalicelike[xray]` (or add aws-xray-sdk to requirements.txt)",
            XRAY_ENV,
        )
        return None
    # The SDK picks Lambda's context when LAMBDA_TASK_ROOT is set at its import; an app
    # that imported it earlier (or a test) gets it here. Lambda's context makes each
    # invocation's facade segment from _X_AMZN_TRACE_ID and streams every subsegment as
    # it closes (threshold 0, as the SDK does on Lambda).
    if not isinstance(xray_recorder.context, LambdaContext):
        xray_recorder.configure(context=LambdaContext())
    xray_recorder.streaming_threshold = 0
    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS")
    if address:  # read by the SDK at its import only: this process may have set it since
        xray_recorder.emitter.set_daemon_address(address)
    _patch_libraries(patch)
    return XRayTracer(xray_recorder)


def _patch_libraries(patch: Callable[..., Any]) -> None:
    from importlib.util import find_spec

    wanted = [name for name in PATCHED_LIBRARIES if name not in _patched and find_spec(name)]
    if wanted:
        patch(wanted)
        _patched.update(wanted)
