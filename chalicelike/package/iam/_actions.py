"""From a boto3 call to the IAM actions it needs, read from botocore's and boto3's models: the
operation name is the action for most services, `_OPERATION_ACTIONS` lists AWS's exceptions;
None for a call the models do not know (the caller widens to service:*)."""

from __future__ import annotations

import functools
import os
from typing import Any

# botocore's package itself is light (xform_name); its session, models and boto3 are imported
# on the first lookup only: an app that makes no boto3 call never pays for them (0.1 s).
from botocore import xform_name

__all__ = [
    "Member",
    "client_call_actions",
    "collection_member",
    "iam_actions",
    "iam_prefix",
    "resource_member",
    "service_model",
    "service_wildcard",
]

# IAM prefixes that differ from the signing name (AWS's Service Authorization Reference).
_PREFIXES = {
    "monitoring": "cloudwatch",
    "iotdata": "iot",
    "iot-jobs-data": "iot",
    "mturk-requester": "mechanicalturk",
    "tagging": "tag",
    "awsssoportal": "sso",
}

# Operations authorized by other actions. S3's list, head and multipart calls, SQS/SNS
# batches, Lambda's Invoke, DynamoDB's transactions and PartiQL, Bedrock's Converse.
_PARTIQL = ["PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete"]
_OPERATION_ACTIONS: dict[tuple[str, str], list[str]] = {
    ("s3", "ListObjects"): ["ListBucket"],
    ("s3", "ListObjectsV2"): ["ListBucket"],
    ("s3", "ListObjectVersions"): ["ListBucketVersions"],
    ("s3", "ListBuckets"): ["ListAllMyBuckets"],
    ("s3", "HeadBucket"): ["ListBucket"],
    ("s3", "HeadObject"): ["GetObject"],
    ("s3", "GetObjectAttributes"): ["GetObject", "GetObjectAttributes"],
    ("s3", "SelectObjectContent"): ["GetObject"],
    ("s3", "CreateMultipartUpload"): ["PutObject"],
    ("s3", "UploadPart"): ["PutObject"],
    ("s3", "CompleteMultipartUpload"): ["PutObject"],
    ("s3", "UploadPartCopy"): ["GetObject", "PutObject"],
    ("s3", "CopyObject"): ["GetObject", "PutObject"],
    ("s3", "DeleteObjects"): ["DeleteObject"],
    ("s3", "ListMultipartUploads"): ["ListBucketMultipartUploads"],
    ("s3", "ListParts"): ["ListMultipartUploadParts"],
    ("s3", "GetBucketNotificationConfiguration"): ["GetBucketNotification"],
    ("s3", "PutBucketNotificationConfiguration"): ["PutBucketNotification"],
    ("s3", "GetBucketLifecycleConfiguration"): ["GetLifecycleConfiguration"],
    ("s3", "PutBucketLifecycleConfiguration"): ["PutLifecycleConfiguration"],
    ("s3", "DeleteBucketLifecycle"): ["PutLifecycleConfiguration"],
    ("s3", "GetBucketCors"): ["GetBucketCORS"],
    ("s3", "PutBucketCors"): ["PutBucketCORS"],
    ("s3", "DeleteBucketCors"): ["PutBucketCORS"],
    ("s3", "GetBucketEncryption"): ["GetEncryptionConfiguration"],
    ("s3", "PutBucketEncryption"): ["PutEncryptionConfiguration"],
    ("s3", "DeleteBucketEncryption"): ["PutEncryptionConfiguration"],
    ("s3", "DeleteBucketTagging"): ["PutBucketTagging"],
    ("s3", "GetPublicAccessBlock"): ["GetBucketPublicAccessBlock"],
    ("s3", "PutPublicAccessBlock"): ["PutBucketPublicAccessBlock"],
    ("s3", "DeletePublicAccessBlock"): ["PutBucketPublicAccessBlock"],
    ("sqs", "SendMessageBatch"): ["SendMessage"],
    ("sqs", "DeleteMessageBatch"): ["DeleteMessage"],
    ("sqs", "ChangeMessageVisibilityBatch"): ["ChangeMessageVisibility"],
    ("sns", "PublishBatch"): ["Publish"],
    ("lambda", "Invoke"): ["InvokeFunction"],
    ("lambda", "InvokeWithResponseStream"): ["InvokeFunction"],
    ("dynamodb", "TransactGetItems"): ["GetItem"],
    ("dynamodb", "TransactWriteItems"): [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    ],
    ("dynamodb", "ExecuteStatement"): _PARTIQL,
    ("dynamodb", "BatchExecuteStatement"): _PARTIQL,
    ("dynamodb", "ExecuteTransaction"): _PARTIQL,
    ("bedrock", "Converse"): ["InvokeModel"],
    ("bedrock", "ConverseStream"): ["InvokeModelWithResponseStream"],
    # API Gateway's management API posts to a connection through one action.
    ("execute-api", "PostToConnection"): ["ManageConnections"],
    ("execute-api", "GetConnection"): ["ManageConnections"],
    ("execute-api", "DeleteConnection"): ["ManageConnections"],
}

