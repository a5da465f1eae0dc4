"""The models benchmark's app on FastAPI behind Mangum (response model from the return hint).

The views are `async def`, FastAPI's fast path for code that does not block: a plain `def`
view runs in a worker thread, which made each invoke about 5x slower here under Mangum.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query
from mangum import Mangum
from models_shared import Order, OrderOut, place, stored

app = FastAPI()


@app.post("/orders")
async def create_order(order: Order) -> OrderOut:
    return place(order)


@app.get("/orders/{order_id}")
async def get_order(
    order_id: int,
    verbose: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> OrderOut:
    return stored(order_id, verbose, limit)


handler = Mangum(app, lifespan="off")
