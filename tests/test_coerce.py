"""Values checked against declared types: lax coercion as pydantic's, every error named."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, Optional, TypedDict, Union

import pydantic
import pytest
from typing_extensions import NotRequired

from chalicelike import Query, RegistrationError, ValidationFailed
from chalicelike._contracts._coerce import FieldError, loader_for


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


@dataclasses.dataclass
class Item:
    sku: str
    qty: Annotated[int, Query(ge=1)]


@dataclasses.dataclass
class Order:
    items: list[Item]
    color: Color
    note: Optional[str] = None  # noqa: UP045 (the spelling users write, too)
    tags: list[str] = dataclasses.field(default_factory=list)


class Address(TypedDict):
    street: str
    zip: NotRequired[str]


@dataclasses.dataclass
class Node:
    name: str
    children: list[Node] = dataclasses.field(default_factory=list)


class PydanticItem(pydantic.BaseModel):
    sku: str
    qty: int = pydantic.Field(ge=1)


def errors_of(hint: Any, value: Any) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as caught:
        loader_for(hint)(value)
    return caught.value.errors


@pytest.mark.parametrize(
    ("hint", "given", "expected"),
    [
        (int, "42", 42),
        (int, 3.0, 3),
        (float, "2.5", 2.5),
        (float, 2, 2.0),
        (bool, "true", True),
        (bool, "Off", False),
        (bool, 1, True),
        (str, "x", "x"),
        (decimal.Decimal, "1.10", decimal.Decimal("1.10")),
        (datetime.date, "2026-12-06", datetime.date(2026, 12, 6)),
        (
            datetime.datetime,
            "2026-12-06T10:00:00Z",
            datetime.datetime(2026, 12, 6, 10, tzinfo=datetime.timezone.utc),
        ),
        (
            uuid.UUID,
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID(int=0x12345678123456781234567812345678),
        ),
        (Color, "red", Color.RED),
        (Size, "2", Size.LARGE),
        (Literal["a", 1], "1", 1),
        (Optional[int], None, None),  # noqa: UP045
        (Union[int, str], "x", "x"),  # noqa: UP007
        (Union[int, str], 5, 5),  # noqa: UP007
        (list[int], ["1", 2], [1, 2]),
        (set[str], ["a", "a"], {"a"}),
        (tuple[int, ...], [1, "2"], (1, 2)),
        (tuple[int, str], [1, "a"], (1, "a")),
        (dict[str, int], {"a": "1"}, {"a": 1}),
        (Any, {"any": object}, {"any": object}),
        (int | None, "7", 7),
    ],
)
def test_values_are_coerced_as_pydantic_coerces_them(hint: Any, given: Any, expected: Any) -> None:
    assert loader_for(hint)(given) == expected


@pytest.mark.parametrize(
    ("hint", "given", "error_type"),
    [
        (int, "x", "int_parsing"),
        (int, 1.5, "int_from_float"),
        (int, True, "int_type"),
        (float, "x", "float_parsing"),
        (bool, "maybe", "bool_parsing"),
        (str, 5, "string_type"),
        (datetime.date, "06/12/2026", "date_parsing"),
        (uuid.UUID, "nope", "uuid_parsing"),
        (Color, "green", "enum"),
        (Literal["a", "b"], "c", "literal_error"),
        (list[int], "1", "list_type"),
        (dict[str, int], [], "dict_type"),
        (None, 1, "none_required"),
        (Annotated[int, Query(ge=1)], 0, "greater_than_equal"),
        (Annotated[int, Query(lt=5)], 5, "less_than"),
        (Annotated[str, Query(min_length=2)], "a", "string_too_short"),
        (Annotated[str, Query(max_length=2)], "abc", "string_too_long"),
        (Annotated[str, Query(pattern="^a")], "b", "string_pattern_mismatch"),
        (Annotated[list[int], Query(max_length=1)], [1, 2], "too_long"),
        (Annotated[int, Query(multiple_of=2)], 3, "multiple_of"),
    ],
)
def test_each_refusal_names_its_kind(hint: Any, given: Any, error_type: str) -> None:
    (error,) = errors_of(hint, given)
    assert error.type == error_type
    assert error.loc == ()
    assert error.msg


def test_a_nested_model_reports_every_bad_field_with_its_path() -> None:
    errors = errors_of(Order, {"items": [{"sku": 1, "qty": 0}, {}], "color": "green"})
    assert [(e.loc, e.type) for e in errors] == [
        (("items", 0, "sku"), "string_type"),
        (("items", 0, "qty"), "greater_than_equal"),
        (("items", 1, "sku"), "missing"),
        (("items", 1, "qty"), "missing"),
        (("color",), "enum"),
    ]


def test_a_dataclass_is_built_with_its_defaults_and_extra_keys_dropped() -> None:
    order = loader_for(Order)({"items": [{"sku": "a", "qty": "2"}], "color": "red", "x": 1})
    assert order == Order(items=[Item("a", 2)], color=Color.RED)


def test_a_typeddict_keeps_only_its_keys_and_knows_which_are_required() -> None:
    assert loader_for(Address)({"street": "Main", "other": 1}) == {"street": "Main"}
    (error,) = errors_of(Address, {"zip": "1"})
    assert error.loc == ("street",) and error.type == "missing"


def test_a_recursive_dataclass_checks_every_level() -> None:
    tree = loader_for(Node)({"name": "a", "children": [{"name": "b"}]})
    assert tree == Node("a", [Node("b")])


def test_a_recursive_dataclass_reports_deep_errors() -> None:
    errors = errors_of(Node, {"name": "a", "children": [{"name": "b", "children": [{}]}]})
    assert errors[0].loc == ("children", 0, "children", 0, "name")


def test_a_model_may_be_read_from_another_objects_attributes() -> None:
    class Row:
        sku = "a"
        qty = 3

    assert loader_for(Item)(Row()) == Item("a", 3)


def test_pydantic_models_are_validated_by_pydantic_with_locations_kept() -> None:
    assert loader_for(list[PydanticItem])([{"sku": "a", "qty": "2"}]) == [
        PydanticItem(sku="a", qty=2)
    ]
    (error,) = errors_of(list[PydanticItem], [{"sku": "a", "qty": 0}])
    assert error.loc == (0, "qty") and error.type == "greater_than_equal"


def test_a_union_reports_each_options_errors() -> None:
    errors = errors_of(Union[int, Color], "purple")  # noqa: UP007
    assert {e.loc for e in errors} == {("int",), ("Color",)}


def test_a_type_outside_the_set_goes_to_pydantic_when_installed() -> None:
    class Custom:
        pass

    with pytest.raises(RegistrationError, match="cannot be validated"):
        loader_for(Custom)


def test_the_message_names_every_field_on_one_line() -> None:
    with pytest.raises(ValidationFailed) as caught:
        loader_for(Item)({"qty": "x"})
    assert str(caught.value) == (
        "2 validation errors: sku: Field required; qty: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
