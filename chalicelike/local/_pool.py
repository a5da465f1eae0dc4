"""The local Lambda: a pool of worker processes per function, as Lambda runs environments.

`WorkerPool` implements `LocalLambda`: warm workers are reused and cold ones spawned,
concurrency is capped (reserved or account-wide) with throttling, and timeouts, memory
overruns and crashes end an invocation as Lambda reports them, with its system log lines
(START/END/REPORT, or platform.* records for a JSON `log_format`: `_platform_logs`).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Iterable

from .._core._aws import ACCOUNT_ID, DEFAULT_REGION
from ._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    Throttled,
    UnknownFunction,
    error_payload,
    find_spec,
)
from ._platform_logs import SystemLog, lambda_time
from ._reaper import GroupReaper
from ._recording import InvocationRecorder, begin_trace
from ._runtime_api import Invocation, OutcomeKind, RuntimeOutcome
from ._worker import LogSink, RuntimeCommand, Worker, WorkerExited, bootstrap_command

__all__ = ["WorkerPool"]

# Lambda gives init 10 s of its own before the invocation's timeout starts counting.
INIT_TIMEOUT_SECONDS = 10.0
# How often the busy workers' memory is read (one timer for the whole pool).
MEMORY_SAMPLE_SECONDS = 0.015


class _Stopped(Exception):
    """The pool ended the invocation itself (timeout or memory) and killed the worker."""

    def __init__(self, status: InvocationStatus, seconds: float = 0.0) -> None:
        super().__init__(status.value)
        self.status = status
        self.seconds = seconds  # the timeout that ran out


class WorkerPool:
    """Runs the app's functions in worker processes speaking Lambda's Runtime API."""

    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        *,
        region: str = DEFAULT_REGION,
        account_concurrency: int = 32,
        runtime_command: RuntimeCommand | None = None,
        log_sink: LogSink | None = None,
        recorder: InvocationRecorder | None = None,
    ) -> None:
        self.region = region
        # The console's record of each invocation and its segment; a bare pool (the
        # `invoke` command, tests) makes traces all the same, and keeps nothing.
        self.recorder = recorder
        # The dev server's X-Ray daemon (HOST:PORT), for workers spawned from now on.
        self.xray_daemon: str | None = None
        self.account_concurrency = account_concurrency
        self._command = runtime_command or bootstrap_command
        self._log_sink = log_sink
        self._specs: dict[str, FunctionSpec] = {}
        self._generation = 0
        self._idle: dict[str, list[Worker]] = {}  # by spec.name, most recently used last
        self._workers: set[Worker] = set()  # every live worker, idle or busy
        self._busy: dict[Worker, FunctionSpec] = {}
        self._in_flight: dict[str, int] = {}
        self._unreserved_in_flight = 0
        self._sampler: asyncio.TimerHandle | None = None
        self._closed = False
        self._reaper = GroupReaper()  # kills the workers' groups if the server is SIGKILLed
        self.cold_starts = 0  # workers spawned so far, for tests and benchmarks
        # Hot reload: a worker per recently used function, started while the app is read
        # (`prepare_reload`), taken by the first cold start of the generation it was for.
        self._spares: dict[str, tuple[int, asyncio.Task[Worker]]] = {}
        self.replace_functions(functions)

    # -- the functions -------------------------------------------------------------------

    def replace_functions(self, specs: Iterable[FunctionSpec]) -> None:
        """Hot reload: new invocations get new workers; old idle ones stop now.

        Busy workers of the old generation finish their invocation, then stop (as Lambda
        lets running invocations of a replaced version complete).
        """
        self._specs = {spec.name: spec for spec in specs}
        self._generation += 1
        idle, self._idle = self._idle, {}
        for workers in idle.values():
            for worker in workers:
                worker.kill()

    def prepare_reload(self) -> None:
        """A reload began: start a spare worker for each function that has a warm one.

        Reading the app (a child process) and a cold start (another) took turns, so a
        save was served after both (~300 ms on 2 busy cores). The spare starts now, after
        the save, so it imports the saved code; it is taken only if the reload keeps its
        spec (`_take_spare`), with the same init checks as any cold start.
        """
        self.discard_spares()
        for name, workers in self._idle.items():
            spec = self._specs.get(name)
            if spec is not None and not self._closed and any(w.alive for w in workers):
                task = asyncio.ensure_future(self._spawn_spare(spec))
                self._spares[name] = (self._generation + 1, task)

    def discard_spares(self) -> None:
        """The reload failed or was superseded: its spares go (a newer read starts its own)."""
        spares, self._spares = self._spares, {}
        for _, task in spares.values():
            task.add_done_callback(_kill_spare)

    def find(self, name: str) -> FunctionSpec | None:
        """A function by its name, its deployed name, or an ARN (any qualifier runs $LATEST)."""
        return find_spec(self._specs, name)

    # -- counters ------------------------------------------------------------------------

    def live_workers(self, name: str | None = None) -> int:
        """Running worker processes, of one function (by its name) or all."""
        return sum(1 for w in self._workers if w.alive and (name is None or w.spec.name == name))

    def idle_workers(self, name: str) -> int:
        return sum(1 for w in self._idle.get(name, ()) if w.alive)

    def worker_pids(self, name: str | None = None) -> list[int]:
        return [w.pid for w in self._workers if w.alive and (name is None or w.spec.name == name)]

    # -- invoking ------------------------------------------------------------------------

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
        """Run one invocation and wait for it; raises UnknownFunction or Throttled."""
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        spec = self.find(name)
        if spec is None:
            raise UnknownFunction(name)
        self._acquire(spec)
        try:
            started_at = time.time()
            trace = begin_trace(trace_header)
            invocation = Invocation(
                request_id=request_id or str(uuid.uuid4()),
                payload=payload,
                deadline_ms=0,  # set when the runtime takes it
                function_arn=self._arn(spec, name),
                trace_id=trace.header,
                client_context=client_context,
            )
            result = await self._run(spec, invocation)
        finally:
            self._release(spec)
        if self.recorder is not None:
            self.recorder.finish(
                spec, payload, result, source=source, trace=trace, started_at=started_at
            )
        return result

    def _acquire(self, spec: FunctionSpec) -> None:
        # Lambda throttles at once (TooManyRequestsException) rather than queueing a
        # synchronous invoke: reserved concurrency caps one function, the rest share
        # the account's unreserved concurrency.
        running = self._in_flight.get(spec.name, 0)
        if spec.reserved_concurrency is not None:
            if running >= spec.reserved_concurrency:
                raise Throttled(
                    f"Rate Exceeded. (reserved concurrency {spec.reserved_concurrency})"
                )
        elif self._unreserved_in_flight >= self.account_concurrency:
            raise Throttled(f"Rate Exceeded. (account concurrency {self.account_concurrency})")
        else:
            self._unreserved_in_flight += 1
        self._in_flight[spec.name] = running + 1

    def _release(self, spec: FunctionSpec) -> None:
        self._in_flight[spec.name] -= 1
        if spec.reserved_concurrency is None:
            self._unreserved_in_flight -= 1

    def _arn(self, spec: FunctionSpec, name: str) -> str:
        if name.startswith("arn:"):
            return name  # Lambda passes on the ARN the caller used, qualifier and all
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{spec.resource_name}"

    async def _run(self, spec: FunctionSpec, invocation: Invocation) -> InvocationResult:
        log: list[str] = []
        system = SystemLog(
            spec,
            invocation.request_id,
            lambda line: self._write(log, line),
            function_arn=invocation.function_arn,
            trace_header=invocation.trace_id,
        )
        system.open()
        while True:
            worker = self._take_idle(spec)
            cold = worker is None
            if worker is None:
                system.init_started()
                try:
                    worker = await self._take_spare(spec, log) or await self._spawn(spec, log)
                except OSError as error:  # the runtime command cannot even be run
                    return self._finish(spec, None, invocation, error, system, log, 0.0, 0.0)
                failure = await self._init(worker, invocation, system, log)
                if failure is not None:
                    return failure
                worker.drain()  # the init's output comes before the invoke phase starts
            system.invoke_started()
            outcome = await self._execute(worker, spec, invocation, system, log, cold)
            if outcome is not None:
                return outcome
            # The warm worker died before taking the invocation: Lambda would start a
            # new environment for it, so do we.

    def _take_idle(self, spec: FunctionSpec) -> Worker | None:
        # Lambda reuses a warm environment when one is free; the most recently used first.
        idle = self._idle.get(spec.name)
        while idle:
            worker = idle.pop()
            if worker.alive and worker.generation == self._generation:
                return worker
            worker.kill()
        return None

    async def _spawn(self, spec: FunctionSpec, log: list[str]) -> Worker:
        worker = await self._start_worker(spec, self._generation, self._log_sink)
        if self._closed:  # closed while the Runtime API was starting
            await worker.stop()
            raise RuntimeError("the worker pool is closed")
        worker.capture = log  # init output belongs to the invocation that waits for it
        self.cold_starts += 1
        self._track(worker)
        return worker

    async def _start_worker(
        self, spec: FunctionSpec, generation: int, log_sink: LogSink | None
    ) -> Worker:
        return await Worker.start(
            spec,
            self._command(spec),
            region=self.region,
            generation=generation,
            log_sink=log_sink,
            reaper=self._reaper,
            xray_daemon=self.xray_daemon,
        )

    def _track(self, worker: Worker) -> None:
        """Known to the pool (killed when it closes) until the process exits."""
        self._workers.add(worker)
        worker.exited.add_done_callback(lambda _: self._workers.discard(worker))

    async def _spawn_spare(self, spec: FunctionSpec) -> Worker:
        # No log sink: its init output waits for the invocation that takes it.
        worker = await self._start_worker(spec, self._generation + 1, None)
        worker.capture = []
        self._track(worker)
        if self._closed:
            worker.kill()
        return worker

    async def _take_spare(self, spec: FunctionSpec, log: list[str]) -> Worker | None:
        """The spare started for this generation with this very spec, or None."""
        generation, task = self._spares.pop(spec.name, (0, None))
        if task is None:
            return None
        try:
            worker = await task
        except Exception:  # OSError and the like: a plain spawn says it properly
            return None
        if not worker.alive or worker.spec != spec or generation != self._generation:
            worker.kill()  # its config changed, or a newer save came: it may be stale
            return None
        # Its init output after INIT_START, in this invocation's log, as if spawned now.
        buffered, worker.capture = worker.capture or [], log
        worker.log_sink = self._log_sink
        for line in buffered:
            self._write(log, line)
        self.cold_starts += 1
        return worker

    async def _init(
        self, worker: Worker, invocation: Invocation, system: SystemLog, log: list[str]
    ) -> InvocationResult | None:
        """Wait for the new worker's first GET /next; a result when init failed."""
        loop = asyncio.get_running_loop()
        timeout = _Stopped(InvocationStatus.TIMEOUT, INIT_TIMEOUT_SECONDS)
        timer = loop.call_later(INIT_TIMEOUT_SECONDS, self._stop, worker, timeout)
        failure: RuntimeOutcome | WorkerExited | _Stopped | None
        try:
            failure = await worker.server.wait_ready()
        except (WorkerExited, _Stopped) as stopped:
            failure = stopped
        except BaseException:
            worker.kill()
            raise
        finally:
            timer.cancel()
        if failure is None:
            worker.memory_kb()  # a first peak, for a REPORT even if it crashes at once
            return None
        init_ms = (time.perf_counter() - worker.spawned_at) * 1000
        worker.kill()  # Lambda discards an environment whose init failed
        _end_capture(worker)
        return self._finish(worker.spec, worker, invocation, failure, system, log, 0.0, init_ms)

    async def _execute(
        self,
        worker: Worker,
        spec: FunctionSpec,
        invocation: Invocation,
        system: SystemLog,
        log: list[str],
        cold: bool,
    ) -> InvocationResult | None:
        """One invocation on a ready worker; None if it died before taking it."""
        worker.capture = log
        loop = asyncio.get_running_loop()
        timeout = _Stopped(InvocationStatus.TIMEOUT, spec.timeout)
        timer = loop.call_later(spec.timeout, self._stop, worker, timeout)
        self._busy[worker] = spec
        if self._sampler is None:
            self._sampler = loop.call_later(MEMORY_SAMPLE_SECONDS, self._sample)
        started = time.perf_counter()
        # Lambda-Runtime-Deadline-Ms: the function's timeout from now, in epoch ms.
        invocation.deadline_ms = int(time.time() * 1000 + spec.timeout * 1000)
        outcome: RuntimeOutcome | WorkerExited | _Stopped
        try:
            outcome = await worker.server.invoke(invocation)
        except (WorkerExited, _Stopped) as stopped:
            outcome = stopped
        except BaseException:
            worker.kill()  # the caller went away mid-invocation: the environment is unknown
            raise
        finally:
            duration = (time.perf_counter() - started) * 1000
            timer.cancel()
            del self._busy[worker]
            _end_capture(worker)
        if isinstance(outcome, WorkerExited) and not worker.server.delivered and not cold:
            return None
        if isinstance(outcome, RuntimeOutcome) and worker.peak_kb > spec.memory_size * 1024:
            # Its peak went above the memory size between two samples: Lambda would have
            # killed it, so the environment goes and the invocation fails the same way.
            worker.kill()
            outcome = _Stopped(InvocationStatus.OUT_OF_MEMORY)
        init_ms = worker.init_duration_ms if cold else None
        return self._finish(spec, worker, invocation, outcome, system, log, duration, init_ms)

    def _finish(
        self,
        spec: FunctionSpec,
        worker: Worker | None,
        invocation: Invocation,
        outcome: RuntimeOutcome | WorkerExited | _Stopped | OSError,
        system: SystemLog,
        log: list[str],
        duration: float,
        init_ms: float | None,
    ) -> InvocationResult:
        """The result and its closing system lines; then the worker is kept or retired."""
        result, lines = _result(invocation.request_id, outcome)
        if result.status is InvocationStatus.OUT_OF_MEMORY:
            used_mb = spec.memory_size  # Lambda reports the whole memory size as used
        else:
            used_mb = math.ceil(worker.peak_kb / 1024) if worker is not None else 0
        system.close(result, lines, duration, used_mb, init_ms)
        if worker is not None:
            self._retire_or_keep(worker, result)
        result.log = "\n".join(log) + "\n"
        result.cold_start = init_ms is not None
        result.duration_ms = duration
        result.init_duration_ms = init_ms
        result.max_memory_used_mb = used_mb
        return result

    def _retire_or_keep(self, worker: Worker, result: InvocationResult) -> None:
        keep = result.status in (InvocationStatus.OK, InvocationStatus.ERROR)
        if keep and worker.alive and worker.generation == self._generation and not self._closed:
            self._idle.setdefault(worker.spec.name, []).append(worker)
        else:
            worker.kill()

    def _write(self, log: list[str], line: str) -> None:
        log.append(line)
        if self._log_sink is not None:
            self._log_sink(line)

    # -- watchers ------------------------------------------------------------------------

    def _stop(self, worker: Worker, reason: _Stopped) -> None:
        """End the worker's invocation for `reason`, then kill it (timeout, memory)."""
        worker.memory_kb()  # its last peak, for the REPORT line
        worker.server.interrupt(reason)
        worker.kill()

    def _sample(self) -> None:
        # Lambda kills an environment whose memory goes above the function's memory size.
        self._sampler = None
        for worker, spec in list(self._busy.items()):
            if worker.rss_kb() > spec.memory_size * 1024:
                self._stop(worker, _Stopped(InvocationStatus.OUT_OF_MEMORY))
        if self._busy:
            loop = asyncio.get_running_loop()
            self._sampler = loop.call_later(MEMORY_SAMPLE_SECONDS, self._sample)

    def kill_all(self) -> None:
        """Kill every worker's process group now, without waiting (the loop may be gone)."""
        for worker in list(self._workers):
            worker.kill()
        self._reaper.close()

    async def close(self) -> None:
        """Kill every worker and wait until each is reaped: nothing outlives the pool."""
        self._closed = True
        if self._sampler is not None:
            self._sampler.cancel()
            self._sampler = None
        self._idle = {}
        self.discard_spares()
        workers = list(self._workers)
        for worker in workers:
            worker.kill()
        await asyncio.gather(*(worker.stop() for worker in workers))
        self._reaper.close()


