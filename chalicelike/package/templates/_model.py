"""The deployment as plain data, in no template's spelling: the functions with their settings
and roles, the API in front of them, the event sources, built once by `build_deployment` from
the manifest and the stage's config. `_write` hands it to a format's writer, part by part."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..._tooling._manifest import (
    API_FUNCTION,
    AppManifest,
    AuthorizerSpec,
    FunctionEntry,
    RouteSpec,
)
from ..._tooling._openapi import calls_function
from ..._tooling._settings import CustomDomain, FunctionConfig, StageConfig
from ..._tooling._workflow_check import with_function_arns
from ..._tooling._workflows import WorkflowEntry, state_machine_name
from ._aws import (
    TemplateError,
    arn_region,
    config_for,
    lambda_name,
    queue_arn,
    s3_eventbridge_pattern,
    ses_rule_arn,
    stream_arn,
    topic_arn,
    user_pool_arn,
)

__all__ = [
    "REPORT_FAILURES",
    "Deployment",
    "EventSource",
    "FrontDoor",
    "Function",
    "HttpAuthorizer",
    "HttpRoute",
    "Role",
    "Vpc",
    "Workflow",
    "build_deployment",
    "clean_policy",
    "state_machine_name",
]

# The function names the records that failed instead of failing the whole batch: the
# runtime answers {"batchItemFailures": [...]}, and Lambda takes an empty answer as success.
REPORT_FAILURES = ["ReportBatchItemFailures"]


class FrontDoor(enum.Enum):
    """What serves the app's routes."""

    NONE = "none"  # no routes
    REST = "rest"  # API Gateway's REST API (Chalice's)
    HTTP = "http"  # API Gateway's HTTP API (`api_gateway_type` HTTP)
    FUNCTION_URL = "function_url"  # the API function's own URL (`function_url`)


@dataclass(frozen=True)
class Role:
    """An IAM role the package creates: the app's shared one (`function` None), or one
    function's own, for a policy of its own."""

    function: str | None
    policy: dict[str, Any]


@dataclass(frozen=True)
class Vpc:
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    """One Lambda function and everything it is deployed with."""

    entry: FunctionEntry
    config: FunctionConfig
    role: Role | str  # a role made here, or the ARN the user gives (manage_iam_role false)
    environment: dict[str, str] = field(default_factory=dict)
    vpc: Vpc | None = None
    # Only when other than Lambda's default /tmp size (512 MB).
    ephemeral_storage: int | None = None

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def tracing(self) -> str:
        return "Active" if self.config.xray else "PassThrough"

    def logging(self) -> dict[str, str]:
        """Lambda's LoggingConfig, in its API's words (LogFormat, ApplicationLogLevel);
        empty when the config sets no log_format (Lambda's default, Text)."""
        config = self.config
        if config.log_format is None:
            return {}
        logging = {"LogFormat": config.log_format}
        if config.log_level is not None:
            logging["ApplicationLogLevel"] = config.log_level
        return logging


@dataclass(frozen=True)
class HttpAuthorizer:
    """An HTTP API authorizer: a JWT check, or a Lambda called with the request."""

    name: str
    jwt: bool
    identity_sources: tuple[str, ...]
    issuer: str = ""  # JWT
    audience: tuple[str, ...] = ()  # JWT
    function: str | None = None  # the app's own authorizer function, else `uri`
    uri: str | None = None
    payload_version: str = "2.0"
    ttl_seconds: int = 0
    credentials: str | None = None  # the role API Gateway invokes the Lambda with

    def settings(self, function_uri: str | None) -> dict[str, Any]:
        """The authorizer in API Gateway v2's API's words (snake_case); `function_uri` is how
        the format refers to the app's own authorizer function."""
        if self.jwt:
            return {
                "authorizer_type": "JWT",
                "identity_sources": list(self.identity_sources),
                "jwt_configuration": {"issuer": self.issuer, "audience": list(self.audience)},
            }
        settings: dict[str, Any] = {
            "authorizer_type": "REQUEST",
            "authorizer_payload_format_version": self.payload_version,
            "authorizer_result_ttl_in_seconds": self.ttl_seconds,
            "identity_sources": list(self.identity_sources),
            "authorizer_uri": function_uri if self.function is not None else self.uri,
        }
        if self.credentials:
            settings["authorizer_credentials_arn"] = self.credentials
        return settings


