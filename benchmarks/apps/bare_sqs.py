"""The lower bound for an SQS consumer: parse each message's JSON body, with plain dict access."""

import json

processed = []


def handle_jobs(event, context):
    for record in event["Records"]:
        processed.append(json.loads(record["body"]))
