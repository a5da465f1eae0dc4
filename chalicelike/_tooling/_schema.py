"""The JSON Schema (2020-12, the dialect OpenAPI 3.1 uses) of a type a view declares: named
types (dataclasses, TypedDicts, enums, pydantic models) become components the schema refers
to. Imported only by tooling (the manifest, the OpenAPI writers), never on a request's path.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import decimal
import enum
import inspect
import re
import types
import typing
import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any, Literal

from .._contracts._kinds import (
    is_dataclass_type,
    is_pydantic_model,
    is_typeddict,
    split_annotated,
    typeddict_keys,
)
from .._contracts._params import CONSTRAINTS

__all__ = ["REF_PREFIX", "Schema", "SchemaMode", "rename_refs", "schema_for"]

REF_PREFIX = "#/components/schemas/"
# pydantic's two views of a model: what it accepts, and what it writes (computed fields,
# serialisers). Our own types accept and write the same shape.
SchemaMode = Literal["validation", "serialization"]
Schema = dict[str, Any]

_SCALARS: dict[Any, Schema] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    type(None): {"type": "null"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}
# A Decimal is taken as a number or as numeric text (what _coerce accepts), and written as
# text so its digits survive (what _jsonable writes, as pydantic does).
_DECIMAL: dict[str, Schema] = {
    "validation": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "serialization": {"type": "string"},
}
_ARRAYS = (list, set, frozenset, tuple)
# The wrappers a TypedDict key may carry; matched by name so typing_extensions' match too.
_KEY_WRAPPERS = frozenset({"Required", "NotRequired", "ReadOnly"})
# Keywords that count characters for a string, items for an array, keys for an object.
_SIZE_KEYWORDS = {
    "array": {"minLength": "minItems", "maxLength": "maxItems"},
    "object": {"minLength": "minProperties", "maxLength": "maxProperties"},
}
_SKIP = object()  # a value with no JSON form (a default made by a factory, an object)


def schema_for(
    hint: Any,
    components: MutableMapping[str, Schema],
    mode: SchemaMode = "validation",
) -> Schema:
    """The schema of `hint`; the named types it meets are added to `components`. A type
    whose schema is already there under its name (described by an earlier route) is
    referred to; a different one of the same name gets `Name2`, `Name3`, ... in the order
    met. Raises TypeError for a type outside the universe a view may declare (bytes, a
    callable, a generic class), leaving `components` as it was."""
    writer = _Writer(components, mode, {})
    schema = writer.schema(hint)
    components.update(writer.added)
    return schema


def _ref(name: str) -> Schema:
    return {"$ref": REF_PREFIX + name}


class _Writer:
    """One walk over a hint: the components it added so far (`added`, over the ones that
    were there before, `base`) and the name each named class got."""

    def __init__(self, base: Mapping[str, Schema], mode: SchemaMode, names: dict[Any, str]) -> None:
        self.base = base
        self.added: dict[str, Schema] = {}
        self.mode = mode
        self.names = names

    def lookup(self, name: str) -> Schema | None:
        return self.added[name] if name in self.added else self.base.get(name)

    def schema(self, hint: Any) -> Schema:
        hint, metadata = split_annotated(hint)
        schema = self._plain(hint)
        for meta in metadata:
            _apply_metadata(schema, meta)
        return schema

    def _plain(self, hint: Any) -> Schema:
        if hint is Any or hint is object:
            return {}
        if hint is None:  # `-> None`, as a hint writes NoneType
            return {"type": "null"}
        if isinstance(hint, type):
            if hint in _SCALARS:
                return dict(_SCALARS[hint])
            if hint is decimal.Decimal:
                return copy.deepcopy(_DECIMAL[self.mode])
            if issubclass(hint, enum.Enum) or _is_named(hint):
                return self._named(hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is Literal:
            return _literal(args)
        if origin is typing.Union or origin is types.UnionType:
            return {"anyOf": [self.schema(arg) for arg in args]}
        if getattr(origin, "_name", None) in _KEY_WRAPPERS:  # Required[X] outside a TypedDict
            return self.schema(args[0])
        container = origin or hint
        if container in _ARRAYS:
            return self._array(container, args)
        if container is dict:
            schema: Schema = {"type": "object"}
            if args:
                schema["additionalProperties"] = self.schema(args[1])
            return schema
        raise TypeError(f"no JSON Schema for {hint!r}: not a type a view may declare")

    def _array(self, container: Any, args: tuple[Any, ...]) -> Schema:
        schema: Schema = {"type": "array"}
        if container is tuple and args and args[-1] is not Ellipsis:
            # A fixed-length tuple: one schema per place, nothing after them.
            schema["prefixItems"] = [self.schema(arg) for arg in args if arg != ()]
            schema.update(items=False, minItems=len(schema["prefixItems"]))
            schema["maxItems"] = schema["minItems"]
            return schema
        if args:
            schema["items"] = self.schema(args[0])
        if container in (set, frozenset):
            schema["uniqueItems"] = True
        return schema

    def _named(self, cls: type) -> Schema:
        if cls in self.names:
            return _ref(self.names[cls])
        if is_pydantic_model(cls):
            return self._pydantic(cls)
        for name in _candidates(_component_name(cls.__name__)):
            if name in self.names.values():
                continue  # another class of this name, met in this walk
            existing = self.lookup(name)
            if existing is None:
                self.names[cls] = name
                self.added[name] = {}  # holds the name while a recursive class is walked
                self.added[name] = self._body(cls)
                return _ref(name)
            if self._same_as(cls, name, existing):
                return _ref(name)
        raise AssertionError("unreachable: the names to try never run out")

    def _same_as(self, cls: type, name: str, existing: Schema) -> bool:
        """Whether `cls` written under `name` is the schema already there: the same class
        described again (another route, another call) shares its component."""
        trial = _Writer({**self.base, **self.added}, self.mode, {**self.names})
        trial.names[cls] = name
        if trial._body(cls) != existing:
            return False
        self.added.update(trial.added)
        self.names.update(trial.names)
        return True

    def _body(self, cls: type) -> Schema:
        schema: Schema = {"title": cls.__name__}
        doc = _docstring(cls)
        if doc:
            schema["description"] = doc
        if issubclass(cls, enum.Enum):
            return {**schema, **_enum_values([member.value for member in cls])}
        schema["type"] = "object"
        properties, required = self._fields(cls)
        schema["properties"] = properties
        if required:  # OpenAPI 3.0 (draft 4) refuses an empty list; omitting it means none
            schema["required"] = required
        return schema

    def _fields(self, cls: type) -> tuple[dict[str, Schema], list[str]]:
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except NameError as exc:
            raise TypeError(f"cannot read the field types of {cls.__qualname__}: {exc}") from exc
        if is_typeddict(cls):
            # The validator's own answer (_kinds), so the schema and the check agree.
            required_keys = typeddict_keys(cls, hints)
            properties = {key: self.schema(_unwrap_key(hint)) for key, hint in hints.items()}
            return properties, [key for key in hints if key in required_keys]
        properties, required = {}, []
        for item in dataclasses.fields(cls):
            properties[item.name] = self.schema(hints.get(item.name, Any))
            no_default = item.default is dataclasses.MISSING
            if no_default and item.default_factory is dataclasses.MISSING and item.init:
                required.append(item.name)
            elif not no_default and (default := _json_value(item.default)) is not _SKIP:
                properties[item.name]["default"] = default
        return properties, required

    def _pydantic(self, model: type) -> Schema:
        """pydantic's own schema of the model, its `$defs` moved into the components."""
        from pydantic import TypeAdapter

        adapter: TypeAdapter[Any] = TypeAdapter(model)
        raw = adapter.json_schema(ref_template=REF_PREFIX + "{model}", mode=self.mode)
        defs: dict[str, Schema] = raw.pop("$defs", {})
        if set(raw) == {"$ref"}:  # a recursive model: pydantic already refers to itself
            top = raw["$ref"][len(REF_PREFIX) :]
        else:
            base = _component_name(model.__name__)
            top = next(name for name in _candidates(base) if name not in defs)
            defs[top] = raw
        renames = self._hoist(defs)
        self.names[model] = renames.get(top, top)
        return _ref(self.names[model])

    def _hoist(self, defs: dict[str, Schema]) -> dict[str, str]:
        """Add pydantic's definitions; one whose name holds a different schema is renamed
        (and every reference to it rewritten) to the first free or identical `NameN`."""
        renames: dict[str, str] = {}
        while True:
            rewritten = {renames.get(k, k): _rewrite_refs(v, renames) for k, v in defs.items()}
            clash = next(
                (
                    key
                    for key in defs
                    if (found := self.lookup(renames.get(key, key))) is not None
                    and found != rewritten[renames.get(key, key)]
                ),
                None,
            )
            if clash is None:
                self.added.update(rewritten)
                return renames
            renames[clash] = self._rename(clash, defs, renames)

    def _rename(self, key: str, defs: dict[str, Schema], renames: dict[str, str]) -> str:
        taken = set(defs) | set(renames.values())
        already = key in renames  # renamed once and clashed again: take a free name
        for name in _candidates(key):
            if name == key or name in taken:
                continue
            found = self.lookup(name)
            if found is None:
                return name
            trial = _rewrite_refs(defs[key], {**renames, key: name})
            if not already and found == trial:
                return name
        raise AssertionError("unreachable: the names to try never run out")


