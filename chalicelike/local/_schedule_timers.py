"""`@app.schedule` in real time: a timer per schedule that fires EventBridge's Scheduled Event.

One `ScheduleTimer` (a LiveSource) per scheduled function sleeps until the expression's
next fire (`_cron_times.py`), then hands the event to the async event queue, as EventBridge
invokes its Lambda targets asynchronously. The endpoint gets the rule too, disabled.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from .._tooling._manifest import FunctionEntry
from ._cron_times import Schedule, compile_schedule
from ._deliveries import Outcome
from ._live_sources import CloudContext, invoker_of

__all__ = ["ScheduleTimer", "rule_arn", "scheduled_event"]

# A timer wakes at least this often (real seconds) to read the wall clock again: asyncio
# sleeps on the monotonic clock, which stands still while the computer is asleep.
MAX_NAP_SECONDS = 30.0
# What the rule on the endpoint says it is, so nobody enables it and gets two fires.
_RULE_NOTE = "Fired by chalicelike local itself; kept DISABLED so the endpoint never fires it too."


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """EventBridge's time format: '2026-12-06T05:35:00Z', no fraction."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rule_arn(region: str, account_id: str, rule_name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"


def scheduled_event(
    moment: datetime, rule: str, region: str, account_id: str, event_id: str | None = None
) -> dict[str, Any]:
    """What EventBridge sends a schedule's target: a "Scheduled Event" from aws.events,
    `time` the scheduled minute, `resources` the rule's ARN, an empty detail."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": iso(moment),
        "region": region,
        "resources": [rule],
        "detail": {},
    }


class ScheduleTimer:
    """Fires one function's schedule (entry.settings["expression"]) in schedule time.

    Schedule time starts at the wall clock when the timer starts and runs
    `context.clock_speed` times faster than it. `now` (the real UTC clock) and
    `max_nap` are for tests: a clock they move, and a timer that reads it often.
    """

    def __init__(
        self,
        entry: FunctionEntry,
        context: CloudContext,
        *,
        now: Callable[[], datetime] = _utc_now,
        max_nap: float = MAX_NAP_SECONDS,
    ) -> None:
        self.entry = entry
        self.context = context
        self.source = f"schedule {entry.name}"
        self._now = now
        self._max_nap = max_nap
        self._speed = max(float(context.clock_speed), 1.0)
        self._origin = now()
        self._tasks: list[asyncio.Task[None]] = []
        spec = context.local_lambda.find(entry.name)
        # The rule's name as our `package` deploys it (Terraform names it after the
        # function: '<app>-<stage>-<name>'); CloudFormation would make one up.
        self.rule_name = spec.resource_name if spec is not None else entry.name
        self.rule_arn = rule_arn(context.region, context.account_id, self.rule_name)
        self.fires = 0  # events submitted so far
        self._due: datetime | None = None  # the next fire, in schedule time

    def start(self) -> None:
        expression = str(self.entry.settings.get("expression", ""))
        try:
            schedule = compile_schedule(expression)
        except ValueError as error:  # a deploy problem: `local` warned about it already
            self.context.deliveries.note(self.source, f"not scheduled: {error}")
            return
        self._origin = self._now()
        due = schedule.next_fire(self._origin)
        self._note_next(due)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._create_rule(schedule)),
            loop.create_task(self._run(schedule, due)),
        ]

    async def stop(self) -> None:
        """Cancel the timer; an event already submitted is the async queue's to finish."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def next_fire(self) -> datetime | None:
        """When this timer fires next, on the wall clock (None: not started, or it fires no
        more). A rate counts from the timer's start, so only the timer knows (the console
        shows it)."""
        if self._due is None or not self._tasks:
            return None
        return self._origin + (self._due - self._origin) / self._speed

    def schedule_now(self) -> datetime:
        """The schedule's clock: the wall clock, sped up `clock_speed` times since start."""
        return self._origin + (self._now() - self._origin) * self._speed

    async def _run(self, schedule: Schedule, due: datetime | None) -> None:
        while due is not None:
            await self._sleep_until(due)
            moment = self._catch_up(schedule, due)
            self._fire(moment)
            due = schedule.next_fire(moment)
            self._note_next(due)

    async def _sleep_until(self, due: datetime) -> None:
        while (ahead := (due - self.schedule_now()).total_seconds()) > 0:
            await asyncio.sleep(min(ahead / self._speed, self._max_nap))

    def _catch_up(self, schedule: Schedule, due: datetime) -> datetime:
        """The time to fire for: `due`, or the latest one passed when the timer fell
        behind (the computer slept). EventBridge does not replay missed fires, so the ones
        in between are skipped, and the log says so."""
        now = self.schedule_now()
        latest = schedule.latest_fire(due, now)
        if latest is None:
            return due
        behind = _duration(now - due)
        self.context.deliveries.note(
            self.source,
            f"behind by {behind} (was the computer asleep?): skipped the fires due from "
            f"{iso(due)} to before {iso(latest)}, as EventBridge does not catch up; "
            f"firing once, for {iso(latest)}",
        )
        return latest

    def _fire(self, moment: datetime) -> None:
        context = self.context
        event = scheduled_event(moment, self.rule_arn, context.region, context.account_id)
        # Lambda's request id is its own, not the EventBridge event's id.
        request_id = str(uuid.uuid4())

        def report(outcome: Outcome, detail: str) -> None:
            context.deliveries.record(self.source, self.entry.name, 1, outcome, detail=detail)

        context.event_queue.submit(
            self.entry.name,
            json.dumps(event).encode(),
            request_id,
            label=f"{self.source}: the event for {iso(moment)}",
            report=report,
            source=invoker_of(self.source),
        )
        self.fires += 1

    def _note_next(self, due: datetime | None) -> None:
        self._due = due
        if due is None:
            self.context.deliveries.note(self.source, "fires no more (its last year has passed)")
        else:
            self.context.deliveries.note(self.source, f"next fire {iso(due)}")

    async def _create_rule(self, schedule: Schedule) -> None:
        """The rule on the endpoint, for `aws events list-rules` to show. DISABLED: moto
        never fires rules, but LocalStack fires enabled schedule rules itself, and two
        fires a minute would be wrong. A failure is logged once; the timer runs anyway."""
        description = self.entry.settings.get("description") or ""
        events = self.context.clients.get("events")
        try:
            await self.context.call(
                events.put_rule,
                Name=self.rule_name,
                ScheduleExpression=schedule.expression,
                State="DISABLED",
                # EventBridge takes a description of 512 characters at most.
                Description=(f"{description} ({_RULE_NOTE})" if description else _RULE_NOTE)[:512],
            )
        except Exception as error:  # the endpoint is down, or refuses the expression
            self.context.deliveries.note(
                self.source,
                f"could not create rule {self.rule_name} on the endpoint "
                f"({type(error).__name__}: {error}); the schedule fires all the same",
            )


def _duration(span: timedelta) -> str:
    """'3 h 5 min', '42 s': how far behind, for a log line."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{seconds} s"
