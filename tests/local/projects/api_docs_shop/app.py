"""The shop the API docs tests serve: a POST with a JSON body and a GET with a path
parameter (plain views until typed views land)."""

from chalicelike import Chalice, Response

app = Chalice(app_name="docs-shop")


@app.route("/orders", methods=["POST"])
def create():
    order = app.current_request.json_body or {}
    if not isinstance(order.get("quantity"), int):
        return Response({"Code": "UnprocessableEntityError"}, status_code=422)
    return {"id": 1, "item": order.get("item"), "quantity": order["quantity"]}


@app.route("/orders/{order_id}")
def get(order_id):
    return {"id": int(order_id), "item": "tea", "quantity": 1}
