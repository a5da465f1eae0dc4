"""The deployment model: what an app in one stage deploys as, built once from the manifest
and the config, in no template's spelling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest, RouteSpec
from chalicelike._tooling._settings import FunctionConfig
from chalicelike.package.templates._aws import TemplateError
from chalicelike.package.templates._model import (
    Deployment,
    FrontDoor,
    Role,
    build_deployment,
)
from tests.package.template_support import (
    EVERYTHING,
    HTTP_API,
    POLICY,
    configs_for,
    manifest_of,
    stage_for,
)

PACKAGE = "chalicelike.package"
TEMPLATES = f"{PACKAGE}.templates"
PACKAGE_DIR = Path(__file__).resolve().parents[3] / "chalicelike" / "package"


@pytest.fixture(scope="module")
def everything() -> AppManifest:
    return manifest_of(EVERYTHING)


def deployment_of(manifest: AppManifest, **stage: Any) -> Deployment:
    return build_deployment(manifest, stage_for(manifest, **stage), configs_for(manifest), POLICY)


# -- what the model holds ------------------------------------------------------------------


def test_functions_share_the_apps_role_unless_their_policy_differs(
    everything: AppManifest,
) -> None:
    own = {"Version": "2012-10-17", "Statement": [], "//": "a review note"}
    configs = configs_for(everything)
    configs["on_job"] = FunctionConfig(
        name="on_job", manage_iam_role=False, iam_role_arn="arn:aws:iam::1:role/jobs"
    )
    deployment = build_deployment(
        everything, stage_for(everything), configs, POLICY, {"on_click": own, "on_alert": POLICY}
    )
    shared, clicks = deployment.roles
    assert shared == Role(function=None, policy=POLICY)
    assert clicks == Role(function="on_click", policy={"Version": "2012-10-17", "Statement": []})
    assert deployment.function("on_job").role == "arn:aws:iam::1:role/jobs"
    assert deployment.function("on_click").role is clicks
    assert deployment.function("on_alert").role is shared  # the same policy: the same role
    assert [f.name for f in deployment.functions] == [e.name for e in everything.functions]


def test_event_sources_carry_what_every_format_needs(everything: AppManifest) -> None:
    sources = {source.entry.name: source for source in deployment_of(everything).event_sources}
    assert (
        sources["on_job"].arn
        == "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:everything-jobs"
    )
    assert sources["on_job"].mapping()["scaling_config"] == {"maximum_concurrency": 5}
    assert sources["on_news"].region == "us-west-2"
    assert sources["on_photo"].pattern is not None  # via EventBridge: a rule of its own
    assert "on_upload" not in sources  # a bucket notification, written per bucket
    assert sources["on_email"].rule_set == "everything-rules"
    assert not sources["on_email"].makes_rule_set


def test_buckets_are_grouped_once(everything: AppManifest) -> None:
    buckets = {
        bucket: [function.name for function in functions]
        for bucket, functions in deployment_of(everything).s3_buckets()
    }
    assert buckets == {
        "everything-media": ["on_photo"],
        "everything-uploads": ["on_upload", "on_removed"],
    }


def test_the_front_door_is_chosen_once(everything: AppManifest) -> None:
    assert deployment_of(everything).front_door is FrontDoor.REST
    http = deployment_of(manifest_of(HTTP_API), api_gateway_type="HTTP")
    assert http.front_door is FrontDoor.HTTP
    keys = [route.key for route in http.http_routes]
    cors_paths = {r.path for r in manifest_of(HTTP_API).routes if r.cors is not None}
    assert all(f"OPTIONS {path}" in keys for path in cors_paths)  # preflights reach the app
    jwt = next(route for route in http.http_routes if route.authorization == "JWT")
    assert jwt.authorizer is not None and jwt.authorizer.jwt


def test_a_function_url_in_front_refuses_what_only_api_gateway_checks() -> None:
    manifest = AppManifest(
        app_name="u",
        functions=[],
        routes=[RouteSpec("/", "GET", "index", api_key_required=True)],
        binary_types=[],
    )
    configs = {API_FUNCTION: FunctionConfig(name=API_FUNCTION, function_url=True)}
    with pytest.raises(TemplateError, match="Route GET / has an authorizer or needs an API key"):
        build_deployment(manifest, stage_for(manifest), configs, POLICY)
