from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


@app.get("/orders/<order_id>")
def get_order(order_id):
    expand = app.current_event.get_query_string_value("expand")
    return {"id": order_id, "expand": expand, "total": 12.5}


def handler(event, context):
    return app.resolve(event, context)
