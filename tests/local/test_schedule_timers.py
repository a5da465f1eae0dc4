"""ScheduleTimer: `@app.schedule` fired in schedule time, through the async event queue.

Most tests drive the timer with a clock they move (`now=`) and a stand-in Lambda that
records what it is sent; the slow one runs a real worker pool against a real moto server
at clock speed 60, where rate(1 minute) fires every second.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from chalicelike._tooling._manifest import FunctionEntry
from chalicelike.local._aws_clients import AwsClients
from chalicelike.local._deliveries import DeliveryLog
from chalicelike.local._event_queue import EventQueue
from chalicelike.local._invocation import (
    FunctionSpec,
    InvocationResult,
    InvocationStatus,
    LocalLambda,
    error_payload,
)
from chalicelike.local._live_sources import CloudContext
from chalicelike.local._pool import WorkerPool
from chalicelike.local._schedule_timers import ScheduleTimer, scheduled_event
from tests.local.test_server import free_port

pytestmark = pytest.mark.anyio

UTC = timezone.utc
REGION = "us-west-2"
ACCOUNT = "123456789012"
START = datetime(2026, 12, 6, 5, 29, 46, tzinfo=UTC)  # a Sunday
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/clock-dev-tick"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class Clock:
    """The real UTC clock as the timer reads it, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class RecordingLambda:
    """A local Lambda that records each event; `release` holds invocations when set."""

    def __init__(self, *, fail: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail
        self.release: asyncio.Event | None = None

    def find(self, name: str) -> FunctionSpec | None:
        if name != "tick":
            return None
        return FunctionSpec(name, "clock-dev-tick", "app.tick", project_dir=".")

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
        self.events.append(json.loads(payload))
        if self.release is not None:
            await self.release.wait()
        request_id = request_id or "0"
        if self.fail:
            return InvocationResult(
                request_id, InvocationStatus.ERROR, error_payload("boom", "ValueError")
            )
        return InvocationResult(request_id, InvocationStatus.OK, b"null")


class RecordingEvents:
    """EventBridge's put_rule, recorded; `refuse` makes it fail as a down endpoint would."""

    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.refuse = False

    def put_rule(self, **rule: Any) -> dict[str, str]:
        if self.refuse:
            raise ConnectionError("the endpoint does not answer")
        self.rules.append(rule)
        return {"RuleArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule['Name']}"}


class RecordingClients(AwsClients):
    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", REGION)
        self.events = RecordingEvents()

    def _make(self, service: str) -> Any:
        assert service == "events"
        return self.events


ContextFactory = Callable[..., CloudContext]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def make_context() -> AsyncIterator[ContextFactory]:
    """`make_context(local_lambda, lines, ...)`: a CloudContext closed when the test ends."""
    made: list[CloudContext] = []

    def make(
        local_lambda: LocalLambda,
        lines: list[str],
        *,
        clock_speed: float = 1.0,
        clients: AwsClients | None = None,
        retry_delays: tuple[float, ...] = (60.0, 120.0),
    ) -> CloudContext:
        context = CloudContext(
            local_lambda=local_lambda,
            clients=clients or RecordingClients(),
            deliveries=DeliveryLog(lines.append),
            event_queue=EventQueue(local_lambda, lines.append, retry_delays=retry_delays),
            region=REGION,
            account_id=ACCOUNT,
            log=lines.append,
            clock_speed=clock_speed,
        )
        made.append(context)
        return context

    yield make
    for context in made:
        await context.event_queue.close()
        context.executor.shutdown(wait=True)


def entry(expression: str, **settings: Any) -> FunctionEntry:
    settings = {"expression": expression, "description": "", **settings}
    return FunctionEntry("tick", "app.tick", "scheduled", settings)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def notes(lines: list[str]) -> list[str]:
    prefix = "chalicelike local: schedule tick: "
    return [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]


# -- the event ----------------------------------------------------------------------------


def test_the_scheduled_event_is_eventbridges() -> None:
    moment = datetime(2026, 12, 6, 5, 35, tzinfo=UTC)
    event = scheduled_event(moment, RULE_ARN, REGION, ACCOUNT)
    assert list(event) == [
        "version", "id", "detail-type", "source", "account", "time", "region", "resources",
        "detail",
    ]  # fmt: skip
    assert UUID.fullmatch(event.pop("id"))
    assert event == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-12-06T05:35:00Z",
        "region": REGION,
        "resources": [RULE_ARN],
        "detail": {},
    }


