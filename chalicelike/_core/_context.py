"""Per-request state (the request and Lambda context being served), kept in contextvars.

Chalice keeps these on the app object, so a threaded server mixes up concurrent
requests; a ContextVar gives every thread and every asyncio task its own value.
"""

from __future__ import annotations

from contextvars import ContextVar

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["current_lambda_context", "current_request", "lambda_context"]

current_request: ContextVar[Any] = ContextVar("chalicelike.current_request", default=None)
lambda_context: ContextVar[Any] = ContextVar("chalicelike.lambda_context", default=None)


def current_lambda_context() -> Any:
    """The Lambda context being served: an event handler's (`lambda_context`), or the HTTP
    request's own (the pipeline sets only `current_request`: one ContextVar less per invoke)."""
    context = lambda_context.get()
    if context is None:
        context = getattr(current_request.get(), "lambda_context", None)
    return context
