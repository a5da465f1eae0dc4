"""An app with one of each resource kind `chalice package` writes, in Chalice's own terms:
packaged by Chalice and by chalicelike, the two templates must name every resource alike.

The test swaps the import for `from chalice import ...` to package it with Chalice.
"""

import os

from chalicelike import AuthResponse, Chalice, CognitoUserPoolAuthorizer, IAMAuthorizer, Rate

app = Chalice(app_name="moving")
app.experimental_feature_flags.update(["WEBSOCKETS"])

cognito = CognitoUserPoolAuthorizer(
    "staff_pool",
    provider_arns=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"],
)


@app.authorizer(ttl_seconds=120)
def token_auth(auth_request):
    return AuthResponse(routes=["*"], principal_id="user")


@app.route("/", cors=True)
def index():
    return {"hello": "world"}


@app.route("/orders", methods=["GET", "POST"], authorizer=token_auth, api_key_required=True)
def orders():
    return {}


@app.route("/staff", authorizer=cognito)
def staff():
    return {}


@app.route("/admin", methods=["PUT"], authorizer=IAMAuthorizer())
def admin():
    return {}


if os.environ.get("WITH_S3"):  # Chalice packages S3 events for Terraform only

    @app.on_s3_event(bucket="moving-uploads", events=["s3:ObjectCreated:*"], prefix="in/")
    def on_upload(event):
        pass


@app.on_sns_message(topic="moving-alerts")
def on_alert(event):
    pass


@app.on_sns_message(topic="arn:aws:sns:us-west-2:123456789012:partner-news")
def on_news(event):
    pass


@app.on_sqs_message(queue="moving-jobs", batch_size=5)
def on_job(event):
    pass


@app.on_kinesis_record(stream="moving-clicks", batch_size=200, starting_position="TRIM_HORIZON")
def on_click(event):
    pass


@app.on_dynamodb_record(
    stream_arn=os.environ.get(
        "ORDERS_STREAM_ARN",
        "arn:aws:dynamodb:us-east-1:123456789012:table/moving-orders/stream/2024-01-01T00:00:00.000",
    ),
    batch_size=25,
)
def on_order_change(event):
    pass


@app.on_cw_event({"source": ["aws.ec2"]})
def on_ec2(event):
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
    pass


@app.on_ws_disconnect()
def ws_disconnect(event):
    pass