# -- firing, with a clock the test moves ----------------------------------------------------


async def test_start_logs_the_next_fire_and_makes_a_disabled_rule(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    clients = RecordingClients()
    context = make_context(RecordingLambda(), lines, clients=clients)
    timer = ScheduleTimer(
        entry("rate(5 minutes)", description="tidy up"), context, now=Clock(START)
    )
    timer.start()
    assert notes(lines) == ["next fire 2026-12-06T05:34:00Z"]  # at once, not in a task
    await until(lambda: bool(clients.events.rules))
    await timer.stop()
    [rule] = clients.events.rules
    assert rule["Name"] == "clock-dev-tick"  # the function's deployed name, as package names it
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert rule["State"] == "DISABLED"  # we fire it: an endpoint that fires rules must not
    assert rule["Description"].startswith("tidy up (Fired by chalicelike local itself")
    assert timer.rule_arn == RULE_ARN


async def test_it_fires_at_the_scheduled_minute(make_context: ContextFactory) -> None:
    lines: list[str] = []
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, lines)
    clock = Clock(START)
    timer = ScheduleTimer(entry("cron(* * * * ? *)"), context, now=clock, max_nap=0.005)
    timer.start()
    await asyncio.sleep(0.05)
    assert local_lambda.events == []  # 05:30 is not here yet
    clock.moment = START + timedelta(seconds=14.5)
    await until(lambda: len(local_lambda.events) == 1)
    await until(lambda: context.deliveries.counters("schedule tick").succeeded == 1)
    await timer.stop()
    [event] = local_lambda.events
    assert event["time"] == "2026-12-06T05:30:00Z"
    assert event["resources"] == [RULE_ARN]
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert notes(lines) == ["next fire 2026-12-06T05:30:00Z", "next fire 2026-12-06T05:31:00Z"]
    assert "chalicelike local: schedule tick -> tick: 1 record, succeeded" in lines


async def test_clock_speed_runs_schedule_time_faster(make_context: ContextFactory) -> None:
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, [], clock_speed=60)
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=0.25)  # 15 s of schedule time: 05:30:01
    await until(lambda: len(local_lambda.events) == 1)
    assert timer.schedule_now() == START + timedelta(seconds=15)
    clock.moment = START + timedelta(seconds=1.25)  # 05:31:01
    await until(lambda: len(local_lambda.events) == 2)
    await timer.stop()
    times = [event["time"] for event in local_lambda.events]
    assert times == ["2026-12-06T05:30:00Z", "2026-12-06T05:31:00Z"]  # schedule time


async def test_next_fire_is_the_timers_own_on_the_wall_clock(
    make_context: ContextFactory,
) -> None:
    # The console asks the timer: a rate counts from the timer's start, known only here.
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, [])
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(5 minutes)"), context, now=clock, max_nap=0.005)
    assert timer.next_fire is None  # not started
    timer.start()
    assert timer.next_fire == datetime(2026, 12, 6, 5, 34, tzinfo=UTC)
    clock.moment = datetime(2026, 12, 6, 5, 34, 1, tzinfo=UTC)
    await until(lambda: timer.fires == 1)
    assert timer.next_fire == datetime(2026, 12, 6, 5, 39, tzinfo=UTC)
    await timer.stop()
    assert timer.next_fire is None  # a stopped timer fires no more


async def test_next_fire_at_clock_speed_is_on_the_wall_clock(
    make_context: ContextFactory,
) -> None:
    context = make_context(RecordingLambda(), [], clock_speed=60)
    timer = ScheduleTimer(entry("rate(5 minutes)"), context, now=Clock(START))
    timer.start()
    # 05:34:00 in schedule time is 4 min 14 s ahead of the start: 4.23 s of real time.
    assert timer.next_fire == START + timedelta(seconds=254 / 60)
    await timer.stop()


