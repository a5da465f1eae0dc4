"""One walk over a deployment: `write` hands each part, in one order, to a format's writers,
which are modules (or objects) with the part functions the protocols below name. The
CloudFormation and Terraform writers satisfy them; a deploy command could too."""

from __future__ import annotations

from typing import Protocol, TypeVar

from ..._tooling._manifest import AppManifest
from ..._tooling._settings import FunctionConfig, StageConfig
from ._model import Deployment, EventSource, FrontDoor, Function, Role

__all__ = ["ApiParts", "EventParts", "FunctionParts", "Template", "write"]


class Template:
    """What a writer builds for a deployment (a stack, a Terraform document)."""

    deployment: Deployment

    @property
    def manifest(self) -> AppManifest:
        return self.deployment.manifest

    @property
    def stage(self) -> StageConfig:
        return self.deployment.stage

    def config(self, function: str) -> FunctionConfig:
        return self.deployment.config(function)

    def alias_name(self, function: str) -> str | None:
        """The alias whatever invokes `function` calls: the stage's, when the function
        publishes versions; None otherwise (callers then invoke the function, `$LATEST`).

        Provisioned environments and SnapStart snapshots belong to a published version, so
        Lambda uses them only for calls made through an alias or version, never `$LATEST`.
        """
        return self.stage.stage if self.config(function).publishes_versions else None


T = TypeVar("T", bound=Template)
T_contra = TypeVar("T_contra", bound=Template, contravariant=True)


class FunctionParts(Protocol[T_contra]):
    """How a format writes a role and a function (a writer's module satisfies it)."""

    def role(self, template: T_contra, role: Role, /) -> None: ...

    def function(self, template: T_contra, function: Function, /) -> None: ...


class ApiParts(Protocol[T_contra]):
    """How a format writes what serves requests."""

    def function_url(self, template: T_contra, function: str, /) -> None: ...

    def rest_api(self, template: T_contra, /) -> None: ...

    def http_api(self, template: T_contra, /) -> None: ...

    def websocket_api(self, template: T_contra, handlers: list[Function], /) -> None: ...


class EventParts(Protocol[T_contra]):
    """How a format writes each kind of event source, and the buckets' notifications."""

    def s3_rule(self, template: T_contra, source: EventSource, /) -> None: ...

    def sns_subscription(self, template: T_contra, source: EventSource, /) -> None: ...

    def stream_mapping(self, template: T_contra, source: EventSource, /) -> None: ...

    def event_rule(self, template: T_contra, source: EventSource, /) -> None: ...

    def schedule(self, template: T_contra, source: EventSource, /) -> None: ...

    def ses_rule(self, template: T_contra, source: EventSource, /) -> None: ...

    def cognito_trigger(self, template: T_contra, source: EventSource, /) -> None: ...

    def s3_notifications(
        self, template: T_contra, buckets: list[tuple[str, list[Function]]], /
    ) -> None: ...


def write(
    template: T, functions: FunctionParts[T], apis: ApiParts[T], events: EventParts[T]
) -> None:
    """Hand every part of `template`'s deployment to the format's writers, in one order."""
    deployment = template.deployment
    for role in deployment.roles:
        functions.role(template, role)
    for function in deployment.functions:
        functions.function(template, function)
    for name in deployment.url_functions:
        apis.function_url(template, name)
    if deployment.front_door is FrontDoor.HTTP:
        apis.http_api(template)
    elif deployment.front_door is FrontDoor.REST:
        apis.rest_api(template)
    handlers = deployment.of_kind("websocket")
    if handlers:
        apis.websocket_api(template, handlers)
    for source in deployment.event_sources:
        _write_event_source(template, events, source)
    buckets = deployment.s3_buckets()
    if buckets:
        events.s3_notifications(template, buckets)


def _write_event_source(template: T, events: EventParts[T], source: EventSource) -> None:
    match source.kind:
        case "s3":  # a bucket's events through EventBridge (`via_eventbridge`)
            events.s3_rule(template, source)
        case "sns":
            events.sns_subscription(template, source)
        case "sqs" | "kinesis" | "dynamodb":  # read by Lambda: an event source mapping
            events.stream_mapping(template, source)
        case "cloudwatch":
            events.event_rule(template, source)
        case "scheduled":
            events.schedule(template, source)
        case "ses":
            events.ses_rule(template, source)
        case "cognito":
            events.cognito_trigger(template, source)