def _is_named(hint: type) -> bool:
    return is_pydantic_model(hint) or is_dataclass_type(hint) or is_typeddict(hint)


def _candidates(name: str) -> typing.Iterator[str]:
    yield name
    number = 2
    while True:
        yield f"{name}{number}"
        number += 1


def _component_name(name: str) -> str:
    # OpenAPI: component keys must match ^[a-zA-Z0-9.\-_]+$.
    return re.sub(r"[^A-Za-z0-9.\-_]", "_", name) or "Model"


def _docstring(cls: type) -> str | None:
    doc = cls.__dict__.get("__doc__")
    # dataclasses write "Name(field: type, ...)" and Enum "An enumeration." when none is given.
    if not doc or doc.startswith(f"{cls.__name__}(") or doc == "An enumeration.":
        return None
    return inspect.cleandoc(doc)


def _unwrap_key(hint: Any) -> Any:
    while getattr(typing.get_origin(hint), "_name", None) in _KEY_WRAPPERS:
        hint = typing.get_args(hint)[0]
    return hint


def _literal(args: tuple[Any, ...]) -> Schema:
    values = [arg.value if isinstance(arg, enum.Enum) else arg for arg in args]
    schema = _enum_values(values)
    if len(values) == 1:
        schema["const"] = schema.pop("enum")[0]
    return schema


