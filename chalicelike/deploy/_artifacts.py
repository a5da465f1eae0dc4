"""The S3 bucket deploy uploads code (and large templates) to: one per account and region,
made on first use, private; objects named by content so an unchanged zip is not sent again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._session import AwsSession

__all__ = [
    "TEMPLATE_BODY_LIMIT",
    "Artifact",
    "artifact_bucket",
    "delete_artifacts",
    "upload",
    "upload_text",
]

# CloudFormation takes a template body up to 51,200 bytes; larger ones go through S3.
TEMPLATE_BODY_LIMIT = 51_200


class Artifact:
    def __init__(self, bucket: str, key: str, sha256: str) -> None:
        self.bucket, self.key, self.sha256 = bucket, key, sha256


def artifact_bucket(session: AwsSession) -> str:
    """`chalicelike-deploy-<account>-<region>`, created (private) when missing."""
    from botocore.exceptions import ClientError

    s3 = session.client("s3")
    name = f"chalicelike-deploy-{session.account}-{session.region}"
    try:
        s3.head_bucket(Bucket=name)
        return name
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
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
    )
    return name


def _prefix(app: str, stage: str) -> str:
    return f"{app}/{stage}/"


def upload(session: AwsSession, bucket: str, app: str, stage: str, path: Path) -> Artifact:
    """`path` at `<app>/<stage>/<sha256>.zip`; not sent again when it is there already."""
    from botocore.exceptions import ClientError

    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    key = f"{_prefix(app, stage)}{sha256}.zip"
    s3 = session.client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        s3.upload_file(str(path), bucket, key)
    return Artifact(bucket, key, sha256)


def upload_text(
    session: AwsSession, bucket: str, app: str, stage: str, name: str, text: str
) -> str:
    """`text` uploaded; its URL as CloudFormation's TemplateURL takes it."""
    s3 = session.client("s3")
    key = f"{_prefix(app, stage)}{name}"
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    return f"{s3.meta.endpoint_url}/{bucket}/{key}"


def delete_artifacts(session: AwsSession, bucket: str, app: str, stage: str) -> int:
    """Every object under the stage's prefix deleted; the bucket too once it is empty."""
    from botocore.exceptions import ClientError

    s3 = session.client("s3")
    deleted = 0
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=_prefix(app, stage)
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        if not s3.list_objects_v2(Bucket=bucket, MaxKeys=1).get("Contents"):
            s3.delete_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("NoSuchBucket", "404"):
            raise
    return deleted
