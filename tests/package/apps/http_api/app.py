"""An app for an HTTP API (api_gateway_type HTTP): JWT, Lambda, IAM and custom authorizers."""

from chalicelike import AuthResponse, Chalice, CustomAuthorizer, IAMAuthorizer, JWTAuthorizer

app = Chalice(app_name="httpapp")

jwt = JWTAuthorizer(
    "pool_jwt",
    issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
    audience=["client-one"],
)
partner = CustomAuthorizer(
    "partner",
    authorizer_uri=(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:partner-auth/invocations"
    ),
)


@app.authorizer(ttl_seconds=30)
def token_auth(auth_request):
    return AuthResponse(routes=["*"], principal_id="user")


@app.route("/", cors=True)
def index():
    return {}


@app.route("/items/{item_id}", methods=["GET", "PUT"], authorizer=jwt.with_scopes(["items/write"]))
def item(item_id):
    return {}


@app.route("/me", authorizer=token_auth)
def me():
    return {}


@app.route("/admin", methods=["POST"], authorizer=IAMAuthorizer())
def admin():
    return {}


@app.route("/partners", authorizer=partner)
def partners():
    return {}
