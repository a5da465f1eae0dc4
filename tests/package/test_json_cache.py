"""The cache files a repeat `package` reads: computed once, rewritten when unreadable."""

from __future__ import annotations

from pathlib import Path

from chalicelike.package._json_cache import cached_json, read_cached


def test_a_value_is_computed_once_then_read(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "value.json"
    calls: list[int] = []

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    assert cached_json(path, compute) == {"n": 1}
    assert cached_json(path, compute) == {"n": 1}
    assert calls == [1]
    assert [p.name for p in path.parent.iterdir()] == ["value.json"]  # no temporary left


def test_an_unreadable_cache_is_computed_again(tmp_path: Path) -> None:
    path = tmp_path / "value.json"
    path.write_text("{half a fi")
    assert read_cached(path) is None
    assert cached_json(path, lambda: [1, 2]) == [1, 2]
    assert read_cached(path) == [1, 2]
