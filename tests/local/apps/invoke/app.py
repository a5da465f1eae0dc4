"""The app tests/local/test_invoke_api.py and test_invoke_command.py invoke."""

import json
import os
import time

from chalicelike import Chalice

app = Chalice(app_name="invoker")


@app.lambda_function()
def echo(event, context):
    print("echo got", json.dumps(event))
    custom = context.client_context.custom if context.client_context else None
    return {
        "event": event,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "custom": custom,
        "greeting": os.environ.get("GREETING"),
    }


@app.lambda_function()
def fails(event, context):
    print("about to fail")
    raise ValueError("bad input")


@app.lambda_function()
def chatty(event, context):
    for number in range(event.get("lines", 200)):
        print(f"line {number:04d} " + "x" * 40)
    return "done"


@app.lambda_function()
def record(event, context):
    """Leaves a line in event['path'] per attempt; fails the first `fail_times` attempts."""
    with open(event["path"], "a") as trace:
        trace.write(context.aws_request_id + "\n")
    with open(event["path"]) as trace:
        attempts = len(trace.readlines())
    if attempts <= event.get("fail_times", 0):
        raise RuntimeError(f"failing attempt {attempts}")
    return attempts


@app.lambda_function()
def slow(event, context):
    """Reserved concurrency 1 (.chalice/config.json): a second caller is throttled."""
    if "path" in event:
        with open(event["path"], "a") as trace:
            trace.write("started\n")
    time.sleep(event.get("seconds", 1))
    return "slept"