@dataclass(frozen=True)
class HttpRoute:
    """One route of an HTTP API: its key ('GET /orders'), how it is authorized, and the
    workflow it starts (StartExecution, no function) if any."""

    key: str
    authorization: str  # NONE | AWS_IAM | JWT | CUSTOM
    authorizer: HttpAuthorizer | None = None
    scopes: tuple[str, ...] = ()
    workflow: str | None = None


@dataclass(frozen=True)
class EventSource:
    """What invokes a function besides an API: a queue, a stream, a topic, a rule, ...

    ARNs are in `Fn::Sub` syntax (`_aws`); `kind` is the manifest's ('sqs', 'sns', ...).
    """

    function: Function
    arn: str = ""  # the queue, stream, topic, user pool or SES rule
    pattern: dict[str, Any] | None = None  # an EventBridge rule's event pattern
    region: str | None = None  # a topic in another region is subscribed to there
    rule_set: str = ""  # SES: the receipt rule set the rule goes in
    makes_rule_set: bool = False  # SES: none named, the package makes `<app>-<stage>`

    @property
    def kind(self) -> str:
        return self.function.entry.kind

    @property
    def entry(self) -> FunctionEntry:
        return self.function.entry

    @property
    def settings(self) -> dict[str, Any]:
        return self.function.entry.settings

    def mapping(self) -> dict[str, Any]:
        """A queue's or stream's event source mapping settings, in Lambda's API's words
        (snake_case), after the source's ARN and the function."""
        settings = self.settings
        mapping: dict[str, Any] = {
            "batch_size": settings["batch_size"],
            "maximum_batching_window_in_seconds": settings["maximum_batching_window_in_seconds"],
            "function_response_types": REPORT_FAILURES,
            "enabled": True,
        }
        if "starting_position" in settings:  # streams only
            mapping["starting_position"] = settings["starting_position"]
            retries = self.function.config.maximum_retry_attempts
            if retries is not None:  # None: Lambda's default, -1 (until the records expire)
                mapping["maximum_retry_attempts"] = retries
        if settings.get("maximum_concurrency"):  # queues only
            mapping["scaling_config"] = {"maximum_concurrency": settings["maximum_concurrency"]}
        return mapping


@dataclass(frozen=True)
class Workflow:
    """A Step Functions state machine of the app, named '<app>-<stage>-<workflow>'."""

    entry: WorkflowEntry
    name: str

    def definition(self, arn_of: Callable[[str], str], partition: str) -> dict[str, Any]:
        """The ASL with every "function:NAME" (a Task's Resource, or lambda:invoke's
        FunctionName) made `arn_of(NAME)`, and Step Functions' integrations' ARNs in
        `partition` (aws-cn and aws-us-gov refuse "arn:aws:...")."""
        rewritten: dict[str, Any] = with_function_arns(self.entry.definition, arn_of, partition)
        return rewritten


