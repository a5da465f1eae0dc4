"""`chalicelike deploy` and what follows it (url, redeploy, versions, rollback, delete),
end to end against a plain moto server: every call our code makes goes over HTTP to it.

moto runs no Lambda code without Docker and keeps no CloudFormation events, so nothing here
invokes a function; what is checked is what AWS would hold after each command.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelike.cli import main
from chalicelike.deploy._session import open_session
from tests.deploy.moto_support import CREDENTIALS, REGION, aws_client, plain_moto_server
from tests.local.project_support import write_project

pytestmark = pytest.mark.slow

SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample_app"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with plain_moto_server() as url:
        yield url


@pytest.fixture
def aws(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> str:
    """The environment a user pointing the CLI at moto has: AWS_ENDPOINT_URL and keys, which
    Lambda and CloudFormation are called with directly; or (param "botocore") a profile whose
    config names the endpoint, which only botocore reads, so every call goes through it."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    # No profile or config of the machine's own may reach the test.
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    if getattr(request, "param", "direct") == "botocore":
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        config.write_text(f"[default]\nregion = {REGION}\nendpoint_url = {moto_url}\n")
        credentials.write_text(
            "[default]\n" + "".join(f"{key} = {value}\n" for key, value in CREDENTIALS.items())
        )
        assert open_session(None, None).direct is None
        return moto_url
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert open_session(None, None).direct is not None
    return moto_url


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project_dir = tmp_path / "bookshop"
    shutil.copytree(
        SAMPLE_APP, project_dir, ignore=shutil.ignore_patterns("__pycache__", "cache", "deployed")
    )
    return project_dir


