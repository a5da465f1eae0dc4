"""`chalicelike local --in-process`: handlers run in the server's own process, so a debugger
attached to it stops at their breakpoints.

It keeps the LocalLambda contract and Lambda's system log lines (`_platform_logs`, in the
function's log format), but not the isolation: all
functions share one interpreter and one `os.environ`, a timeout is only reported (a thread
cannot be killed), memory is not limited and a crash takes the server down. A reload drops
the app's modules so the next invocation imports the new code.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from .._core._lambda_context import LambdaContext
from ._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    UnknownFunction,
    error_payload,
    find_spec,
)
from ._platform_logs import SystemLog
from ._recording import InvocationRecorder, begin_trace

__all__ = ["InProcessLambda"]


class InProcessLambda:
    def __init__(
        self,
        *,
        log_sink: Callable[[str], None] | None = None,
        recorder: InvocationRecorder | None = None,
    ) -> None:
        self.recorder = recorder
        self.xray_daemon: str | None = None  # the dev server's X-Ray daemon, HOST:PORT
        self._specs: dict[str, FunctionSpec] = {}
        self._handlers: dict[str, Any] = {}
        self._log_sink = log_sink or (lambda line: None)
        # One invocation at a time, the rest wait their turn: output capture and the
        # environment are process-wide (and a debugger stops the world anyway).
        self._turn = asyncio.Lock()

    def find(self, name: str) -> FunctionSpec | None:
        return find_spec(self._specs, name)

    def replace_functions(self, specs: Iterable[FunctionSpec]) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._handlers.clear()
        for module in [m for m in sys.modules if self._is_project_module(m)]:
            del sys.modules[module]

    def _is_project_module(self, name: str) -> bool:
        root = name.split(".", 1)[0]
        return root in ("app", "chalicelib")

    async def invoke(
        self,
        name: str,
        payload: bytes,
        *,
        client_context: str | None = None,
        request_id: str | None = None,
        trace_header: str | None = None,
        source: str = "invoke",
    ) -> InvocationResult:
        spec = self.find(name)
        if spec is None:
            raise UnknownFunction(name)
        request_id = request_id or str(uuid.uuid4())
        started_at = time.time()
        trace = begin_trace(trace_header)
        async with self._turn:
            result = await asyncio.to_thread(self._run, spec, payload, request_id, trace.header)
        if self.recorder is not None:
            self.recorder.finish(
                spec, payload, result, source=source, trace=trace, started_at=started_at
            )
        return result

    def _run(
        self, spec: FunctionSpec, payload: bytes, request_id: str, trace_header: str
    ) -> InvocationResult:
        lines: list[str] = []
        system = SystemLog(spec, request_id, lines.append, trace_header=trace_header)
        system.open()
        output = io.StringIO()
        cold = spec.name not in self._handlers
        if cold:
            system.init_started()
        started = time.perf_counter()
        init_ms = 0.0
        init_output = 0  # where the handler's output starts, after the import's
        # As the runtime does per invocation, for the X-Ray SDK and botocore (one
        # interpreter: the last invocation's header stays until the next).
        os.environ["_X_AMZN_TRACE_ID"] = trace_header
        with redirect_stdout(output), redirect_stderr(output):
            try:
                handler = self._handler(spec)
                init_ms = (time.perf_counter() - started) * 1000 if cold else 0.0
                init_output = output.tell()
                started = time.perf_counter()
                context = LambdaContext(
                    spec.resource_name, spec.memory_size, spec.timeout, aws_request_id=request_id
                )
                body = json.dumps(handler(json.loads(payload or b"null"), context)).encode()
                status = InvocationStatus.OK
            except Exception as error:
                traceback.print_exc()
                body = error_payload(str(error), type(error).__name__)
                status = InvocationStatus.ERROR
        duration = (time.perf_counter() - started) * 1000
        text = output.getvalue()
        # JSON's platform.start comes after the init's output, as on Lambda; Text keeps
        # START first and the output whole.
        split = init_output if system.json else 0
        lines += text[:split].splitlines()
        system.invoke_started()
        lines += text[split:].splitlines()
        if duration > spec.timeout * 1000:
            lines.append(
                f"{request_id} ran {duration / 1000:.2f} s, over its timeout of "
                f"{spec.timeout:.2f} seconds (not enforced in-process)"
            )
        used_mb = _max_rss_mb()
        result = InvocationResult(request_id, status, body, "", cold, duration)
        system.close(result, [], duration, used_mb, init_ms if cold else None)
        for line in lines:
            self._log_sink(line)
        result.log = "\n".join(lines) + "\n"
        result.init_duration_ms = init_ms if cold else None
        result.max_memory_used_mb = used_mb
        return result

    def _handler(self, spec: FunctionSpec) -> Any:
        handler = self._handlers.get(spec.name)
        if handler is None:
            os.environ.update(spec.environment)
            if self.xray_daemon is not None:  # as a worker's environment has it
                os.environ["AWS_XRAY_DAEMON_ADDRESS"] = self.xray_daemon
            for folder in (os.path.join(spec.project_dir, "vendor"), spec.project_dir):
                if folder not in sys.path:
                    sys.path.insert(0, folder)
            module_name, _, attribute = spec.handler.rpartition(".")
            handler = getattr(importlib.import_module(module_name), attribute)
            self._handlers[spec.name] = handler
        return handler

    async def close(self) -> None:
        self._handlers.clear()


def _max_rss_mb() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
