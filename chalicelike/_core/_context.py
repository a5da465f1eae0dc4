"""Per-request state (the request and Lambda context being served), kept in contextvars.

Chalice keeps these on the app object, so a threaded server mixes up concurrent
requests; a ContextVar gives every thread and every asyncio task its own value.
"""

from __future__ import annotations

from contextvars import ContextVar

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["current_request", "lambda_context"]

current_request: ContextVar[Any] = ContextVar("chalicelike.current_request", default=None)
lambda_context: ContextVar[Any] = ContextVar("chalicelike.lambda_context", default=None)
