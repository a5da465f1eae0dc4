"""The models benchmark's app on chalicelike: typed views, checked on the way in and out."""

from __future__ import annotations

from typing import Annotated

from models_shared import Order, OrderOut, place, stored

from chalicelike import Chalice, Query

app = Chalice(app_name="bench-models")


@app.route("/orders", methods=["POST"])
def create_order(order: Order) -> OrderOut:
    return place(order)


@app.route("/orders/{order_id}")
def get_order(
    order_id: int,
    verbose: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> OrderOut:
    return stored(order_id, verbose, limit)


handler = app
