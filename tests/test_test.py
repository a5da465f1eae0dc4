"""The test client: `chalicelike.test.Client`, as Chalice's `chalice.test.Client`."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelike import Chalice, Response
from chalicelike._config import ConfigError, load_config, stage_environment
from chalicelike.test import Client, HTTPResponse, TestHTTPClient

CONFIG = {
    "version": "2.0",
    "app_name": "shop",
    "environment_variables": {"CHL_TABLE": "books-shared", "CHL_ONLY_TOP": "top"},
    "stages": {
        "dev": {"environment_variables": {"CHL_TABLE": "books-dev", "CHL_ONLY_DEV": "dev"}},
        "prod": {"environment_variables": {"CHL_TABLE": "books-prod"}},
    },
}
CHL_NAMES = ("CHL_TABLE", "CHL_ONLY_TOP", "CHL_ONLY_DEV")


def make_project(tmp_path: Path, config: Any) -> Path:
    chalice_dir = tmp_path / ".chalice"
    chalice_dir.mkdir()
    text = config if isinstance(config, str) else json.dumps(config)
    (chalice_dir / "config.json").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def app() -> Chalice:
    app = Chalice(app_name=f"client-{uuid.uuid4().hex[:8]}", configure_logs=False)

    @app.route("/env")
    def env() -> dict[str, Any]:
        return {name: os.environ.get(name) for name in CHL_NAMES}

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    def echo() -> Response:
        request = app.current_request
        return Response(
            {"method": request.method, "body": request.raw_body.decode()},
            headers={"X-Method": request.method, "Set-Cookie": ["a=1", "b=2"]},
        )

    return app


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHL_NAMES:
        monkeypatch.delenv(name, raising=False)


# -- stage environment ---------------------------------------------------------------------


def test_stage_environment_applies_inside_with_only(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    client = Client(app, project_dir=str(project))
    assert "CHL_TABLE" not in os.environ  # not at construction
    with client as entered:
        assert entered is client
        assert os.environ["CHL_TABLE"] == "books-dev"
        assert client.http.get("/env").json_body == {
            "CHL_TABLE": "books-dev",
            "CHL_ONLY_TOP": "top",
            "CHL_ONLY_DEV": "dev",
        }
    for name in CHL_NAMES:
        assert name not in os.environ


def test_stage_is_chosen_by_name(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    with Client(app, stage_name="prod", project_dir=str(project)) as client:
        assert client.http.get("/env").json_body == {
            "CHL_TABLE": "books-prod",
            "CHL_ONLY_TOP": "top",
            "CHL_ONLY_DEV": None,
        }


def test_existing_variables_are_restored(
    app: Chalice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, CONFIG)
    monkeypatch.setenv("CHL_TABLE", "from-shell")
    with Client(app, project_dir=str(project)) as client:
        assert client.http.get("/env").json_body["CHL_TABLE"] == "books-dev"
    assert os.environ["CHL_TABLE"] == "from-shell"
    assert "CHL_ONLY_DEV" not in os.environ


def test_variables_are_restored_after_an_exception(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    with pytest.raises(RuntimeError, match="inside"), Client(app, project_dir=str(project)):
        assert os.environ["CHL_TABLE"] == "books-dev"
        raise RuntimeError("inside")
    assert "CHL_TABLE" not in os.environ


def test_client_can_be_entered_again(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    client = Client(app, project_dir=str(project))
    for _ in range(2):
        with client:
            assert os.environ["CHL_TABLE"] == "books-dev"
        assert "CHL_TABLE" not in os.environ


def test_no_config_means_no_variables(app: Chalice, tmp_path: Path) -> None:
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.get("/env").json_body == dict.fromkeys(CHL_NAMES)


def test_bad_json_config_names_the_file(app: Chalice, tmp_path: Path) -> None:
    project = make_project(tmp_path, '{"stages": {')
    client = Client(app, project_dir=str(project))
    with pytest.raises(ConfigError) as caught, client:
        pass
    config_file = project / ".chalice" / "config.json"
    assert str(caught.value).startswith(f"{config_file}: not valid JSON: ")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[1, 2]", "the top level must be a JSON object"),
        ({"environment_variables": ["A=1"]}, "environment_variables must be an object of strings"),
        (
            {"stages": {"dev": {"environment_variables": {"PORT": 8000}}}},
            "stages.dev.environment_variables.PORT must be a string, not 8000",
        ),
    ],
)
def test_unusable_config_says_where(tmp_path: Path, config: Any, message: str) -> None:
    project = make_project(tmp_path, config)
    with pytest.raises(ConfigError) as caught:
        stage_environment(project, "dev")
    assert str(caught.value) == f"{project / '.chalice' / 'config.json'}: {message}"


def test_load_config_reads_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    assert load_config(project) == CONFIG
    assert load_config(tmp_path / "missing") == {}


def test_stage_environment_merges_top_level_and_stage(tmp_path: Path) -> None:
    project = make_project(tmp_path, CONFIG)
    assert stage_environment(project, "dev") == {
        "CHL_TABLE": "books-dev",
        "CHL_ONLY_TOP": "top",
        "CHL_ONLY_DEV": "dev",
    }
    assert stage_environment(project, "other") == {
        "CHL_TABLE": "books-shared",
        "CHL_ONLY_TOP": "top",
    }


# -- requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_each_method_helper(app: Chalice, method: str) -> None:
    with Client(app) as client:
        answer = getattr(client.http, method)("/echo")
    assert isinstance(answer, HTTPResponse)
    assert answer.status_code == 200
    assert answer.json_body == {"method": method.upper(), "body": ""}


def test_head_helper(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.head("/echo")
    assert answer.status_code == 200
    assert answer.headers["X-Method"] == "HEAD"


def test_request_with_any_method_name(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.request("patch", "/echo", body="x")
    assert answer.json_body == {"method": "PATCH", "body": "x"}


def test_body_as_str_or_bytes(app: Chalice) -> None:
    with Client(app) as client:
        from_str = client.http.post("/echo", body="Zoë")
        from_bytes = client.http.post("/echo", body="Zoë".encode())
    assert from_str.json_body == {"method": "POST", "body": "Zoë"}
    assert from_bytes.json_body == {"method": "POST", "body": "Zoë"}


def test_request_headers_reach_the_view() -> None:
    app = Chalice(app_name="headers-app", configure_logs=False)

    @app.route("/h", methods=["POST"])
    def h() -> dict[str, Any]:
        request = app.current_request
        return {"type": request.headers["content-type"], "json": request.json_body}

    with Client(app) as client:
        answer = client.http.post(
            "/h", headers={"Content-Type": "application/json"}, body='{"a": 1}'
        )
    assert answer.json_body == {"type": "application/json", "json": {"a": 1}}


def test_response_attributes(app: Chalice) -> None:
    with Client(app) as client:
        answer = client.http.get("/echo")
    assert answer.body == b'{"method":"GET","body":""}'
    assert answer.headers["x-method"] == "GET"
    assert answer.headers["X-METHOD"] == "GET"
    assert answer.headers["Content-Type"] == "application/json"
    assert "x-missing" not in answer.headers
    assert answer.headers["set-cookie"] == "a=1, b=2"  # merged for lookup
    assert [(k, v) for k, v in answer.header_list if k == "Set-Cookie"] == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert repr(answer) == ('HTTPResponse(status_code=200, body=b\'{"method":"GET","body":""}\')')


def test_json_body_of_a_non_json_answer_raises(app: Chalice) -> None:
    app.route("/text")(lambda: "not json")
    with Client(app) as client:
        answer = client.http.get("/text")
    with pytest.raises(ValueError):
        _ = answer.json_body


def test_gateway_answers(app: Chalice) -> None:
    with Client(app) as client:
        missing = client.http.get("/missing")
    assert missing.status_code == 403
    assert missing.json_body == {"message": "Missing Authentication Token"}


def test_path_must_start_with_a_slash(app: Chalice) -> None:
    with Client(app) as client, pytest.raises(ValueError) as caught:
        client.http.get("echo")
    assert str(caught.value) == "Request path must start with '/': 'echo'"


def test_query_string_in_the_path(app: Chalice) -> None:
    @app.route("/q")
    def q() -> dict[str, Any]:
        return {"q": app.current_request.query_params.getlist("x")}

    with Client(app) as client:
        assert client.http.get("/q?x=1&x=2").json_body == {"q": ["1", "2"]}


def test_http_client_type_is_not_collected_by_pytest(app: Chalice) -> None:
    client = Client(app)
    assert isinstance(client.http, TestHTTPClient)
    assert TestHTTPClient.__test__ is False


def test_request_context_names_the_stage(app: Chalice) -> None:
    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        context = app.current_request.context
        return {"stage": context["stage"], "resourcePath": context["resourcePath"]}

    # requestContext.stage is the API Gateway stage: 'api' unless the config names one.
    with Client(app, stage_name="prod") as client:
        assert client.http.get("/ctx").json_body == {"stage": "api", "resourcePath": "/ctx"}


def test_request_context_stage_comes_from_api_gateway_stage(app: Chalice, tmp_path: Any) -> None:
    @app.route("/ctx")
    def ctx() -> dict[str, Any]:
        return {"stage": app.current_request.context["stage"]}

    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        '{"api_gateway_stage": "v1", "stages": {"prod": {"api_gateway_stage": "live"}}}'
    )
    with Client(app, stage_name="prod", project_dir=str(tmp_path)) as client:
        assert client.http.get("/ctx").json_body == {"stage": "live"}
    with Client(app, stage_name="dev", project_dir=str(tmp_path)) as client:
        assert client.http.get("/ctx").json_body == {"stage": "v1"}


def test_paths_are_sent_percent_encoded_as_http_clients_do(app: Chalice) -> None:
    seen: list[Any] = []

    @app.route("/files/{name}")
    def file(name: str) -> dict[str, Any]:
        request = app.current_request
        seen.append(request.context["path"])
        return {"name": name, "q": dict(request.query_params or {})}

    with Client(app) as client:
        plain = client.http.get("/files/a b?x=\u00e9t\u00e9&y=1%2B1")
        unicode = client.http.get("/files/\u6771\u4eac")
        escaped = client.http.get("/files/%E6%9D%B1")
    assert plain.json_body == {"name": "a b", "q": {"x": "\u00e9t\u00e9", "y": "1+1"}}
    assert unicode.json_body == {"name": "\u6771\u4eac", "q": {}}
    assert escaped.json_body == {"name": "\u6771", "q": {}}
    assert seen == ["/files/a b", "/files/\u6771\u4eac", "/files/\u6771"]
