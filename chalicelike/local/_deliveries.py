"""What the local cloud delivered: one log line per delivery, and counters per source.

Every event source of `chalicelike local` (S3, SQS, SNS, EventBridge, schedules, Kinesis,
DynamoDB streams) reports each delivery here: which source, which function, how many
records, and how it ended. The counters answer "did my 1,000 messages all arrive?" at a
glance; they are printed when the server stops and served as JSON (`snapshot`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass

__all__ = ["DeliveryCounters", "DeliveryLog", "Outcome"]


class Outcome(enum.Enum):
    """How one delivery ended, as the source's owner (Lambda's poller, S3, SNS) sees it."""

    SUCCEEDED = "succeeded"  # the handler returned; the records are done (deleted, checkpointed)
    PARTIAL = "partial"  # batchItemFailures: some records come back, the rest are done
    RETRIED = "retried"  # the handler failed: the records come back (visibility, retry, re-read)
    DEAD_LETTERED = "dead-lettered"  # moved to the queue's dead-letter queue
    DISCARDED = "discarded"  # retries exhausted with no destination: Lambda drops it, so do we
    RETURNED = "returned"  # not run: the server stopped or reloaded, back to its queue unharmed


@dataclass
class DeliveryCounters:
    """Records, not batches: a batch of 10 that succeeded adds 10 to delivered and succeeded."""

    delivered: int = 0
    succeeded: int = 0
    retried: int = 0
    dead_lettered: int = 0
    discarded: int = 0
    returned: int = 0


class DeliveryLog:
    """Logs each delivery and keeps the counters, keyed by source label ('sqs jobs')."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._counters: dict[str, DeliveryCounters] = {}

    def record(
        self,
        source: str,
        function: str,
        records: int,
        outcome: Outcome,
        *,
        failed: int = 0,
        detail: str = "",
    ) -> None:
        """One delivery of `records` records from `source` to `function`.

        `failed`: for PARTIAL, how many records come back (the others succeeded);
        `detail`: why it failed or where it went, for the log line.
        """
        counters = self._counters.setdefault(source, DeliveryCounters())
        if outcome is Outcome.RETURNED:
            counters.returned += records
        else:
            counters.delivered += records
        if outcome is Outcome.SUCCEEDED:
            counters.succeeded += records
        elif outcome is Outcome.PARTIAL:
            counters.succeeded += records - failed
            counters.retried += failed
        elif outcome is Outcome.RETRIED:
            counters.retried += records
        elif outcome is Outcome.DEAD_LETTERED:
            counters.dead_lettered += records
        elif outcome is Outcome.DISCARDED:
            counters.discarded += records
        what = f"{records} record" + ("" if records == 1 else "s")
        if outcome is Outcome.PARTIAL:
            what += f", {failed} failed"
        line = f"chalicelike local: {source} -> {function}: {what}, {outcome.value}"
        self._log(line + (f" ({detail})" if detail else ""))

    def note(self, source: str, line: str) -> None:
        """A line about a source that is no delivery (a poller started, a schedule's next fire)."""
        self._counters.setdefault(source, DeliveryCounters())
        self._log(f"chalicelike local: {source}: {line}")

    def counters(self, source: str) -> DeliveryCounters:
        return self._counters.setdefault(source, DeliveryCounters())

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {source: asdict(counters) for source, counters in sorted(self._counters.items())}

    def summary(self) -> list[str]:
        """One line per source that delivered anything, for the log when the server stops."""
        lines = []
        for source, counters in sorted(self._counters.items()):
            if counters == DeliveryCounters():
                continue
            parts = ", ".join(f"{name.replace('_', '-')} {value}" for name, value in
                              asdict(counters).items())  # fmt: skip
            lines.append(f"chalicelike local: {source}: {parts}")
        return lines