async def test_a_timer_that_fell_behind_fires_once_and_says_it_skipped(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, lines)
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=14.5)
    await until(lambda: len(local_lambda.events) == 1)
    clock.moment = datetime(2026, 12, 6, 7, 0, 30, tzinfo=UTC)  # the laptop slept 90 minutes
    await until(lambda: len(local_lambda.events) == 2)
    await asyncio.sleep(0.05)
    await timer.stop()
    assert [event["time"] for event in local_lambda.events] == [
        "2026-12-06T05:30:00Z",
        "2026-12-06T07:00:00Z",  # the latest due, once: EventBridge does not catch up
    ]
    assert notes(lines)[-2:] == [
        "behind by 1 h 29 min (was the computer asleep?): skipped the fires due from "
        "2026-12-06T05:31:00Z to before 2026-12-06T07:00:00Z, as EventBridge does not "
        "catch up; firing once, for 2026-12-06T07:00:00Z",
        "next fire 2026-12-06T07:01:00Z",
    ]
    assert timer.fires == 2


async def test_stop_cancels_the_timer(make_context: ContextFactory) -> None:
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, [])
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=15)
    await until(lambda: len(local_lambda.events) == 1)
    await timer.stop()
    clock.moment = START + timedelta(hours=1)
    await asyncio.sleep(0.1)
    assert len(local_lambda.events) == 1
    assert timer.fires == 1
    await timer.stop()  # twice is harmless


async def test_stop_before_the_first_fire_fires_nothing(make_context: ContextFactory) -> None:
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, [])
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    await timer.stop()
    clock.moment = START + timedelta(hours=1)
    await asyncio.sleep(0.05)
    assert local_lambda.events == []


async def test_an_event_already_submitted_is_the_queues_to_finish(
    make_context: ContextFactory,
) -> None:
    local_lambda = RecordingLambda()
    local_lambda.release = asyncio.Event()
    context = make_context(local_lambda, [])
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=15)
    await until(lambda: len(local_lambda.events) == 1)  # the handler is running
    await timer.stop()
    assert context.event_queue.pending == 1
    local_lambda.release.set()
    await until(lambda: context.event_queue.pending == 0)
    assert context.deliveries.counters("schedule tick").succeeded == 1


async def test_a_failing_handler_is_retried_as_an_async_invoke(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    local_lambda = RecordingLambda(fail=True)
    context = make_context(local_lambda, lines, retry_delays=(0.01, 0.01))
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=15)
    counters = context.deliveries.counters("schedule tick")
    await until(lambda: counters.discarded == 1)
    await timer.stop()
    assert (counters.delivered, counters.retried, counters.discarded) == (3, 2, 1)
    assert len({event["id"] for event in local_lambda.events}) == 1  # one event, 3 attempts


