"""Storage helpers: an S3 client at module level, used from functions."""

import boto3

_s3 = boto3.client("s3")


def archive(bucket, key):
    body = _s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    _s3.put_object(Bucket=bucket, Key=f"archive/{key}", Body=body)


def thumbnail(bucket, key):
    _s3.download_file(bucket, key, "/tmp/photo.png")
    resource = boto3.resource("s3")
    resource.Bucket(bucket).upload_file("/tmp/photo.png", f"thumbs/{key}")
