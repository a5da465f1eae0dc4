"""Makes moto's SNS hand our internal subscriptions the text SNS gives a Lambda subscriber.

A message published with MessageStructure "json" holds one text per protocol, and SNS
sends a Lambda subscription its "lambda" text (else "default"). The local cloud subscribes
a queue in the function's place (`_sns_subscriptions.py`), for which moto picks the "sqs"
text: for those queues alone, it now picks Lambda's. Applied where moto serves.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["INTERNAL_QUEUE_PREFIX", "patch_moto_sns"]

# The names of the queues that stand in for a function's subscription.
INTERNAL_QUEUE_PREFIX = "chalicelike-sns-"
_AS_LAMBDA = SimpleNamespace(protocol="lambda")


def patch_moto_sns() -> bool:
    """Patch moto's SNS in this process (idempotent). False, changing nothing, when this
    moto's code is not the one the patch was written for."""
    try:
        from moto.sns import models
    except ImportError:
        return False
    subscription: Any = getattr(models, "Subscription", None)
    pick: Any = getattr(subscription, "_parse_message_structure", None)
    if not callable(pick):
        return False
    if getattr(pick, "_chalicelike", False):
        return True

    def pick_for_lambda(self: Any, message: str, protocol: str) -> Any:
        queue = str(getattr(self, "endpoint", "")).rsplit(":", 1)[-1]
        if self.protocol == "sqs" and queue.startswith(INTERNAL_QUEUE_PREFIX):
            # moto reads the protocol off the subscription: show it Lambda's.
            return pick(_AS_LAMBDA, message, "lambda")
        return pick(self, message, protocol)

    pick_for_lambda._chalicelike = True  # type: ignore[attr-defined]
    subscription._parse_message_structure = pick_for_lambda
    return True