@dataclass(frozen=True)
class Deployment:
    """What an app in one stage deploys as."""

    manifest: AppManifest
    stage: StageConfig
    functions: tuple[Function, ...]
    roles: tuple[Role, ...]
    front_door: FrontDoor
    http_routes: tuple[HttpRoute, ...] = ()  # FrontDoor.HTTP only
    event_sources: tuple[EventSource, ...] = ()  # in the functions' order
    api_gateway_policy: Mapping[str, Any] | None = None  # the REST API's resource policy

    @property
    def app_name(self) -> str:
        return self.manifest.app_name

    def function(self, name: str) -> Function | None:
        return next((function for function in self.functions if function.name == name), None)

    def config(self, name: str) -> FunctionConfig:
        """The function's settings; the defaults for one the app does not have."""
        function = self.function(name)
        return function.config if function is not None else FunctionConfig(name=name)

    def of_kind(self, *kinds: str) -> list[Function]:
        return [function for function in self.functions if function.entry.kind in kinds]

    @property
    def workflows(self) -> tuple[Workflow, ...]:
        """The app's workflows, each with its state machine's name in this stage."""
        return tuple(
            Workflow(entry, state_machine_name(self.app_name, self.stage.stage, entry.name))
            for entry in self.manifest.workflows
        )

    def deployed_name(self, function: str) -> str:
        """The function's name in Lambda, Chalice's '<app>-<stage>[-<name>]' (checked)."""
        return lambda_name(self.app_name, self.stage.stage, function)

    def tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every resource's tags: ours (which app and stage), the stage's, then `extra`."""
        tags = {"chalicelike": f"app={self.app_name}:stage={self.stage.stage}"}
        tags.update(self.stage.tags)
        tags.update(extra or {})
        return tags

    @property
    def route_workflows(self) -> tuple[Workflow, ...]:
        """The workflows routes start (API Gateway's StartExecution integration)."""
        started = {route.workflow for route in self.manifest.routes if route.workflow}
        return tuple(workflow for workflow in self.workflows if workflow.entry.name in started)

    @property
    def api_function_called(self) -> bool:
        """Whether API Gateway invokes the API function: a route that starts a workflow
        calls none, but a preflight may (an HTTP API sends every one to the function)."""
        routes = self.manifest.routes
        if self.front_door is FrontDoor.HTTP:
            return any(route.workflow is None or route.cors is not None for route in routes)
        return calls_function(routes)

    @property
    def gateway_functions(self) -> list[str]:
        """What API Gateway invokes: the API function (unless every route starts a workflow)
        and the Lambda authorizers routes use."""
        used = {r.authorizer.function for r in self.manifest.routes if r.authorizer is not None}
        authorizers = [f.name for f in self.of_kind("authorizer") if f.name in used]
        return [API_FUNCTION, *authorizers] if self.api_function_called else authorizers

    def websocket_api(self) -> dict[str, str]:
        """The websocket API's settings, in API Gateway's API's words (snake_case)."""
        return {
            "name": f"{self.app_name}-{self.stage.stage}-websocket-api",
            "protocol_type": "WEBSOCKET",
            # Chalice's: a message's "action" field picks its route; none matched → $default.
            "route_selection_expression": "$request.body.action",
        }

    def websocket_route_keys(self) -> list[str]:
        """The websocket routes ($connect, $default, $disconnect) handled, sorted."""
        return sorted(str(f.entry.settings["route_key"]) for f in self.of_kind("websocket"))

    @property
    def url_functions(self) -> list[str]:
        return [function.name for function in self.functions if function.config.function_url]

    def s3_buckets(self) -> list[tuple[str, list[Function]]]:
        """The buckets functions listen to, each with its functions: a bucket's notification
        configuration is one whole, written once."""
        by_bucket: dict[str, list[Function]] = {}
        for function in self.of_kind("s3"):
            by_bucket.setdefault(str(function.entry.settings["bucket"]), []).append(function)
        return sorted(by_bucket.items())

    def rest_domain_edge(self, domain: CustomDomain) -> bool:
        """Whether the REST API's domain is an edge one (CloudFront's certificate region)."""
        if self.stage.api_gateway_endpoint_type == "PRIVATE":
            raise TemplateError(
                "api_gateway_custom_domain: a PRIVATE API's domain names are managed per VPC "
                "endpoint; use an EDGE or REGIONAL endpoint type, or set up the domain yourself"
            )
        return self.stage.api_gateway_endpoint_type == "EDGE"


def build_deployment(
    manifest: AppManifest,
    stage: StageConfig,
    configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]] | None = None,
    api_gateway_policy: Mapping[str, Any] | None = None,
) -> Deployment:
    """The deployment of `manifest`: `policy` is the app's role policy (None when every
    function names its own role); `function_policies` give a function a role of its own
    when its policy differs."""
    roles: list[Role] = []
    chosen: dict[str, Role | str] = {}
    for entry in manifest.functions:
        chosen[entry.name] = _role(entry.name, configs, policy, function_policies or {}, roles)
    functions = tuple(
        _function(entry, config_for(configs, entry.name), chosen[entry.name])
        for entry in manifest.functions
    )
    _check_alias_name(stage, functions)
    front_door = _front_door(manifest, stage, configs)
    http_routes = _http_routes(manifest.routes) if front_door is FrontDoor.HTTP else ()
    deployment = Deployment(
        manifest=manifest,
        stage=stage,
        functions=functions,
        roles=tuple(roles),
        front_door=front_door,
        http_routes=http_routes,
        api_gateway_policy=api_gateway_policy,
    )
    sources = (_event_source(deployment, function) for function in functions)
    return dataclasses.replace(
        deployment, event_sources=tuple(source for source in sources if source is not None)
    )


