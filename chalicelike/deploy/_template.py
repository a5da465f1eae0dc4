"""The stack `deploy` creates: `package`'s CloudFormation template in the form deploy needs.

- Event sources, API integrations, authorizers, function URLs and permissions call the
  function's alias (the stage's name), never $LATEST, so a release moves by moving aliases.
- The REST API as explicit resources and methods (not an imported OpenAPI body), a form both
  AWS and AWS-compatible endpoints (moto) build.
- S3 notifications on buckets the stack does not own leave the template: deploy applies
  them by API after the stack (the custom resource `package` writes would need a Lambda run).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ._resource_edits import depends_on
from ._rest_api_resources import explicit_rest_api

__all__ = ["BucketNotification", "DeployTemplate", "deploy_template", "interim_template"]

FUNCTION = "AWS::Lambda::Function"
NOTIFICATIONS = "Custom::S3BucketNotifications"
# Resources that name a function without invoking it: they keep the unqualified name/ARN.
_UNQUALIFIED = {FUNCTION, "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::IAM::Policy"}
# Lambda's alias name rule (CreateAlias): letters, digits, '-', '_', not only digits.
_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)^[a-zA-Z0-9_-]{1,128}$")


@dataclass(frozen=True)
class BucketNotification:
    """One bucket's S3 -> Lambda notifications, each naming its function by logical id."""

    bucket: str
    configurations: list[dict[str, Any]]
    eventbridge: bool = False


@dataclass
class DeployTemplate:
    document: dict[str, Any]
    functions: list[str]  # logical ids of the app's functions
    notifications: list[BucketNotification] = field(default_factory=list)
    # Provisioned concurrency on the stage's alias, by function logical id.
    provisioned: dict[str, int] = field(default_factory=dict)


def check_alias_name(stage: str) -> None:
    from ._session import DeployError

    if not _ALIAS_NAME.match(stage):
        raise DeployError(
            f"stage {stage!r} cannot name a Lambda alias (letters, digits, '-' and '_', "
            "not only digits): rename the stage in .chalice/config.json"
        )


def deploy_template(document: dict[str, Any], alias: str) -> DeployTemplate:
    """`document` (a `package --pkg-format cloudformation` template) made deployable."""
    check_alias_name(alias)
    document = copy.deepcopy(document)
    resources: dict[str, Any] = document["Resources"]
    aliases, provisioned = _take_aliases(document)
    resources = {name: _unalias(body, aliases) for name, body in resources.items()}
    notifications = _take_notifications(resources)
    functions = [name for name, body in resources.items() if body["Type"] == FUNCTION]
    notifications = [
        dataclasses.replace(n, configurations=_call_aliases(n.configurations, functions, alias))
        for n in notifications
    ]
    resources = explicit_rest_api(resources)
    for body in resources.values():
        if body["Type"] in _UNQUALIFIED:
            continue
        body["Properties"] = _call_aliases(body.get("Properties", {}), functions, alias)
        if body["Type"] == "AWS::Lambda::Url":
            body["Properties"]["Qualifier"] = alias
            body["Properties"]["TargetFunctionArn"] = _unqualify(
                body["Properties"]["TargetFunctionArn"], alias
            )
    document["Resources"] = in_dependency_order(resources)
    return DeployTemplate(document, functions, notifications, provisioned)


def _take_aliases(document: dict[str, Any]) -> tuple[dict[str, str], dict[str, int]]:
    """The Version and Alias resources `package` writes for provisioned concurrency and
    SnapStart taken out (deploy publishes and aliases every function itself): each alias's
    function, and the provisioned concurrency each asked for."""
    resources: dict[str, Any] = document["Resources"]
    provisioned: dict[str, int] = {}
    aliases: dict[str, str] = {}
    taken = {
        name
        for name, body in resources.items()
        if body["Type"] in ("AWS::Lambda::Version", "AWS::Lambda::Alias")
    }
    for name in sorted(taken):
        body = resources.pop(name)
        if body["Type"] != "AWS::Lambda::Alias":
            continue
        function = body["Properties"]["FunctionName"]["Ref"]
        aliases[name] = function
        config = body["Properties"].get("ProvisionedConcurrencyConfig")
        if config:
            provisioned[function] = int(config["ProvisionedConcurrentExecutions"])
    outputs = document.get("Outputs", {})
    for name in [n for n, output in outputs.items() if _references(output) & taken]:
        del outputs[name]
    return aliases, provisioned


