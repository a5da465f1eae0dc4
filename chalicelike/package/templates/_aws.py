"""What every template writer shares: AWS's names, ARNs and event patterns, and TemplateError.
ARNs are written once in `Fn::Sub` syntax; the Terraform writer swaps in its data sources."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from ..._tooling._manifest import API_FUNCTION, deployed_name
from ..._tooling._settings import FunctionConfig
from ..._tooling._template_error import TemplateError

__all__ = [
    "ACCOUNT",
    "LAMBDA_TRUST_POLICY",
    "PARTITION",
    "REGION",
    "TemplateError",
    "arn_region",
    "bucket_arn",
    "config_for",
    "event_id",
    "invoke_uri",
    "lambda_name",
    "logical_id",
    "pascal_case",
    "queue_arn",
    "rest_api_stage_id",
    "s3_eventbridge_pattern",
    "ses_rule_arn",
    "short_hash",
    "sorted_mapping",
    "stream_arn",
    "sub",
    "topic_arn",
    "user_pool_arn",
]

PARTITION = "${AWS::Partition}"
REGION = "${AWS::Region}"
ACCOUNT = "${AWS::AccountId}"

# Lambda's trust policy: only the Lambda service may assume a function's role.
LAMBDA_TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# What API Gateway sends to an aws_proxy integration: always a POST to Lambda's Invoke API.
LAMBDA_INVOKE_PATH = "lambda:path/2015-03-31/functions/{arn}/invocations"


def logical_id(name: str) -> str:
    """A function's CloudFormation logical ID: 'on_upload' → 'OnUpload', as Chalice names them.

    The API function keeps Chalice's 'APIHandler', the name its outputs have always used.
    """
    if name == API_FUNCTION:
        return "APIHandler"
    words = re.split(r"[^A-Za-z0-9]+", name)
    result = "".join(word[:1].upper() + word[1:] for word in words if word)
    if not result:
        raise TemplateError(f"Function name {name!r} has no letters or digits to name it by")
    return result


def event_id(function: str, event: str) -> str:
    """The logical ID of a function's event source resource, as a stack `chalice package`
    made holds it: Chalice declares `<Function><Event>` in the function's SAM `Events`, and
    SAM's transform prefixes the function's ID ('OnJob' → 'OnJobOnJobSqsEventSource').
    Keeping the IDs lets our template update that stack in place (a second subscription
    or event source mapping for the same function and source would be refused)."""
    function_id = logical_id(function)
    return f"{function_id}{function_id}{event}"


def rest_api_stage_id(stage_name: str) -> str:
    """The REST API stage's logical ID as SAM's transform names it for Chalice's template:
    'RestAPIapiStage'; a name with other characters gets a hash of it instead."""
    if stage_name.isalnum():
        return f"RestAPI{stage_name}Stage"
    digest = hashlib.sha1(stage_name.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"RestAPIStage{digest}"


def short_hash(value: Any) -> str:
    """Eight hex digits of a JSON value: stable across runs, so templates are reproducible."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()


def sub(text: str) -> Any:
    """`Fn::Sub` where the text has a placeholder, the plain string otherwise."""
    return {"Fn::Sub": text} if "${" in text else text


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    return (
        f"arn:{PARTITION}:{service}:{REGION if region else ''}:{ACCOUNT if account else ''}"
        f":{resource}"
    )


def invoke_uri(function_arn: str) -> str:
    """The URI API Gateway calls a Lambda function by (Sub syntax)."""
    return f"arn:{PARTITION}:apigateway:{REGION}:" + LAMBDA_INVOKE_PATH.format(arn=function_arn)


def _given_arn(value: str) -> bool:
    return value.startswith("arn:")


def queue_arn(settings: Mapping[str, Any]) -> str:
    given = settings.get("queue_arn")
    return str(given) if given else arn("sqs", str(settings["queue"]))


def topic_arn(topic: str) -> str:
    return topic if _given_arn(topic) else arn("sns", topic)


def stream_arn(stream: str) -> str:
    return stream if _given_arn(stream) else arn("kinesis", f"stream/{stream}")


def user_pool_arn(pool: str) -> str:
    return pool if _given_arn(pool) else arn("cognito-idp", f"userpool/{pool}")


def bucket_arn(bucket: str) -> str:
    return bucket if _given_arn(bucket) else f"arn:{PARTITION}:s3:::{bucket}"


def ses_rule_arn(rule_set: str, rule: str) -> str:
    return arn("ses", f"receipt-rule-set/{rule_set}:receipt-rule/{rule}")


def arn_region(value: str) -> str | None:
    """The region field of a literal ARN (a topic in another region needs its own endpoint)."""
    parts = value.split(":")
    return parts[3] if _given_arn(value) and len(parts) > 3 and parts[3] else None


def config_for(configs: Mapping[str, FunctionConfig], name: str) -> FunctionConfig:
    return configs.get(name) or FunctionConfig(name=name)


