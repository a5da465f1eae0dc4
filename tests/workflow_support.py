"""The order workflow of issue 15's "done when", shared by the tests that run it (test client,
`chalicelike local`, package/deploy): Choice, Parallel, Map, a Task that fails twice and then
succeeds under Retry, and a Catch into a Fail state. `write_workflow_project` writes it as a
project; ORDER_INPUT and friends are the inputs with their expected outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORKFLOW_APP = '''\
import json
import os
from pathlib import Path

from chalicelike import Chalice

app = Chalice(app_name="orders")


class FlakyError(Exception):
    """Raised by `reserve` until it has been called three times for the same order."""


class DeclinedError(Exception):
    pass


@app.lambda_function()
def validate(event, context):
    if "lines" not in event:
        raise ValueError("an order needs lines")
    return {**event, "validated": True}


@app.lambda_function()
def price(event, context):
    return {"currency": "EUR"}


@app.lambda_function()
def reserve(event, context):
    # Counts its attempts in a file the input names: workers are separate processes.
    counter = Path(event["attempts_file"])
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    if attempts < 3:
        raise FlakyError(f"attempt {attempts}")
    return {"reserved": True, "attempts": attempts}


@app.lambda_function()
def line_total(event, context):
    return event["quantity"] * event["unit_price"]


@app.lambda_function()
def charge(event, context):
    if event.get("card") == "declined":
        raise DeclinedError("card declined")
    return {"charged": sum(event["totals"])}


app.workflow("order", "order.asl.json")
'''

ORDER_ASL: dict[str, Any] = {
    "Comment": "An order: validated, routed, priced and reserved at once, lines totalled, charged",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Task", "Resource": "function:validate", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.kind", "StringEquals": "book", "Next": "Prepare"}],
            "Default": "Rejected",
        },
        "Rejected": {"Type": "Fail", "Error": "Rejected", "Cause": "only books are sold"},
        "Prepare": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Price",
                    "States": {
                        "Price": {"Type": "Task", "Resource": "function:price", "End": True}
                    },
                },
                {
                    "StartAt": "Reserve",
                    "States": {
                        "Reserve": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "function:reserve", "Payload.$": "$"},
                            "ResultSelector": {"reserved.$": "$.Payload.reserved"},
                            "Retry": [
                                {
                                    "ErrorEquals": ["FlakyError"],
                                    "IntervalSeconds": 1,
                                    "MaxAttempts": 2,
                                    "BackoffRate": 1.0,
                                }
                            ],
                            "End": True,
                        }
                    },
                },
            ],
            "ResultPath": "$.prepared",
            "Next": "Totals",
        },
        "Totals": {
            "Type": "Map",
            "ItemsPath": "$.lines",
            "ItemProcessor": {
                "StartAt": "LineTotal",
                "States": {
                    "LineTotal": {"Type": "Task", "Resource": "function:line_total", "End": True}
                },
            },
            "ResultPath": "$.totals",
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": "function:charge",
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "PaymentFailed"}
            ],
            "ResultPath": "$.payment",
            "End": True,
        },
        "PaymentFailed": {
            "Type": "Fail",
            "Error": "PaymentFailed",
            "Cause": "the card was declined",
        },
    },
}

CONFIG = {"version": "2.0", "app_name": "orders", "stages": {"dev": {"api_gateway_stage": "api"}}}


def order_input(attempts_file: Path, **changes: Any) -> dict[str, Any]:
    """A book order of two lines; `changes` override (kind="dvd", card="declined")."""
    return {
        "kind": "book",
        "card": "ok",
        "attempts_file": str(attempts_file),
        "lines": [{"quantity": 2, "unit_price": 10}, {"quantity": 1, "unit_price": 5}],
        **changes,
    }


# What a successful execution outputs, beyond the input it was given.
EXPECTED_ADDITIONS = {
    "validated": True,
    "prepared": [{"currency": "EUR"}, {"reserved": True}],
    "totals": [20, 5],
    "payment": {"charged": 25},
}


def write_workflow_project(folder: Path) -> Path:
    """The order app as a project in `folder` (app.py, order.asl.json, .chalice/config.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(WORKFLOW_APP)
    (folder / "order.asl.json").write_text(json.dumps(ORDER_ASL, indent=2))
    (folder / "requirements.txt").write_text("")
    (folder / ".chalice").mkdir(exist_ok=True)
    (folder / ".chalice" / "config.json").write_text(json.dumps(CONFIG, indent=2))
    return folder
