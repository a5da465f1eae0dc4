"""The two mappings a request exposes: query strings and headers.

Both behave as Chalice's do: a MultiDict answers the last value for a key and
`getlist` all of them; header names are looked up without regard to case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CaseInsensitiveMapping", "MultiDict", "query_multi_dict"]


class MultiDict(MutableMapping[str, str]):
    """A mapping of a key to a list of values; plain access gives the last value."""

    __slots__ = ("_dict",)

    def __init__(self, mapping: Mapping[str, list[str]] | None = None) -> None:
        # A key with no values is no key at all (`{"a": []}` from a hand-made event):
        # kept, it would be listed by iteration yet raise KeyError when read.
        self._dict: dict[str, list[str]] = {} if mapping is None else dict(mapping)
        if not all(self._dict.values()):
            self._dict = {key: values for key, values in self._dict.items() if values}

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> MultiDict:
        multi = cls()
        for key, value in pairs:
            multi._dict.setdefault(key, []).append(value)
        return multi

    def __getitem__(self, key: str) -> str:
        values = self._dict[key]
        if not values:
            raise KeyError(key)
        return values[-1]

    def __setitem__(self, key: str, value: str) -> None:
        self._dict[key] = [value]

    def __delitem__(self, key: str) -> None:
        del self._dict[key]

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get would go through __getitem__ and an exception; views call this a lot.
        values = self._dict.get(key)
        return values[-1] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(self._dict[key])

    def __len__(self) -> int:
        return len(self._dict)

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __repr__(self) -> str:
        return f"MultiDict({self._dict!r})"

    def to_lists(self) -> dict[str, list[str]]:
        """All values of every key, as API Gateway's multiValue* fields carry them."""
        return {key: list(values) for key, values in self._dict.items()}


def query_multi_dict(lists: dict[str, list[str]]) -> MultiDict:
    """`MultiDict(lists)` for an HttpRequest's query, which never lists a name without
    values: made without type.__call__ and that check, as on every request that reads it."""
    multi: MultiDict = _new_object(MultiDict)
    multi._dict = lists.copy()  # a view may change its query_params, never the event
    return multi


_new_object = object.__new__


class CaseInsensitiveMapping(Mapping[str, str]):
    """A read-only mapping whose keys are compared in lower case (HTTP header names)."""

    __slots__ = ("_dict",)

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        self._dict: dict[str, str] = (
            {} if mapping is None else {k.lower(): v for k, v in mapping.items()}
        )

    @classmethod
    def from_lowercase(cls, mapping: dict[str, str]) -> CaseInsensitiveMapping:
        """Wrap a dict whose keys are already lower case, without copying it."""
        instance = cls.__new__(cls)
        instance._dict = mapping
        return instance

    def __getitem__(self, key: str) -> str:
        return self._dict[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._dict

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict.get(key.lower(), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __repr__(self) -> str:
        return f"CaseInsensitiveMapping({self._dict!r})"
