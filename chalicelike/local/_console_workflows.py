"""The console's view of the app's workflows: each one with its ASL and recent executions on
the local cloud's Step Functions, and one execution's history folded per state (what went in
and out, retries, errors, and the invocations its Lambda Tasks made, linked to the console's
own records). Read from the embedded endpoint with boto3, in the cloud's threads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._tooling._workflow_check import FUNCTION_PREFIX, all_states
from ._console_api import current_manifest
from ._console_http import ConsoleError, Request

__all__ = ["ConsoleWorkflows", "fold_history", "state_functions"]

RECENT_EXECUTIONS = 20
# An invocation's start is stamped by the dev server, a Task's events by moto's interpreter:
# both clocks are this machine's, but each stamps a little before or after the other.
CLOCK_SLACK_SECONDS = 0.25
# A Task attempt's outcome: Step Functions names them per resource kind.
_TASK_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled")
_TASK_SUCCEEDED = ("TaskSucceeded", "LambdaFunctionSucceeded")
_TASK_FAILED = (
    "TaskFailed",
    "TaskTimedOut",
    "TaskStartFailed",
    "TaskSubmitFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
)


class ConsoleWorkflows:
    """GET /api/workflows and /api/workflows/{name}/executions/{execution}."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def workflows(self, request: Request) -> dict[str, Any]:
        manifest = await current_manifest(self.server)
        cloud = getattr(self.server, "cloud", None)
        workflows = []
        for entry in manifest.workflows:
            # Without the local cloud (--no-aws) the workflows are still the app's: listed,
            # with nothing run. The page opens with this read, so it is no error.
            arn = None if cloud is None else self._machine_arn(manifest.app_name, entry.name)
            executions = None
            if cloud is not None:
                executions = await _ask(cloud, _recent_executions, self._client(), arn)
            workflows.append(
                {
                    "name": entry.name,
                    "state_machine_arn": arn,
                    "deployed": executions is not None,
                    "definition": entry.definition,
                    "functions": entry.functions,
                    "schedule": entry.schedule,
                    "event_pattern": entry.event_pattern,
                    "executions": executions or [],
                }
            )
        return {
            "app_name": manifest.app_name,
            "local_cloud": cloud is not None,
            "workflows": workflows,
        }

    async def execution(self, request: Request) -> dict[str, Any]:
        name, wanted = request.params
        manifest = await current_manifest(self.server)
        entry = manifest.workflow(name)
        if entry is None:
            known = ", ".join(w.name for w in manifest.workflows) or "none"
            raise ConsoleError(404, f"the app has no workflow {name!r}; its workflows: {known}")
        cloud = self._cloud()
        machine = self._machine_arn(manifest.app_name, name)
        arn = wanted if wanted.startswith("arn:") else _execution_arn(machine, wanted)
        found = await _ask(cloud, _read_execution, self._client(), arn)
        if found is None or found[0].get("stateMachineArn") != machine:
            raise ConsoleError(404, f"workflow {name!r} has no execution {wanted!r}")
        described, events = found
        states = fold_history(events, entry.definition)
        _link_invocations(states, self.server.invocations.newest(limit=10_000))
        return {
            "workflow": name,
            "execution": _execution_json(described),
            "states": [state.to_json() for state in states.values()],
        }

    def _cloud(self) -> Any:
        cloud = getattr(self.server, "cloud", None)
        if cloud is None:
            raise ConsoleError(
                503, "the local cloud is off (--no-aws): workflows run on its Step Functions"
            )
        return cloud

    def _client(self) -> Any:
        return self.server.cloud.context.clients.get("stepfunctions")

    def _machine_arn(self, app_name: str, workflow: str) -> str:
        """The machine the local cloud made for `workflow` (names over 80 characters hashed,
        as every state machine name is)."""
        from ._workflow_machines import machine_arn, machine_name

        context = self.server.cloud.context
        name = machine_name(app_name, self.server.state.stage, workflow)
        return machine_arn(context.region, context.account_id, name)


