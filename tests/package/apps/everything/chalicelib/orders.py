"""A DynamoDB-backed order book: a resource held on an instance."""

import boto3


class OrderBook:
    def __init__(self, table_name="everything-orders"):
        self._table = boto3.resource("dynamodb").Table(table_name)

    def all(self):
        return self._table.scan()["Items"]

    def get(self, order_id):
        return self._table.get_item(Key={"id": order_id}).get("Item")

    def record(self, body):
        self._table.put_item(Item={"id": body})
