"""The models benchmark's app on Powertools' REST resolver, with its pydantic validation on."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from models_shared import Order, OrderOut, place, stored

app = APIGatewayRestResolver(enable_validation=True)


@app.post("/orders")
def create_order(order: Order) -> OrderOut:
    return place(order)


@app.get("/orders/<order_id>")
def get_order(
    order_id: int,
    verbose: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> OrderOut:
    return stored(order_id, verbose, limit)


def handler(event, context):
    return app.resolve(event, context)
