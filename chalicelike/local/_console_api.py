"""The console's read-only JSON: the app's functions, the invocations, one trace, the picture.

Everything comes from the running server: the app's manifest (`ProjectState`), each
function's configuration (the local Lambda's `FunctionSpec`), the ring of invocations and
the trace store. Environment variables are listed by name only: their values (secrets,
often) never reach the browser.
"""

from __future__ import annotations

from typing import Any

from ._console_app_map import app_map, describe_source
from ._console_http import ConsoleError, Request, whole_number
from ._invocation import InvocationStatus
from ._worker import CONFIG_SWITCHES

__all__ = ["ConsoleReads", "current_manifest"]

DEFAULT_LIMIT = 100
STATUSES = frozenset(status.value for status in InvocationStatus)


async def current_manifest(server: Any) -> Any:
    """The app as last read; 503 naming the problem while it cannot be read."""
    from .._tooling._describe import AppLoadError

    try:
        return await server.state.current()
    except AppLoadError as error:
        raise ConsoleError(503, f"the app cannot be read: {error}") from None


class ConsoleReads:
    def __init__(self, server: Any) -> None:
        self.server = server

    async def functions(self, request: Request) -> dict[str, Any]:
        manifest = await current_manifest(self.server)
        stats = self.server.invocations.stats()
        functions = []
        for entry in manifest.functions:
            spec = self.server.local_lambda.find(entry.name)
            entry_stats = stats.get(entry.name)
            functions.append(
                {
                    "name": entry.name,
                    "deployed_name": spec.resource_name if spec is not None else None,
                    "handler": entry.handler,
                    "kind": entry.kind,
                    "source": describe_source(entry, manifest, self.server),
                    "config": function_config(spec),
                    "stats": (
                        entry_stats.to_json()
                        if entry_stats is not None
                        else {"invocations": 0, "errors": 0, "p50_ms": None, "p99_ms": None}
                    ),
                }
            )
        return {"app_name": manifest.app_name, "functions": functions}

    async def invocations(self, request: Request) -> dict[str, Any]:
        status = request.param("status")
        if status is not None and status not in STATUSES:
            raise ConsoleError(
                400, f"status must be one of {', '.join(sorted(STATUSES))}, not {status!r}"
            )
        limit = whole_number(request.param("limit", str(DEFAULT_LIMIT)) or "", "limit")
        if limit < 1:
            raise ConsoleError(400, f"limit must be a whole number from 1, not {limit}")
        records = self.server.invocations.newest(
            function=request.param("function") or None, status=status, limit=limit
        )
        return {"invocations": [record.to_json() for record in records]}

    async def invocation(self, request: Request) -> dict[str, Any]:
        record = self.server.invocations.get(request.params[0])
        if record is None:
            raise ConsoleError(
                404, f"no invocation {request.params[0]!r} (the console keeps the newest ones)"
            )
        answer: dict[str, Any] = record.to_json()
        return answer

    async def trace(self, request: Request) -> dict[str, Any]:
        trace_id = request.params[0]
        segments = self.server.traces.trace(trace_id)
        if segments is None:
            raise ConsoleError(
                404, f"no trace {trace_id!r} (the console keeps the newest traces only)"
            )
        return {"trace_id": trace_id, "segments": segments}

    async def app_map(self, request: Request) -> dict[str, Any]:
        manifest = await current_manifest(self.server)
        return app_map(manifest, self.server)


def function_config(spec: Any) -> dict[str, Any] | None:
    """What Lambda's configuration says of a function; env var names, never their values."""
    if spec is None:
        return None
    return {
        "timeout": spec.timeout,
        "memory_size": spec.memory_size,
        "reserved_concurrency": spec.reserved_concurrency,
        # The user's variables: not the switches Lambda's own settings become here
        # (xray, log_format, log_level), which AWS shows as settings, not variables.
        "environment": sorted(set(spec.environment) - set(CONFIG_SWITCHES)),
    }
