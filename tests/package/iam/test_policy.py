"""The IAM policy generated from the app's boto3 use, its review file, and the user's own."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._settings import FunctionConfig
from chalicelike.package.iam._actions import client_call_actions, iam_actions
from chalicelike.package.iam._calls import find_boto3_usage
from chalicelike.package.iam._policy import (
    NOTES_KEY,
    function_policies,
    generate_policy,
    review_file,
    stage_policy,
)
from chalicelike.package.templates._aws import TemplateError
from tests.package.template_support import EVERYTHING, configs_for, manifest_of


def _project(tmp_path: Path, app: str, **chalicelib: str) -> Path:
    (tmp_path / "app.py").write_text(textwrap.dedent(app))
    for name, source in chalicelib.items():
        path = tmp_path / "chalicelib" / f"{name.replace('.', '/')}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return tmp_path


def _actions(project: Path) -> dict[str, list[str]]:
    return {
        service: sorted(actions) for service, actions in find_boto3_usage(project).actions.items()
    }


def test_the_everything_apps_calls_in_app_py_and_chalicelib() -> None:
    assert _actions(EVERYTHING) == {
        "sqs": ["sqs:SendMessage"],  # app.py
        # chalicelib/storage.py: a module client, and a resource's upload_file
        "s3": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
        # chalicelib/orders.py: a Table held on an instance
        "dynamodb": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
    }
    assert find_boto3_usage(EVERYTHING).unresolved == {}


# (source of app.py, the actions it needs by service)
FOLLOWED = {
    "module client": (
        """
        import boto3
        s3 = boto3.client("s3")
        def view():
            s3.put_object(Bucket="b", Key="k", Body=b"")
            s3.list_objects_v2(Bucket="b")
        """,
        {"s3": ["s3:ListBucket", "s3:PutObject"]},
    ),
    "aliases, keywords and constants": (
        """
        import boto3 as aws
        from boto3 import client as make
        SERVICE = "sqs"
        queue = make(service_name=SERVICE)
        events = aws.client("events")
        def view():
            queue.send_message_batch(QueueUrl="q", Entries=[])
            events.put_events(Entries=[])
        """,
        {"sqs": ["sqs:SendMessage"], "events": ["events:PutEvents"]},
    ),
    "sessions": (
        """
        import boto3
        from boto3.session import Session
        session = boto3.Session(region_name="eu-west-1")
        def view():
            session.client("sns").publish(TopicArn="t", Message="m")
            Session().client("secretsmanager").get_secret_value(SecretId="s")
        """,
        {"sns": ["sns:Publish"], "secretsmanager": ["secretsmanager:GetSecretValue"]},
    ),
    "a cached factory function": (
        """
        import functools
        import boto3
        @functools.lru_cache
        def lambda_client():
            return boto3.client("lambda")
        def view():
            lambda_client().invoke(FunctionName="f")
        """,
        {"lambda": ["lambda:InvokeFunction"]},
    ),
    "paginators, waiters and presigned URLs": (
        """
        import boto3
        s3 = boto3.client("s3")
        def view():
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="b"):
                pass
            s3.get_waiter("object_exists").wait(Bucket="b", Key="k")
            return s3.generate_presigned_url(ClientMethod="get_object", Params={})
        """,
        {"s3": ["s3:GetObject", "s3:ListBucket"]},
    ),
    "resources, sub-resources, collections and attributes": (
        """
        import boto3
        s3 = boto3.resource("s3")
        def view():
            bucket = s3.Bucket("b")
            keys = [o.key for o in bucket.objects.filter(Prefix="p")]
            bucket.objects.all().delete()
            size = s3.Object("b", "k").content_length
            s3.meta.client.head_bucket(Bucket="b")
        """,
        {"s3": ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket"]},
    ),
    "dynamodb tables": (
        """
        import boto3
        table = boto3.resource("dynamodb").Table("orders")
        def view():
            with table.batch_writer() as batch:
                batch.put_item(Item={})
            table.query(KeyConditionExpression="x")
            table.meta.client.transact_write_items(TransactItems=[])
        """,
        {
            "dynamodb": [
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ]
        },
    ),
    "a client as a context manager, and services whose IAM prefix differs": (
        """
        import boto3
        def view():
            with boto3.client("ssm") as ssm:
                ssm.get_parameter(Name="x")
            boto3.client("cloudwatch").put_metric_data(Namespace="n", MetricData=[])
            boto3.client("sesv2").send_email(Content={})
            boto3.client("apigatewaymanagementapi").post_to_connection(ConnectionId="c", Data=b"")
        """,
        {
            "ssm": ["ssm:GetParameter"],
            "cloudwatch": ["cloudwatch:PutMetricData"],  # its signing name is 'monitoring'
            "sesv2": ["ses:SendEmail"],
            "apigatewaymanagementapi": ["execute-api:ManageConnections"],
        },
    ),
}


@pytest.mark.parametrize("case", FOLLOWED)
def test_followed_usage(tmp_path: Path, case: str) -> None:
    source, expected = FOLLOWED[case]
    project = _project(tmp_path, source)
    assert _actions(project) == expected
    assert find_boto3_usage(project).unresolved == {}


def test_clients_followed_across_modules_classes_and_arguments(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """
        import boto3
        import chalicelib.jobs as jobs
        from chalicelib import helpers
        from chalicelib.repo import Repo, TABLE
        def view():
            helpers.copy_all(boto3.client("s3"), "bucket")
            Repo(events=boto3.client("events")).save()
            TABLE.delete_item(Key={})
            jobs.kinesis.put_record(StreamName="s", Data=b"", PartitionKey="p")
        """,
        helpers="""
        def copy_all(s3, bucket):
            for item in s3.list_objects_v2(Bucket=bucket)["Contents"]:
                s3.copy_object(Bucket=bucket, Key=item["Key"], CopySource={})
        """,
        jobs="""
        from .aws import make
        kinesis = make("kinesis")
        """,
        aws="""
        import boto3
        def make(service):
            return boto3.client("kinesis")
        """,
        repo="""
        import boto3
        TABLE = boto3.resource("dynamodb").Table("t")
        class Repo:
            table = TABLE
            def __init__(self, events):
                self.events = events
            def save(self):
                self.table.put_item(Item={})
                self.events.put_events(Entries=[])
        """,
    )
    assert _actions(project) == {
        "s3": ["s3:GetObject", "s3:ListBucket", "s3:PutObject"],
        "events": ["events:PutEvents"],
        "dynamodb": ["dynamodb:DeleteItem", "dynamodb:PutItem"],
        "kinesis": ["kinesis:PutRecord"],
    }


def test_what_cannot_be_followed_gets_its_service_and_a_note(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """
        import boto3
        import some_library
        registry = {"ddb": boto3.client("dynamodb")}
        def view(name, service):
            some_library.use(boto3.client("kinesis"))
            getattr(boto3.client("sqs"), name)()
            boto3.client(service)
            boto3.client("s3").frobnicate()
            boto3.client("s3").get_paginator(name)
        """,
    )
    usage = find_boto3_usage(project)
    assert _actions(project) == {
        "dynamodb": ["dynamodb:*"],
        "kinesis": ["kinesis:*"],
        "sqs": ["sqs:*"],
        "s3": ["s3:*"],
    }
    notes = {service: " ".join(n) for service, n in usage.unresolved.items()}
    assert "app.py:4" in notes["dynamodb"]  # the dict holding the client
    assert "app.py:6" in notes["kinesis"]
    assert "frobnicate" in notes["s3"] and "get_paginator" in notes["s3"]
    assert "not a literal string" in notes[None]  # no service to grant: the user must


def test_generated_policy_for_the_everything_app() -> None:
    manifest = manifest_of(EVERYTHING)
    policy = generate_policy(EVERYTHING, manifest, configs_for(manifest))
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["S3Calls"]["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert statements["SqsEventSources"]["Resource"] == [
        "arn:*:sqs:*:*:everything-jobs",
        "arn:aws:sqs:us-east-1:123456789012:partner-jobs",
    ]
    assert "sqs:ReceiveMessage" in statements["SqsEventSources"]["Action"]
    assert (
        statements["KinesisEventSources"]["Resource"]
        == "arn:*:kinesis:*:*:stream/everything-clicks"
    )
    assert statements["DynamodbStreamEventSources"]["Resource"].endswith(
        "/stream/2024-01-01T00:00:00.000"
    )
    assert statements["WebsocketConnections"]["Action"] == ["execute-api:ManageConnections"]
    assert statements["CloudWatchLogs"]["Action"] == [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    assert "VpcNetworkInterfaces" not in statements and "XRayTracing" not in statements
    assert NOTES_KEY not in policy
    _assert_no_bare_wildcard(policy)


def _assert_no_bare_wildcard(policy: dict[str, Any]) -> None:
    for statement in policy["Statement"]:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert action != "*" and ":" in action, statement


def test_vpc_and_xray_permissions_follow_the_config() -> None:
    manifest = manifest_of(EVERYTHING)
    configs = configs_for(manifest, subnet_ids=["subnet-1"], security_group_ids=["sg-1"], xray=True)
    sids = [s["Sid"] for s in generate_policy(EVERYTHING, manifest, configs)["Statement"]]
    assert "VpcNetworkInterfaces" in sids and "XRayTracing" in sids


def test_unresolved_usage_is_noted_in_the_review_file(tmp_path: Path) -> None:
    project = _project(tmp_path, "import boto3, lib\nlib.use(boto3.client('s3'))\n")
    manifest = manifest_of(EVERYTHING)
    policy = stage_policy(project, "prod", manifest, configs_for(manifest))
    assert policy is not None and NOTES_KEY not in policy  # IAM never sees the notes
    written = json.loads(review_file(project, "prod").read_text())
    assert any("app.py:2" in note for note in written[NOTES_KEY])
    s3 = next(s for s in written["Statement"] if s["Sid"] == "S3Calls")
    assert s3["Action"] == ["s3:*"]
    _assert_no_bare_wildcard(written)


def test_the_review_file_is_read_back_when_autogen_is_off(tmp_path: Path) -> None:
    project = _project(
        tmp_path, "import boto3\nboto3.client('s3').get_object(Bucket='b', Key='k')\n"
    )
    manifest = manifest_of(EVERYTHING)
    stage_policy(project, "dev", manifest, configs_for(manifest))
    path = review_file(project, "dev")
    edited = json.loads(path.read_text())
    edited["Statement"][0]["Resource"] = "arn:aws:s3:::my-bucket/*"
    edited[NOTES_KEY] = ["my own note"]
    path.write_text(json.dumps(edited))
    configs = configs_for(manifest, autogen_policy=False)
    policy = stage_policy(project, "dev", manifest, configs)
    assert policy is not None
    assert policy["Statement"][0]["Resource"] == "arn:aws:s3:::my-bucket/*"
    assert NOTES_KEY not in policy
    assert json.loads(path.read_text())[NOTES_KEY] == ["my own note"]  # not rewritten


def test_a_policy_file_and_its_errors(tmp_path: Path) -> None:
    manifest = manifest_of(EVERYTHING)
    configs = configs_for(manifest, autogen_policy=False, iam_policy_file="custom.json")
    with pytest.raises(TemplateError, match=r"custom\.json: no such policy file"):
        stage_policy(tmp_path, "dev", manifest, configs)
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "custom.json").write_text("{not json")
    with pytest.raises(TemplateError, match="not valid JSON"):
        stage_policy(tmp_path, "dev", manifest, configs)
    own = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
    }
    (tmp_path / ".chalice" / "custom.json").write_text(json.dumps(own))
    assert stage_policy(tmp_path, "dev", manifest, configs) == own


def test_roles_given_by_arn_need_no_policy(tmp_path: Path) -> None:
    manifest = manifest_of(EVERYTHING)
    configs = configs_for(manifest, manage_iam_role=False, iam_role_arn="arn:aws:iam::1:role/r")
    assert stage_policy(tmp_path, "dev", manifest, configs) is None
    assert not review_file(tmp_path, "dev").exists()


def test_a_function_with_its_own_policy_file(tmp_path: Path) -> None:
    manifest = manifest_of(EVERYTHING)
    configs = configs_for(manifest)
    configs["on_job"] = FunctionConfig(
        name="on_job", autogen_policy=False, iam_policy_file="jobs.json"
    )
    (tmp_path / ".chalice").mkdir()
    own = {"Version": "2012-10-17", "Statement": []}
    (tmp_path / ".chalice" / "jobs.json").write_text(json.dumps(own))
    assert function_policies(tmp_path, manifest, configs) == {"on_job": own}


# Where AWS authorizes an operation by another action (Service Authorization Reference).
@pytest.mark.parametrize(
    ("service", "operation", "actions"),
    [
        ("s3", "ListObjectsV2", ["s3:ListBucket"]),
        ("s3", "HeadObject", ["s3:GetObject"]),
        ("s3", "CopyObject", ["s3:GetObject", "s3:PutObject"]),
        ("s3", "ListBuckets", ["s3:ListAllMyBuckets"]),
        ("sqs", "SendMessageBatch", ["sqs:SendMessage"]),
        ("lambda", "Invoke", ["lambda:InvokeFunction"]),
        (
            "dynamodb",
            "ExecuteStatement",
            [
                "dynamodb:PartiQLSelect",
                "dynamodb:PartiQLInsert",
                "dynamodb:PartiQLUpdate",
                "dynamodb:PartiQLDelete",
            ],
        ),
        ("bedrock-runtime", "Converse", ["bedrock:InvokeModel"]),
        ("cloudwatch", "PutMetricData", ["cloudwatch:PutMetricData"]),
        ("iot-data", "Publish", ["iot:Publish"]),
        ("apigateway", "GetRestApis", ["apigateway:GET"]),
        ("stepfunctions", "StartExecution", ["states:StartExecution"]),
    ],
)
def test_operations_authorized_by_other_actions(
    service: str, operation: str, actions: list[str]
) -> None:
    assert iam_actions(service, operation) == actions


def test_our_mapping_agrees_with_chalices_for_the_common_services() -> None:
    # Chalice keeps a hand-made table of the same facts: a second opinion on ours.
    import chalice

    table = json.loads((Path(chalice.__file__).parent / "policies.json").read_text())
    services = (
        "s3",
        "sqs",
        "sns",
        "dynamodb",
        "dynamodbstreams",
        "kinesis",
        "lambda",
        "ses",
        "events",
        "secretsmanager",
        "ssm",
        "sts",
        "cloudwatch",
        "logs",
        "stepfunctions",
        "kms",
        "firehose",
        "cognito-idp",
        "iot-data",
    )
    for service in services:
        for operation, action in table[service].items():
            assert action in iam_actions(service, operation), (service, operation)


def test_client_methods_by_their_python_names() -> None:
    assert client_call_actions("s3", "upload_file") == [
        "s3:AbortMultipartUpload",
        "s3:PutObject",
    ]
    assert client_call_actions("dynamodb", "get_waiter", "table_exists") == [
        "dynamodb:DescribeTable"
    ]
    assert client_call_actions("s3", "close") == []
    assert client_call_actions("s3", "no_such_method") is None