async def test_an_expression_eventbridge_refuses_is_not_scheduled(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    clients = RecordingClients()
    context = make_context(RecordingLambda(), lines, clients=clients)
    timer = ScheduleTimer(entry("every day"), context, now=Clock(START))
    timer.start()
    await timer.stop()
    [line] = notes(lines)
    assert line.startswith("not scheduled: A schedule must be a Rate, a Cron")
    assert clients.events.rules == []


async def test_a_schedule_whose_years_are_past_fires_no_more(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    context = make_context(RecordingLambda(), lines)
    timer = ScheduleTimer(entry("cron(0 0 1 1 ? 2020)"), context, now=Clock(START))
    timer.start()
    await timer.stop()
    assert notes(lines) == ["fires no more (its last year has passed)"]


async def test_an_endpoint_that_refuses_the_rule_is_logged_once_and_the_timer_runs(
    make_context: ContextFactory,
) -> None:
    lines: list[str] = []
    clients = RecordingClients()
    clients.events.refuse = True
    local_lambda = RecordingLambda()
    context = make_context(local_lambda, lines, clients=clients)
    clock = Clock(START)
    timer = ScheduleTimer(entry("rate(1 minute)"), context, now=clock, max_nap=0.005)
    timer.start()
    clock.moment = START + timedelta(seconds=15)
    await until(lambda: len(local_lambda.events) == 1)
    clock.moment = START + timedelta(seconds=75)
    await until(lambda: len(local_lambda.events) == 2)
    await timer.stop()
    refused = [line for line in notes(lines) if line.startswith("could not create rule")]
    assert refused == [
        "could not create rule clock-dev-tick on the endpoint (ConnectionError: the endpoint "
        "does not answer); the schedule fires all the same"
    ]


async def test_a_function_the_local_lambda_does_not_know_names_its_rule_itself(
    make_context: ContextFactory,
) -> None:
    context = make_context(RecordingLambda(), [])
    other = FunctionEntry("nightly", "app.nightly", "scheduled", {"expression": "rate(1 day)"})
    timer = ScheduleTimer(other, context, now=Clock(START))
    assert timer.rule_arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nightly"


# -- a real worker pool and a real endpoint -------------------------------------------------

TICK_APP = """\
import json, os

def tick(event, context):
    with open(os.environ["EVENTS_FILE"], "a") as events:
        events.write(json.dumps(event) + "\\n")
"""


async def described_rule(context: CloudContext, name: str) -> Any:
    """The rule as the endpoint describes it, once the timer's put_rule has reached it."""
    events = context.clients.get("events")
    deadline = time.monotonic() + 5
    while True:
        try:
            return await context.call(events.describe_rule, Name=name)
        except events.exceptions.ResourceNotFoundException:
            assert time.monotonic() < deadline, f"no rule {name} on the endpoint"
            await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_real_worker_gets_rate_1_minute_every_second_at_clock_speed_60(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(TICK_APP)
    events_file = tmp_path / "events.jsonl"
    spec = FunctionSpec(
        "tick",
        "clock-dev-tick",
        "app.tick",
        str(tmp_path),
        environment={"EVENTS_FILE": str(events_file)},
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    clients = AwsClients(f"http://{host}:{port}", REGION)
    pool = WorkerPool([spec], region=REGION)
    lines: list[str] = []
    context = CloudContext(
        local_lambda=pool,
        clients=clients,
        deliveries=DeliveryLog(lines.append),
        event_queue=EventQueue(pool, lines.append),
        region=REGION,
        account_id=ACCOUNT,
        log=lines.append,
        clock_speed=60,
    )
    timer = ScheduleTimer(entry("rate(1 minute)"), context)
    try:
        started = time.monotonic()
        timer.start()
        await until(lambda: timer.fires >= 2, timeout=3.5)  # one a second, the first <= 1 s
        fired_in = time.monotonic() - started
        counters = context.deliveries.counters("schedule tick")
        await until(lambda: counters.succeeded >= 2, timeout=20)  # a cold start under load
        await timer.stop()
        rule = await described_rule(context, "clock-dev-tick")
    finally:
        await timer.stop()
        await context.event_queue.close()
        await pool.close()
        context.executor.shutdown(wait=True)
        server.stop()
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert len(events) >= 2, f"fired twice in {fired_in:.2f} s"
    first, second = (datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in events[:2])
    assert second - first == timedelta(minutes=1)
    assert first.second == 0
    for event in events:
        assert UUID.fullmatch(event["id"])
        assert event["detail-type"] == "Scheduled Event"
        assert event["source"] == "aws.events"
        assert event["resources"] == [RULE_ARN]
        assert (event["account"], event["region"], event["detail"]) == (ACCOUNT, REGION, {})
    assert rule["State"] == "DISABLED"
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Arn"] == RULE_ARN  # moto's account is ours
    next_fires = [line for line in notes(lines) if line.startswith("next fire ")]
    assert len(next_fires) >= 3  # at start, then after each fire
    assert "chalicelike local: schedule tick -> tick: 1 record, succeeded" in lines