# Methods boto3 adds to clients and resources (its "customizations"), by the operations
# they make: S3's managed transfers, DynamoDB's batch writer.
_S3_UPLOAD = [
    "PutObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
]
_S3_DOWNLOAD = ["HeadObject", "GetObject"]
_S3_COPY = ["HeadObject", "CopyObject", *_S3_UPLOAD[1:], "UploadPartCopy"]
_INJECTED: dict[str, dict[str, list[str]]] = {
    "s3": {
        "upload_file": _S3_UPLOAD,
        "upload_fileobj": _S3_UPLOAD,
        "download_file": _S3_DOWNLOAD,
        "download_fileobj": _S3_DOWNLOAD,
        "copy": _S3_COPY,
        "generate_presigned_post": ["PutObject"],
    },
    "dynamodb": {"batch_writer": ["BatchWriteItem"]},
}
# Client and resource members that call no API.
_HARMLESS = frozenset(
    {"meta", "exceptions", "close", "can_paginate", "get_available_subresources", "waiter_names"}
)


@functools.cache
def _botocore_session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service_model(service: str) -> Any:
    """botocore's model of a client's service, or None for a name boto3 would refuse."""
    from botocore.exceptions import UnknownServiceError

    try:
        return _botocore_session().get_service_model(service)
    except UnknownServiceError:
        return None


@functools.cache
def _client_methods(service: str) -> dict[str, str]:
    """Client method name → operation name ('put_object' → 'PutObject')."""
    model = service_model(service)
    if model is None:
        return {}
    return {xform_name(name): name for name in model.operation_names}


def iam_prefix(service: str) -> str:
    """The IAM service prefix of a boto3 client name ('cloudwatch' → 'cloudwatch', not its
    signing name 'monitoring'; 'sesv2' → 'ses')."""
    model = service_model(service)
    signing: str = model.signing_name if model is not None else service
    return _PREFIXES.get(signing, signing)


def iam_actions(service: str, operation: str) -> list[str]:
    """The IAM actions one API operation needs ('s3', 'ListObjectsV2' → ['s3:ListBucket'])."""
    model = service_model(service)
    signing = model.signing_name if model is not None else service
    prefix = _PREFIXES.get(signing, signing)
    if signing == "apigateway":
        # API Gateway's management API is authorized by HTTP verb: apigateway:GET, ...
        http = model.operation_model(operation).http if model is not None else {}
        return [f"apigateway:{http.get('method', '*')}"]
    names = _OPERATION_ACTIONS.get((signing, operation), [operation])
    return [f"{prefix}:{name}" for name in names]


def client_call_actions(service: str, method: str, argument: str | None = None) -> list[str] | None:
    """What calling `client.<method>(argument, ...)` needs; None if the models do not know it.

    `argument` is the literal first argument where it names another call: a paginator's
    or a presigned URL's method, a waiter's name.
    """
    if method in _HARMLESS:
        return []
    methods = _client_methods(service)
    if method in ("get_paginator", "generate_presigned_url") and argument is not None:
        return client_call_actions(service, argument)
    if method == "get_waiter" and argument is not None:
        operation = _waiter_operation(service, argument)
        return None if operation is None else iam_actions(service, operation)
    injected = _INJECTED.get(service, {}).get(method)
    operations = (
        injected if injected is not None else [methods[method]] if method in methods else None
    )
    if operations is None:
        return None
    return sorted({action for op in operations for action in iam_actions(service, op)})


def _waiter_operation(service: str, waiter: str) -> str | None:
    try:
        model = _botocore_session().get_waiter_model(service)
    except Exception:  # botocore raises DataNotFoundError for services without waiters
        return None
    for name in model.waiter_names:
        if xform_name(name) == waiter or name == waiter:
            operation: str = model.get_waiter(name).operation
            return operation
    return None


