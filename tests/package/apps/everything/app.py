"""An app declaring every event source and every authorizer kind: the packager's test subject.

Its boto3 use (here and in chalicelib/) is what the IAM policy generator must find.
"""

import os

import boto3
from chalicelib import storage
from chalicelib.orders import OrderBook

from chalicelike import (
    AuthResponse,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    CustomAuthorizer,
    IAMAuthorizer,
    Rate,
)

app = Chalice(app_name="everything")
app.api.binary_types = ["application/octet-stream", "image/png"]
sqs = boto3.client("sqs")
orders = OrderBook()

cognito = CognitoUserPoolAuthorizer(
    "staff_pool",
    provider_arns=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"],
)
partner = CustomAuthorizer(
    "partner",
    authorizer_uri=(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:partner-auth/invocations"
    ),
    ttl_seconds=60,
)


@app.authorizer(ttl_seconds=120)
def token_auth(auth_request):
    return AuthResponse(routes=["*"], principal_id="user")


@app.authorizer(authorizer_type="REQUEST", identity_sources=["header.X-Team", "query.team"])
def team_auth(auth_request):
    return AuthResponse(routes=["*"], principal_id="team")


@app.route("/", cors=True)
def index():
    return {"hello": "world"}


@app.route(
    "/orders",
    methods=["GET", "POST"],
    authorizer=token_auth,
    api_key_required=True,
    cors=CORSConfig(allow_origin="https://shop.example.com", max_age=600),
)
def list_or_add_orders():
    if app.current_request.method == "POST":
        sqs.send_message(QueueUrl="orders", MessageBody="new")
    return orders.all()


@app.route(
    "/orders/{order_id}",
    methods=["GET", "DELETE"],
    authorizer=team_auth,
    cors=CORSConfig(allow_origin=["https://a.example.com", "https://b.example.com"]),
)
def one_order(order_id):
    return orders.get(order_id)


@app.route("/staff", authorizer=cognito.with_scopes(["staff/read"]))
def staff():
    return {}


@app.route(
    "/admin",
    methods=["PUT"],
    authorizer=IAMAuthorizer(),
    content_types=["application/json", "application/octet-stream"],
)
def admin():
    return {}


@app.route("/partners/{partner_id}", authorizer=partner)
def partners(partner_id):
    return {}


@app.on_s3_event(
    bucket="everything-uploads", events=["s3:ObjectCreated:*"], prefix="incoming/", suffix=".csv"
)
def on_upload(event):
    storage.archive(event.bucket, event.key)


@app.on_s3_event(bucket="everything-uploads", events=["s3:ObjectRemoved:*"], name="on_removed")
def on_removed(event):
    pass


@app.on_s3_event(bucket="everything-media", prefix="photos/", suffix=".png", via_eventbridge=True)
def on_photo(event):
    storage.thumbnail(event.bucket, event.key)


@app.on_sns_message(topic="everything-alerts")
def on_alert(event):
    pass


@app.on_sns_message(topic="arn:aws:sns:us-west-2:123456789012:partner-news")
def on_news(event):
    pass


@app.on_sqs_message(
    queue="everything-jobs",
    batch_size=50,
    maximum_batching_window_in_seconds=10,
    maximum_concurrency=5,
)
def on_job(event):
    for record in event:
        orders.record(record.body)


@app.on_sqs_message(queue_arn="arn:aws:sqs:us-east-1:123456789012:partner-jobs", per_record=True)
def on_partner_job(record):
    pass


@app.on_kinesis_record(
    stream="everything-clicks",
    batch_size=200,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=5,
)
def on_click(event):
    pass


# A stream's label is known only once the table exists: the deploy test passes it in.
ORDERS_STREAM = os.environ.get(
    "ORDERS_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:123456789012:table/everything-orders/stream/2024-01-01T00:00:00.000",
)


@app.on_dynamodb_record(stream_arn=ORDERS_STREAM, batch_size=25)
def on_order_change(event):
    pass


@app.on_cw_event({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]})
def on_ec2(event):
    pass


@app.on_cw_event({"source": ["shop.orders"]}, bus="everything-bus", name="on_custom_bus")
def on_bus_event(event):
    pass


@app.schedule(Rate(5, unit=Rate.MINUTES), description="Every five minutes")
def every_five_minutes(event):
    pass


@app.schedule("cron(0 12 * * ? *)")
def at_noon(event):
    pass


@app.lambda_function()
def plain(event, context):
    return {"ok": True}


@app.on_ws_connect()
def ws_connect(event):
    pass


@app.on_ws_message()
def ws_message(event):
    app.websocket_api.send(event.connection_id, event.body)


@app.on_ws_disconnect()
def ws_disconnect(event):
    pass


@app.on_ses_email(recipients=["orders@example.com"], rule_set="everything-rules")
def on_email(event):
    pass


@app.on_cognito_trigger(user_pool="us-east-1_AbCdEf123", triggers=["PreSignUp", "PostConfirmation"])
def on_signup(event):
    pass
