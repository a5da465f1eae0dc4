"""The REST API's Stage folded into its Deployment (`StageName` + `StageDescription`), the
form CloudFormation creates a stage from that moto's CloudFormation also takes (it has no
`AWS::ApiGateway::Stage`); whatever referred to the Stage is pointed at the stage's name."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from ..package.templates._aws import TemplateError
from ._resource_edits import check_keys, depend_on, depends_on

__all__ = ["deployments_of", "fold_stage", "stages_of"]

DEPLOYMENT = "AWS::ApiGateway::Deployment"
STAGE = "AWS::ApiGateway::Stage"

Resources = dict[str, Any]

# A Stage's properties that a Deployment's StageDescription takes (the rest name the API,
# the deployment and the stage, which the Deployment itself says).
_STAGE_DESCRIPTION_KEYS = frozenset(
    [
        "AccessLogSetting",
        "CacheClusterEnabled",
        "CacheClusterSize",
        "CanarySetting",
        "ClientCertificateId",
        "Description",
        "DocumentationVersion",
        "MethodSettings",
        "Tags",
        "TracingEnabled",
        "Variables",
    ]
)


def deployments_of(result: Resources, api: str) -> list[str]:
    return [
        name
        for name, resource in result.items()
        if resource.get("Type") == DEPLOYMENT
        and resource.get("Properties", {}).get("RestApiId") == {"Ref": api}
    ]


def stages_of(result: Resources, api: str) -> Iterator[str]:
    for name, resource in result.items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == STAGE and properties.get("RestApiId") == {"Ref": api}:
            yield name


def fold_stage(result: Resources, api: str, deployment: str) -> None:
    """The Stage deploying `deployment` becomes its StageName + StageDescription, which
    CloudFormation creates the stage from; references to the Stage now name the stage."""
    stages = [
        name
        for name in stages_of(result, api)
        if result[name]["Properties"].get("DeploymentId") == {"Ref": deployment}
    ]
    if not stages:
        return
    if len(stages) > 1:
        raise TemplateError(f"{deployment} is deployed to several stages: {', '.join(stages)}")
    stage = result.pop(stages[0])
    check_keys(stage, stages[0], {"Type", "Properties", "DependsOn"})
    description = dict(stage["Properties"])
    for key in ("RestApiId", "DeploymentId"):
        description.pop(key)
    if "StageName" not in description:
        raise TemplateError(f"{stages[0]} has no StageName")
    stage_name = description.pop("StageName")
    check_keys(description, stages[0], set(_STAGE_DESCRIPTION_KEYS))
    if "DeploymentId" in description.get("CanarySetting", {}):
        raise TemplateError(f"{stages[0]} CanarySetting names a DeploymentId")
    properties = result[deployment]["Properties"]
    if "StageName" in properties or "StageDescription" in properties:
        raise TemplateError(f"{deployment} already names a stage, and {stages[0]} another")
    properties["StageName"] = stage_name
    if description:
        properties["StageDescription"] = description
    depend_on(result[deployment], depends_on(stage))
    _redirect_references(result, stages[0], stage_name, deployment)


def _redirect_references(result: Resources, stage: str, name: Any, deployment: str) -> None:
    """Ref to the Stage → the stage's name; DependsOn it → on the Deployment that makes it."""
    for logical, resource in result.items():
        where = f"{logical} (refers to the removed {stage})"
        changed = False
        if "Properties" in resource:
            resource["Properties"], changed = _swap_stage(
                resource["Properties"], stage, name, where
            )
        dependencies = depends_on(resource)
        if stage in dependencies:
            resource["DependsOn"] = [d for d in dependencies if d != stage]
            changed = True
        if changed:
            # The literal name does not order creation as the Ref did: the stage is made by
            # the Deployment, so whatever used it waits for that.
            depend_on(resource, [deployment])


def _swap_stage(value: Any, stage: str, name: Any, where: str) -> tuple[Any, bool]:
    """`value` with each Ref to the `stage` resource made its name; and whether it had one."""
    if isinstance(value, list):
        pairs = [_swap_stage(item, stage, name, where) for item in value]
        return [item for item, _ in pairs], any(found for _, found in pairs)
    if not isinstance(value, dict):
        return value, False
    if value == {"Ref": stage}:
        return copy.deepcopy(name), True
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        first = target[0] if isinstance(target, list) else str(target).split(".")[0]
        if first == stage:
            raise TemplateError(f"{where}: Fn::GetAtt of a stage has no Deployment spelling")
    if "Fn::Sub" in value:
        return _swap_in_sub(value, stage, name, where)
    keys = list(value)
    items, found = _swap_stage([value[key] for key in keys], stage, name, where)
    return dict(zip(keys, items, strict=True)), found


def _swap_in_sub(value: dict[str, Any], stage: str, name: Any, where: str) -> tuple[Any, bool]:
    argument = value["Fn::Sub"]
    text, variables = (argument, None) if isinstance(argument, str) else argument
    changed = False
    if variables is not None:
        variables, changed = _swap_stage(variables, stage, name, where)
    if f"${{{stage}." in text:
        raise TemplateError(f"{where}: an attribute of a stage has no Deployment spelling")
    if f"${{{stage}}}" in text:
        if not isinstance(name, str):
            raise TemplateError(f"{where}: the stage name is no plain string to put in Fn::Sub")
        text, changed = text.replace(f"${{{stage}}}", name), True
    return {"Fn::Sub": text if variables is None else [text, variables]}, changed
