"""chalicelike.tf.json: the same stack for Terraform's aws provider, checked by `terraform validate`
where Terraform and a local copy of the provider are installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import AppManifest
from chalicelike._tooling._settings import CustomDomain, FunctionConfig
from chalicelike.package.templates import build_templates
from tests.package.template_support import (
    ARCHITECTURES,
    EVERYTHING,
    FULL_SETTINGS,
    HTTP_API,
    POLICY,
    configs_for,
    dangling_terraform_references,
    manifest_of,
    stage_for,
)

# A filesystem mirror of the provider: `terraform init` needs no network with it.
PLUGIN_DIR = Path("/opt/tf-plugins")


def _document(
    manifest: AppManifest, configs: dict[str, FunctionConfig] | None = None, **stage: Any
) -> dict[str, Any]:
    configs = configs if configs is not None else configs_for(manifest, **FULL_SETTINGS)
    (document,) = build_templates(
        manifest, stage_for(manifest, **stage), configs, POLICY, "terraform"
    ).values()
    return document


@pytest.fixture(scope="module")
def everything() -> AppManifest:
    return manifest_of(EVERYTHING)


@pytest.fixture(scope="module")
def document(everything: AppManifest) -> dict[str, Any]:
    return _document(everything)


def _terraform_validate(document: dict[str, Any], workdir: Path) -> str:
    if shutil.which("terraform") is None or not PLUGIN_DIR.is_dir():
        pytest.skip("terraform, or its aws provider in /opt/tf-plugins, is not installed")
    (workdir / "chalicelike.tf.json").write_text(json.dumps(document))
    (workdir / "deployment.zip").write_bytes(b"")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}  # no version check over the network
    init = [
        "terraform",
        "init",
        "-backend=false",
        "-input=false",
        "-no-color",
        f"-plugin-dir={PLUGIN_DIR}",
    ]
    subprocess.run(
        init, cwd=workdir, env=env, capture_output=True, text=True, check=True, timeout=300
    )
    result = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_terraform_validates_the_rest_stack(
    everything: AppManifest, architecture: str, tmp_path: Path
) -> None:
    configs = configs_for(everything, lambda_architecture=architecture, **FULL_SETTINGS)
    document = _document(everything, configs)
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]
    assert report["error_count"] == 0


@pytest.mark.slow
def test_terraform_validates_the_http_stack(tmp_path: Path) -> None:
    document = _document(manifest_of(HTTP_API), api_gateway_type="HTTP")
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]


@pytest.mark.parametrize("app", [EVERYTHING, HTTP_API])
def test_every_reference_resolves(app: Path) -> None:
    stage: dict[str, Any] = {"api_gateway_type": "HTTP"} if app == HTTP_API else {}
    assert dangling_terraform_references(_document(manifest_of(app), **stage)) == []


def test_functions_read_the_zip_beside_the_file(document: dict[str, Any]) -> None:
    functions = document["resource"]["aws_lambda_function"]
    assert set(functions) == {e.name for e in manifest_of(EVERYTHING).functions}
    job = functions["on_job"]
    assert job["function_name"] == "everything-dev-on_job"
    assert functions["api_handler"]["function_name"] == "everything-dev"  # Chalice's names
    assert job["filename"] == "${path.module}/deployment.zip"
    assert job["source_code_hash"] == '${filebase64sha256("${path.module}/deployment.zip")}'
    assert job["memory_size"] == 512 and job["timeout"] == 30
    assert job["reserved_concurrent_executions"] == 4
    variables = {"CHALICELIKE_XRAY": "true", "STAGE": "dev", "TABLE_NAME": "orders"}
    assert job["environment"] == {"variables": variables}  # xray is on
    assert job["vpc_config"]["subnet_ids"] == ["subnet-0123456789abcdef0"]
    assert job["tracing_config"] == {"mode": "Active"}
    assert job["ephemeral_storage"] == {"size": 1024}
    assert job["role"] == "${aws_iam_role.default-role.arn}"  # Chalice's names, as all here
    assert job["logging_config"]["log_group"] == "${aws_cloudwatch_log_group.on_job.name}"
    log_group = document["resource"]["aws_cloudwatch_log_group"]["on_job"]
    assert log_group == {
        "name": "/aws/lambda/everything-dev-on_job",
        "retention_in_days": 14,
        "tags": {"chalicelike": "app=everything:stage=dev"},
    }
    policy = json.loads(document["resource"]["aws_iam_role_policy"]["default-role"]["policy"])
    assert policy == POLICY


def test_the_rest_api_and_its_redeployment(document: dict[str, Any]) -> None:
    api = document["resource"]["aws_api_gateway_rest_api"]["rest_api"]
    assert api["body"] == "${local.chalicelike_openapi}"
    body = json.loads(document["locals"]["chalicelike_openapi"])
    integration = body["paths"]["/"]["get"]["x-amazon-apigateway-integration"]
    assert integration["uri"] == "${aws_lambda_function.api_handler.invoke_arn}"
    deployment = document["resource"]["aws_api_gateway_deployment"]["rest_api"]
    assert deployment["triggers"] == {"redeployment": "${sha1(local.chalicelike_openapi)}"}
    assert document["resource"]["aws_api_gateway_stage"]["rest_api"]["stage_name"] == "api"
    permissions = document["resource"]["aws_lambda_permission"]
    assert {"rest_api_invoke", "token_auth_invoke", "team_auth_invoke"} <= set(permissions)
    assert document["output"]["EndpointURL"]["value"] == (
        "${aws_api_gateway_stage.rest_api.invoke_url}/"
    )


def test_event_source_mappings_keep_their_settings(document: dict[str, Any]) -> None:
    mappings = document["resource"]["aws_lambda_event_source_mapping"]
    assert set(mappings) == {
        "on_job-sqs-event-source",
        "on_partner_job-sqs-event-source",
        "on_click-kinesis-event-source",
        "on_order_change-dynamodb-event-source",
    }
    job = mappings["on_job-sqs-event-source"]
    assert job["event_source_arn"] == (
        "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}"
        ":${data.aws_caller_identity.current.account_id}:everything-jobs"
    )
    assert (job["batch_size"], job["maximum_batching_window_in_seconds"]) == (50, 10)
    assert job["scaling_config"] == {"maximum_concurrency": 5}
    assert job["function_response_types"] == ["ReportBatchItemFailures"]
    click = mappings["on_click-kinesis-event-source"]
    assert (click["starting_position"], click["batch_size"]) == ("TRIM_HORIZON", 200)
    assert mappings["on_order_change-dynamodb-event-source"]["starting_position"] == "LATEST"


def test_maximum_retry_attempts_reaches_stream_mappings_only(everything: AppManifest) -> None:
    configs = configs_for(everything, maximum_retry_attempts=-1, **FULL_SETTINGS)
    mappings = _document(everything, configs)["resource"]["aws_lambda_event_source_mapping"]
    retries = {name: body.get("maximum_retry_attempts") for name, body in mappings.items()}
    assert retries == {
        "on_job-sqs-event-source": None,  # SQS has no such setting: the key is ignored
        "on_partner_job-sqs-event-source": None,
        "on_click-kinesis-event-source": -1,
        "on_order_change-dynamodb-event-source": -1,
    }


def test_s3_notifications_one_per_bucket(document: dict[str, Any]) -> None:
    notifications = document["resource"]["aws_s3_bucket_notification"]
    uploads = notifications["everything-uploads_notify"]
    assert uploads["bucket"] == "everything-uploads"
    first, second = uploads["lambda_function"]
    assert first["events"] == ["s3:ObjectCreated:*"]
    assert (first["filter_prefix"], first["filter_suffix"]) == ("incoming/", ".csv")
    assert second["events"] == ["s3:ObjectRemoved:*"]
    assert uploads["depends_on"] == [
        "aws_lambda_permission.on_upload-s3event",
        "aws_lambda_permission.on_removed-s3event",
    ]
    media = notifications["everything-media_notify"]
    assert media["eventbridge"] is True and media["lambda_function"] == []
    rule = document["resource"]["aws_cloudwatch_event_rule"]["on_photo_s3"]
    assert json.loads(rule["event_pattern"])["detail"]["bucket"] == {"name": ["everything-media"]}


def test_topics_rules_schedules_and_websockets(document: dict[str, Any]) -> None:
    resources = document["resource"]
    subscriptions = resources["aws_sns_topic_subscription"]
    news = subscriptions["on_news-sns-subscription"]
    assert news["topic_arn"] == "arn:aws:sns:us-west-2:123456789012:partner-news"
    # SNS subscribes in the topic's region only: through a provider for that region.
    assert news["provider"] == "aws.chalicelike_us_west_2"
    assert document["provider"] == {
        "aws": [{"alias": "chalicelike_us_west_2", "region": "us-west-2"}]
    }
    alert = subscriptions["on_alert-sns-subscription"]
    assert alert["protocol"] == "lambda" and "provider" not in alert
    rules = resources["aws_cloudwatch_event_rule"]
    assert rules["every_five_minutes-event"]["schedule_expression"] == "rate(5 minutes)"
    assert rules["at_noon-event"]["schedule_expression"] == "cron(0 12 * * ? *)"
    assert rules["on_custom_bus-event"]["event_bus_name"] == "everything-bus"
    targets = resources["aws_cloudwatch_event_target"]
    assert targets["on_custom_bus-event"]["event_bus_name"] == "everything-bus"
    routes = resources["aws_apigatewayv2_route"]
    assert sorted(r["route_key"] for r in routes.values()) == [
        "$connect",
        "$default",
        "$disconnect",
    ]
    integrations = resources["aws_apigatewayv2_integration"]
    assert {i["content_handling_strategy"] for i in integrations.values()} == {"CONVERT_TO_TEXT"}
    rule = resources["aws_ses_receipt_rule"]["on_email"]
    assert (rule["rule_set_name"], rule["recipients"]) == (
        "everything-rules",
        ["orders@example.com"],
    )
    assert "OnSignupCognitoTriggers" in document["output"]


def test_a_function_url_needs_a_newer_provider(everything: AppManifest) -> None:
    configs = configs_for(everything)
    configs["plain"] = FunctionConfig(name="plain", function_url=True)
    document = _document(everything, configs)
    # lambda:InvokedViaFunctionUrl is settable from provider 6.29 on (AWS's 2025 change).
    assert document["terraform"]["required_providers"]["aws"]["version"] == ">= 6.29"
    grant = document["resource"]["aws_lambda_permission"]["plain_url_invoke"]
    assert grant["invoked_via_function_url"] is True
    assert document["resource"]["aws_lambda_function_url"]["plain"]["authorization_type"] == "NONE"


def test_the_document_is_deterministic(everything: AppManifest) -> None:
    assert json.dumps(_document(everything)) == json.dumps(_document(everything))


@pytest.mark.slow
def test_custom_domains_validate(everything: AppManifest, tmp_path: Path) -> None:
    domain = CustomDomain(
        domain_name="api.example.com",
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0123abcd",
        url_prefix="v1",
    )
    document = _document(
        everything, api_gateway_custom_domain=domain, websocket_api_custom_domain=domain
    )
    assert dangling_terraform_references(document) == []
    mapping = document["resource"]["aws_api_gateway_base_path_mapping"]["rest_api"]
    assert mapping["base_path"] == "v1"
    websocket = document["resource"]["aws_apigatewayv2_api_mapping"]["websocket_api"]
    assert websocket["api_mapping_key"] == "v1"
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]


def _logging_configs(everything: AppManifest) -> dict[str, FunctionConfig]:
    """JSON logs at DEBUG for the API (with a retention: a group of its own), Text said
    outright for on_job, JSON for plain, nothing for the rest."""
    configs = configs_for(everything)
    configs["api_handler"] = FunctionConfig(
        name="api_handler", log_format="JSON", log_level="DEBUG", log_retention_in_days=7
    )
    configs["on_job"] = FunctionConfig(name="on_job", log_format="Text")
    configs["plain"] = FunctionConfig(name="plain", log_format="JSON")
    return configs


def test_log_format_and_level_become_logging_config(everything: AppManifest) -> None:
    functions = _document(everything, _logging_configs(everything))["resource"][
        "aws_lambda_function"
    ]
    assert functions["api_handler"]["logging_config"] == {
        "log_format": "JSON",
        "application_log_level": "DEBUG",
        "log_group": "${aws_cloudwatch_log_group.api_handler.name}",
    }
    # The provider keeps a logging config it is no longer given: Text is written when said.
    assert functions["on_job"]["logging_config"] == {"log_format": "Text"}
    assert functions["plain"]["logging_config"] == {"log_format": "JSON"}
    assert "logging_config" not in functions["on_click"]  # Lambda's defaults
    assert "environment" not in functions["api_handler"]  # Lambda sets AWS_LAMBDA_LOG_*


def test_xray_is_per_function(everything: AppManifest) -> None:
    configs = configs_for(everything)
    configs["on_job"] = FunctionConfig(name="on_job", xray=True)
    functions = _document(everything, configs)["resource"]["aws_lambda_function"]
    assert functions["on_job"]["environment"] == {"variables": {"CHALICELIKE_XRAY": "true"}}
    assert functions["on_job"]["tracing_config"] == {"mode": "Active"}
    assert "environment" not in functions["on_click"]
    assert functions["on_click"]["tracing_config"] == {"mode": "PassThrough"}


@pytest.mark.slow
def test_terraform_validates_json_logs(everything: AppManifest, tmp_path: Path) -> None:
    document = _document(everything, _logging_configs(everything))
    report = json.loads(_terraform_validate(document, tmp_path))
    assert report["valid"], report["diagnostics"]