def _enum_values(values: list[Any]) -> Schema:
    found = [_json_value(value) for value in values]
    if _SKIP in found:
        raise TypeError(f"no JSON form for a value among {values!r}")
    schema: Schema = {"enum": found}
    kinds = {_json_type(value) for value in values}
    if len(kinds) == 1 and None not in kinds:
        schema["type"] = kinds.pop()
    return schema


def _json_type(value: Any) -> str | None:
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else None


def _json_value(value: Any) -> Any:
    """The JSON form of a default or an example, or _SKIP when it has none."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return _json_value(value.value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_value(item) for item in value]
        return _SKIP if any(item is _SKIP for item in items) else items
    if isinstance(value, Mapping):
        pairs = {str(key): _json_value(item) for key, item in value.items()}
        return _SKIP if _SKIP in pairs.values() else pairs
    return _SKIP


def _apply_metadata(schema: Schema, meta: Any) -> None:
    """Add the limits, description and examples an Annotated metadata object carries: our
    markers, annotated-types' Ge/Len/..., pydantic's FieldInfo (whose limits sit in
    `.metadata`) alike, read by attribute name."""
    inner = getattr(meta, "metadata", None)
    if isinstance(inner, list):
        for item in inner:
            _apply_metadata(schema, item)
    sizes = _SIZE_KEYWORDS.get(schema.get("type", ""), {})
    for attribute, keyword in CONSTRAINTS.items():
        value = getattr(meta, attribute, None)
        if isinstance(value, re.Pattern):
            value = value.pattern
        if value is not None and (value := _json_value(value)) is not _SKIP:
            schema[sizes.get(keyword, keyword)] = value
    description = getattr(meta, "description", None)
    if isinstance(description, str):
        schema["description"] = description
    examples = getattr(meta, "examples", None)
    if isinstance(examples, (list, tuple)) and (found := _json_value(examples)) is not _SKIP:
        schema["examples"] = found


def _rewrite_refs(value: Any, renames: Mapping[str, str]) -> Any:
    """`rename_refs` by component name (old name → new)."""
    if not renames:
        return value
    full = {REF_PREFIX + old: REF_PREFIX + new for old, new in renames.items()}
    return rename_refs(value, full)


def rename_refs(value: Any, renamed: Mapping[str, str]) -> Any:
    """A copy of any JSON value (a schema, a whole document) with each `$ref` found in
    `renamed` (old reference → new) replaced."""
    if isinstance(value, list):
        return [rename_refs(item, renamed) for item in value]
    if not isinstance(value, dict):
        return value
    copied = {key: rename_refs(item, renamed) for key, item in value.items()}
    ref = copied.get("$ref")
    if isinstance(ref, str) and ref in renamed:
        copied["$ref"] = renamed[ref]
    return copied