def clean_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """Only the elements IAM's grammar allows: a review file's notes must not reach IAM."""
    return {key: policy[key] for key in ("Version", "Id", "Statement") if key in policy}


def _role(
    name: str,
    configs: Mapping[str, FunctionConfig],
    policy: Mapping[str, Any] | None,
    function_policies: Mapping[str, Mapping[str, Any]],
    roles: list[Role],
) -> Role | str:
    """The function's role: the user's ARN, its own policy's role, or the app's shared one
    (added to `roles` when new)."""
    config = config_for(configs, name)
    if not config.manage_iam_role:
        if not config.iam_role_arn:
            raise TemplateError(
                f"Function {name!r} has manage_iam_role false but no iam_role_arn: "
                "set iam_role_arn in .chalice/config.json"
            )
        return config.iam_role_arn
    own = function_policies.get(name)
    if own is not None and own != policy:
        role = Role(function=name, policy=clean_policy(own))
        roles.append(role)
        return role
    if policy is None:
        raise TemplateError(
            f"Function {name!r} needs an IAM policy: generate one (autogen_policy), "
            "name a policy file (iam_policy_file) or give a role (iam_role_arn)"
        )
    shared = next((role for role in roles if role.function is None), None)
    if shared is None:
        shared = Role(function=None, policy=clean_policy(policy))
        roles.append(shared)
    return shared


def _function(entry: FunctionEntry, config: FunctionConfig, role: Role | str) -> Function:
    vpc = None
    if config.subnet_ids or config.security_group_ids:
        if not (config.subnet_ids and config.security_group_ids):
            raise TemplateError(
                f"Function {entry.name!r}: Lambda needs both subnet_ids and security_group_ids "
                "to join a VPC; set both or neither"
            )
        vpc = Vpc(tuple(config.subnet_ids), tuple(config.security_group_ids))
    storage = config.lambda_ephemeral_storage
    return Function(
        entry=entry,
        config=config,
        role=role,
        environment=dict(sorted(config.deployed_environment().items())),
        vpc=vpc,
        ephemeral_storage=storage if storage != 512 else None,
    )


def _check_alias_name(stage: StageConfig, functions: tuple[Function, ...]) -> None:
    """A published function gets an alias named after the stage; Lambda refuses alias names
    made of digits only (they would read as version numbers)."""
    published = [f.name for f in functions if f.config.publishes_versions]
    if published and stage.stage.isdigit():
        raise TemplateError(
            f"Stage {stage.stage!r} cannot name the Lambda alias of {published[0]!r} "
            "(provisioned_concurrency or snapstart): Lambda refuses alias names of digits "
            "only; give the stage a name with a letter in it"
        )


def _front_door(
    manifest: AppManifest, stage: StageConfig, configs: Mapping[str, FunctionConfig]
) -> FrontDoor:
    if not manifest.routes:
        return FrontDoor.NONE
    if config_for(configs, API_FUNCTION).function_url:
        for route in manifest.routes:
            if route.authorizer is not None or route.api_key_required:
                raise TemplateError(
                    f"Route {route.method} {route.path} has an authorizer or needs an API key, "
                    "which a Function URL cannot check: use API Gateway (function_url false)"
                )
        return FrontDoor.FUNCTION_URL
    return FrontDoor.HTTP if stage.api_gateway_type == "HTTP" else FrontDoor.REST


def _http_routes(routes: list[RouteSpec]) -> tuple[HttpRoute, ...]:
    """The routes, plus an OPTIONS route to the function where CORS is on.

    An HTTP API's own CORS setting is API-wide; routing preflights to the function keeps
    each route's CORSConfig, which the app answers with (as it does locally).
    """
    result = list(routes)
    paths_with_options = {r.path for r in routes if r.method in ("OPTIONS", "ANY")}
    for route in routes:
        if route.cors is not None and route.path not in paths_with_options:
            result.append(RouteSpec(route.path, "OPTIONS", f"{route.view_name}_preflight"))
            paths_with_options.add(route.path)
    for route in result:
        if route.api_key_required:
            raise TemplateError(
                f"Route {route.method} {route.path} requires an API key; HTTP APIs have no "
                'API keys. Use "api_gateway_type": "REST" or drop api_key_required'
            )
    return tuple(_http_route(route) for route in result)


