"""In-process request cost through each framework's own test client, side by side.

    python benchmarks/http_pipeline.py

The same app (a GET with a path parameter and a query parameter returning JSON)
is built with Chalice 1.34 and with chalicelike; each request goes through the
framework's test client (routing, request object, view, response serialisation).
Prints µs per request and the ratio Chalice / chalicelike.
"""

from __future__ import annotations

import timeit
import types
from typing import Any

import chalice
import chalice.test

import chalicelike
import chalicelike.test

PATH = "/orders/42?expand=items"


def build(fw: types.ModuleType) -> Any:
    app = fw.Chalice(app_name="bench")

    @app.route("/orders/{order_id}")
    def get_order(order_id):
        expand = app.current_request.query_params.get("expand")
        return {"id": order_id, "expand": expand, "total": 12.5}

    return app


def per_request_us(fw: types.ModuleType, fw_test: types.ModuleType) -> float:
    app = build(fw)
    with fw_test.Client(app) as client:
        response = client.http.get(PATH)
        assert response.status_code == 200, response.body
        runs = timeit.repeat(lambda: client.http.get(PATH), number=2000, repeat=5)
    return min(runs) / 2000 * 1e6


def main() -> None:
    ours = per_request_us(chalicelike, chalicelike.test)
    theirs = per_request_us(chalice, chalice.test)
    print(f"{'stack':<28} {'µs/request':>11} {'vs chalicelike':>15}")
    print(f"{'chalicelike test client':<28} {ours:>11.1f} {1.0:>14.2f}x")
    print(f"{'chalice 1.34 test client':<28} {theirs:>11.1f} {theirs / ours:>14.2f}x")


if __name__ == "__main__":
    main()
