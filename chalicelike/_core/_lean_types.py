"""Enum, namedtuple and Generic lookalikes for the Lambda path, cheap to create at import.

Creating an `enum.Enum` class costs a cold start 0.1-0.2 ms and a `collections.namedtuple`
0.05-0.15 ms (it compiles its `__new__` from text); `typing.Generic` needs `typing`, 2.5 ms
to import. The runtime defines several of each, so it uses these instead: ~0.01 ms a class.
mypy is shown the real Enum, NamedTuple and Generic (see where they are used), so the types
stay what they were.
"""

from __future__ import annotations

import sys
from operator import itemgetter
from types import GenericAlias

TYPE_CHECKING = False  # typing's own costs a cold start ~2.5 ms: mypy reads the names
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["LeanEnum", "LeanGeneric", "lean_record"]


class _LeanEnumType(type):
    """Turns a class's public string attributes into members; `Kind(value)` finds one."""

    _members_: dict[str, LeanEnum]

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        cls = super().__new__(mcls, name, bases, namespace)
        members: dict[str, LeanEnum] = {}
        for key, value in namespace.items():
            if not key.startswith("_") and isinstance(value, str):
                member: Any = str.__new__(cls, value)  # type: ignore[arg-type]
                member._name_ = key
                setattr(cls, key, member)
                members[value] = member
        cls._members_ = members
        return cls

    def __call__(cls, value: object) -> Any:
        try:
            return cls._members_[value]  # type: ignore[index]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__name__}") from None

    def __iter__(cls) -> Iterator[Any]:
        return iter(cls._members_.values())

    def __len__(cls) -> int:
        return len(cls._members_)


class LeanEnum(str, metaclass=_LeanEnumType):
    """Members are strings (like a `str` Enum's) with Enum's `name`, `value`, repr and str;
    one object per member, so `is` compares them, and pickling or copying keeps it so."""

    _name_: str

    @property
    def name(self) -> str:
        return self._name_

    @property
    def value(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {str.__repr__(self)}>"

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)  # as Enum's since 3.11: the name, not the value

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return type(self), (self.value,)


def lean_record(name: str, fields: tuple[str, ...], defaults: tuple[Any, ...] = ()) -> Any:
    """A tuple class with named fields and defaults for the last ones (namedtuple's calls)."""
    count, first_default = len(fields), len(fields) - len(defaults)

    def __new__(cls: type, *values: Any, **named: Any) -> Any:
        if named or len(values) < count:
            values = _complete(values, named)
        elif len(values) > count:
            raise TypeError(f"{name}() takes {count} arguments, not {len(values)}")
        return tuple.__new__(cls, values)

    def _complete(values: tuple[Any, ...], named: dict[str, Any]) -> tuple[Any, ...]:
        filled = list(values)
        for position in range(len(values), count):
            field = fields[position]
            if field in named:
                filled.append(named.pop(field))
            elif position >= first_default:
                filled.append(defaults[position - first_default])
            else:
                raise TypeError(f"{name}() is missing the argument {field!r}")
        if named:
            raise TypeError(f"{name}() got unexpected or repeated arguments {sorted(named)}")
        return tuple(filled)

    def __repr__(self: tuple[Any, ...]) -> str:
        shown = ", ".join(f"{field}={value!r}" for field, value in zip(fields, self, strict=True))
        return f"{name}({shown})"

    def __getnewargs__(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self)  # copy and pickle make the record again from its fields

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__new__": __new__,
        "__repr__": __repr__,
        "__getnewargs__": __getnewargs__,
        "_fields": fields,
        "__match_args__": fields,
        # Pickle finds a class by module and name: the caller's, as namedtuple's are.
        "__module__": sys._getframe(1).f_globals.get("__name__", __name__),
    }
    for position, field in enumerate(fields):
        namespace[field] = property(itemgetter(position))
    return type(name, (tuple,), namespace)


class LeanGeneric:
    """`Generic[T]` as a base: `Kind[X]` is then `types.GenericAlias(Kind, (X,))`, which
    `typing.get_origin`/`get_args` read as they read typing's own aliases (and `list[int]`)."""

    __slots__ = ()

    def __class_getitem__(cls, item: Any) -> GenericAlias:
        if type(item) is tuple:  # typing re-subscripts with (A,) when it resolves a hint
            if len(item) != 1:  # as typing refuses `SQSEvent[A, B]`: one type parameter
                raise TypeError(f"{cls.__name__}[...] takes one type, not {len(item)}")
            item = item[0]
        return GenericAlias(cls, (item,))
