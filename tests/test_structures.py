"""Tests for _core/_structures.py: MultiDict (query strings) and CaseInsensitiveMapping."""

from __future__ import annotations

import pytest

from chalicelike import CaseInsensitiveMapping, MultiDict

# -- MultiDict ---------------------------------------------------------------------------


def test_multidict_item_is_the_last_value() -> None:
    query = MultiDict({"tag": ["a", "b", "c"], "page": ["2"]})
    assert query["tag"] == "c"
    assert query["page"] == "2"
    assert query.get("tag") == "c"


def test_multidict_getlist_gives_every_value_in_order() -> None:
    query = MultiDict({"tag": ["a", "b", "c"]})
    assert query.getlist("tag") == ["a", "b", "c"]


def test_multidict_getlist_returns_a_copy() -> None:
    query = MultiDict({"tag": ["a"]})
    query.getlist("tag").append("b")
    assert query.getlist("tag") == ["a"]


def test_multidict_missing_key() -> None:
    query = MultiDict({"tag": ["a"]})
    with pytest.raises(KeyError):
        query["nope"]
    with pytest.raises(KeyError):
        query.getlist("nope")
    assert query.get("nope") is None
    assert query.get("nope", "default") == "default"
    assert "nope" not in query
    assert "tag" in query


def test_multidict_empty_list_reads_as_missing() -> None:
    query = MultiDict({"tag": []})
    with pytest.raises(KeyError):
        query["tag"]
    assert query.get("tag") is None


def test_multidict_set_replaces_every_value() -> None:
    query = MultiDict({"tag": ["a", "b"]})
    query["tag"] = "z"
    assert query.getlist("tag") == ["z"]
    query["new"] = "1"
    assert query.to_lists() == {"tag": ["z"], "new": ["1"]}


def test_multidict_delete() -> None:
    query = MultiDict({"tag": ["a", "b"], "page": ["1"]})
    del query["tag"]
    assert list(query) == ["page"]
    with pytest.raises(KeyError):
        del query["tag"]


def test_multidict_len_iter_and_dict_conversion() -> None:
    query = MultiDict({"tag": ["a", "b"], "page": ["1"]})
    assert len(query) == 2
    assert list(query) == ["tag", "page"]
    assert dict(query) == {"tag": "b", "page": "1"}  # what Chalice's to_dict() gives
    assert list(query.items()) == [("tag", "b"), ("page", "1")]


def test_multidict_to_lists_gives_copies() -> None:
    source = {"tag": ["a", "b"]}
    query = MultiDict(source)
    lists = query.to_lists()
    assert lists == {"tag": ["a", "b"]}
    lists["tag"].append("c")
    assert query.getlist("tag") == ["a", "b"]
    assert source == {"tag": ["a", "b"]}


def test_multidict_does_not_change_the_mapping_it_was_given() -> None:
    source = {"tag": ["a", "b"]}
    query = MultiDict(source)
    query["tag"] = "z"
    query["other"] = "1"
    assert source == {"tag": ["a", "b"]}


def test_multidict_from_pairs_groups_repeated_keys() -> None:
    query = MultiDict.from_pairs([("tag", "a"), ("page", "1"), ("tag", "b"), ("empty", "")])
    assert query.to_lists() == {"tag": ["a", "b"], "page": ["1"], "empty": [""]}
    assert query["tag"] == "b"
    assert query["empty"] == ""


def test_multidict_empty() -> None:
    query = MultiDict()
    assert len(query) == 0
    assert query.to_lists() == {}
    assert MultiDict.from_pairs([]).to_lists() == {}


def test_multidict_repr_shows_every_value() -> None:
    assert repr(MultiDict({"tag": ["a", "b"]})) == "MultiDict({'tag': ['a', 'b']})"


# -- CaseInsensitiveMapping --------------------------------------------------------------


def test_headers_are_looked_up_in_any_case() -> None:
    headers = CaseInsensitiveMapping({"Content-Type": "text/plain", "X-Api-Key": "k"})
    assert headers["content-type"] == "text/plain"
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers["Content-Type"] == "text/plain"
    assert headers.get("x-API-key") == "k"
    assert headers.get("missing") is None
    assert headers.get("MISSING", "d") == "d"


def test_headers_membership_in_any_case() -> None:
    headers = CaseInsensitiveMapping({"Content-Type": "text/plain"})
    assert "content-type" in headers
    assert "CONTENT-TYPE" in headers
    assert "accept" not in headers
    assert 42 not in headers  # type: ignore[comparison-overlap]  # a non-str key: just absent


def test_headers_missing_key_raises_keyerror() -> None:
    with pytest.raises(KeyError):
        CaseInsensitiveMapping({"A": "1"})["b"]


def test_headers_iterate_as_lower_case_names() -> None:
    headers = CaseInsensitiveMapping({"Content-Type": "a", "X-Thing": "b"})
    assert list(headers) == ["content-type", "x-thing"]
    assert len(headers) == 2
    assert dict(headers) == {"content-type": "a", "x-thing": "b"}


def test_headers_names_differing_only_in_case_are_one_header() -> None:
    headers = CaseInsensitiveMapping({"Accept": "a", "ACCEPT": "b"})
    assert len(headers) == 1
    assert headers["accept"] == "b"


def test_headers_are_read_only() -> None:
    headers = CaseInsensitiveMapping({"A": "1"})
    with pytest.raises(TypeError):
        headers["b"] = "2"


def test_headers_from_lowercase_wraps_without_copying() -> None:
    raw = {"content-type": "text/plain"}
    headers = CaseInsensitiveMapping.from_lowercase(raw)
    assert headers["Content-Type"] == "text/plain"
    raw["x-late"] = "1"
    assert headers["X-Late"] == "1"


def test_headers_empty_and_repr() -> None:
    assert len(CaseInsensitiveMapping()) == 0
    assert CaseInsensitiveMapping(None).get("a") is None
    assert repr(CaseInsensitiveMapping({"A": "1"})) == "CaseInsensitiveMapping({'a': '1'})"
