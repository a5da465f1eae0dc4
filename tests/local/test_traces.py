"""The console's store of X-Ray traces: flat segments by id, newest wins, bounded."""

from __future__ import annotations

from typing import Any

from chalicelike._observe._invocation import trace_root
from chalicelike.local import _traces
from chalicelike.local._traces import TraceStore

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def segment(id: str, start: float, trace_id: str = ROOT, **fields: Any) -> dict[str, Any]:
    return {"trace_id": trace_id, "id": id, "name": id, "start_time": start, **fields}


def test_trace_root_reads_the_root_of_a_header() -> None:
    assert trace_root(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1") == ROOT
    assert trace_root(f" Sampled=1 ; Root={ROOT}") == ROOT
    assert trace_root("Parent=53995c3f42cd8ad8") is None
    assert trace_root("") is None and trace_root(None) is None


def test_nested_subsegments_are_kept_flat_under_their_parent() -> None:
    store = TraceStore()
    child = {"id": "c1", "name": "sqs", "start_time": 2.0, "subsegments": [{"id": "g1"}]}
    assert store.add(segment("s1", 1.0, subsegments=[child, "not a dict"]))
    flat = {s["id"]: s for s in store.trace(ROOT) or []}
    assert set(flat) == {"s1", "c1", "g1"}
    assert "subsegments" not in flat["s1"] and "subsegments" not in flat["c1"]
    assert flat["c1"]["parent_id"] == "s1" and flat["g1"]["parent_id"] == "c1"
    assert flat["g1"]["trace_id"] == ROOT  # a nested one names no trace of its own


def test_segments_come_earliest_first_and_the_newest_document_of_an_id_wins() -> None:
    store = TraceStore()
    store.add(segment("late", 5.0))
    store.add(segment("early", 1.0, in_progress=True))
    store.add(segment("early", 1.0, end_time=2.0))  # the SDK sends it again once closed
    found = store.trace(ROOT) or []
    assert [s["id"] for s in found] == ["early", "late"]
    assert "in_progress" not in found[0] and found[0]["end_time"] == 2.0


def test_what_is_no_segment_is_refused() -> None:
    store = TraceStore()
    assert not store.add({"id": "x"})
    assert not store.add({"trace_id": ROOT})
    assert not store.add({"trace_id": 1, "id": "x"})
    assert len(store) == 0 and store.trace(ROOT) is None


def test_the_oldest_trace_goes_when_the_store_is_full() -> None:
    store = TraceStore(max_traces=2)
    for n in range(3):
        store.add(segment("s", 1.0, trace_id=f"1-00000000-{n:024x}"))
    assert store.trace_ids() == [f"1-00000000-{n:024x}" for n in (2, 1)]
    store.add(segment("t", 2.0, trace_id=f"1-00000000-{1:024x}"))  # used: newest again
    store.add(segment("s", 1.0, trace_id=f"1-00000000-{3:024x}"))
    assert store.trace_ids() == [f"1-00000000-{n:024x}" for n in (3, 1)]


def test_a_trace_keeps_at_most_its_share_of_segments(monkeypatch: Any) -> None:
    monkeypatch.setattr(_traces, "MAX_SEGMENTS_PER_TRACE", 3)
    store = TraceStore()
    for n in range(5):
        store.add(segment(f"s{n}", float(n)))
    store.add(segment("s0", 0.0, end_time=9.0))  # one already held may still be updated
    found = store.trace(ROOT) or []
    assert [s["id"] for s in found] == ["s0", "s1", "s2"] and found[0]["end_time"] == 9.0


def test_a_trace_over_its_byte_budget_takes_no_more_documents() -> None:
    store = TraceStore(max_trace_bytes=1000, max_total_bytes=10_000)
    assert store.keep(segment("a", 1.0), 400) is None
    assert store.keep(segment("a", 1.0, end_time=2.0), 400) is None  # a resend costs too
    problem = store.keep(segment("b", 3.0), 400)
    assert problem == "its trace is over its 1000-byte budget"
    assert [s["id"] for s in store.trace(ROOT) or []] == ["a"]
    other = f"1-00000000-{1:024x}"
    assert store.keep(segment("c", 1.0, trace_id=other), 1001) is not None  # alone too big
    assert store.trace(other) is None and store.total_bytes == 800


def test_past_the_total_byte_budget_the_oldest_traces_go() -> None:
    store = TraceStore(max_trace_bytes=1000, max_total_bytes=1200)
    roots = [f"1-00000000-{n:024x}" for n in range(4)]
    for root in roots:
        assert store.add(segment("s", 1.0, trace_id=root), 500)
    assert store.trace_ids() == [roots[3], roots[2]] and store.total_bytes == 1000
    assert store.add(segment("t", 2.0, trace_id=roots[2]), 500)  # newest, and past the total
    assert store.trace_ids() == [roots[2]] and store.total_bytes == 1000


def test_the_servers_own_segments_are_charged_an_estimate_of_their_size() -> None:
    store = TraceStore()
    request = {"url": "http://127.0.0.1/" + "x" * 50_000, "method": "GET", "user_agent": "curl"}
    store.add(segment("gw", 1.0, http={"request": request, "response": {"status": 200}}))
    assert 50_000 < store.total_bytes < 51_000
