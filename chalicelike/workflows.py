"""Build a Step Functions workflow in Python instead of writing Amazon States Language:

    from chalicelike.workflows import Catch, Choice, Fail, Retry, Task, Workflow

    rejected = Fail("Rejected", error="Rejected")
    charge = Task("Charge", "charge", catch=[Catch(["States.ALL"], rejected)])
    route = Choice("Route").when({"Variable": "$.kind", "StringEquals": "book"}, charge)
    app.workflow("order", Workflow(Task("Validate", "validate").next(route.otherwise(rejected))))

Each state is one ASL state (Task, Choice, Parallel, Map, Wait, Pass, Succeed, Fail; Retry
and Catch rules); `a.next(b)` chains them and returns the chain, whose `.next(c)` goes on.
`Workflow(start).to_asl()` is the ASL dict: every state reachable from `start`, a state
with nowhere to go ending the execution. `Task("Name", "fn")` calls the app's function fn.
The result is checked like any definition when the app loads. `NULL` writes ASL's null
(`Pass("Log", result_path=NULL)`: the input passes on, the result is dropped).
"""

from __future__ import annotations

from typing import Any

from ._core._errors import RegistrationError

__all__ = [
    "NULL",
    "Catch",
    "Chain",
    "Choice",
    "Fail",
    "Map",
    "Parallel",
    "Pass",
    "Retry",
    "State",
    "Succeed",
    "Task",
    "Wait",
    "Workflow",
]


class _Null:
    """ASL's JSON null where a field takes one (`ResultPath: null` keeps the state's input and
    drops its result); a keyword argument of None means "not written"."""

    def __repr__(self) -> str:
        return "NULL"


NULL: Any = _Null()


class Retry:
    """A Retry rule: `errors` retried up to `max_attempts` times, waits growing by
    `backoff_rate` from `interval_seconds`."""

    def __init__(
        self,
        errors: list[str],
        *,
        interval_seconds: int = 1,
        max_attempts: int = 3,
        backoff_rate: float = 2.0,
        max_delay_seconds: int | None = None,
        jitter: str | None = None,  # "FULL" or "NONE"
    ) -> None:
        self.rule: dict[str, Any] = {
            "ErrorEquals": list(errors),
            "IntervalSeconds": interval_seconds,
            "MaxAttempts": max_attempts,
            "BackoffRate": backoff_rate,
        }
        if max_delay_seconds is not None:
            self.rule["MaxDelaySeconds"] = max_delay_seconds
        if jitter is not None:
            self.rule["JitterStrategy"] = jitter


class Catch:
    """A Catch rule: on one of `errors`, go to `next` (the error kept at `result_path`)."""

    def __init__(self, errors: list[str], next: State, *, result_path: str | None = None):
        self.errors, self.target, self.result_path = list(errors), next, result_path

    def rule(self) -> dict[str, Any]:
        found: dict[str, Any] = {"ErrorEquals": self.errors, "Next": self.target.name}
        if self.result_path is not None:
            found["ResultPath"] = None if self.result_path is NULL else self.result_path
        return found


