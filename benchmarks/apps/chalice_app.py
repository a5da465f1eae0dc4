from chalice import Chalice

app = Chalice(app_name="bench")


@app.route("/orders/{order_id}")
def get_order(order_id):
    return {"id": order_id, "expand": app.current_request.query_params.get("expand"), "total": 12.5}


handler = app