def lambda_name(app_name: str, stage: str, function: str) -> str:
    """Chalice's function names: '<app>-<stage>' for the API, '<app>-<stage>-<name>' else.

    Lambda refuses names over 64 characters, so the template would fail at deploy.
    """
    name = deployed_name(app_name, stage, function)
    if len(name) > 64:
        raise TemplateError(
            f"Lambda function name {name!r} is {len(name)} characters; Lambda allows 64. "
            "Shorten the app name, the stage or the handler's name (name=...)"
        )
    return name


# S3 notification event names and the EventBridge detail-types S3 sends for each (AWS's
# table "Using EventBridge"); the more specific names narrow the detail's reason field.
_CREATED, _DELETED = ("Object Created",), ("Object Deleted",)
_S3_DETAIL_TYPES: dict[str, tuple[tuple[str, ...], dict[str, list[str]]]] = {
    "s3:ObjectCreated:*": (_CREATED, {}),
    "s3:ObjectCreated:Put": (_CREATED, {"reason": ["PutObject"]}),
    "s3:ObjectCreated:Post": (_CREATED, {"reason": ["POST Object"]}),
    "s3:ObjectCreated:Copy": (_CREATED, {"reason": ["CopyObject"]}),
    "s3:ObjectCreated:CompleteMultipartUpload": (_CREATED, {"reason": ["CompleteMultipartUpload"]}),
    "s3:ObjectRemoved:*": (_DELETED, {"reason": ["DeleteObject"]}),
    "s3:ObjectRemoved:Delete": (_DELETED, {"reason": ["DeleteObject"]}),
    "s3:ObjectRemoved:DeleteMarkerCreated": (_DELETED, {"reason": ["DeleteObject"]}),
    "s3:LifecycleExpiration:*": (_DELETED, {"reason": ["Lifecycle Expiration"]}),
    "s3:ObjectRestore:*": (
        ("Object Restore Initiated", "Object Restore Completed", "Object Restore Expired"),
        {},
    ),
    "s3:ObjectRestore:Post": (("Object Restore Initiated",), {}),
    "s3:ObjectRestore:Completed": (("Object Restore Completed",), {}),
    "s3:ObjectRestore:Delete": (("Object Restore Expired",), {}),
    "s3:ObjectTagging:*": (("Object Tags Added", "Object Tags Deleted"), {}),
    "s3:ObjectTagging:Put": (("Object Tags Added",), {}),
    "s3:ObjectTagging:Delete": (("Object Tags Deleted",), {}),
    "s3:ObjectAcl:Put": (("Object ACL Updated",), {}),
    "s3:LifecycleTransition": (("Object Storage Class Changed",), {}),
    "s3:IntelligentTiering": (("Object Access Tier Changed",), {}),
}


def s3_eventbridge_pattern(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge pattern matching what a bucket notification with `settings` would send.

    Where a name is narrower than its detail-type (ObjectCreated:Put, or ObjectRemoved,
    which S3 does not send for lifecycle expiry), the detail's reason field narrows it.
    """
    detail_types: list[str] = []
    reasons: list[str] = []
    every_reason = False
    for name in settings["events"]:
        if name not in _S3_DETAIL_TYPES:
            raise TemplateError(
                f"S3 event {name!r} has no EventBridge equivalent; use one of "
                f"{', '.join(_S3_DETAIL_TYPES)} or via_eventbridge=False"
            )
        types, extra = _S3_DETAIL_TYPES[name]
        detail_types += [t for t in types if t not in detail_types]
        if "reason" in extra:
            reasons += [r for r in extra["reason"] if r not in reasons]
        else:
            every_reason = True  # a type matched whole: no reason narrows the pattern
    detail: dict[str, Any] = {"bucket": {"name": [settings["bucket"]]}}
    key_filter = _key_filter(settings.get("prefix"), settings.get("suffix"))
    if key_filter is not None:
        detail["object"] = {"key": [key_filter]}
    if reasons and not every_reason:
        detail["reason"] = reasons
    return {"source": ["aws.s3"], "detail-type": detail_types, "detail": detail}


def _key_filter(prefix: str | None, suffix: str | None) -> dict[str, str] | None:
    if prefix and suffix:
        # EventBridge matches one content filter per value: prefix AND suffix is a wildcard
        # (its `*` matches any run of characters; a literal `*` is escaped as `\*`).
        escape = str.maketrans({"*": r"\*", "\\": "\\\\"})
        return {"wildcard": f"{prefix.translate(escape)}*{suffix.translate(escape)}"}
    if prefix:
        return {"prefix": prefix}
    if suffix:
        return {"suffix": suffix}
    return None


def sorted_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Keys in order: a template diff shows what changed, not where it was added."""
    return {key: mapping[key] for key in sorted(mapping)}


def pascal_case(
    settings: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """AWS's API's snake_case names in CloudFormation's PascalCase (batch_size → BatchSize),
    nested settings too but not values such as {"Fn::Sub": ...}; `names` gives the few
    CloudFormation spells otherwise. Only for AWS's own names: a user's (tags, environment
    variables) would be renamed."""
    names = names or {}
    return {
        names.get(key) or "".join(word.capitalize() for word in key.split("_")): (
            pascal_case(value, names) if _is_snake_case(value) else value
        )
        for key, value in settings.items()
    }


def _is_snake_case(value: Any) -> bool:
    return isinstance(value, dict) and all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in value)
