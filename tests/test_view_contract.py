"""Typed views end to end: requests through the test client (the Lambda door) and a real
uvicorn server on 127.0.0.1, refusals naming every field, answers checked and serialised."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import logging
from typing import Annotated, Any, TypedDict

import pydantic
import pytest
import requests

from chalicelike import Body, Chalice, Header, Query, Response
from chalicelike.test import Client
from tests.servers import serve


class Status(enum.Enum):
    OPEN = "open"
    SHIPPED = "shipped"


@dataclasses.dataclass
class Item:
    sku: str
    qty: Annotated[int, Query(ge=1)]


@dataclasses.dataclass
class Order:
    items: list[Item]
    note: str | None = None
    due: datetime.date | None = None


@dataclasses.dataclass
class OrderOut:
    id: int
    status: Status
    items: list[Item]


class Tag(TypedDict):
    name: str


class Payment(pydantic.BaseModel):
    amount: float = pydantic.Field(gt=0)
    currency: str = "EUR"
    tags: list[str] = []


class Receipt(pydantic.BaseModel):
    id: int
    amount: float


def make_app() -> Chalice:
    app = Chalice(app_name="typed")

    @app.route("/orders", methods=["POST"])
    def create(order: Order) -> OrderOut:
        # The dict holds a field OrderOut does not declare: it must not reach the client.
        return {"id": 7, "status": "open", "items": order.items, "secret": "s3cr3t"}  # type: ignore[return-value]

    @app.route("/orders/{order_id}")
    def get(
        order_id: int,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        tag: list[str] = [],  # noqa: B006 (each request gets a copy)
        verbose: bool = False,
        x_request_id: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        tag.append("seen")
        return {"id": order_id, "limit": limit, "tag": tag, "verbose": verbose, "rid": x_request_id}

    @app.route("/payments", methods=["POST"])
    def pay(payment: Payment) -> Receipt:
        return Receipt(id=1, amount=payment.amount)

    @app.route("/tags", methods=["PUT"])
    def tags(tags: list[Tag]) -> list[Tag]:
        return [*tags, {"name": "extra", "dropped": True}]  # type: ignore[typeddict-unknown-key]

    @app.route("/broken/{order_id}")
    def broken(order_id: int) -> OrderOut:
        return {"id": order_id}  # type: ignore[return-value]

    @app.route("/unchecked/{order_id}", validate_response=False)
    def unchecked(order_id: int) -> OrderOut:
        return {"id": order_id}  # type: ignore[return-value]

    @app.route("/created", methods=["POST"])
    def created(item: Item) -> Response:
        return Response(body=item, status_code=201)

    @app.route("/async/{n}")
    async def twice(n: int) -> dict[str, int]:
        return {"n": n * 2}

    @app.route("/chalice/{name}")
    def chalice_view(name: str) -> dict[str, str]:
        return {"name": name, "query": str(app.current_request.query_params)}

    return app


@pytest.fixture
def client() -> Any:
    with Client(make_app()) as test_client:
        yield test_client


def post(client: Any, path: str, body: Any, method: str = "post") -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(client.http, method)(
        path, headers={"content-type": "application/json"}, body=text
    )


def test_a_body_model_is_built_and_the_answer_keeps_only_declared_fields(client: Any) -> None:
    answer = post(client, "/orders", {"items": [{"sku": "a", "qty": "2"}], "due": "2026-12-24"})
    assert answer.status_code == 200
    assert answer.json_body == {"id": 7, "status": "open", "items": [{"sku": "a", "qty": 2}]}


def test_a_bad_body_is_a_422_naming_each_field(client: Any) -> None:
    answer = post(client, "/orders", {"items": [{"sku": "a", "qty": 0}, {"qty": "x"}]})
    assert answer.status_code == 422
    body = answer.json_body
    assert body["Code"] == "UnprocessableEntityError"
    assert [(e["loc"], e["type"]) for e in body["detail"]] == [
        (["body", "items", 0, "qty"], "greater_than_equal"),
        (["body", "items", 1, "sku"], "missing"),
        (["body", "items", 1, "qty"], "int_parsing"),
    ]
    assert body["Message"].startswith("3 validation errors: body.items.0.qty: ")


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [("", ["body"], "missing"), ("{bad", ["body"], "json_invalid"), ("[]", ["body"], "model_type")],
)
def test_a_missing_or_unreadable_body_is_named(
    client: Any, body: str, loc: list[Any], error_type: str
) -> None:
    answer = post(client, "/orders", body)
    assert answer.status_code == 422
    assert [(e["loc"], e["type"]) for e in answer.json_body["detail"]] == [(loc, error_type)]


def test_path_query_and_header_parameters_are_typed(client: Any) -> None:
    answer = client.http.get(
        "/orders/5?limit=3&tag=a&tag=b&verbose=yes", headers={"X-Request-Id": "r1"}
    )
    assert answer.json_body == {
        "id": 5, "limit": 3, "tag": ["a", "b", "seen"], "verbose": True, "rid": "r1",
    }  # fmt: skip
    again = client.http.get("/orders/6").json_body
    assert again == {"id": 6, "limit": 10, "tag": ["seen"], "verbose": False, "rid": None}


def test_bad_parameters_are_named_by_location(client: Any) -> None:
    answer = client.http.get("/orders/x?limit=0&verbose=perhaps")
    assert answer.status_code == 422
    assert [(e["loc"], e["type"]) for e in answer.json_body["detail"]] == [
        (["path", "order_id"], "int_parsing"),
        (["query", "limit"], "greater_than_equal"),
        (["query", "verbose"], "bool_parsing"),
    ]


def test_pydantic_models_validate_from_the_raw_body(client: Any) -> None:
    assert post(client, "/payments", {"amount": "9.5"}).json_body == {"id": 1, "amount": 9.5}
    refused = post(client, "/payments", {"amount": -1, "tags": "x"})
    assert refused.status_code == 422
    assert [(e["loc"], e["type"]) for e in refused.json_body["detail"]] == [
        (["body", "amount"], "greater_than"),
        (["body", "tags"], "list_type"),
    ]
    invalid = post(client, "/payments", "{nope")
    assert invalid.json_body["detail"][0]["type"] == "json_invalid"


def test_a_list_of_typeddicts_in_and_out(client: Any) -> None:
    answer = post(client, "/tags", [{"name": "a"}], method="put")
    assert answer.json_body == [{"name": "a"}, {"name": "extra"}]


def test_an_answer_that_breaks_its_type_is_a_logged_500(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = client.http.get("/broken/3")
    assert answer.status_code == 500
    assert answer.json_body["Code"] == "InternalServerError"
    assert "s3cr3t" not in answer.body.decode()
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert "response.status: Field required" in logged
    assert "response.items: Field required" in logged


def test_validate_response_false_sends_the_answer_unchecked(client: Any) -> None:
    assert client.http.get("/unchecked/3").json_body == {"id": 3}


def test_a_response_carrying_a_model_is_serialised(client: Any) -> None:
    answer = post(client, "/created", {"sku": "a", "qty": 1})
    assert answer.status_code == 201
    assert answer.json_body == {"sku": "a", "qty": 1}


def test_an_async_view_keeps_its_contract(client: Any) -> None:
    assert client.http.get("/async/4").json_body == {"n": 8}
    assert client.http.get("/async/four").status_code == 422


def test_a_chalice_view_is_untouched(client: Any) -> None:
    assert client.http.get("/chalice/x?a=1").json_body == {
        "name": "x",
        "query": "MultiDict({'a': ['1']})",
    }


def test_the_status_of_a_refusal_may_be_400() -> None:
    app = make_app()
    app.api.validation_error_status = 400
    with Client(app) as test_client:
        answer = test_client.http.get("/orders/x")
    assert answer.status_code == 400
    assert answer.json_body["Code"] == "BadRequestError"
    with pytest.raises(ValueError, match="400 or 422"):
        app.api.validation_error_status = 418


@pytest.mark.slow
def test_over_real_http() -> None:
    with serve(make_app()) as base_url:
        good = requests.post(f"{base_url}/orders", json={"items": [{"sku": "a", "qty": 1}]})
        bad = requests.get(f"{base_url}/orders/1?limit=1000", timeout=5)
    assert good.status_code == 200 and good.json()["items"] == [{"sku": "a", "qty": 1}]
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {
            "loc": ["query", "limit"],
            "msg": "Input should be less than or equal to 100",
            "type": "less_than_equal",
        }
    ]


def test_a_body_nested_thousands_deep_is_refused_not_a_500(client: Any) -> None:
    bomb = '{"items": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    answer = post(client, "/orders", bomb)
    assert answer.status_code == 422
    assert answer.json_body["detail"] == [
        {"loc": ["body"], "msg": "JSON nested too deeply", "type": "recursion_loop"}
    ]


def test_a_body_of_many_bad_items_answers_a_bounded_refusal() -> None:
    app = Chalice(app_name="bounded")

    @app.route("/ids", methods=["POST"])
    def ids(ids: Annotated[list[int], Body()]) -> dict[str, int]:
        return {"n": len(ids)}

    with Client(app) as test_client:
        answer = post(test_client, "/ids", ["x"] * 100_000)
    assert answer.status_code == 422
    assert len(answer.body) < 5_000
    assert len(answer.json_body["detail"]) == 20
    assert answer.json_body["Message"].endswith("; and 17 more")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"amount": NaN}', "Invalid JSON: NaN is not a JSON number"),
        (b'{"items": [{"sku": "a", "qty": 1}], "note": "\xff"}', "Invalid JSON: not UTF-8"),
        (b'{"items": [], "x": ' + b"9" * 5000 + b"}", "Invalid JSON: a number too large"),
    ],
)
def test_unreadable_bodies_are_named_in_our_words(client: Any, body: bytes, message: str) -> None:
    answer = client.http.post("/orders", headers={"content-type": "application/json"}, body=body)
    assert answer.status_code == 422
    assert answer.json_body["detail"][0]["msg"] == message


def test_non_finite_numbers_are_refused() -> None:
    app = Chalice(app_name="finite")

    @app.route("/f")
    def f(x: float) -> dict[str, float]:
        return {"x": x}

    with Client(app) as test_client:
        assert test_client.http.get("/f?x=2.5").json_body == {"x": 2.5}
        for text in ("nan", "inf", "-Infinity", "1e999"):
            refused = test_client.http.get(f"/f?x={text}")
            assert refused.json_body["detail"][0]["type"] == "finite_number", text


class Aliased(pydantic.BaseModel):
    user_id: int = pydantic.Field(alias="userId")


def test_pydantic_aliases_are_used_both_ways() -> None:
    app = Chalice(app_name="aliases")

    @app.route("/users", methods=["POST"])
    def echo(user: Aliased) -> Aliased:
        return user

    with Client(app) as test_client:
        answer = post(test_client, "/users", {"userId": 7})
    assert answer.json_body == {"userId": 7}