def _http_route(route: RouteSpec) -> HttpRoute:
    key = f"{route.method} {route.path}"
    auth = route.authorizer
    workflow = route.workflow
    if auth is None:
        return HttpRoute(key, "NONE", workflow=workflow)
    if auth.kind == "IAMAuthorizer":
        return HttpRoute(key, "AWS_IAM", workflow=workflow)
    jwt = auth.kind == "JWTAuthorizer"
    scopes = tuple(auth.options.get("scopes") or ()) if jwt else ()
    authorization = "JWT" if jwt else "CUSTOM"
    return HttpRoute(key, authorization, _http_authorizer(auth), scopes, workflow)


def _http_authorizer(auth: AuthorizerSpec) -> HttpAuthorizer:
    options = auth.options
    name = str(options["name"])
    if auth.kind == "JWTAuthorizer":
        return HttpAuthorizer(
            name=name,
            jwt=True,
            identity_sources=(options["identity_source"],),
            issuer=options["issuer"],
            audience=tuple(options["audience"]),
        )
    if auth.kind == "CognitoUserPoolAuthorizer":
        raise TemplateError(
            f"CognitoUserPoolAuthorizer {name!r} on an HTTP API: API Gateway checks "
            "Cognito tokens there with a JWT authorizer, which needs the app client IDs. Use "
            "JWTAuthorizer(issuer='https://cognito-idp.REGION.amazonaws.com/POOL_ID', "
            "audience=[CLIENT_ID])"
        )
    # Without simple responses API Gateway expects an IAM policy back, which is what an
    # AuthResponse produces. The app's authorizers read payload 2.0; an authorizer from
    # elsewhere (CustomAuthorizer) was written for REST, whose event 1.0 resembles.
    own = auth.kind == "ChaliceAuthorizer"
    return HttpAuthorizer(
        name=name,
        jwt=False,
        identity_sources=_http_identity_sources(options),
        function=str(auth.function) if own else None,
        uri=None if own else options["authorizer_uri"],
        payload_version="2.0" if own else "1.0",
        ttl_seconds=options["ttl_seconds"],
        credentials=options.get("execution_role" if own else "invoke_role_arn") or None,
    )


def _http_identity_sources(options: Mapping[str, Any]) -> tuple[str, ...]:
    sources = options.get("identity_sources") or [f"method.request.header.{options['header']}"]
    # REST spells them method.request.header.X; HTTP APIs $request.header.X.
    converted = []
    for source in sources:
        for rest, http in (
            ("method.request.header.", "$request.header."),
            ("method.request.querystring.", "$request.querystring."),
            ("context.", "$context."),
            ("stageVariables.", "$stageVariables."),
        ):
            if source.startswith(rest):
                converted.append(http + source[len(rest) :])
                break
    return tuple(converted)


def _event_source(deployment: Deployment, function: Function) -> EventSource | None:
    settings = function.entry.settings
    kind = function.entry.kind
    if kind == "s3":
        # A bucket's classic notifications are one configuration (`Deployment.s3_buckets`);
        # only a function reading the bucket's events from EventBridge has a source of its own.
        if not settings.get("via_eventbridge"):
            return None
        return EventSource(function, pattern=s3_eventbridge_pattern(settings))
    if kind == "sns":
        topic = str(settings["topic"])
        return EventSource(function, arn=topic_arn(topic), region=arn_region(topic))
    if kind == "sqs":
        return EventSource(function, arn=queue_arn(settings))
    if kind == "kinesis":
        return EventSource(function, arn=stream_arn(str(settings["stream"])))
    if kind == "dynamodb":
        return EventSource(function, arn=str(settings["stream_arn"]))
    if kind == "cloudwatch":
        return EventSource(function, pattern=settings["event_pattern"])
    if kind == "scheduled":
        return EventSource(function)
    if kind == "ses":
        named = settings.get("rule_set")
        rule_set = str(named) if named else f"{deployment.app_name}-{deployment.stage.stage}"
        rule = ses_rule_arn(rule_set, deployment.deployed_name(function.name))
        return EventSource(function, arn=rule, rule_set=rule_set, makes_rule_set=not named)
    if kind == "cognito":
        return EventSource(function, arn=user_pool_arn(str(settings["user_pool"])))
    return None  # the API, websocket handlers, authorizers, pure Lambda functions