async def _ask(cloud: Any, call: Any, *args: Any) -> Any:
    """`call(*args)` (blocking boto3) in the cloud's threads; 503 when the endpoint fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return await cloud.context.call(call, *args)
    except (BotoCoreError, ClientError) as error:
        # The endpoint stopped, or answered what we did not expect: it is not the request's.
        raise ConsoleError(503, f"the local AWS endpoint failed: {error}") from None


def _execution_arn(machine_arn: str, execution: str) -> str:
    # arn:aws:states:REGION:ACCOUNT:stateMachine:NAME -> ...:execution:NAME:EXECUTION
    prefix, _, machine = machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{execution}"


def _stamp(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def _recent_executions(client: Any, machine_arn: str) -> list[dict[str, Any]] | None:
    """The newest executions (Step Functions lists newest first); None: no such machine."""
    try:
        answer = client.list_executions(stateMachineArn=machine_arn, maxResults=RECENT_EXECUTIONS)
    except client.exceptions.StateMachineDoesNotExist:
        return None
    return [_execution_json(execution) for execution in answer["executions"]]


def _read_execution(client: Any, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    try:
        described = client.describe_execution(executionArn=arn)
    except (client.exceptions.ExecutionDoesNotExist, client.exceptions.InvalidArn):
        return None
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:  # the history is paged (1,000 events a page at most)
        page = client.get_execution_history(
            executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return described, events


def _execution_json(execution: dict[str, Any]) -> dict[str, Any]:
    answer = {
        "arn": execution["executionArn"],
        "name": execution["name"],
        "status": execution["status"],
        "started_at": _stamp(execution.get("startDate")),
        "stopped_at": _stamp(execution.get("stopDate")),
    }
    for key in ("input", "output", "error", "cause"):
        if key in execution:
            answer[key] = execution[key]
    return answer


@dataclass
class Attempt:
    """One try of a Task: scheduled, then succeeded or failed (and maybe retried)."""

    scheduled_at: float | None
    parameters: Any = None  # what the Task sent (Lambda's Invoke parameters or payload)
    ended_at: float | None = None
    failed: bool = False
    error: str | None = None
    cause: str | None = None
    invocations: list[str] = field(default_factory=list)


@dataclass
class Run:
    """One entry of a state (a Map's processor enters its states once per item)."""

    input: str | None
    entered_at: float | None
    output: str | None = None
    exited_at: float | None = None
    exited: bool = False
    error: str | None = None
    cause: str | None = None
    container_failed: bool = False  # a Parallel or Map said <Type>StateFailed
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.container_failed or bool(self.attempts and self.attempts[-1].failed)

    @property
    def retries(self) -> int:
        return max(len(self.attempts) - 1, 0)


@dataclass
class StateView:
    """One state of the machine, as this execution went through it."""

    name: str
    type: str
    function: str | None
    runs: list[Run] = field(default_factory=list)
    final_status: str = "not_entered"  # set once the whole history is read

    def status(self, execution_running: bool) -> str:
        if not self.runs:
            return "not_entered"
        if not self.runs[-1].exited:
            # A state left without exiting ended its branch or the execution: a Fail state,
            # an error no Catch took (or a Parallel's sibling branch failing).
            return "running" if execution_running else "failed"
        return "caught" if any(run.failed for run in self.runs) else "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "function": self.function,
            "status": self.final_status,
            "entered": len(self.runs),
            "retries": sum(run.retries for run in self.runs),
            "invocations": [i for run in self.runs for a in run.attempts for i in a.invocations],
            "runs": [_run_json(run) for run in self.runs],
        }


def _run_json(run: Run) -> dict[str, Any]:
    return {
        "input": run.input,
        "output": run.output,
        "entered_at": run.entered_at,
        "exited_at": run.exited_at,
        "error": run.error,
        "cause": run.cause,
        "retries": run.retries,
        "attempts": [
            {
                "scheduled_at": attempt.scheduled_at,
                "ended_at": attempt.ended_at,
                "failed": attempt.failed,
                "error": attempt.error,
                "cause": attempt.cause,
                "invocations": attempt.invocations,
            }
            for attempt in run.attempts
        ],
    }


