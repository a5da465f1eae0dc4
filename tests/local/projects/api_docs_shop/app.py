"""The shop the API docs tests serve: typed views (dataclasses), so its spec has a JSON
body, a path parameter, a query parameter and the answers' schemas."""

from dataclasses import dataclass
from typing import Annotated

from chalicelike import Chalice, Query

app = Chalice(app_name="docs-shop")


@dataclass
class Order:
    item: str
    quantity: int


@dataclass
class OrderOut:
    id: int
    item: str
    quantity: int


@app.route("/orders", methods=["POST"])
def create(order: Order) -> OrderOut:
    return OrderOut(id=1, item=order.item, quantity=order.quantity)


@app.route("/orders/{order_id}")
def get(order_id: int, extra: Annotated[int, Query(ge=0)] = 0) -> OrderOut:
    return OrderOut(id=order_id, item="tea", quantity=1 + extra)
