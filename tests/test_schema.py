"""The JSON Schema of each kind of type a view may declare, the named ones as components, and
every document checked as OpenAPI 3.1 (its schemas against the 3.1 dialect's metaschema)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from typing import Annotated, Any, Literal, Optional, TypedDict, Union

import annotated_types
import pydantic
import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from typing_extensions import NotRequired, Required

from chalicelike._contracts._params import Body, Header, Query
from chalicelike._tooling._schema import REF_PREFIX, schema_for

Schema = dict[str, Any]


def refs_in(value: Any) -> list[str]:
    if isinstance(value, list):
        return [ref for item in value for ref in refs_in(item)]
    if not isinstance(value, dict):
        return []
    found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
    return found + [ref for item in value.values() for ref in refs_in(item)]


def check_document(document: Schema) -> None:
    """An OpenAPI 3.1 document: JSON, valid by openapi-spec-validator, each schema valid by
    the 3.1 dialect's metaschema (the spec validator does not look inside schemas), and
    every reference found."""
    document = json.loads(json.dumps(document))  # JSON, nothing else
    validate(document)
    components = document.get("components", {}).get("schemas", {})
    for schema in [*components.values(), *schemas_in_paths(document.get("paths", {}))]:
        OAS31Validator.check_schema(schema)
    for ref in refs_in(document):
        assert ref.startswith(REF_PREFIX) and ref[len(REF_PREFIX) :] in components, ref


def schemas_in_paths(paths: Schema) -> list[Schema]:
    found = []
    for operations in paths.values():
        for operation in operations.values():
            found += [p["schema"] for p in operation.get("parameters", [])]
            for part in [operation.get("requestBody", {}), *operation["responses"].values()]:
                found += [media["schema"] for media in part.get("content", {}).values()]
    return found


def document_of(schema: Schema, components: dict[str, Schema]) -> Schema:
    body = {"content": {"application/json": {"schema": schema}}}
    operation = {"requestBody": body, "responses": {"200": {"description": "the answer"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "schemas", "version": "1"},
        "paths": {"/things": {"post": operation}},
        "components": {"schemas": components},
    }


def written(hint: Any, mode: Any = "validation") -> tuple[Schema, dict[str, Schema]]:
    """The schema of `hint` and its components, checked as a document."""
    components: dict[str, Schema] = {}
    schema = schema_for(hint, components, mode)
    check_document(document_of(schema, components))
    return schema, components


def accepts(schema: Schema, components: dict[str, Schema], instance: Any) -> bool:
    validator = OAS31Validator({**schema, "components": {"schemas": components}})
    return bool(validator.is_valid(instance))


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


@dataclasses.dataclass
class Line:
    sku: str
    quantity: Annotated[int, annotated_types.Ge(1)] = 1


@dataclasses.dataclass
class Order:
    """An order as the shop keeps it."""

    lines: list[Line]
    color: Color = Color.RED
    note: str | None = None
    tags: set[str] = dataclasses.field(default_factory=set)
    placed: datetime.datetime | None = None


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Employee:
    name: str
    team: Team | None = None


@dataclasses.dataclass
class Team:
    lead: Employee
    members: list[Employee]


class Address(TypedDict):
    street: str
    city: NotRequired[str]


class Patch(TypedDict, total=False):
    name: str
    id: Required[int]


class Price(pydantic.BaseModel):
    amount: decimal.Decimal
    currency: str = pydantic.Field(min_length=3, max_length=3)


class Product(pydantic.BaseModel):
    """A product in the catalogue."""

    name: str
    price: Price
    related: list[Product] = []

    @pydantic.computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        return self.name.upper()


@dataclasses.dataclass
class Listing:
    product: Product
    shelf: int


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (datetime.datetime, {"type": "string", "format": "date-time"}),
        (datetime.date, {"type": "string", "format": "date"}),
        (datetime.time, {"type": "string", "format": "time"}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (Any, {}),
    ],
)
def test_plain_values(hint: Any, expected: Schema) -> None:
    assert written(hint) == (expected, {})


def test_a_decimal_is_taken_as_a_number_or_text_and_written_as_text() -> None:
    taken, _ = written(decimal.Decimal)
    assert accepts(taken, {}, 1.5) and accepts(taken, {}, "1.50") and not accepts(taken, {}, [])
    assert written(decimal.Decimal, "serialization") == ({"type": "string"}, {})


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (Literal["asc"], {"const": "asc", "type": "string"}),
        (Literal["asc", "desc"], {"enum": ["asc", "desc"], "type": "string"}),
        (Literal[1, 2], {"enum": [1, 2], "type": "integer"}),
        (Literal[True], {"const": True, "type": "boolean"}),
        (Literal["a", 1], {"enum": ["a", 1]}),
        (Literal[Color.RED], {"const": "red", "type": "string"}),
    ],
)
def test_literals_are_enums_or_consts(hint: Any, expected: Schema) -> None:
    assert written(hint)[0] == expected


@pytest.mark.parametrize("hint", [Optional[int], int | None, Union[int, None]])  # noqa: UP007, UP045
def test_optional_is_any_of_the_type_or_null(hint: Any) -> None:
    schema, _ = written(hint)
    assert schema == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert accepts(schema, {}, None) and accepts(schema, {}, 3)
    assert not accepts(schema, {}, "3")


def test_a_union_of_several_types() -> None:
    assert written(int | str | None)[0] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
    }


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (list, {"type": "array"}),
        (tuple[str, ...], {"type": "array", "items": {"type": "string"}}),
        (set[str], {"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        (frozenset[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (dict[str, Any], {"type": "object", "additionalProperties": {}}),
        (dict, {"type": "object"}),
        (
            list[list[int | None]],
            {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                },
            },
        ),
    ],
)
def test_containers(hint: Any, expected: Schema) -> None:
    assert written(hint)[0] == expected


def test_a_fixed_tuple_has_one_schema_per_place() -> None:
    schema, _ = written(tuple[int, str])
    assert schema["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert accepts(schema, {}, [1, "a"])
    assert not accepts(schema, {}, [1, "a", "b"]) and not accepts(schema, {}, ["a", 1])


def test_a_dataclass_is_a_component_with_its_required_fields() -> None:
    schema, components = written(Order)
    assert schema == {"$ref": "#/components/schemas/Order"}
    assert set(components) == {"Order", "Line", "Color"}
    order = components["Order"]
    assert order["title"] == "Order" and order["type"] == "object"
    assert order["description"] == "An order as the shop keeps it."
    assert order["required"] == ["lines"]
    assert order["properties"]["lines"] == {"type": "array", "items": {"$ref": REF_PREFIX + "Line"}}
    assert order["properties"]["color"] == {"$ref": REF_PREFIX + "Color", "default": "red"}
    assert order["properties"]["tags"]["uniqueItems"] is True
    assert components["Line"]["properties"]["quantity"] == {
        "type": "integer",
        "minimum": 1,
        "default": 1,
    }
    assert "description" not in components["Line"]  # dataclasses' own "Line(sku: ...)" is not
    assert components["Color"] == {"title": "Color", "enum": ["red", "blue"], "type": "string"}
    good = {"lines": [{"sku": "a", "quantity": 2}], "color": "blue", "placed": None}
    assert accepts(schema, components, good)
    assert not accepts(schema, components, {"lines": [{"sku": "a", "quantity": 0}]})
    assert not accepts(schema, components, {"color": "red"})
    assert not accepts(schema, components, {"lines": [], "color": "green"})


def test_an_int_enum() -> None:
    _, components = written(list[Size])
    assert components["Size"] == {"title": "Size", "enum": [1, 2], "type": "integer"}


def test_typeddicts_required_and_not_required_keys() -> None:
    schema, components = written(list[Address | Patch])
    assert components["Address"]["required"] == ["street"]  # NotRequired under __future__ too
    assert components["Patch"]["required"] == ["id"]
    assert components["Patch"]["properties"] == {
        "name": {"type": "string"},
        "id": {"type": "integer"},
    }
    assert accepts(schema, components, [{"street": "Main"}, {"id": 1}])
    assert not accepts(components["Address"], {}, {"city": "x"})


def test_recursive_dataclasses_refer_to_themselves() -> None:
    schema, components = written(Node)
    assert components["Node"]["properties"]["children"]["items"] == {"$ref": REF_PREFIX + "Node"}
    tree = {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}
    assert accepts(schema, components, tree)
    assert not accepts(schema, components, {"value": 1, "children": [{"children": []}]})


def test_mutually_recursive_dataclasses() -> None:
    _, components = written(Team)
    assert set(components) == {"Team", "Employee"}
    team_ref = components["Employee"]["properties"]["team"]["anyOf"][0]
    assert team_ref == {"$ref": REF_PREFIX + "Team"}


def _item_class(field_type: type) -> type:
    return dataclasses.make_dataclass("Item", [("value", field_type)])


def test_two_classes_of_one_name_get_distinct_names_in_order() -> None:
    first, second = _item_class(str), _item_class(int)
    components: dict[str, Schema] = {}
    refs = [schema_for(hint, components) for hint in (first, second, first, second)]
    assert [ref["$ref"] for ref in refs] == [
        REF_PREFIX + n for n in ("Item", "Item2", "Item", "Item2")
    ]
    assert components["Item"]["properties"]["value"] == {"type": "string"}
    assert components["Item2"]["properties"]["value"] == {"type": "integer"}
    assert components["Item2"]["title"] == "Item"
    again: dict[str, Schema] = {}
    for hint in (first, second):
        schema_for(hint, again)
    assert again == components  # the same order, the same names


def test_a_clash_inside_one_walk() -> None:
    first, second = _item_class(str), _item_class(int)
    schema, _ = written(tuple[first, second])  # type: ignore[valid-type]
    assert [item["$ref"] for item in schema["prefixItems"]] == [
        REF_PREFIX + "Item",
        REF_PREFIX + "Item2",
    ]


def test_a_recursive_class_met_again_keeps_its_name() -> None:
    components: dict[str, Schema] = {}
    assert schema_for(Node, components) == schema_for(list[Node], components)["items"]
    assert set(components) == {"Node"}


def test_limits_from_our_markers_annotated_types_and_pydantic() -> None:
    hint = Annotated[
        int,
        Query(ge=1, le=100, description="How many", examples=[10]),
        annotated_types.MultipleOf(5),
    ]
    assert written(hint)[0] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "description": "How many",
        "examples": [10],
        "multipleOf": 5,
    }
    text = Annotated[str, pydantic.Field(min_length=2, pattern="^[a-z]+$", description="d")]
    assert written(text)[0] == {
        "type": "string",
        "minLength": 2,
        "pattern": "^[a-z]+$",
        "description": "d",
    }
    assert written(Annotated[float, annotated_types.Interval(gt=0, lt=1)])[0] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 1,
    }


def test_sizes_count_items_of_an_array() -> None:
    hint = Annotated[list[str], Body(min_length=1, max_length=3)]
    schema, _ = written(hint)
    assert schema == {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}
    assert not accepts(schema, {}, []) and accepts(schema, {}, ["a"])


def test_limits_inside_an_optional_and_a_list() -> None:
    hint = list[Annotated[str, Header(max_length=2)]] | None
    schema, _ = written(hint)
    assert schema["anyOf"][0]["items"] == {"type": "string", "maxLength": 2}


def test_a_pydantic_model_is_pydantics_own_schema_hoisted() -> None:
    schema, components = written(Product)
    assert schema == {"$ref": REF_PREFIX + "Product"}
    assert set(components) == {"Product", "Price"}
    product = components["Product"]
    assert product["description"] == "A product in the catalogue."
    assert product["properties"]["price"] == {"$ref": REF_PREFIX + "Price"}
    assert product["properties"]["related"]["items"] == {"$ref": REF_PREFIX + "Product"}
    assert "label" not in product["properties"]  # a computed field is not taken
    assert components["Price"]["properties"]["currency"]["minLength"] == 3
    good = {"name": "pen", "price": {"amount": 2.5, "currency": "EUR"}, "related": []}
    assert accepts(schema, components, good)
    assert not accepts(schema, components, {"name": "pen", "price": {"currency": "E"}})


def test_serialization_mode_is_what_pydantic_writes() -> None:
    schema, components = written(Product, "serialization")
    product = components[schema["$ref"][len(REF_PREFIX) :]]
    assert product["properties"]["label"]["readOnly"] is True
    assert "label" in product["required"]


def test_one_model_in_both_modes_gets_two_names() -> None:
    components: dict[str, Schema] = {}
    taken = schema_for(Product, components, "validation")
    given = schema_for(Product, components, "serialization")
    assert taken == {"$ref": REF_PREFIX + "Product"}
    assert given == {"$ref": REF_PREFIX + "Product2"}
    serialised = components["Product2"]
    assert serialised["properties"]["related"]["items"] == {"$ref": REF_PREFIX + "Product2"}
    assert schema_for(Product, components, "serialization") == given  # described again: shared
    check_document(document_of(given, components))


def test_a_pydantic_model_inside_a_dataclass() -> None:
    schema, components = written(list[Listing])
    assert schema["items"] == {"$ref": REF_PREFIX + "Listing"}
    assert components["Listing"]["properties"]["product"] == {"$ref": REF_PREFIX + "Product"}
    assert {"Listing", "Product", "Price"} <= set(components)
    good = [{"product": {"name": "pen", "price": {"amount": 1, "currency": "EUR"}}, "shelf": 3}]
    assert accepts(schema, components, good)


def test_pydantic_definitions_renamed_where_a_name_is_taken() -> None:
    components: dict[str, Schema] = {}
    # Our own `Price` first: pydantic's Price must not overwrite it.
    ours = dataclasses.make_dataclass("Price", [("cents", int)])
    schema_for(ours, components)
    ref = schema_for(Product, components)
    assert components["Price"]["properties"] == {"cents": {"type": "integer"}}
    product = components[ref["$ref"][len(REF_PREFIX) :]]
    assert product["properties"]["price"] == {"$ref": REF_PREFIX + "Price2"}
    assert "currency" in components["Price2"]["properties"]
    assert schema_for(Product, components) == ref  # again: the same names, nothing added
    assert set(components) == {"Price", "Price2", "Product"}
    check_document(document_of(ref, components))


def test_pydantic_model_inside_containers() -> None:
    schema, components = written(dict[str, list[Price]] | None)
    items = schema["anyOf"][0]["additionalProperties"]["items"]
    assert items == {"$ref": REF_PREFIX + "Price"}
    assert set(components) == {"Price"}


@pytest.mark.parametrize("hint", [bytes, complex, dict[str, bytes], object.__init__])
def test_a_type_outside_the_universe_is_refused(hint: Any) -> None:
    with pytest.raises(TypeError, match="no JSON Schema"):
        schema_for(hint, {})


def test_a_field_type_that_cannot_be_read_is_named() -> None:
    @dataclasses.dataclass
    class Broken:
        value: Missing  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match=r"cannot read the field types of .*Broken"):
        schema_for(Broken, {})


def test_components_of_earlier_calls_are_kept() -> None:
    components: dict[str, Schema] = {"Existing": {"type": "string"}}
    schema_for(Line, components)
    assert set(components) == {"Existing", "Line"}


def test_a_refused_type_leaves_the_components_as_they_were() -> None:
    components: dict[str, Schema] = {"Existing": {"type": "string"}}
    with pytest.raises(TypeError, match="bytes"):
        schema_for(tuple[Order, bytes], components)
    assert components == {"Existing": {"type": "string"}}
