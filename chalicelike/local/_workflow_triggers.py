"""What starts a workflow's executions locally: its schedule and its event pattern.

A schedule runs on the schedule timers' clock (`ScheduleTimer`, sped up by the clock speed)
and starts an execution whose input is the Scheduled Event EventBridge sends its targets. An
event pattern is a rule on the default bus delivering to an internal queue of ours (moto's
EventBridge has no Step Functions targets); each event that lands starts an execution with
the event as input, as EventBridge gives a state machine target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

from .._tooling._manifest import FunctionEntry
from .._tooling._workflows import WorkflowEntry
from ._aws_clients import LONG_POLL_SECONDS
from ._eventbridge_rules import RuleSetup
from ._live_sources import CloudContext, LiveSource
from ._relay_queues import internal_name
from ._schedule_timers import ScheduleTimer, rule_arn, scheduled_event

__all__ = ["WorkflowEventRule", "WorkflowSchedule", "triggers_of"]

RULE_PREFIX = "chalicelike-sfn-"
RULE_NAME_LIMIT = 64  # EventBridge's
QUEUE_PREFIX = "chalicelike-sfn-events-"
QUEUE_NAME_LIMIT = 80  # SQS's
RETRY_SECONDS = 1.0  # the bus or queue not there yet, the endpoint restarting


def triggers_of(
    entry: WorkflowEntry, name: str, arn: str, context: CloudContext
) -> list[LiveSource]:
    triggers: list[LiveSource] = []
    if entry.schedule:
        triggers.append(WorkflowSchedule(entry.schedule, name, arn, context))
    if entry.event_pattern:
        triggers.append(WorkflowEventRule(entry.event_pattern, name, arn, context))
    return triggers


def start_execution(context: CloudContext, arn: str, source: str, document: Any) -> None:
    """Start one execution in the cloud's threads; a line in the log says which, or why not."""

    def started(future: asyncio.Future[Any]) -> None:
        if future.cancelled():  # the server stopped first
            return
        error = future.exception()
        if error is not None:
            context.deliveries.note(source, f"could not start an execution: {error}")
        else:
            context.deliveries.note(source, f"started {future.result()['executionArn']}")

    states = context.clients.get("stepfunctions")
    call = context.call(states.start_execution, stateMachineArn=arn, input=json.dumps(document))
    asyncio.ensure_future(call).add_done_callback(started)


class WorkflowSchedule(ScheduleTimer):
    """A workflow's schedule: each fire starts an execution of the machine `arn`."""

    def __init__(self, expression: str, name: str, arn: str, context: CloudContext) -> None:
        entry = FunctionEntry(name, "", "scheduled", {"expression": expression})
        super().__init__(entry, context)
        self.machine_arn = arn
        self.source = f"schedule {name}"
        # Its own rule name: a function of the app may be deployed under the machine's name.
        self.rule_name = internal_name("", name, RULE_NAME_LIMIT, "-schedule")
        self.rule_arn = rule_arn(context.region, context.account_id, self.rule_name)

    def _fire(self, moment: datetime) -> None:
        context = self.context
        event = scheduled_event(moment, self.rule_arn, context.region, context.account_id)
        start_execution(context, self.machine_arn, self.source, event)
        self.fires += 1


class WorkflowEventRule:
    """A workflow's event pattern: a rule on the default bus into our queue, polled."""

    def __init__(self, pattern: dict[str, Any], name: str, arn: str, context: CloudContext) -> None:
        self.machine_arn = arn
        self.context = context
        self.source = f"eventbridge default/{name}"
        self.rule_name = internal_name(RULE_PREFIX, name, RULE_NAME_LIMIT)
        self.queue_name = internal_name(QUEUE_PREFIX, name, QUEUE_NAME_LIMIT)
        # The rule, its removal and the event as a target gets it: as a handler's rule.
        self._setup = RuleSetup(context, "default", self.rule_name, pattern)
        self.ready = asyncio.Event()  # the rule is in place: events match from now on
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):  # the endpoint may be gone with the server
            await self.context.call(self._disconnect)

    async def _run(self) -> None:
        queue_url = await self._connected()
        self.ready.set()
        sqs = self.context.clients.get("sqs")
        while True:
            try:
                answer = await self.context.call(
                    sqs.receive_message,
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=LONG_POLL_SECONDS,
                )
            except Exception as error:
                self.context.deliveries.note(self.source, f"could not receive: {error}")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for message in answer.get("Messages", []):
                self._deliver(message["Body"])
                await self.context.call(
                    sqs.delete_message, QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def _deliver(self, body: str) -> None:
        try:
            payload = self._setup.convert(body)
        except ValueError as error:
            self.context.deliveries.note(self.source, f"dropped a message: {error}")
            return
        if payload is not None:
            start_execution(self.context, self.machine_arn, self.source, json.loads(payload))

    async def _connected(self) -> str:
        while True:
            try:
                return await self.context.call(self._connect)
            except Exception as error:
                self.context.deliveries.note(self.source, f"not connected yet: {error}")
                await asyncio.sleep(RETRY_SECONDS)

    def _connect(self) -> str:
        sqs = self.context.clients.get("sqs")
        queue_url: str = sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._setup.connect(queue_arn)
        return queue_url

    def _disconnect(self) -> None:
        self._setup.disconnect()
