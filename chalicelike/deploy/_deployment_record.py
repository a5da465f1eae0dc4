"""The content of `.chalice/deployed/<stage>.json` after a deploy: Chalice's record
(`resources`, `schema_version` 2.0) of the functions, APIs and workflows' state machines, and
our `stack` section."""

from __future__ import annotations

from typing import Any

from ._aliases import each
from ._session import AwsSession, aws_error
from ._state import StackState
from ._template import DeployTemplate

__all__ = ["deployment_record"]


def _outputs(state: StackState) -> dict[str, str]:
    stack = state.stack or {}
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


# The stack's APIs: their logical ids in `package`'s templates, the record's name for each,
# the URL scheme and the config key naming the stage.
_APIS = (
    ("RestAPI", "rest_api", "https", "api_gateway_stage", "EndpointURL"),
    ("HttpAPI", "http_api", "https", "api_gateway_stage", "EndpointURL"),
    ("WebsocketAPI", "websocket_api", "wss", "websocket_api_stage", "WebsocketConnectEndpointURL"),
)


def _api_resources(
    session: AwsSession, state: StackState, stage_config: Any
) -> list[dict[str, Any]]:
    """The record's entries for the stack's APIs, read from its resources (the outputs say
    the same on AWS, but not every AWS-compatible endpoint fills them in on an update)."""
    logical, outputs = state.physical, _outputs(state)
    found = []
    for resource, record_name, scheme, stage_key, output in _APIS:
        api_id = logical.get(resource)
        if api_id is None:
            continue
        url = outputs.get(output) or (
            f"{scheme}://{api_id}.execute-api.{session.region}.{session.url_suffix}/"
            f"{getattr(stage_config, stage_key)}/"
        )
        found.append(
            {
                "name": record_name,
                "resource_type": record_name,
                f"{record_name}_id": api_id,
                f"{record_name}_url": url,
            }
        )
    return found


def _function_urls(
    session: AwsSession, template: DeployTemplate, physical: dict[str, str], alias: str
) -> dict[str, str]:
    """The URLs of the functions the template gives one, on the stage's alias."""
    client = session.client("lambda")

    def url_of(function: str) -> str | None:
        try:
            found = client.get_function_url_config(FunctionName=function, Qualifier=alias)
        except Exception as error:
            if aws_error(error) is None:
                raise
            return None
        return str(found["FunctionUrl"])

    with_urls = {
        _target(body["Properties"]["TargetFunctionArn"])
        for body in template.document["Resources"].values()
        if body["Type"] == "AWS::Lambda::Url"
    }
    owners = {logical: name for logical, name in physical.items() if logical in with_urls}
    urls = each(url_of, list(owners.values()))
    return {
        f"{logical}URL": url for logical, url in zip(owners, urls, strict=True) if url is not None
    }


def _target(value: Any) -> str:
    """The function's logical id in a Function URL's TargetFunctionArn (GetAtt or Sub)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else ""
    return str(text).removeprefix("${").split(".")[0].split("}")[0]


def _state_machines(state: StackState, built: Any) -> list[dict[str, Any]]:
    """The record's entries for the workflows' state machines, read from the stack's
    resources: a state machine's physical ID is its ARN (as the stack's outputs say)."""
    from ..package.templates.cloudformation._workflows import state_machine_id

    found = []
    for workflow in built.manifest.workflows:
        arn = state.physical.get(state_machine_id(workflow.name))
        if arn is not None:
            found.append(
                {"name": workflow.name, "resource_type": "state_machine", "state_machine_arn": arn}
            )
    return found


def deployment_record(
    session: AwsSession,
    state: StackState,
    built: Any,
    physical: dict[str, str],
    versions: dict[str, str],
    template: DeployTemplate,
) -> dict[str, Any]:
    """Chalice's record (resources, schema_version 2.0) with our `stack` section."""
    from ..package.templates._aws import logical_id

    stage = built.stage_config.stage
    region = session.region
    resources: list[dict[str, Any]] = []
    for entry in built.manifest.functions:
        function = physical.get(logical_id(entry.name))
        if function is None:
            continue
        arn = session.function_arn(function)
        resources.append(
            {
                "name": entry.name,
                "resource_type": "lambda_function",
                "lambda_arn": arn,
                "function_name": function,
                "alias": stage,
                "alias_arn": f"{arn}:{stage}",
                "version": versions.get(function),
            }
        )
    apis = _api_resources(session, state, built.stage_config)
    resources += apis
    resources += _state_machines(state, built)
    urls = {r["name"]: r[f"{r['resource_type']}_url"] for r in apis}
    return {
        "resources": resources,
        "schema_version": "2.0",
        "backend": "cloudformation",
        "stack": {
            "name": state.name,
            "region": region,
            "notification_buckets": [n.bucket for n in template.notifications],
            "urls": urls | _function_urls(session, template, physical, stage),
        },
    }
