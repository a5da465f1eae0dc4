"""One function per event source, for tests/local/test_event_samples.py's `--for` tests.

Each handler keeps the typed event it received in SEEN, so a test can check what the
generated event turned into.
"""

from chalicelike import AuthResponse, Chalice

app = Chalice(app_name="shop")
SEEN = {}


@app.authorizer()
def auth(auth_request):
    SEEN["auth"] = auth_request
    return AuthResponse(routes=["*"], principal_id=auth_request.token)


@app.route("/orders/{order_id}", methods=["POST"], authorizer=auth)
def order(order_id):
    return {"order_id": order_id, "body": app.current_request.json_body}


@app.on_s3_event(bucket="uploads", events=["s3:ObjectRemoved:*"], prefix="incoming/", suffix=".csv")
def on_upload(event):
    SEEN["on_upload"] = event


@app.on_sqs_message(queue_arn="arn:aws:sqs:eu-west-1:111122223333:jobs")
def work(event):
    SEEN["work"] = event


@app.on_sns_message(topic="alerts")
def alert(event):
    SEEN["alert"] = event


@app.on_kinesis_record(stream="clicks")
def clicks(event):
    SEEN["clicks"] = event


@app.on_dynamodb_record(
    stream_arn="arn:aws:dynamodb:eu-west-1:111122223333:table/orders/stream/2024-01-01T00:00:00.000"
)
def changes(event):
    SEEN["changes"] = event


@app.on_cw_event(
    {"source": ["my.shop"], "detail-type": ["Order Placed"], "detail": {"status": ["paid"]}}
)
def placed(event):
    SEEN["placed"] = event


@app.schedule("rate(5 minutes)")
def sweep(event):
    SEEN["sweep"] = event


@app.on_ws_disconnect()
def gone(event):
    SEEN["gone"] = event


@app.on_ses_email(recipients=["orders.example.com"])
def mail(event):
    SEEN["mail"] = event


@app.on_cognito_trigger(user_pool="eu-west-1_AbCd", triggers=["PreTokenGeneration"])
def tokens(event):
    SEEN["tokens"] = event


@app.lambda_function()
def plain(event, context):
    return event
