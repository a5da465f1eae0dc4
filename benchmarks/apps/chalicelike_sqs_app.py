import json

from chalicelike import Chalice

app = Chalice(app_name="bench")
processed = []


@app.on_sqs_message(queue="jobs")
def handle_jobs(event):
    for record in event:
        processed.append(json.loads(record.body))
