"""The runtime's Enum and namedtuple lookalikes behave as the classes they stand in for."""

from __future__ import annotations

import copy
import enum
import json
import pickle
from typing import Any

import pytest

from chalicelike._core._lean_types import LeanEnum, lean_record
from chalicelike._core._middleware import EventType
from chalicelike._core._routing import Match


class Colour(LeanEnum):
    RED = "red"
    GREEN = "green"

    def shout(self) -> str:  # methods are not members
        return self.value.upper()


class RealColour(str, enum.Enum):
    RED = "red"
    GREEN = "green"


def test_members_read_like_a_str_enums() -> None:
    red: Any = Colour.RED  # mypy reads a LeanEnum's members as the strings they are written
    real = RealColour.RED
    assert (red.name, red.value) == (real.name, real.value) == ("RED", "red")
    assert type(red.value) is str
    assert repr(red) == "<Colour.RED: 'red'>"
    assert str(red) == "Colour.RED" and str(real) == "RealColour.RED"
    assert f"{red}" == "Colour.RED" and f"{real}" == "RealColour.RED"
    assert red == "red" and json.dumps([red]) == '["red"]'
    assert isinstance(red, Colour) and red.shout() == "RED"


def test_lookup_iteration_and_identity() -> None:
    assert Colour("green") is Colour.GREEN
    assert list(Colour) == [Colour.RED, Colour.GREEN] and len(Colour) == 2
    with pytest.raises(ValueError, match="'blue' is not a valid Colour"):
        Colour("blue")
    with pytest.raises(ValueError, match="is not a valid Colour"):
        Colour(["red"])  # unhashable: still a ValueError, as Enum raises
    assert pickle.loads(pickle.dumps(Colour.RED)) is Colour.RED
    assert copy.deepcopy({"c": Colour.RED})["c"] is Colour.RED


def test_the_runtimes_kinds_are_lean_with_enum_behaviour() -> None:
    assert EventType.parse("sqs") is EventType.SQS
    with pytest.raises(Exception, match="Unknown middleware event type 'nope'; use one of 'all'"):
        EventType.parse("nope")
    assert Match("partial") is Match.PARTIAL and len({Match.FULL, Match.NONE}) == 2


Point = lean_record("Point", ("x", "y", "z"), (0,))


def test_records_are_tuples_with_names_and_defaults() -> None:
    point = Point(1, 2)
    assert point == (1, 2, 0) and tuple in type(point).__mro__
    assert (point.x, point.y, point.z) == (1, 2, 0)
    assert Point(1, y=2, z=3) == (1, 2, 3) and Point(x=1, y=2) == (1, 2, 0)
    assert repr(point) == "Point(x=1, y=2, z=0)"
    assert Point._fields == ("x", "y", "z")
    x, y, z = point
    assert (x, y, z) == (1, 2, 0)
    with pytest.raises(AttributeError):
        setattr(point, "x", 5)  # noqa: B010  # a tuple's fields are read-only


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1,), {}, "missing the argument 'y'"),
        ((1, 2, 3, 4), {}, "takes 3 arguments, not 4"),
        ((1, 2), {"w": 1}, "unexpected or repeated arguments \\['w'\\]"),
        ((1, 2), {"x": 1}, "unexpected or repeated arguments \\['x'\\]"),
    ],
)
def test_records_refuse_wrong_arguments_as_namedtuple_does(
    args: tuple[int, ...], kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_generic_subscripts_read_as_typings_aliases() -> None:
    import typing

    from chalicelike import SQSEvent, SQSRecord

    class Order:
        pass

    alias = SQSRecord[Order]
    assert typing.get_origin(alias) is SQSRecord and typing.get_args(alias) == (Order,)
    assert typing.get_origin(SQSEvent[Order]) is SQSEvent
    message = {"messageId": "m1", "receiptHandle": "h", "body": "{}", "attributes": {}}
    record: Any = alias(message)  # an alias builds its class's instances
    assert type(record) is SQSRecord and record.payload == {}


def test_records_copy_and_pickle_as_namedtuples_do() -> None:
    from chalicelike._core._response import RenderedResponse
    from chalicelike._core._routing import RouteMatch

    match = RouteMatch(Match.FULL, "/a", None, {"x": "1"}, None)
    assert copy.copy(match) == match and copy.deepcopy(match) == match
    assert type(copy.copy(match)) is RouteMatch
    rendered = RenderedResponse(200, [("a", "b")], b"{}")
    assert pickle.loads(pickle.dumps(rendered)) == rendered
    assert RenderedResponse.__module__ == "chalicelike._core._response"


def test_generic_events_take_one_type() -> None:
    from chalicelike import SQSEvent

    with pytest.raises(TypeError, match=r"takes one type, not 2"):
        SQSEvent[int, str]  # type: ignore[misc]
