"""The settings `.chalice/config.json` resolves to, for one stage and one function.

`_config` reads and validates the file (Chalice's keys and lookup order); these two
classes are what the dev server and the packager consume, with every default applied,
so neither has to know where a value came from. Never imported on the Lambda path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["XRAY_VARIABLE", "CustomDomain", "FunctionConfig", "StageConfig"]

# Set to "true" in a function's environment when its config turns `xray` on: the runtime reads
# it to trace (Active tracing alone only makes Lambda's own segment).
XRAY_VARIABLE = "CHALICELIKE_XRAY"


@dataclass(frozen=True)
class CustomDomain:
    """`api_gateway_custom_domain` / `websocket_api_custom_domain`: a domain name for an API."""

    domain_name: str
    certificate_arn: str  # an ACM certificate for domain_name
    tls_version: str = "TLS_1_2"  # TLS_1_0 | TLS_1_2 (API Gateway's security policies)
    url_prefix: str | None = None  # the base path mapping; None maps the API at the root
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageConfig:
    """What applies to the whole app in one stage."""

    app_name: str
    stage: str
    api_gateway_stage: str = "api"
    api_gateway_endpoint_type: str = "EDGE"  # EDGE | REGIONAL | PRIVATE
    api_gateway_endpoint_vpce: list[str] = field(default_factory=list)
    api_gateway_policy_file: str | None = None  # absolute path (written relative to .chalice/)
    api_gateway_type: str = "REST"  # REST | HTTP (ours: an HTTP API, payload 2.0)
    api_gateway_custom_domain: CustomDomain | None = None
    minimum_compression_size: int | None = None
    # API Gateway's own request validators on routes with a declared contract (ours).
    api_gateway_request_validation: bool = False
    websocket_api_stage: str = "api"  # api_gateway_stage unless configured (Chalice uses one)
    websocket_api_custom_domain: CustomDomain | None = None
    tags: dict[str, str] = field(default_factory=dict)  # top level and stage, merged
    automatic_layer: bool = False  # dependencies in a managed layer instead of the zip
    lambda_architecture: str = "x86_64"  # x86_64 | arm64: one zip per stage, so stage-wide
    runtime: str = "python3.12"  # python3.10 - python3.14 (ours), stage-wide like the zip
    workflow_logging: str = "OFF"  # OFF | ALL | ERROR | FATAL: Step Functions' log level
    workflow_tracing: bool = False  # X-Ray traces of the workflows' executions
    # The stage's log_retention_in_days (also a function key): the workflows' log groups.
    log_retention_in_days: int | None = None


@dataclass(frozen=True)
class FunctionConfig:
    """One Lambda function's settings, most specific value first (Chalice's order)."""

    name: str  # the function's name within the app ('api_handler', an event handler, ...)
    lambda_memory_size: int = 128
    lambda_timeout: int = 60
    reserved_concurrency: int | None = None
    # Ours: environments Lambda keeps initialised on the stage's alias (a published version);
    # None: none provisioned, and no version or alias in the template for it.
    provisioned_concurrency: int | None = None
    # Ours: Lambda SnapStart (python3.12 and later): published versions resume from a snapshot
    # of the initialised function instead of importing the app on each cold start.
    snapstart: bool = False
    environment_variables: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    xray: bool = False
    autogen_policy: bool = True
    # The absolute path of the policy file the role gets; when autogen_policy is false and
    # none is named, Chalice's `.chalice/policy-<stage>.json`.
    iam_policy_file: str | None = None
    iam_role_arn: str | None = None
    manage_iam_role: bool = True
    log_retention_in_days: int | None = None
    lambda_ephemeral_storage: int = 512
    lambda_architecture: str = "x86_64"  # x86_64 | arm64: the stage's value
    runtime: str = "python3.12"  # python3.10 - python3.14 (ours): the stage's value
    function_url: bool = False  # ours: a Lambda Function URL for the API function
    # Ours: retries of a failed stream batch (Kinesis, DynamoDB) before Lambda discards it;
    # None leaves Lambda's default, -1 (until the records expire).
    maximum_retry_attempts: int | None = None
    # Ours: Lambda's LoggingConfig. log_format JSON | Text, None: not set (Lambda's default,
    # Text, and no LoggingConfig in the template); log_level (ApplicationLogLevel, JSON only)
    # TRACE | DEBUG | INFO | WARN | ERROR | FATAL, None: Lambda's default.
    log_format: str | None = None
    log_level: str | None = None

    @property
    def publishes_versions(self) -> bool:
        """Whether the function is deployed as a published version behind the stage's alias:
        provisioned concurrency and SnapStart apply to published versions only, never to
        $LATEST."""
        return self.provisioned_concurrency is not None or self.snapstart

    def deployed_environment(self) -> dict[str, str]:
        """The variables the function is deployed with: the config's, and XRAY_VARIABLE when
        `xray` is on."""
        variables = dict(self.environment_variables)
        if self.xray:
            variables[XRAY_VARIABLE] = "true"
        return variables

    def runtime_environment(self) -> dict[str, str]:
        """The deployed variables plus those Lambda adds from the function's LoggingConfig
        (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL, which its runtimes read): what the
        dev server gives a worker on top of Lambda's standard variables."""
        variables = self.deployed_environment()
        if self.log_format == "JSON":
            variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if self.log_level is not None:
                variables["AWS_LAMBDA_LOG_LEVEL"] = self.log_level
        return variables
