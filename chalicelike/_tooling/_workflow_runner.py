"""One Step Functions execution of an app's workflow, run in this process for the test client
(`client.workflows.run`): moto's ASL interpreter walks the definition, and each Task's Lambda
call runs the app's function here, through a callback, as Lambda would answer it."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import enum
import io
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from .._core._aws import ACCOUNT_ID, DEFAULT_REGION
from ._manifest import deployed_name
from ._workflow_check import with_function_arns
from ._workflows import WorkflowEntry, state_machine_name

__all__ = [
    "MAX_INPUT_BYTES",
    "PARSER_LOGGER",
    "Invoke",
    "TimeoutOf",
    "WorkflowRun",
    "function_arn",
    "run_workflow",
    "with_function_arns",
]

# What runs one of the app's functions: (its name in the app, the event) -> its result.
Invoke = Callable[[str, Any], Any]
# A function's configured timeout in seconds (lambda_timeout), by its name in the app.
TimeoutOf = Callable[[str], float]

# Step Functions' quota on an execution's input: 256 KiB as UTF-8.
MAX_INPUT_BYTES = 256 * 1024
# moto's interpreter logs each failed state at ERROR with the whole execution's context
# (kilobytes a line), though a failed state is an outcome the execution's history records
# (its error and cause): that logger is quieted, and only that one.
PARSER_LOGGER = "moto.stepfunctions.parser"

# How often the caller looks at an execution moto runs in its own thread.
_POLL_SECONDS = 0.002
# The name in moto's lambda_eval_utils its Tasks get their Lambda client from.
_FACTORY = "boto_client_for"
# The files of the client's own frames, trimmed from a Task error's stackTrace (Lambda's
# runtime shows the trace from the handler down, not its bootstrap).
_CLIENT_FILES = frozenset(
    {__file__, threading.__file__, str(Path(__file__).parent.parent / "test.py")}
)


@dataclass(frozen=True)
class WorkflowRun:
    """One finished execution: `status` as Step Functions reports it (SUCCEEDED, FAILED,
    TIMED_OUT, ABORTED), `output` (parsed JSON; None unless it succeeded), `error` and
    `cause` (a failure's), `history` (the events, as get_execution_history lists them)."""

    workflow: str
    execution_arn: str
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def states(self) -> list[str]:
        """The names of the states entered, in order (a retried Task is entered once)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if "stateEnteredEventDetails" in event
        ]


def function_arn(app_name: str, stage: str, function: str) -> str:
    """The ARN a Task calls for the app's `function`, named as `deploy` names it."""
    name = deployed_name(app_name, stage, function)
    return f"arn:aws:lambda:{DEFAULT_REGION}:{ACCOUNT_ID}:function:{name}"


def run_workflow(
    entry: WorkflowEntry,
    input_json: str,
    invoke: Invoke,
    *,
    app_name: str,
    stage: str,
    timeout: float | None = None,
    timeout_of: TimeoutOf | None = None,
) -> WorkflowRun:
    """Run `entry` once on `input_json` (a JSON document), each app function through `invoke`
    and stopped, as Lambda stops it, after `timeout_of(function)` seconds; TimeoutError (the
    execution stopped) when `timeout` seconds pass first. ValueError for an input above
    Step Functions' 256 KiB."""
    if getattr(_InProcessLambda.inside, "call", False):
        # Its Tasks would wait for the call this thread is making to end: a hang.
        raise RuntimeError(
            f"workflow {entry.name!r}: the test client cannot run a workflow from inside "
            "a function one of its workflows is calling (start it with boto3 under "
            "`chalicelike local` instead)"
        )
    size = len(input_json.encode("utf-8"))
    if size > MAX_INPUT_BYTES:
        # StartExecution refuses it (InvalidExecutionInput): say so before anything runs.
        raise ValueError(
            f"workflow {entry.name!r}: the input is {size} bytes, above Step Functions' "
            f"limit of {MAX_INPUT_BYTES} bytes (256 KiB)"
        )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    logging.getLogger(PARSER_LOGGER).setLevel(logging.CRITICAL)
    arns = {function_arn(app_name, stage, name): name for name in entry.functions}
    by_name = {name: arn for arn, name in arns.items()}
    definition = with_function_arns(entry.definition, lambda name: by_name.get(name, name))
    # A backend of our own, not moto's shared one: nothing an app's test does with
    # mock_aws sees it, and two runs never share state machines.
    backend = StepFunctionsParserBackend(DEFAULT_REGION, ACCOUNT_ID)
    # The execution role is this run's own: moto hands it to the Lambda client factory,
    # which is how a call finds its run (see _LambdaRouter).
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/chalicelike-test-{uuid.uuid4().hex}"
    machine = backend.create_state_machine(
        name=state_machine_name(app_name, stage, entry.name),
        definition=json.dumps(definition),
        roleArn=role_arn,
    )
    with _ROUTER.routed(role_arn, _InProcessLambda(arns, invoke, timeout_of)):
        # Named as AWS names an execution started without a name: a UUID.
        execution = backend.start_execution(
            machine.arn, name=str(uuid.uuid4()), execution_input=input_json
        )
        _wait(execution, entry.name, timeout)
    return WorkflowRun(
        entry.name,
        execution.execution_arn,
        str(execution.status),
        execution.output,
        execution.error,
        execution.cause,
        [_plain(event) for event in execution.to_history_output()["events"]],
    )


def _wait(execution: Any, workflow: str, timeout: float | None) -> None:
    """Until moto's worker thread has ended the execution (its status leaves RUNNING)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while str(execution.status) == "RUNNING":
        if deadline is not None and time.monotonic() > deadline:
            now = datetime.datetime.now(tz=datetime.timezone.utc)
            execution.stop(now, "States.Timeout", "stopped by the test client")
            raise TimeoutError(f"workflow {workflow!r} still running after {timeout} s")
        time.sleep(_POLL_SECONDS)


def _plain(value: Any) -> Any:
    """A history event as boto3 gives it: names as str (moto keeps enums), the timestamp
    a datetime (moto keeps the ISO text it would send)."""
    if isinstance(value, dict):
        plain = {key: _plain(item) for key, item in value.items()}
        stamp = plain.get("timestamp")
        if isinstance(stamp, str):
            plain["timestamp"] = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        return plain
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


class _InProcessLambda:
    """The Lambda client moto's interpreter calls: `invoke(FunctionName=, Payload=)` on one
    of the app's functions runs it here and answers as Lambda's Invoke API does; any other
    function is left to the client moto would have used."""

    # A function's environment variables are the process's own while it runs, so two
    # calls (branches of a Parallel, items of a Map, two runs) run one after the other.
    _calls = threading.Lock()
    # Whether this thread is running one of those calls (see run_workflow).
    inside = threading.local()

    def __init__(
        self, arns: dict[str, str], invoke: Invoke, timeout_of: TimeoutOf | None = None
    ) -> None:
        self._arns = arns
        self._invoke = invoke
        self._timeout_of = timeout_of

    def owns(self, parameters: dict[str, Any]) -> bool:
        return parameters.get("FunctionName") in self._arns

    def invoke(self, **parameters: Any) -> dict[str, Any]:
        name = self._arns[parameters["FunctionName"]]
        event = json.loads(parameters.get("Payload") or b"{}")
        seconds = self._timeout_of(name) if self._timeout_of is not None else None
        try:
            with self._calls:
                result = self._call(name, event, seconds)
        except _TimedOut:
            # What Lambda answers when a function outlives its configured timeout.
            message = f"Task timed out after {seconds:.2f} seconds"
            return _function_error("Sandbox.Timedout", message)
        except Exception as error:
            return _function_error(type(error).__name__, str(error), error)
        try:
            payload = json.dumps(result, default=_decimal)
        except (TypeError, ValueError) as error:
            # What Lambda's Python runtime answers for a result json cannot write.
            return _function_error("Runtime.MarshalError", f"Unable to marshal response: {error}")
        return {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": io.BytesIO(payload.encode("utf-8")),
        }

    def _call(self, name: str, event: Any, seconds: float | None) -> Any:
        """The function's result, run in a thread of its own when it has a timeout: past
        it, _TimedOut. Python cannot stop that thread; it finishes in the background (its
        environment variables may then be set while the next call runs)."""
        if seconds is None:
            return self._run(name, event)
        outcome: dict[str, Any] = {}
        context = contextvars.copy_context()

        def target() -> None:
            try:
                outcome["result"] = context.run(self._run, name, event)
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error

        worker = threading.Thread(target=target, name=f"chalicelike-task-{name}", daemon=True)
        worker.start()
        worker.join(seconds)
        if worker.is_alive():
            raise _TimedOut
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def _run(self, name: str, event: Any) -> Any:
        self.inside.call = True
        try:
            return self._invoke(name, event)
        finally:
            self.inside.call = False


class _TimedOut(Exception):
    """A function ran past its configured timeout."""


def _function_error(
    error_type: str, message: str, error: BaseException | None = None
) -> dict[str, Any]:
    """Lambda's answer when a function raises: status 200, FunctionError "Unhandled" and
    the runtime's error document; Step Functions takes errorType as the error's name (what
    Retry and Catch match) and the document as its cause."""
    document = {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": str(uuid.uuid4()),
        "stackTrace": _handler_frames(error) if error is not None else [],
    }
    return {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "ExecutedVersion": "$LATEST",
        "Payload": io.BytesIO(json.dumps(document).encode("utf-8")),
    }


def _handler_frames(error: BaseException) -> list[str]:
    """The error's traceback from the handler down, as Lambda's runtime shows it: the
    client's own frames (this runner, the test client, the thread it ran in) are left out."""
    frames = traceback.extract_tb(error.__traceback__)
    start = 0
    while start < len(frames) and frames[start].filename in _CLIENT_FILES:
        start += 1
    return traceback.format_list(frames[start:])


def _decimal(value: Any) -> Any:
    """Lambda's Python runtime writes a Decimal (DynamoDB's numbers) as a JSON number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _LambdaRouter:
    """moto's interpreter makes its Lambda client with `boto_client_for(region, service,
    state_credentials)` in lambda_eval_utils, from the threads it runs states in. While a
    run is on, that name is ours: a call whose credentials carry a run's execution role
    gets that run's in-process client; any other call gets what moto would have made.
    The original is put back when the last run ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _InProcessLambda] = {}
        self._original: Callable[..., Any] | None = None

    @contextlib.contextmanager
    def routed(self, role_arn: str, client: _InProcessLambda) -> Iterator[None]:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
            lambda_eval_utils,
        )

        with self._lock:
            if not self._runs:
                self._original = getattr(lambda_eval_utils, _FACTORY)
                setattr(lambda_eval_utils, _FACTORY, self._client_for)
            self._runs[role_arn] = client
        try:
            yield
        finally:
            with self._lock:
                del self._runs[role_arn]
                if not self._runs and self._original is not None:
                    setattr(lambda_eval_utils, _FACTORY, self._original)

    def _client_for(self, region: str, service: str, state_credentials: Any = None) -> Any:
        # Set before the first run was routed (and kept: a stopped run's thread may
        # still be on its way here).
        original = cast("Callable[..., Any]", self._original)
        role_arn = getattr(state_credentials, "role_arn", None)
        client = self._runs.get(role_arn) if service == "lambda" and role_arn else None
        if client is None:
            return original(region=region, service=service, state_credentials=state_credentials)
        return _Routed(client, lambda: original(region, service, state_credentials))


class _Routed:
    """The client a run's Task gets: its app's functions in-process, others as moto would."""

    def __init__(self, client: _InProcessLambda, fallback: Callable[[], Any]) -> None:
        self._client = client
        self._fallback = fallback

    def invoke(self, **parameters: Any) -> Any:
        if self._client.owns(parameters):
            return self._client.invoke(**parameters)
        return self._fallback().invoke(**parameters)


_ROUTER = _LambdaRouter()
