"""The S3 bucket deploy uploads code (and large templates) to: one per account and region,
made on first use, private; objects named by content so an unchanged zip is not sent again.

The bucket's name is predictable, so every call states the account expected to own it
(ExpectedBucketOwner): a bucket of that name held by someone else is refused, never
written to; and `delete` removes the stage's objects but keeps the bucket (deleting it would
free the name for anyone to take).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._session import AwsSession, DeployError

__all__ = [
    "TEMPLATE_BODY_LIMIT",
    "Artifact",
    "artifact_bucket",
    "delete_artifacts",
    "delete_object",
    "upload",
    "upload_text",
]

# CloudFormation takes a template body up to 51,200 bytes; larger ones go through S3.
TEMPLATE_BODY_LIMIT = 51_200


class Artifact:
    def __init__(self, bucket: str, key: str, sha256: str) -> None:
        self.bucket, self.key, self.sha256 = bucket, key, sha256


def _owner(session: AwsSession) -> dict[str, str]:
    return {"ExpectedBucketOwner": session.account}


def artifact_bucket(session: AwsSession) -> str:
    """`chalicelike-deploy-<account>-<region>`, created (private) when missing."""
    from botocore.exceptions import ClientError

    s3 = session.client("s3")
    name = f"chalicelike-deploy-{session.account}-{session.region}"
    try:
        s3.head_bucket(Bucket=name, **_owner(session))
        return name
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in ("403", "AccessDenied"):
            raise DeployError(
                f"the deploy bucket {name} exists but this account cannot use it as its own"
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    # us-east-1 is the one region that refuses a LocationConstraint naming itself.
    location = (
        {}
        if session.region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": session.region}}
    )
    s3.create_bucket(Bucket=name, **location)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        **_owner(session),
    )
    return name


def _prefix(app: str, stage: str) -> str:
    return f"{app}/{stage}/"


def upload(session: AwsSession, bucket: str, app: str, stage: str, path: Path) -> Artifact:
    """`path` at `<app>/<stage>/<sha256>.zip`; not sent again when it is there already."""
    from botocore.exceptions import ClientError

    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"{_prefix(app, stage)}{sha256}.zip"
    s3 = session.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key, **_owner(session))
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
        # One PUT: a Lambda zip is at most 250 MB unzipped, far under PutObject's 5 GB.
        s3.put_object(Bucket=bucket, Key=key, Body=data, **_owner(session))
    return Artifact(bucket, key, sha256)


def upload_text(
    session: AwsSession, bucket: str, app: str, stage: str, name: str, text: str
) -> tuple[str, str]:
    """`text` uploaded; (its key, its URL as CloudFormation's TemplateURL takes it)."""
    s3 = session.client("s3")
    key = f"{_prefix(app, stage)}{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), **_owner(session))
    # S3's own path-style URL: CloudFormation reads it, and so do AWS-compatible endpoints
    # (they map it to their S3), whatever endpoint the client itself was given.
    return key, f"https://s3.{session.region}.{session.url_suffix}/{bucket}/{key}"


def delete_object(session: AwsSession, bucket: str, key: str) -> None:
    session.client("s3").delete_object(Bucket=bucket, Key=key, **_owner(session))


def delete_artifacts(
    session: AwsSession, bucket: str, app: str, stage: str, keep: frozenset[str] = frozenset()
) -> int:
    """Every object under the stage's prefix but `keep` deleted (the bucket, shared, stays)."""
    from botocore.exceptions import ClientError

    s3 = session.client("s3")
    deleted = 0
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=_prefix(app, stage), **_owner(session)
        )
        for page in pages:
            keys = [
                {"Key": item["Key"]} for item in page.get("Contents", []) if item["Key"] not in keep
            ]
            if keys:
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": keys, "Quiet": True}, **_owner(session)
                )
                deleted += len(keys)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("NoSuchBucket", "404"):
            raise
    return deleted
