"""S3 -> Lambda notifications on buckets the stack does not own, applied by S3's API after
the stack (CloudFormation sets notifications only on buckets it made), and removed on delete.

S3's API replaces a bucket's whole configuration, so only this stack's entries (their Id
is the stack's name, '-', a function's name) are swapped; anyone else's stay.
"""

from __future__ import annotations

import re
from typing import Any

from ._session import AwsSession
from ._template import BucketNotification

__all__ = ["apply_notifications", "remove_notifications", "resolve"]


def resolve(value: Any, names: dict[str, str]) -> Any:
    """`value` with Ref / GetAtt Arn / Fn::Sub replaced from `names` ('F.Arn', 'AWS::Region')."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return names[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        return names[".".join(value["Fn::GetAtt"])]
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    return {key: resolve(item, names) for key, item in value.items()}


def apply_notifications(
    session: AwsSession, stack: str, notifications: list[BucketNotification], names: dict[str, str]
) -> None:
    for notification in notifications:
        wanted = resolve(notification.configurations, names)
        _swap(session, notification.bucket, stack, wanted, notification.eventbridge)


def remove_notifications(session: AwsSession, stack: str, buckets: list[str]) -> None:
    from botocore.exceptions import ClientError

    for bucket in buckets:
        try:
            _swap(session, bucket, stack, [], eventbridge=False)
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucket":  # gone already: nothing to undo
                raise


def _swap(
    session: AwsSession, bucket: str, stack: str, wanted: list[dict[str, Any]], eventbridge: bool
) -> None:
    s3 = session.client("s3")
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    config.pop("ResponseMetadata", None)
    before = config.get("LambdaFunctionConfigurations", [])
    kept = [entry for entry in before if not _ours(str(entry.get("Id", "")), stack)]
    if not wanted and len(kept) == len(before):
        return  # nothing of ours there: no write, which S3 would validate anew
    config["LambdaFunctionConfigurations"] = kept + wanted
    if eventbridge:
        config["EventBridgeConfiguration"] = {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def _ours(entry_id: str, stack: str) -> bool:
    """An entry this stack wrote: `<stack>-<function>`, the function a Python name. The
    stack of stage `dev` must not take `bookshop-dev-eu-import` (stage `dev-eu`) for its own."""
    return entry_id.startswith(f"{stack}-") and entry_id[len(stack) + 1 :].isidentifier()