def _unalias(value: Any, aliases: dict[str, str]) -> Any:
    """`value` with references to `package`'s alias resources made references to their
    function's ARN, which the deploy form then points at deploy's own alias."""
    if isinstance(value, list):
        return [_unalias(item, aliases) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in aliases:
        return {"Fn::GetAtt": [aliases[value["Ref"]], "Arn"]}
    if set(value) == {"Fn::Sub"}:
        argument = value["Fn::Sub"]
        text = argument if isinstance(argument, str) else argument[0]
        for alias, function in aliases.items():
            text = text.replace(f"${{{alias}}}", f"${{{function}.Arn}}")
        if isinstance(argument, str):
            return {"Fn::Sub": text}
        return {"Fn::Sub": [text, _unalias(argument[1], aliases)]}
    unaliased = {key: _unalias(item, aliases) for key, item in value.items()}
    depends = unaliased.get("DependsOn")
    if isinstance(depends, list) and any(d in aliases for d in depends):
        unaliased["DependsOn"] = [aliases.get(d, d) for d in depends]
    elif isinstance(depends, str) and depends in aliases:
        unaliased["DependsOn"] = aliases[depends]
    return unaliased


def in_dependency_order(resources: dict[str, Any]) -> dict[str, Any]:
    """`resources` with each after what it refers to or depends on, otherwise as they were.

    CloudFormation orders by references itself; some AWS-compatible endpoints (moto) add
    an update's new resources in template order, so the order is made right here too."""
    ordered: dict[str, Any] = {}
    visiting: set[str] = set()

    def place(name: str) -> None:
        if name in ordered or name in visiting or name not in resources:
            return
        visiting.add(name)
        body = resources[name]
        for needed in sorted(_references(body.get("Properties", {})) | set(depends_on(body))):
            place(needed)
        ordered[name] = body

    for name in resources:
        place(name)
    return ordered


def _take_notifications(resources: dict[str, Any]) -> list[BucketNotification]:
    """Remove the notification custom resources (and their handler) and say what they set."""
    taken = [name for name, body in resources.items() if body["Type"] == NOTIFICATIONS]
    notifications = []
    handlers: set[str] = set()
    for name in taken:
        properties = resources.pop(name)["Properties"]
        handlers.update(_references(properties["ServiceToken"]))
        notifications.append(
            BucketNotification(
                bucket=properties["Bucket"],
                configurations=properties["Configurations"],
                eventbridge=properties.get("EventBridge") == "true",
            )
        )
    for handler in handlers:
        body = resources.pop(handler, None)
        if body is not None:
            handlers_role = _references(body["Properties"].get("Role"))
            for role in handlers_role:
                if resources.get(role, {}).get("Type") == "AWS::IAM::Role":
                    resources.pop(role)
    gone = set(taken) | handlers
    for body in resources.values():
        depends = body.get("DependsOn")
        if isinstance(depends, list):
            body["DependsOn"] = [item for item in depends if item not in gone] or None
            if body["DependsOn"] is None:
                del body["DependsOn"]
        elif isinstance(depends, str) and depends in gone:
            del body["DependsOn"]
    return notifications


def _call_aliases(value: Any, functions: list[str], alias: str) -> Any:
    """`value` with every reference to a function's ARN or name pointed at its alias."""
    if isinstance(value, list):
        return [_call_aliases(item, functions, alias) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Fn::GetAtt" and argument[0] in functions and argument[1] == "Arn":
            return {"Fn::Sub": f"${{{argument[0]}.Arn}}:{alias}"}
        if key == "Ref" and argument in functions:
            # FunctionName of a permission or a mapping: the alias's ARN names it.
            return {"Fn::Sub": f"${{{argument}.Arn}}:{alias}"}
        if key == "Fn::Sub":
            return {"Fn::Sub": _sub_aliases(argument, functions, alias)}
    return {key: _call_aliases(item, functions, alias) for key, item in value.items()}


def _sub_aliases(argument: Any, functions: list[str], alias: str) -> Any:
    def qualify(text: str) -> str:
        for function in functions:
            text = re.sub(
                rf"\$\{{{function}\.Arn\}}(?!:{re.escape(alias)})",
                f"${{{function}.Arn}}:{alias}",
                text,
            )
        return text

    if isinstance(argument, str):
        return qualify(argument)
    return [qualify(argument[0]), *argument[1:]]


def _unqualify(value: Any, alias: str) -> Any:
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return {"Fn::Sub": value["Fn::Sub"].removesuffix(f":{alias}")}
    return value


def _references(value: Any) -> set[str]:
    """Logical ids `value` refers to (Ref, GetAtt, ${...} in Sub)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt" and isinstance(item, list):
                found.add(item[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(item, str):
                    found |= _references(item[1])
            else:
                found |= _references(item)
    return found


def interim_template(
    full: dict[str, Any], deployed: dict[str, Any] | None, new_functions: set[str]
) -> dict[str, Any]:
    """The stack a deploy with new functions goes through first: what is deployed now, plus
    the new functions and what they need. Their aliases are made next (by API, since not
    every AWS-compatible endpoint builds AWS::Lambda::Alias), then the full template, whose
    event sources and APIs call those aliases, which must exist by then."""
    resources = dict((deployed or {}).get("Resources", {}))
    wanted: set[str] = set()
    todo = list(new_functions)
    while todo:
        name = todo.pop()
        if name in wanted or name not in full["Resources"]:
            continue
        wanted.add(name)
        body = full["Resources"][name]
        todo += [*_references(body.get("Properties", {})), *depends_on(body)]
    for name in wanted:
        resources[name] = full["Resources"][name]
    interim = {key: value for key, value in full.items() if key not in ("Resources", "Outputs")}
    interim["Resources"] = in_dependency_order(resources)
    outputs = (deployed or {}).get("Outputs")
    if outputs:
        interim["Outputs"] = outputs
    return interim
