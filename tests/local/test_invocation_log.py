"""The console's ring of invocations: bounded, newest first, filtered, summed per function."""

from __future__ import annotations

import pytest

from chalicelike.local._invocation_log import (
    MAX_TEXT_CHARS,
    InvocationLog,
    InvocationRecord,
    clip,
)


def record(function: str = "f", status: str = "ok", duration_ms: float = 1.0) -> InvocationRecord:
    return InvocationRecord(
        function=function,
        request_id="r",
        source="invoke",
        status=status,
        started_at=0.0,
        duration_ms=duration_ms,
        billed_ms=1,
        memory_size_mb=128,
        max_memory_used_mb=40,
        init_duration_ms=None,
        event="{}",
        answer="null",
        logs="",
    )


def test_the_ring_keeps_the_newest_and_numbers_each_record() -> None:
    log = InvocationLog(capacity=3)
    added = [log.add(record(function=f"f{n}")) for n in range(5)]
    assert [r.id for r in added] == ["1", "2", "3", "4", "5"]
    assert len(log) == 3
    assert [r.function for r in log.newest()] == ["f4", "f3", "f2"]
    assert log.get("1") is None and log.get("5") is added[4]


def test_a_capacity_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InvocationLog(capacity=0)


def test_newest_filters_by_function_and_status_up_to_a_limit() -> None:
    log = InvocationLog()
    for function, status in [("a", "ok"), ("b", "error"), ("a", "error"), ("a", "ok")]:
        log.add(record(function, status))
    assert [r.id for r in log.newest(function="a")] == ["4", "3", "1"]
    assert [r.id for r in log.newest(status="error")] == ["3", "2"]
    assert [r.id for r in log.newest(function="a", status="ok", limit=1)] == ["4"]


def test_subscribers_hear_of_each_new_record_until_they_leave() -> None:
    log = InvocationLog()
    heard: list[str] = []
    leave = log.subscribe(lambda r: heard.append(r.id))
    log.add(record())
    leave()
    leave()  # twice is harmless
    log.add(record())
    assert heard == ["1"]


def test_stats_count_errors_and_take_nearest_rank_percentiles() -> None:
    log = InvocationLog()
    for n in range(1, 101):
        log.add(record("a", "ok" if n % 10 else "timeout", duration_ms=float(n)))
    log.add(record("b", duration_ms=7.0))
    stats = log.stats()
    expected = {"invocations": 100, "errors": 10, "p50_ms": 50.0, "p99_ms": 99.0}
    assert stats["a"].to_json() == expected
    assert (stats["b"].p50_ms, stats["b"].p99_ms) == (7.0, 7.0)


def test_texts_are_clipped_with_a_note_of_what_was_left_out() -> None:
    assert clip("short") == "short"
    long = "x" * (MAX_TEXT_CHARS + 10)
    clipped = clip(long)
    assert clipped.startswith("x" * MAX_TEXT_CHARS)
    assert clipped.endswith("[10 more characters not kept]")


def test_a_records_json_says_whether_it_was_a_cold_start() -> None:
    warm = record().to_json()
    cold = record()
    cold.init_duration_ms = 123.456
    assert warm["cold_start"] is False and warm["init_duration_ms"] is None
    assert cold.to_json()["cold_start"] is True and cold.to_json()["init_duration_ms"] == 123.46


def test_the_ring_says_how_many_it_keeps() -> None:
    from chalicelike.local._invocation_log import DEFAULT_CAPACITY

    assert InvocationLog().capacity == DEFAULT_CAPACITY
    assert InvocationLog(capacity=3).capacity == 3
