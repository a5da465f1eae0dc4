"""The views' schemas (JSON Schema 2020-12, OpenAPI 3.1's dialect, as the manifest holds them)
made fit for a document: nested `$defs` hoisted into components, and for API Gateway's import
form written down to OpenAPI 3.0's Schema Object and then to what its draft-4 models accept."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._schema import rename_refs

__all__ = [
    "COMPONENTS",
    "VERSIONS",
    "DefsHoister",
    "SchemaWriter",
    "api_gateway_schema",
    "model_names",
    "openapi_30_schema",
    "openapi_31_schema",
]

COMPONENTS = "#/components/schemas/"
# The OpenAPI versions a document is written in: 3.1 (JSON Schema 2020-12, as the views'
# schemas are), and 3.0 as API Gateway imports it ("API Gateway supports OpenAPI v2.0 and
# OpenAPI v3.0"), its schemas within what its draft-4 models accept.
VERSIONS = ("3.1", "3.0")
_DEFS = "#/$defs/"

Schema = dict[str, Any]

# Keywords whose value is one schema, a list of schemas, or a map of names to schemas: the
# places a conversion walks into.
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED = ("properties", "patternProperties", "$defs", "dependentSchemas")

# JSON Schema 2020-12 keywords OpenAPI 3.0's Schema Object has no field for (3.0 forbids
# unknown fields, so each is left out: the schema accepts more, never less).
_NOT_IN_30 = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "$defs",
        "$dynamicRef",
        "$dynamicAnchor",
        "$vocabulary",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedItems",
        "unevaluatedProperties",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "patternProperties",
        "if",
        "then",
        "else",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)


def _walk(schema: Any, convert: Callable[[Schema], Schema]) -> Any:
    """`convert` applied to every sub-schema first, then to `schema` itself."""
    if not isinstance(schema, dict):
        return schema  # `true`/`false` schemas, or a value that is no schema
    walked = dict(schema)
    for key in _ONE:
        if isinstance(walked.get(key), dict):
            walked[key] = _walk(walked[key], convert)
    for key in _MANY:
        if isinstance(walked.get(key), list):
            walked[key] = [_walk(item, convert) for item in walked[key]]
    for key in _NAMED:
        if isinstance(walked.get(key), dict):
            walked[key] = {name: _walk(sub, convert) for name, sub in walked[key].items()}
    return convert(walked)


class DefsHoister:
    """Collects the `$defs` nested in schemas into one components map.

    In OpenAPI 3.1 a `#/...` reference inside a schema resolves against the whole document
    (the schema has no `$id`), so `#/$defs/X` would point nowhere; OpenAPI 3.0 has no `$defs`
    at all. Each definition becomes a component, renamed `X2`, `X3`... when another schema
    of that name is already there.
    """

    def __init__(self, components: Mapping[str, Schema]) -> None:
        self.components: dict[str, Schema] = dict(components)

    def hoist(self, schema: Any) -> Any:
        """`schema` without `$defs`, its references to them pointing at the components."""
        if not isinstance(schema, dict):
            return schema
        found: dict[str, Schema] = {}

        def take(node: Schema) -> Schema:
            found.update(node.get("$defs") or {})
            return {key: value for key, value in node.items() if key != "$defs"}

        stripped = _walk(schema, take)
        renamed = {
            f"{_DEFS}{name}": f"{COMPONENTS}{self._place(name, found[name])}" for name in found
        }
        for name, definition in found.items():
            new_name = renamed[f"{_DEFS}{name}"][len(COMPONENTS) :]
            self.components[new_name] = rename_refs(definition, renamed)
        return rename_refs(stripped, renamed)

    def _place(self, name: str, definition: Schema) -> str:
        candidate, number = name, 2
        while candidate in self.components and self.components[candidate] != definition:
            candidate, number = f"{name}{number}", number + 1
        self.components[candidate] = definition  # reserved now, rewritten by `hoist`
        return candidate


# -- OpenAPI 3.1 ------------------------------------------------------------------------------


def openapi_31_schema(schema: Any) -> Any:
    """A schema as OpenAPI 3.1 reads it: the 3.0 spellings a hand-written schema may carry
    (`nullable`, a single `example`) in 2020-12's own."""
    return _walk(schema, _one_31)


def _one_31(node: Schema) -> Schema:
    node = dict(node)
    if "example" in node:
        example = node.pop("example")
        node.setdefault("examples", [example])
    if node.pop("nullable", False) is True:
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        elif isinstance(kind, list):
            node["type"] = [*kind, "null"] if "null" not in kind else kind
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


# -- OpenAPI 3.0 ------------------------------------------------------------------------------


def openapi_30_schema(schema: Any) -> Any:
    """A 2020-12 schema as an OpenAPI 3.0 Schema Object: null as `nullable`, `const` as a
    one-value `enum`, numeric exclusive bounds as 3.0's booleans, one `example`, a tuple's
    items as any of their schemas; keywords 3.0 lacks left out (`$defs` must be hoisted
    first: `DefsHoister`)."""
    if schema is True or schema is None:
        return {}
    if schema is False:
        return {"not": {}}
    return _walk(schema, _one_30)