@functools.cache
def resource_model(service: str) -> dict[str, Any] | None:
    """boto3's resource model (resources-1.json), for the few services that have one."""
    import boto3
    from botocore.loaders import Loader

    loader = Loader(extra_search_paths=[os.path.join(os.path.dirname(boto3.__file__), "data")])
    try:
        model: dict[str, Any] = loader.load_service_model(service, "resources-1")
    except Exception:  # no resource interface: boto3.resource() would refuse it too
        return None
    return model


def resource_definition(service: str, resource: str) -> dict[str, Any] | None:
    model = resource_model(service)
    if model is None:
        return None
    if resource == "ServiceResource":
        return dict(model["service"])
    definition = model["resources"].get(resource)
    return None if definition is None else dict(definition)


class Member:
    """What `resource.<name>` is: an API call, a sub-resource, a collection or an attribute."""

    CALL, SUBRESOURCE, COLLECTION, ATTRIBUTE = "call", "subresource", "collection", "attribute"

    __slots__ = ("actions", "kind", "type")

    def __init__(self, kind: str, actions: list[str] | None = None, type_: str = "") -> None:
        self.kind = kind
        self.actions = sorted(set(actions or []))
        self.type = type_  # the resource type a sub-resource or a collection's items have


def resource_member(service: str, resource: str, name: str) -> Member | None:
    """Look `name` up on a boto3 resource of `resource` type; None if boto3 has no such member."""
    definition = resource_definition(service, resource)
    if definition is None:
        return None
    if name in _HARMLESS or name in {
        xform_name(i["name"]) for i in definition.get("identifiers", [])
    }:
        return Member(Member.ATTRIBUTE)
    for key, action in definition.get("actions", {}).items():
        if xform_name(key) == name:
            return Member(Member.CALL, iam_actions(service, action["request"]["operation"]))
    injected = _INJECTED.get(service, {}).get(name)
    if injected is not None and resource != "ServiceResource":
        return Member(Member.CALL, [a for op in injected for a in iam_actions(service, op)])
    for key, waiter in definition.get("waiters", {}).items():
        if f"wait_until_{xform_name(key)}" == name:
            operation = _waiter_operation(service, waiter["waiterName"])
            return Member(Member.CALL, iam_actions(service, operation) if operation else None)
    if resource == "ServiceResource" and name in (resource_model(service) or {})["resources"]:
        return Member(Member.SUBRESOURCE, type_=name)  # boto3 offers every type: s3.Object(...)
    for key, sub in definition.get("has", {}).items():
        if name in (key, xform_name(key)):  # sub-resources are methods, references attributes
            return Member(Member.SUBRESOURCE, type_=sub["resource"]["type"])
    for key, many in definition.get("hasMany", {}).items():
        if xform_name(key) == name:
            actions = iam_actions(service, many["request"]["operation"])
            return Member(Member.COLLECTION, actions, many["resource"]["type"])
    return _loaded_attribute(service, definition, name)


def _loaded_attribute(service: str, definition: dict[str, Any], name: str) -> Member | None:
    """An attribute of the resource's shape: reading it first loads the resource."""
    load = definition.get("load")
    actions = iam_actions(service, load["request"]["operation"]) if load else []
    if name in ("load", "reload"):
        return Member(Member.CALL, actions)
    model = service_model(service)
    shape = definition.get("shape")
    if model is None or not shape:
        return None
    members = model.shape_for(shape).members
    if name in {xform_name(member) for member in members}:
        return Member(Member.ATTRIBUTE, actions)
    return None


def collection_member(service: str, item_type: str, name: str) -> Member | None:
    """A collection's method: a narrower collection, or a batch action on its items."""
    if name in ("all", "filter", "limit", "page_size", "pages"):
        return Member(Member.COLLECTION, type_=item_type)
    definition = resource_definition(service, item_type) or {}
    for key, batch in definition.get("batchActions", {}).items():
        if xform_name(key) == name:
            return Member(Member.CALL, iam_actions(service, batch["request"]["operation"]))
    return None


def service_wildcard(service: str) -> str:
    """'<prefix>:*' for a client we could not follow: the widest grant, still one service."""
    return f"{iam_prefix(service)}:*"