class State:
    """One ASL state; subclasses say their Type and fields."""

    type = ""
    terminal = False  # Succeed and Fail end the execution themselves

    def __init__(
        self,
        name: str,
        *,
        retry: list[Retry] | None = None,
        catch: list[Catch] | None = None,
        **fields: Any,
    ) -> None:
        if not isinstance(name, str) or not name or len(name) > 80:
            raise RegistrationError(f"a state's name must be 1-80 characters, not {name!r}")
        self.name = name
        if retry:  # Task, Parallel and Map take Retry and Catch rules
            fields["retry"] = [rule.rule for rule in retry]
        self.fields = {key: value for key, value in fields.items() if value is not None}
        self.following: State | None = None
        self.catches: list[Catch] = list(catch or [])

    def next(self, state: State | Chain) -> Chain:
        """Go on to `state` after this one; the chain, to go on from `state`."""
        if self.terminal:
            raise RegistrationError(f"state {self.name!r} ends the execution: it has no next")
        chain = state if isinstance(state, Chain) else Chain(state, state)
        self.following = chain.start
        return Chain(self, chain.last)

    def successors(self) -> list[State]:
        found = [self.following] if self.following is not None else []
        return found + [catch.target for catch in self.catches]

    def to_state(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Type": self.type, **_asl_fields(self.fields)}
        if self.catches:
            body["Catch"] = [catch.rule() for catch in self.catches]
        if not self.terminal:
            if self.following is not None:
                body["Next"] = self.following.name
            else:
                body["End"] = True
        return body


class Chain:
    """States one after the other: `a.next(b).next(c)`; a workflow starts at `start`."""

    def __init__(self, start: State, last: State) -> None:
        self.start, self.last = start, last

    def next(self, state: State | Chain) -> Chain:
        return Chain(self.start, self.last.next(state).last)


class Task(State):
    """Calls the app's function `function` (or another `resource`, an ARN, as given)."""

    type = "Task"

    def __init__(
        self,
        name: str,
        function: str | None = None,
        *,
        resource: str | None = None,
        parameters: dict[str, Any] | None = None,
        result_selector: dict[str, Any] | None = None,
        result_path: str | None = None,
        input_path: str | None = None,
        output_path: str | None = None,
        retry: list[Retry] | None = None,
        catch: list[Catch] | None = None,
        timeout_seconds: int | None = None,
        heartbeat_seconds: int | None = None,
        comment: str | None = None,
    ) -> None:
        if (function is None) == (resource is None):
            raise RegistrationError(f"Task {name!r}: give one of function= and resource=")
        super().__init__(
            name,
            resource=resource if resource is not None else f"function:{function}",
            parameters=parameters,
            result_selector=result_selector,
            result_path=result_path,
            input_path=input_path,
            output_path=output_path,
            retry=retry,
            catch=catch,
            timeout_seconds=timeout_seconds,
            heartbeat_seconds=heartbeat_seconds,
            comment=comment,
        )


class Choice(State):
    """Goes to the first rule's state whose condition holds, else to `otherwise`."""

    type = "Choice"
    terminal = True  # it goes on by its rules, never by Next or End

    def __init__(self, name: str, *, comment: str | None = None, **paths: Any) -> None:
        super().__init__(name, comment=comment, **paths)
        self.rules: list[tuple[dict[str, Any], State]] = []
        self.default: State | None = None

    def next(self, state: State | Chain) -> Chain:
        raise RegistrationError(
            f"Choice {self.name!r} goes on by its rules: use .when(condition, state) and "
            ".otherwise(state)"
        )

    def when(self, condition: dict[str, Any], next: State | Chain) -> Choice:
        """A rule: ASL's comparison (`{"Variable": "$.kind", "StringEquals": "book"}`)."""
        self.rules.append((dict(condition), next.start if isinstance(next, Chain) else next))
        return self

    def otherwise(self, next: State | Chain) -> Choice:
        self.default = next.start if isinstance(next, Chain) else next
        return self

    def successors(self) -> list[State]:
        found = [state for _, state in self.rules]
        return found + ([self.default] if self.default is not None else [])

    def to_state(self) -> dict[str, Any]:
        body = super().to_state()
        body["Choices"] = [{**rule, "Next": state.name} for rule, state in self.rules]
        if self.default is not None:
            body["Default"] = self.default.name
        return body


class Parallel(State):
    """Runs each branch (a state or chain) on the same input; the output is their list."""

    type = "Parallel"

    def __init__(
        self,
        name: str,
        branches: list[State | Chain],
        *,
        retry: list[Retry] | None = None,
        catch: list[Catch] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(name, retry=retry, catch=catch, **fields)
        self.branches = [Workflow(branch) for branch in branches]

    def to_state(self) -> dict[str, Any]:
        return {**super().to_state(), "Branches": [b.to_asl() for b in self.branches]}


class Map(State):
    """Runs `iterator` (a state or chain) for each item at `items_path`."""

    type = "Map"

    def __init__(
        self,
        name: str,
        iterator: State | Chain,
        *,
        items_path: str | None = None,
        max_concurrency: int | None = None,
        retry: list[Retry] | None = None,
        catch: list[Catch] | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(
            name,
            items_path=items_path,
            max_concurrency=max_concurrency,
            retry=retry,
            catch=catch,
            **fields,
        )
        self.processor = Workflow(iterator)

    def to_state(self) -> dict[str, Any]:
        processor = {"ProcessorConfig": {"Mode": "INLINE"}, **self.processor.to_asl()}
        return {**super().to_state(), "ItemProcessor": processor}


class Wait(State):
    """Waits `seconds`, until `timestamp`, or as long as the input's path says."""

    type = "Wait"

    def __init__(
        self,
        name: str,
        *,
        seconds: int | None = None,
        timestamp: str | None = None,
        seconds_path: str | None = None,
        timestamp_path: str | None = None,
        **fields: Any,
    ) -> None:
        given = [seconds, timestamp, seconds_path, timestamp_path]
        if sum(value is not None for value in given) != 1:
            raise RegistrationError(
                f"Wait {name!r}: give exactly one of seconds, timestamp, seconds_path, "
                "timestamp_path"
            )
        super().__init__(
            name,
            seconds=seconds,
            timestamp=timestamp,
            seconds_path=seconds_path,
            timestamp_path=timestamp_path,
            **fields,
        )


class Pass(State):
    """Passes its input (or `result`) on, shaped by `parameters` and the paths."""

    type = "Pass"


class Succeed(State):
    type = "Succeed"
    terminal = True


class Fail(State):
    """Ends the execution as failed with `error` and `cause`."""

    type = "Fail"
    terminal = True

    def __init__(
        self,
        name: str,
        *,
        error: str | None = None,
        cause: str | None = None,
        error_path: str | None = None,
        cause_path: str | None = None,
    ) -> None:
        super().__init__(
            name, error=error, cause=cause, error_path=error_path, cause_path=cause_path
        )


class Workflow:
    """A state machine: every state reachable from `start`, as ASL (`to_asl()`)."""

    def __init__(
        self,
        start: State | Chain,
        *,
        comment: str | None = None,
        timeout_seconds: int | None = None,
    ) -> None:
        self.start = start.start if isinstance(start, Chain) else start
        self.comment, self.timeout_seconds = comment, timeout_seconds

    def to_asl(self) -> dict[str, Any]:
        states: dict[str, State] = {}
        todo = [self.start]
        while todo:
            state = todo.pop(0)
            known = states.get(state.name)
            if known is state:
                continue
            if known is not None:
                raise RegistrationError(f"two different states are named {state.name!r}")
            states[state.name] = state
            todo += state.successors()
        machine: dict[str, Any] = {"StartAt": self.start.name}
        if self.comment is not None:
            machine["Comment"] = self.comment
        if self.timeout_seconds is not None:
            machine["TimeoutSeconds"] = self.timeout_seconds
        machine["States"] = {name: state.to_state() for name, state in states.items()}
        return machine


def _asl_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """snake_case keyword arguments as ASL's field names (result_path -> ResultPath)."""
    return {
        "".join(part.capitalize() for part in key.split("_")): None if value is NULL else value
        for key, value in fields.items()
    }