def _one_30(node: Schema) -> Schema:
    node = {key: value for key, value in node.items() if key not in _NOT_IN_30}
    for key in ("items", "additionalProperties", "not"):
        if node.get(key) is True:
            node[key] = {} if key != "additionalProperties" else True
    node = _bounds_30(node)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "examples" in node:
        examples = node.pop("examples")
        if isinstance(examples, list) and examples:
            node.setdefault("example", examples[0])
    node = _tuple_30(node)
    node = _type_list_30(node)
    node = _null_branch_30(node)
    if "enum" in node and None in node["enum"]:
        node["nullable"] = True
    if node.get("type") == "array" and "items" not in node:
        node["items"] = {}  # OpenAPI 3.0: "items MUST be present if the type is array"
    return _ref_siblings_30(node)


def _bounds_30(node: Schema) -> Schema:
    """2020-12's `exclusiveMinimum: 5` is draft 4's (and 3.0's) `minimum: 5` with
    `exclusiveMinimum: true`; an inclusive bound that is stricter is kept instead."""
    for exclusive, inclusive, stricter in (
        ("exclusiveMinimum", "minimum", operator.gt),
        ("exclusiveMaximum", "maximum", operator.lt),
    ):
        value = node.get(exclusive)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        del node[exclusive]
        if inclusive in node and stricter(node[inclusive], value):
            continue
        node[inclusive] = value
        node[exclusive] = True
    return node


def _tuple_30(node: Schema) -> Schema:
    """`prefixItems` (a tuple): 3.0 has one `items` for every position, so any of them."""
    prefix = node.pop("prefixItems", None)
    if not isinstance(prefix, list):
        return node
    if node.get("items") in (None, False, {"not": {}}):
        node["items"] = prefix[0] if len(prefix) == 1 else {"anyOf": prefix} if prefix else {}
    return node


def _type_list_30(node: Schema) -> Schema:
    kind = node.get("type")
    if kind == "null":
        kind = ["null"]  # OpenAPI 3.0 has no null type, only `nullable`
    if not isinstance(kind, list):
        return node
    others = [name for name in kind if name != "null"]
    if "null" in kind:
        node["nullable"] = True
    if len(others) == 1:
        node["type"] = others[0]
    else:
        del node["type"]
        if others:
            node["anyOf"] = [{"type": name} for name in others]
        elif "enum" not in node:
            node["enum"] = [None]  # only null: 3.0.3 says nullable needs null in the enum
    return node


def _null_branch_30(node: Schema) -> Schema:
    """`anyOf: [X, {type: null}]` (Optional[X]) → X with `nullable: true`."""
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if not isinstance(branches, list):
            continue
        rest = [branch for branch in branches if not _is_null(branch)]
        if len(rest) == len(branches):
            continue
        del node[key]
        node["nullable"] = True
        if len(rest) > 1:
            node[key] = rest
        elif rest:
            only = rest[0]
            if "$ref" in only or set(only) & set(node):
                node["allOf"] = [*node.get("allOf", []), only]  # a sibling of $ref is ignored
            else:
                node.update(only)
    return node


def _is_null(branch: Any) -> bool:
    """{type: null}, or what `_one_30` made of it already (the branch is converted first)."""
    if not isinstance(branch, dict):
        return False
    if branch.get("type") == "null":
        return True
    return branch.get("nullable") is True and set(branch) <= {"nullable", "enum"}


def _ref_siblings_30(node: Schema) -> Schema:
    # OpenAPI 3.0: a Reference Object's other fields "SHALL be ignored"; what must count
    # (nullable, a default) goes beside an allOf holding the reference.
    if "$ref" not in node or set(node) <= {"$ref", "description", "title"}:
        return node
    ref = node.pop("$ref")
    node["allOf"] = [{"$ref": ref}, *node.get("allOf", [])]
    return node


# -- API Gateway's models -----------------------------------------------------------------------

# API Gateway's documented exceptions to the OpenAPI it imports ("Amazon API Gateway important
# notes for REST APIs"): models are JSON Schema draft 4; `discriminator`, `example` and
# `readOnly` are not supported, nor `additionalProperties` and `anyOf` in models; numbers of
# the Int32 or Int64 format and the `decimal` format are not. Each is left out, which makes a
# model accept more, never less: the app's own validation still checks the rest.
_NOT_IN_GATEWAY = frozenset(
    {"discriminator", "example", "readOnly", "writeOnly", "xml", "externalDocs", "deprecated"}
    | {"additionalProperties", "anyOf"}
)
_NUMBER_FORMATS_REFUSED = frozenset({"int32", "int64", "decimal"})
_EXCLUSIVE_STEPS = (("exclusiveMinimum", "minimum", 1), ("exclusiveMaximum", "maximum", -1))


