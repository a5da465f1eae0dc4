"""`on_sns_message` brought to life: each notification of the topic invokes the function.

The endpoint does SNS's fan-out (and the user's filter policies on their own
subscriptions): our internal queue is subscribed to the topic, and each envelope it gets
becomes Lambda's SNS event, one record per asynchronous invoke, as SNS invokes Lambda.
"""

from __future__ import annotations

import json
from typing import Any

from .._tooling._manifest import FunctionEntry
from ._live_sources import CloudContext
from ._relay_queues import Relay, RelayedSource, RelaySetup, internal_name
from ._sns_moto_patches import INTERNAL_QUEUE_PREFIX

__all__ = ["SnsSubscription", "lambda_sns_event"]

QUEUE_PREFIX = INTERNAL_QUEUE_PREFIX
QUEUE_NAME_LIMIT = 80  # SQS's, '.fifo' included


class SnsSubscription(RelayedSource):
    """The SNS subscription of one function; a LiveSource. Stopping unsubscribes (a
    removed handler or a changed topic must get nothing more); the internal queue stays,
    with anything not yet delivered."""

    def __init__(self, entry: FunctionEntry, context: CloudContext) -> None:
        topic = entry.settings["topic"]
        self.topic_name = topic.rsplit(":", 1)[-1]
        fifo = self.topic_name.endswith(".fifo")
        spec = context.local_lambda.find(entry.name)
        resource = spec.resource_name if spec is not None else entry.name
        queue_name = internal_name(
            QUEUE_PREFIX, resource, QUEUE_NAME_LIMIT, ".fifo" if fifo else ""
        )
        self._setup = _SnsSetup(context, topic)
        self.relay = Relay(
            context,
            self._setup,
            function=entry.name,
            source=f"sns {self.topic_name}",
            queue_name=queue_name,
            fifo=fifo,
        )
        if fifo:
            # AWS takes only SQS subscriptions on a FIFO topic: deployed, this handler
            # would never run. Locally it does, in each message group's order.
            context.deliveries.note(
                self.relay.source,
                f"AWS refuses Lambda subscriptions to FIFO topics: deployed, {entry.name}"
                " would get nothing (subscribe an SQS FIFO queue and use on_sqs_message)",
            )

    @property
    def topic_arn(self) -> str | None:
        return self._setup.topic_arn

    @property
    def subscription_arn(self) -> str | None:
        return self._setup.subscription_arn


class _SnsSetup(RelaySetup):
    def __init__(self, context: CloudContext, topic: str) -> None:
        self._ctx = context
        self.topic = topic  # a name or an ARN
        self.topic_arn: str | None = topic if topic.startswith("arn:") else None
        self.subscription_arn: str | None = None

    def connect(self, queue_arn: str) -> None:
        sns = self._ctx.clients.get("sns")
        if self.topic_arn is None:
            self.topic_arn = _find_topic(sns, self.topic)
        # Not raw: the envelope carries the message id, subject, timestamp, signature and
        # attributes Lambda's record needs. Subscribing again returns the same ARN.
        answer = sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            ReturnSubscriptionArn=True,
        )
        self.subscription_arn = answer["SubscriptionArn"]

    def disconnect(self) -> None:
        if self.subscription_arn is not None:
            self._ctx.clients.get("sns").unsubscribe(SubscriptionArn=self.subscription_arn)

    def convert(self, body: str) -> bytes | None:
        try:
            envelope = json.loads(body)
        except ValueError:
            raise ValueError("the message is no SNS envelope (not JSON)") from None
        if not isinstance(envelope, dict) or "Message" not in envelope:
            raise ValueError("the message is no SNS envelope (no Message)")
        if envelope.get("Type", "Notification") != "Notification":
            return None  # SubscriptionConfirmation and the like: SNS's, not the function's
        event = lambda_sns_event(envelope, self.subscription_arn or f"{self.topic_arn}:local")
        return json.dumps(event).encode()


def lambda_sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """Lambda's SNS event for one notification, from the envelope SNS puts in a queue.

    The envelope spells `SigningCertURL` / `UnsubscribeURL`; Lambda's record spells them
    `SigningCertUrl` / `UnsubscribeUrl`, has `Subject` null when the publisher gave none
    and `MessageAttributes` {} when there were none.
    """
    topic_arn = envelope.get("TopicArn", subscription_arn.rsplit(":", 1)[0])
    region = topic_arn.split(":")[3] if topic_arn.count(":") >= 5 else "us-east-1"
    endpoint = f"https://sns.{region}.amazonaws.com"
    notification = {
        "Type": "Notification",
        "MessageId": envelope.get("MessageId", ""),
        "TopicArn": topic_arn,
        "Subject": envelope.get("Subject") or None,
        "Message": envelope["Message"],
        "Timestamp": envelope.get("Timestamp", ""),
        "SignatureVersion": envelope.get("SignatureVersion", "1"),
        "Signature": envelope.get("Signature", ""),
        "SigningCertUrl": envelope.get("SigningCertURL", ""),
        # The endpoint's own link may name another subscription (moto's does): this one's.
        "UnsubscribeUrl": f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
        "MessageAttributes": {
            name: {"Type": value.get("Type"), "Value": value.get("Value")}
            for name, value in (envelope.get("MessageAttributes") or {}).items()
        },
    }
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": notification,
    }
    return {"Records": [record]}


def _find_topic(sns: Any, name: str) -> str:
    """The ARN of the topic named `name`, whatever account the endpoint uses (moto's
    default, LocalStack's 000000000000); LookupError until it exists."""
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            arn: str = topic["TopicArn"]
            if arn.rsplit(":", 1)[-1] == name:
                return arn
    raise LookupError(f"no topic {name!r} on the endpoint yet")