def state_functions(definition: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Every state of `definition`, nested machines included: its type and the app function
    a Task calls. ASL state names are unique across the whole machine, so a name is a key."""
    found: dict[str, tuple[str, str | None]] = {}
    for name, state in all_states(definition):
        resource = state.get("Resource")
        target = (state.get("Parameters") or {}).get("FunctionName", resource)
        function = None
        if isinstance(target, str) and target.startswith(FUNCTION_PREFIX):
            function = target.removeprefix(FUNCTION_PREFIX)
        found[name] = (str(state.get("Type")), function)
    return found


def fold_history(events: list[dict[str, Any]], definition: dict[str, Any]) -> dict[str, StateView]:
    """Step Functions' history as one view per state of `definition` (in definition order)."""
    states = {
        name: StateView(name, kind, function)
        for name, (kind, function) in state_functions(definition).items()
    }
    by_id = {event["id"]: event for event in events}
    owners: dict[int, Run] = {}  # the run each event belongs to, by event id
    open_runs: list[tuple[StateView, Run]] = []
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            view = states.setdefault(
                details["name"], StateView(details["name"], kind.removesuffix("StateEntered"), None)
            )
            run = Run(details.get("input"), _stamp(event.get("timestamp")))
            view.runs.append(run)
            open_runs.append((view, run))
            owners[event["id"]] = run
        elif kind.endswith("StateExited"):
            _exit(event, states, open_runs)
        elif kind in ("ParallelStateFailed", "MapStateFailed"):
            _container_failed(kind.removesuffix("StateFailed"), open_runs)
        else:
            owner = _owner(event, by_id, owners)
            if owner is not None:
                owners[event["id"]] = owner
                _task_event(event, owner)
    _finish(states, events, definition)
    return states


def _exit(event: dict[str, Any], states: dict[str, StateView], open_runs: list[Any]) -> None:
    details = event["stateExitedEventDetails"]
    view = states.get(details["name"])
    for index in range(len(open_runs) - 1, -1, -1):
        if open_runs[index][0] is view:
            run = open_runs.pop(index)[1]
            run.output = details.get("output")
            run.exited_at = _stamp(event.get("timestamp"))
            run.exited = True
            return


def _container_failed(kind: str, open_runs: list[tuple[StateView, Run]]) -> None:
    # The event names no state: it is the innermost Parallel (or Map) still open.
    for view, run in reversed(open_runs):
        if view.type == kind:
            run.container_failed = True
            return


def _owner(event: dict[str, Any], by_id: dict[int, Any], owners: dict[int, Run]) -> Run | None:
    """A Task's events name no state: each follows its previous event back to the state's
    entry (concurrent branches interleave in the history, but each chain is its own)."""
    previous: int = event.get("previousEventId") or 0
    for _ in range(len(by_id)):
        if previous in owners:
            return owners[previous]
        earlier = by_id.get(previous)
        if earlier is None:
            return None
        previous = earlier.get("previousEventId") or 0
    return None


def _task_event(event: dict[str, Any], run: Run) -> None:
    kind, stamp = event["type"], _stamp(event.get("timestamp"))
    details = _details(event)
    if kind in _TASK_SCHEDULED:
        parameters = details.get("parameters", details.get("input"))
        run.attempts.append(Attempt(stamp, _parsed(parameters)))
    elif run.attempts and (kind in _TASK_SUCCEEDED or kind in _TASK_FAILED):
        attempt = run.attempts[-1]
        attempt.ended_at = stamp
        if kind in _TASK_FAILED:
            attempt.failed = True
            attempt.error, attempt.cause = details.get("error"), details.get("cause")
        # The run's error is its last attempt's: one that a Retry got past is not.
        run.error, run.cause = attempt.error, attempt.cause


def _finish(
    states: dict[str, StateView], events: list[dict[str, Any]], definition: dict[str, Any]
) -> None:
    last = events[-1]["type"] if events else ""
    running = not last.startswith("Execution") or last == "ExecutionStarted"
    ending = _details(events[-1]) if last == "ExecutionFailed" else {}
    fails = _fail_states(definition)
    for view in states.values():
        view.final_status = view.status(running)
        run = view.runs[-1] if view.runs else None
        if view.final_status != "failed" or run is None or run.error is not None:
            continue
        # A Fail state names its error; any other state failed with the execution's.
        error, cause = fails.get(view.name, (ending.get("error"), ending.get("cause")))
        run.error, run.cause = error, cause


def _fail_states(definition: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    found = {}
    for name, state in all_states(definition):
        if state.get("Type") == "Fail":
            found[name] = (state.get("Error"), state.get("Cause"))
    return found


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """An event's details: each type has its own key (taskFailedEventDetails...)."""
    found = next((v for k, v in event.items() if k.endswith("EventDetails")), None)
    return found if isinstance(found, dict) else {}


def _parsed(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _link_invocations(states: dict[str, StateView], records: list[Any]) -> None:
    """Each Task attempt's invocation: the function's record that started within the
    attempt's scheduled..ended window; of several (a Map's items run at once), the one
    whose event is what the attempt sent, else the earliest. A record links once."""
    taken: set[str] = set()
    for view in states.values():
        if view.function is None:
            continue
        mine = sorted((r for r in records if r.function == view.function), key=_started)
        for run in view.runs:
            for attempt in run.attempts:
                record = _pick(attempt, mine, taken)
                if record is not None:
                    taken.add(record.id)
                    attempt.invocations.append(record.id)


def _started(record: Any) -> float:
    return float(record.started_at)


def _pick(attempt: Attempt, records: list[Any], taken: set[str]) -> Any:
    if attempt.scheduled_at is None:
        return None
    low = attempt.scheduled_at - CLOCK_SLACK_SECONDS
    high = (attempt.ended_at or float("inf")) + CLOCK_SLACK_SECONDS
    window = [r for r in records if r.id not in taken and low <= r.started_at <= high]
    sent = attempt.parameters
    payload = sent.get("Payload", sent) if isinstance(sent, dict) else sent
    for record in window:
        if _parsed(record.event) == payload:
            return record
    return window[0] if window else None