def run(project: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["--project-dir", str(project), *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def make_event_sources(url: str) -> None:
    """What the sample app expects to exist already: its bucket and its queue."""
    aws_client(url, "s3").create_bucket(Bucket="bookshop-imports")
    aws_client(url, "sqs").create_queue(QueueName="bookshop-orders")


def record_of(project: Path, stage: str = "dev") -> dict[str, Any]:
    return json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())


def functions_of(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in record["resources"] if r["resource_type"] == "lambda_function"}


def alias_versions(url: str, record: dict[str, Any]) -> dict[str, str]:
    client = aws_client(url, "lambda")
    return {
        name: client.get_alias(FunctionName=r["function_name"], Name="dev")["FunctionVersion"]
        for name, r in functions_of(record).items()
    }


def calls_alias(url: str, arn: str, function: dict[str, Any]) -> bool:
    """`arn` is the function's alias: AWS answers with the alias's ARN; moto (a gap of its
    own) with the ARN of the version the alias points to."""
    version = aws_client(url, "lambda").get_alias(
        FunctionName=function["function_name"], Name="dev"
    )["FunctionVersion"]
    return arn in (function["alias_arn"], f"{function['lambda_arn']}:{version}")


@pytest.mark.parametrize("aws", ["direct", "botocore"], indirect=True)
def test_deploy_redeploy_rollback_delete(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_event_sources(aws)
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 0, out + err
    assert "release 1" in out and "+ RestAPI (AWS::ApiGateway::RestApi)" in out
    record = record_of(project)
    functions = functions_of(record)
    assert set(functions) == {
        "api_handler",
        "staff_only",
        "import_catalogue",
        "take_order",
        "hourly_report",
    }
    lam = aws_client(aws, "lambda")
    api_function = lam.get_function_configuration(
        FunctionName=functions["api_handler"]["function_name"]
    )
    # The stage's config is applied: environment, runtime, and a role that exists.
    assert api_function["Environment"]["Variables"] == {
        "SHOP_CURRENCY": "EUR",
        "SHOP_STAGE": "dev",
    }
    assert api_function["Handler"] == "app.app"
    role = api_function["Role"].rsplit("/", 1)[1]
    assert aws_client(aws, "iam").get_role(RoleName=role)["Role"]["Arn"] == api_function["Role"]
    assert alias_versions(aws, record) == dict.fromkeys(functions, "1")

    # The SQS mapping, the schedule and the bucket's notification call the alias.
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    assert [calls_alias(aws, m["FunctionArn"], functions["take_order"]) for m in mappings] == [True]
    targets = aws_client(aws, "events").list_targets_by_rule(
        Rule=_rule_name(aws, functions["hourly_report"]["alias_arn"])
    )["Targets"]
    assert targets[0]["Arn"] == functions["hourly_report"]["alias_arn"]
    notifications = aws_client(aws, "s3").get_bucket_notification_configuration(
        Bucket="bookshop-imports"
    )["LambdaFunctionConfigurations"]
    assert [n["LambdaFunctionArn"] for n in notifications] == [
        functions["import_catalogue"]["alias_arn"]
    ]

    # The REST API's routes are its methods; `url` prints its stage URL.
    api = aws_client(aws, "apigateway")
    rest_api_id = next(r for r in record["resources"] if r["name"] == "rest_api")["rest_api_id"]
    paths = {
        (item["path"], method)
        for item in api.get_resources(restApiId=rest_api_id)["items"]
        for method in item.get("resourceMethods", {})
    }
    assert {("/books", "GET"), ("/books/{isbn}", "DELETE"), ("/", "GET")} <= paths
    assert "api" in {s["stageName"] for s in api.get_stages(restApiId=rest_api_id)["item"]}
    status, out, _ = run(project, "url", capsys=capsys)
    assert status == 0 and out.strip().endswith("/api/") and rest_api_id in out

    # A change of code alone: no stack update, a new version, the aliases moved.
    stack_before = _stack(aws, record["stack"]["name"])
    app_file = project / "app.py"
    app_file.write_text(app_file.read_text() + "\n# a change of code\n")
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 0, out + err
    assert "code only" in out and "release 2" in out
    assert _stack(aws, record["stack"]["name"]) == stack_before
    assert alias_versions(aws, record_of(project)) == dict.fromkeys(functions, "2")

    status, out, _ = run(project, "versions", capsys=capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split()[0] == "2" and lines[1].endswith("<- dev")
    assert lines[2].split()[0] == "1"

    # rollback: the aliases back at release 1, nothing rebuilt.
    status, out, err = run(project, "rollback", capsys=capsys)
    assert status == 0, out + err
    assert alias_versions(aws, record) == dict.fromkeys(functions, "1")
    assert record_of(project)["stack"]["release"] == 1

    # Deploying the same code again after a rollback says where the aliases went.
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 0, out + err
    assert "no function changed: dev moved from release 1 to 2" in out
    assert alias_versions(aws, record) == dict.fromkeys(functions, "2")
    status, out, err = run(project, "rollback", capsys=capsys)
    assert status == 0, out + err

    # A change of config goes through the stack; the new version carries it.
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text())
    config["stages"]["dev"]["lambda_memory_size"] = 256
    config_file.write_text(json.dumps(config))
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 0, out + err
    assert "release 3" in out and "(stack)" in out
    zips = aws_client(aws, "s3").list_objects_v2(
        Bucket=record_of(project)["stack"]["bucket"], Prefix="bookshop/dev/"
    )["Contents"]
    assert len(zips) <= 2  # this deploy's, and at most the one the stack held before
    versions = alias_versions(aws, record_of(project))
    assert versions["api_handler"] == "3"
    live = lam.get_function_configuration(
        FunctionName=functions["api_handler"]["function_name"], Qualifier="dev"
    )
    assert live["MemorySize"] == 256

    # A handler taken out of the app: its function goes, and so does its notification; a
    # route taken out stops answering (the stage gets a deployment without it).
    deployments = len(api.get_deployments(restApiId=rest_api_id)["items"])
    app_file.write_text(
        app_file.read_text()
        .replace('@app.on_s3_event(bucket="bookshop-imports", suffix=".csv")\n', "")
        .replace('@app.route("/health")\n', "")
    )
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 0, out + err
    assert "- ImportCatalogue (AWS::Lambda::Function)" in out
    assert "- RestAPIResourceHealth" in out
    latest = api.get_deployments(restApiId=rest_api_id)["items"]
    assert len(latest) > deployments
    assert "chalicelike: routes removed" in {d.get("description") for d in latest}
    assert "import_catalogue" not in functions_of(record_of(project))
    assert "LambdaFunctionConfigurations" not in aws_client(
        aws, "s3"
    ).get_bucket_notification_configuration(Bucket="bookshop-imports")

    # delete: the stack, the functions, the artifacts, the notification and the record.
    status, out, err = run(project, "delete", capsys=capsys)
    assert status == 0, out + err
    assert _stack(aws, record["stack"]["name"]) is None
    assert lam.list_functions()["Functions"] == []
    assert not (project / ".chalice" / "deployed" / "dev.json").exists()
    # The deploy bucket is shared by the account's apps (and kept: its name is predictable);
    # nothing of this stage is left in it.
    s3 = aws_client(aws, "s3")
    deploy_bucket = record["stack"]["bucket"]
    assert "Contents" not in s3.list_objects_v2(Bucket=deploy_bucket, Prefix="bookshop/dev/")
    assert "LambdaFunctionConfigurations" not in aws_client(
        aws, "s3"
    ).get_bucket_notification_configuration(Bucket="bookshop-imports")


def _rule_name(url: str, target_arn: str) -> str:
    events = aws_client(url, "events")
    return str(events.list_rule_names_by_target(TargetArn=target_arn)["RuleNames"][0])


def _stack(url: str, name: str) -> dict[str, Any] | None:
    stacks = aws_client(url, "cloudformation").describe_stacks()["Stacks"]
    found = [s for s in stacks if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"]
    if not found:
        return None
    return {key: found[0].get(key) for key in ("StackStatus", "LastUpdatedTime", "Parameters")}


FAILING_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="failing")


@app.on_sqs_message(queue="no-such-queue")
def consume(event):
    return None
"""


def test_a_resource_that_fails_is_named_with_the_reason(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(
        tmp_path, FAILING_APP, {"version": "2.0", "app_name": "failing", "stages": {"dev": {}}}
    )
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status != 0
    (line,) = err.strip().splitlines()
    # AWS: the mapping's creation fails and the stack rolls back, its event naming the
    # resource; moto answers the execution with the reason alone. Both name the queue.
    assert line.startswith("chalicelike: error: stack failing-dev") and "EventSourceArn" in line
    assert "Traceback" not in out + err
    assert not (project / ".chalice" / "deployed" / "dev.json").exists()


@pytest.mark.parametrize(
    ("unset", "expected"),
    [
        (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "no AWS credentials: set AWS_PROFILE"),
        (("AWS_DEFAULT_REGION",), "no AWS region: pass --region"),
    ],
)
def test_missing_credentials_or_region_is_one_line(
    aws: str,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unset: tuple[str, ...],
    expected: str,
) -> None:
    for name in unset:
        monkeypatch.delenv(name)
    for command in ("deploy", "delete"):
        status, out, err = run(project, command, capsys=capsys)
        assert status == 2 and out == ""
        assert err.startswith(f"chalicelike: error: {expected}") and len(err.splitlines()) == 1


def test_an_unknown_profile_is_one_line(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(project, "deploy", "--profile", "nobody", capsys=capsys)
    assert status == 2 and err.strip() == (
        "chalicelike: error: no AWS profile named 'nobody': see `aws configure list-profiles`"
    )


def test_commands_on_a_stage_never_deployed_say_so(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("url", "versions", "rollback"):
        status, _, err = run(project, command, "--stage", "prod", capsys=capsys)
        assert status == 2
        assert "stage 'prod' is not deployed from here" in err and "chalicelike deploy" in err
    status, out, _ = run(project, "delete", "--stage", "prod", capsys=capsys)
    assert status == 0 and out.strip() == "nothing deployed for stage prod (no stack bookshop-prod)"


def test_provisioned_concurrency_is_asked_of_the_alias(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_event_sources(aws)
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text())
    config["stages"]["dev"]["lambda_functions"] = {"take_order": {"provisioned_concurrency": 2}}
    config_file.write_text(json.dumps(config))
    try:
        status, _, err = run(project, "deploy", capsys=capsys)
        # moto has no provisioned concurrency API (404): what is checked is that deploy
        # asks for it on the alias, and that the refusal is one line naming the call.
        assert status == 2
        assert err.startswith(
            "chalicelike: error: AWS refused a call: GetProvisionedConcurrencyConfig answered 404"
        )
        assert len(err.splitlines()) == 1
    finally:
        run(project, "delete", capsys=capsys)


def test_two_stages_on_one_bucket_keep_each_others_notifications(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stage `dev`'s stack is named like the start of stage `dev-eu`'s entries."""
    make_event_sources(aws)
    s3 = aws_client(aws, "s3")

    def entries() -> list[str]:
        found = s3.get_bucket_notification_configuration(Bucket="bookshop-imports")
        return sorted(c["Id"] for c in found.get("LambdaFunctionConfigurations", []))

    try:
        for stage in ("dev-eu", "dev"):
            status, out, err = run(project, "deploy", "--stage", stage, capsys=capsys)
            assert status == 0, out + err
        assert entries() == ["bookshop-dev-eu-import_catalogue", "bookshop-dev-import_catalogue"]
        status, _, _ = run(project, "delete", "--stage", "dev", capsys=capsys)
        assert status == 0 and entries() == ["bookshop-dev-eu-import_catalogue"]
    finally:
        run(project, "delete", "--stage", "dev-eu", capsys=capsys)
    assert entries() == []


def test_a_function_left_without_its_alias_gets_one(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a deploy stopped between the interim stack and the aliases leaves a stage: the
    function in the stack, no alias, nothing calling it yet."""
    make_event_sources(aws)
    try:
        status, out, err = run(project, "deploy", capsys=capsys)
        assert status == 0, out + err
        record = record_of(project)
        take_order = functions_of(record)["take_order"]["function_name"]
        cloudformation = aws_client(aws, "cloudformation")
        name = record["stack"]["name"]
        template = cloudformation.get_template(StackName=name)["TemplateBody"]
        del template["Resources"]["TakeOrderTakeOrderSqsEventSource"]
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        cloudformation.update_stack(
            StackName=name,
            TemplateBody=json.dumps(template),
            Parameters=stack["Parameters"],
            Capabilities=["CAPABILITY_IAM"],
        )
        aws_client(aws, "lambda").delete_alias(FunctionName=take_order, Name="dev")
        status, out, err = run(project, "deploy", capsys=capsys)
        assert status == 0, out + err
        assert "+ TakeOrderTakeOrderSqsEventSource" in out
        alias = aws_client(aws, "lambda").get_alias(FunctionName=take_order, Name="dev")
        assert alias["FunctionVersion"] != "$LATEST"
    finally:
        run(project, "delete", capsys=capsys)


def test_an_app_name_cloudformation_would_refuse_names_a_valid_stack(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = 'from chalicelike import Chalice\n\napp = Chalice(app_name="my_shop")\n\n\n'
    app += '@app.route("/")\ndef index():\n    return {}\n'
    project = write_project(
        tmp_path, app, {"version": "2.0", "app_name": "my_shop", "stages": {"dev_eu": {}}}
    )
    status, out, err = run(project, "deploy", "--stage", "dev_eu", capsys=capsys)
    assert status == 0, out + err
    assert record_of(project, "dev_eu")["stack"]["name"] == "my-shop-dev-eu"
    status, _, _ = run(project, "delete", "--stage", "dev_eu", capsys=capsys)
    assert status == 0 and _stack(aws, "my-shop-dev-eu") is None


def test_a_project_without_config_is_refused(
    aws: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".chalice" / "config.json").unlink()
    status, out, err = run(project, "deploy", capsys=capsys)
    assert status == 2 and out == ""
    assert err.startswith("chalicelike: error: no ") and "config.json: deploy needs" in err
    assert _stack(aws, "bookshop-dev") is None
