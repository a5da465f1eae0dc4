"""The pydantic v2 models and the business logic every models_* benchmark app shares.

Each framework's app (models_chalicelike, models_powertools, models_fastapi) declares the
same two routes over these: what differs between them is only the framework's own work.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, Field


class Status(str, enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"


class Item(BaseModel):
    sku: str = Field(min_length=3, max_length=32, pattern=r"^[A-Z0-9-]+$")
    quantity: int = Field(ge=1, le=1000)
    unit_price: float = Field(gt=0)
    note: str | None = None


class Order(BaseModel):
    customer: str = Field(min_length=1, max_length=100)
    items: list[Item] = Field(min_length=1, max_length=50)
    status: Status = Status.PENDING
    coupon: str | None = Field(default=None, max_length=20)


class OrderOut(BaseModel):
    id: int
    customer: str
    status: Status
    items: list[Item]
    total: float = Field(ge=0)
    coupon: str | None = None


# The order every GET answers from: three lines, so `limit` has something to cut.
_STORED_ITEMS = [
    Item(sku="BOOK-1", quantity=2, unit_price=12.5),
    Item(sku="PEN-7", quantity=10, unit_price=1.25, note="blue"),
    Item(sku="LAMP-3", quantity=1, unit_price=40.0),
]


def place(order: Order) -> OrderOut:
    """What POST /orders answers: the order as stored, with its id and total."""
    total = sum(item.quantity * item.unit_price for item in order.items)
    return OrderOut(
        id=1001,
        customer=order.customer,
        status=order.status,
        items=order.items,
        total=total,
        coupon=order.coupon,
    )


def stored(order_id: int, verbose: bool, limit: int) -> OrderOut:
    """What GET /orders/{order_id} answers: the stored order's first `limit` lines."""
    items = _STORED_ITEMS[:limit]
    if not verbose:
        items = [item.model_copy(update={"note": None}) for item in items]
    return OrderOut(
        id=order_id,
        customer="acme",
        status=Status.PAID,
        items=items,
        total=sum(item.quantity * item.unit_price for item in items),
    )
