"""`on_cw_event` brought to life: events that match the pattern invoke the function.

A rule on the handler's bus (the default one unless it names another) with the
handler's pattern targets our internal queue; the endpoint does the matching, and each
event that lands is handed to the function as EventBridge sends it, asynchronously.
"""

from __future__ import annotations

import json
from typing import Any

from .._tooling._manifest import FunctionEntry
from ._live_sources import CloudContext
from ._relay_queues import Relay, RelayedSource, RelaySetup, internal_name

__all__ = ["EventBridgeRule", "RuleSetup", "eventbridge_event"]

RULE_PREFIX = "chalicelike-"
RULE_NAME_LIMIT = 64  # EventBridge's
QUEUE_PREFIX = "chalicelike-events-"
QUEUE_NAME_LIMIT = 80
TARGET_ID = "chalicelike-relay"
# EventBridge's envelope, in the order AWS writes it.
ENVELOPE_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region",
                 "resources", "detail")  # fmt: skip


class EventBridgeRule(RelayedSource):
    """The EventBridge rule of one function; a LiveSource. Stopping deletes the rule (a
    removed handler or a changed pattern must match nothing more); the internal queue
    stays, with anything not yet delivered."""

    def __init__(self, entry: FunctionEntry, context: CloudContext) -> None:
        bus = entry.settings.get("bus") or "default"
        self.bus = bus  # a name or an ARN: PutRule takes either
        bus_name = bus.rsplit("/", 1)[-1]
        spec = context.local_lambda.find(entry.name)
        resource = spec.resource_name if spec is not None else entry.name
        self.rule_name = internal_name(RULE_PREFIX, resource, RULE_NAME_LIMIT)
        self._setup = RuleSetup(context, bus, self.rule_name, entry.settings["event_pattern"])
        self.relay = Relay(
            context,
            self._setup,
            function=entry.name,
            source=f"eventbridge {bus_name}/{self.rule_name}",
            queue_name=internal_name(QUEUE_PREFIX, resource, QUEUE_NAME_LIMIT),
        )


class RuleSetup(RelaySetup):
    """A rule on `bus` matching `pattern` into a queue (`connect`), removed (`disconnect`),
    and each message it delivers as EventBridge hands the event to a target (`convert`)."""

    def __init__(
        self, context: CloudContext, bus: str, rule_name: str, pattern: dict[str, Any]
    ) -> None:
        self._ctx = context
        self.bus = bus
        self.rule_name = rule_name
        self.pattern = pattern
        self.account_id = context.account_id  # the rule's, once PutRule has answered

    def connect(self, queue_arn: str) -> None:
        events = self._ctx.clients.get("events")
        # PutRule on an existing name replaces its pattern: a reload never matches by the old.
        answer = events.put_rule(
            Name=self.rule_name,
            EventBusName=self.bus,
            EventPattern=json.dumps(self.pattern),
            State="ENABLED",
            Description="chalicelike local: delivers to the handler's internal queue",
        )
        self.account_id = answer["RuleArn"].split(":")[4] or self.account_id
        events.put_targets(
            Rule=self.rule_name,
            EventBusName=self.bus,
            Targets=[{"Id": TARGET_ID, "Arn": queue_arn}],
        )

    def disconnect(self) -> None:
        events = self._ctx.clients.get("events")
        # A rule with targets cannot be deleted (EventBridge's rule).
        events.remove_targets(Rule=self.rule_name, EventBusName=self.bus, Ids=[TARGET_ID])
        events.delete_rule(Name=self.rule_name, EventBusName=self.bus)

    def convert(self, body: str) -> bytes | None:
        try:
            event = json.loads(body)
        except ValueError:
            raise ValueError("the message is no EventBridge event (not JSON)") from None
        if not isinstance(event, dict) or "detail-type" not in event:
            raise ValueError("the message is no EventBridge event (no detail-type)")
        return json.dumps(eventbridge_event(event, self.account_id)).encode()


def eventbridge_event(event: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The event as EventBridge hands it to a Lambda target: moto's SQS copy lacks
    `account`, which AWS always sends; AWS's key order; anything else kept as it came."""
    event = {**event}
    event.setdefault("account", account_id)
    ordered = {key: event.pop(key) for key in ENVELOPE_KEYS if key in event}
    return {**ordered, **event}
