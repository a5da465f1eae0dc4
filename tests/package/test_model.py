"""The deployment model (`_model`): built once from the manifest, walked once (`_write`),
written by one writer per format that never imports another's; the packager's modules keep
to their folders."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chalicelike._tooling._manifest import API_FUNCTION, AppManifest, RouteSpec
from chalicelike._tooling._settings import FunctionConfig
from chalicelike.package.templates._aws import TemplateError
from chalicelike.package.templates._model import (
    Deployment,
    EventSource,
    FrontDoor,
    Function,
    Role,
    build_deployment,
)
from chalicelike.package.templates._write import Template, write
from tests.package.template_support import (
    EVERYTHING,
    HTTP_API,
    POLICY,
    configs_for,
    manifest_of,
    stage_for,
)
from tests.test_layers import cycles, import_graph

PACKAGE = "chalicelike.package"
TEMPLATES = f"{PACKAGE}.templates"
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "chalicelike" / "package"


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


# -- one walk for every format ------------------------------------------------------------


@dataclass
class Recorder(Template):
    """A format that writes down which part it was handed, in order."""

    deployment: Deployment
    parts: list[str] = field(default_factory=list)


class RecordingParts:
    """Every part method of `_model`'s protocols, recording its call."""

    def __getattr__(self, part: str) -> Any:
        def record(template: Recorder, item: Any = None) -> None:
            if isinstance(item, (Function, EventSource)):
                named = item.name if isinstance(item, Function) else item.entry.name
            elif isinstance(item, Role):
                named = item.function or "app"
            else:
                named = str(item) if isinstance(item, str) else ""
            template.parts.append(f"{part} {named}".strip())

        return record


def test_write_hands_every_part_to_the_format_once(everything: AppManifest) -> None:
    recorder = Recorder(deployment_of(everything))
    parts = RecordingParts()
    write(recorder, parts, parts, parts)  # any object with the parts will do
    written = recorder.parts
    assert written[0] == "role app"
    assert [p for p in written if p.startswith("function ")] == [
        f"function {entry.name}" for entry in everything.functions
    ]
    assert "rest_api" in written and "http_api" not in written
    assert written.count("websocket_api") == 1
    assert "stream_mapping on_job" in written and "stream_mapping on_click" in written
    assert "sns_subscription on_news" in written and "s3_rule on_photo" in written
    assert "ses_rule on_email" in written and "cognito_trigger on_signup" in written
    assert written[-1] == "s3_notifications"


# -- the packager's shape -------------------------------------------------------------------


def test_the_packager_has_no_import_cycle() -> None:
    graph = {
        module: {target for target in targets if target.startswith(PACKAGE)}
        for module, targets in import_graph().items()
        if module.startswith(PACKAGE)
    }
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("writer", "other"), [("cloudformation", "terraform"), ("terraform", "cloudformation")]
)
def test_a_writer_imports_the_model_and_shared_helpers_never_another_writer(
    writer: str, other: str
) -> None:
    allowed = (
        f"{TEMPLATES}.{writer}",
        f"{TEMPLATES}._model",
        f"{TEMPLATES}._write",
        f"{TEMPLATES}._aws",
        f"{TEMPLATES}._openapi",
        "chalicelike._tooling._manifest",
        "chalicelike._tooling._settings",
    )
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.startswith(f"{TEMPLATES}.{writer}")
        for target in sorted(targets)
        if not target.startswith(allowed) or target.startswith(f"{TEMPLATES}.{other}")
    ]
    assert wrong == []


def test_the_model_imports_no_writer() -> None:
    graph = import_graph()
    for shared in ("_model", "_write", "_aws", "_openapi"):
        assert not any(
            target.startswith((f"{TEMPLATES}.cloudformation", f"{TEMPLATES}.terraform"))
            for target in graph[f"{TEMPLATES}.{shared}"]
        ), shared


def test_each_private_module_names_its_exports_first() -> None:
    missing = []
    for path in sorted(PACKAGE_DIR.rglob("_*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        names = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ]
        first_definition = next(
            node.lineno
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))
        )
        if not names or names[0].lineno > first_definition:
            missing.append(str(path.relative_to(PACKAGE_DIR)))
    assert missing == []
