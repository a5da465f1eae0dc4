"""The sample bookshop's event handlers, called as Lambda calls them."""

from __future__ import annotations

import json
from typing import Any

from tests.lambda_events import Context


def s3_upload(*keys: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2026-11-23T17:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": "bookshop-imports", "arn": "arn:aws:s3:::bookshop-imports"},
                    "object": {"key": key, "size": 42, "eTag": "e", "sequencer": "01"},
                },
            }
            for key in keys
        ]
    }


def sqs_orders(*orders: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"order-{index}",
                "receiptHandle": f"handle-{index}",
                "body": json.dumps(order),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:bookshop-orders",
                "awsRegion": "eu-west-1",
            }
            for index, order in enumerate(orders)
        ]
    }


def test_s3_upload_imports_every_file(sample_app: Any) -> None:
    import app as module

    imported = module.import_catalogue(s3_upload("new/978-1.csv", "new/978-2.csv"), Context())
    assert imported == ["978-1", "978-2"]
    assert module.store.get("978-2")["title"] == "Imported from bookshop-imports"


def test_orders_without_a_book_are_retried_alone(sample_app: Any) -> None:
    import app as module

    answer = module.take_order(
        sqs_orders({"isbn": "978-0"}, {"title": "no isbn"}, {"isbn": "978-0"}), Context()
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "order-1"}]}


def test_hourly_report(sample_app: Any) -> None:
    import app as module

    event = {
        "version": "0",
        "id": "5f6c7a1e-0000-4000-8000-000000000000",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-23T18:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/hourly"],
        "detail": {},
    }
    assert module.hourly_report(event, Context()) == {"books": 0, "at": "2026-11-23T18:00:00Z"}
