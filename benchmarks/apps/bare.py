"""The lower bound: a handler that does only what the benchmark checks."""

import json


def handler(event, context):
    order_id = event["pathParameters"]["order_id"]
    expand = (event.get("queryStringParameters") or {}).get("expand")
    body = {"id": order_id, "expand": expand, "total": 12.5}
    headers = {"Content-Type": "application/json"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps(body)}