def api_gateway_schema(schema: Any, model: bool = True) -> Any:
    """An OpenAPI 3.0 schema (`openapi_30_schema`'s) as API Gateway builds a model from it
    (`model`: a body's or component's; a parameter's schema is checked for presence only)."""
    return _walk(schema, _one_gateway if model else _one_gateway_parameter)


def _one_gateway(node: Schema) -> Schema:
    node = _one_gateway_parameter(node)
    if node.get("nullable") is True:
        # API Gateway's models are draft 4, which has no `nullable`: a `type` or a reference
        # (allOf) left beside it would refuse the null the app accepts. Without them the model
        # takes null (and more: the app's own check still refuses the rest).
        node.pop("type", None)
        node.pop("allOf", None)
    return node


def _one_gateway_parameter(node: Schema) -> Schema:
    node = {key: value for key, value in node.items() if key not in _NOT_IN_GATEWAY}
    if node.get("type") == "number" and node.get("format") in _NUMBER_FORMATS_REFUSED:
        del node["format"]
    if node.get("format") == "decimal":
        del node["format"]
    # "exclusiveMinimum is not supported by API Gateway": an integer's exclusive bound is
    # the next integer's inclusive one; a number's becomes inclusive (one value more).
    for exclusive, inclusive, step in _EXCLUSIVE_STEPS:
        if node.pop(exclusive, False) is True and inclusive in node:
            bound = node[inclusive]
            if node.get("type") == "integer" and float(bound).is_integer():
                node[inclusive] = int(bound) + step
    return node


_MODEL_NAME = re.compile(r"[^A-Za-z0-9]")


def model_names(names: list[str]) -> dict[str, str]:
    """Component name → a model name API Gateway takes ("Model names can only contain
    alphanumeric characters"): 'Page[Order]' → 'PageOrder', numbered when two meet."""
    chosen: dict[str, str] = {}
    taken = {name for name in names if not _MODEL_NAME.search(name)}
    for name in names:
        if not _MODEL_NAME.search(name):
            chosen[name] = name
            continue
        base = _MODEL_NAME.sub("", name) or "Model"
        candidate, number = base, 2
        while candidate in taken:
            candidate, number = f"{base}{number}", number + 1
        taken.add(candidate)
        chosen[name] = candidate
    return chosen


# -- a document's schemas ---------------------------------------------------------------------


class SchemaWriter:
    """Every schema of one document, in its version: the app's named schemas (and the
    `$defs` nested anywhere) as components, and the routes' parameters, bodies and answers
    with their schemas converted as the components are."""

    def __init__(self, named: Mapping[str, Schema], version: str) -> None:
        if version not in VERSIONS:
            raise ValueError(f"OpenAPI version {version!r}: one of {', '.join(VERSIONS)}")
        self.version = version
        self._hoister = DefsHoister(named)
        for name, schema in named.items():
            self._hoister.components[name] = self._hoister.hoist(schema)

    def schema(self, schema: Any) -> Any:
        return self._convert(self._hoister.hoist(schema))

    def _convert(self, schema: Any, model: bool = True) -> Any:
        if self.version == "3.1":
            return openapi_31_schema(schema)
        return api_gateway_schema(openapi_30_schema(schema), model)

    def parameter(self, parameter: Mapping[str, Any]) -> dict[str, Any]:
        """A Parameter (or Header) Object with its schema converted."""
        converted = self.with_content(parameter)
        if "schema" in converted:
            converted["schema"] = self._convert(self._hoister.hoist(converted["schema"]), False)
        return converted

    def with_content(self, holder: Mapping[str, Any]) -> dict[str, Any]:
        """A Request Body or Response Object with its media types' schemas converted."""
        converted = dict(holder)
        content = holder.get("content")
        if isinstance(content, dict):
            converted["content"] = {
                media_type: {**media, "schema": self.schema(media["schema"])}
                if isinstance(media, dict) and "schema" in media
                else media
                for media_type, media in content.items()
            }
        headers = holder.get("headers")
        if isinstance(headers, dict):
            converted["headers"] = {name: self.parameter(h) for name, h in headers.items()}
        return converted

    def components(self, base: Mapping[str, Schema]) -> dict[str, Schema]:
        """`base` (the Empty schema) and every component, converted."""
        named = {name: self._convert(schema) for name, schema in self._hoister.components.items()}
        return {**base, **named}

    def finish(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document with its component names as API Gateway takes model names (3.0);
        a 3.1 document is returned as it is."""
        if self.version == "3.1":
            return document
        schemas = document["components"]["schemas"]
        chosen = model_names(list(schemas))
        renamed = {f"{COMPONENTS}{old}": f"{COMPONENTS}{new}" for old, new in chosen.items()}
        if all(old == new for old, new in chosen.items()):
            return document
        document = rename_refs(document, renamed)
        document["components"]["schemas"] = {
            chosen[name]: schema for name, schema in document["components"]["schemas"].items()
        }
        return document