def _kill_spare(task: asyncio.Task[Worker]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().kill()


def _end_capture(worker: Worker) -> None:
    """The invocation is over: take what the process wrote, and its memory peak."""
    worker.drain()
    worker.flush_partial()
    worker.capture = None
    worker.memory_kb()


def _result(
    request_id: str, outcome: RuntimeOutcome | WorkerExited | _Stopped | OSError
) -> tuple[InvocationResult, list[str]]:
    """The invocation's result as Lambda reports it, and the lines Lambda logs for it in
    Text (in JSON its platform.report says it: status and errorType)."""
    if isinstance(outcome, RuntimeOutcome):
        if outcome.kind is OutcomeKind.RESPONSE:
            return InvocationResult(request_id, InvocationStatus.OK, outcome.body), []
        if outcome.kind is OutcomeKind.ERROR:
            return InvocationResult(request_id, InvocationStatus.ERROR, outcome.body), []
        # An init error: the runtime's own document (Runtime.ImportModuleError, ...).
        return InvocationResult(request_id, InvocationStatus.CRASHED, outcome.body), []
    if isinstance(outcome, _Stopped) and outcome.status is InvocationStatus.TIMEOUT:
        # Lambda logs `<time> <id> Task timed out after 3.00 seconds`.
        message = f"Task timed out after {outcome.seconds:.2f} seconds"
        payload = error_payload(f"RequestId: {request_id} Error: {message}", "Sandbox.Timedout")
        line = f"{lambda_time()} {request_id} {message}"
        return InvocationResult(request_id, InvocationStatus.TIMEOUT, payload), [line]
    status, error_type = InvocationStatus.CRASHED, "Runtime.ExitError"
    if isinstance(outcome, _Stopped):
        status, error_type = InvocationStatus.OUT_OF_MEMORY, "Runtime.OutOfMemory"
        reason = "Runtime exited with error: signal: killed"
    elif isinstance(outcome, WorkerExited):
        reason = "Runtime exited without providing a reason"
        if outcome.returncode != 0:
            reason = f"Runtime exited with error: {outcome}"
    else:  # Lambda's answer when it cannot exec the runtime at all
        error_type = "Runtime.InvalidEntrypoint"
        reason = f"fork/exec {outcome.filename or 'the runtime'}: {outcome.strerror}"
    message = f"RequestId: {request_id} Error: {reason}"
    # Lambda logs the runtime's end and its error type before END.
    return InvocationResult(request_id, status, error_payload(message, error_type)), [
        message,
        error_type,
    ]
