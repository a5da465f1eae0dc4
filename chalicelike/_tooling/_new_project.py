"""`chalicelike new-project NAME`: a folder a new user can run `pytest` in at once.

Registered by chalicelike.cli like every command; never imported on the Lambda path. The
templates are Python strings below; a project is app.py, requirements.txt, Chalice's
`.chalice/config.json`, tests using `chalicelike.test.Client`, and a `.gitignore`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["TEMPLATES", "NewProjectError", "command", "create_project"]

# Letters, digits, `-` and `_`, starting with a letter: the name is the folder and the
# app_name, and app_name goes into function, role and API names, which AWS limits to these
# characters (a Lambda function name is at most 64 characters, the stage appended).
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")

_GITIGNORE = """\
# Chalice's deployed records (.chalice/deployed/) stay committable; the package cache does not.
.chalice/cache/
__pycache__/
.venv/
.pytest_cache/
"""

# The generated tests import `app` from the project folder; this empty conftest.py puts the
# folder on sys.path, so plain `pytest` (not only `python -m pytest`) finds it.
_CONFTEST = '"""Puts the project folder on sys.path, so tests can `from app import app`."""\n'

_REST_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="{name}")


@app.route("/")
def index():
    return {{"hello": "world"}}


@app.route("/hello/{{who}}")
def hello(who):
    return {{"hello": who}}


@app.route("/echo", methods=["POST"])
def echo():
    return {{"received": app.current_request.json_body}}
"""

_REST_TESTS = """\
import json

from chalicelike.test import Client

from app import app


def test_index():
    with Client(app) as client:
        answer = client.http.get("/")
        assert answer.status_code == 200
        assert answer.json_body == {"hello": "world"}


def test_hello_takes_a_name_from_the_path():
    with Client(app) as client:
        assert client.http.get("/hello/ana").json_body == {"hello": "ana"}


def test_echo_returns_the_json_body():
    with Client(app) as client:
        answer = client.http.post(
            "/echo",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"sku": "A1"}),
        )
        assert answer.json_body == {"received": {"sku": "A1"}}
"""

_EVENTS_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="{name}")


@app.on_sqs_message(queue="{name}-orders", batch_size=10, per_record=True)
def handle_order(record):
    # A record that raises is reported alone, so SQS retries only that message.
    if not record.json_body.get("items"):
        raise ValueError("an order without items")
    return None


@app.on_s3_event(bucket="{name}-uploads", events=["s3:ObjectCreated:*"])
def handle_upload(event):
    return {{"bucket": event.bucket, "key": event.key}}


@app.schedule("rate(5 minutes)")
def every_five_minutes(event):
    return {{"source": event.source}}
"""

_EVENTS_TESTS = """\
from chalicelike.test import Client

from app import app


def test_a_bad_order_is_reported_alone():
    with Client(app) as client:
        event = client.events.generate_sqs_event(['{"items": ["A1"]}', '{"items": []}'])
        bad = event["Records"][1]["messageId"]
        answer = client.lambda_.invoke("handle_order", event)
        assert answer.payload == {"batchItemFailures": [{"itemIdentifier": bad}]}


def test_an_upload_is_read():
    with Client(app) as client:
        event = client.events.generate_s3_event(bucket="uploads", key="photos/red flower.jpg")
        answer = client.lambda_.invoke("handle_upload", event)
        assert answer.payload == {"bucket": "uploads", "key": "photos/red flower.jpg"}


def test_the_schedule_runs():
    with Client(app) as client:
        event = client.events.generate_scheduled_event()
        answer = client.lambda_.invoke("every_five_minutes", event)
        assert answer.payload == {"source": "aws.events"}
"""

_WEBSOCKET_APP = """\
from chalicelike import Chalice, WebsocketDisconnectedError

app = Chalice(app_name="{name}")


@app.on_ws_connect()
def connect(event):
    print(f"{{event.connection_id}} joined")


@app.on_ws_message()
def message(event):
    try:
        app.websocket_api.send(event.connection_id, f"echo: {{event.body}}")
    except WebsocketDisconnectedError:
        pass  # the client left while we were answering


@app.on_ws_disconnect()
def disconnect(event):
    print(f"{{event.connection_id}} left")
"""

_WEBSOCKET_TESTS = """\
import pytest
from chalicelike.test import Client

from app import app


class RecordingAPI:
    \"\"\"Stands in for app.websocket_api, so tests post to no real connection.\"\"\"

    def __init__(self):
        self.sent = []

    def configure_from_event(self, event):
        pass

    def send(self, connection_id, message):
        self.sent.append((connection_id, message))


@pytest.fixture
def sent(monkeypatch):
    api = RecordingAPI()
    monkeypatch.setattr(app, "websocket_api", api)
    return api.sent


def test_a_message_is_echoed(sent):
    with Client(app) as client:
        event = client.events.generate_websocket_event("$default", body="hi")
        answer = client.lambda_.invoke("message", event)
        assert answer.payload == {"statusCode": 200}
        connection = event["requestContext"]["connectionId"]
        assert sent == [(connection, "echo: hi")]


def test_connect_and_disconnect_are_accepted(sent):
    with Client(app) as client:
        for name, route in (("connect", "$connect"), ("disconnect", "$disconnect")):
            event = client.events.generate_websocket_event(route)
            assert client.lambda_.invoke(name, event).payload == {"statusCode": 200}
    assert sent == []
"""

_FASTAPI_APP = """\
from fastapi import FastAPI

from chalicelike import Chalice

app = Chalice(app_name="{name}")
api = FastAPI(title="{name}")
# Paths under /api that none of the app's own routes match go to FastAPI, on Lambda too.
app.mount("/api", api)


@app.route("/")
def index():
    return {{"hello": "world"}}


@api.get("/items/{{item_id}}")
def read_item(item_id: int):
    return {{"item_id": item_id}}
"""

_FASTAPI_TESTS = """\
from chalicelike.test import Client

from app import app


def test_the_app_route():
    with Client(app) as client:
        assert client.http.get("/").json_body == {"hello": "world"}


def test_the_mounted_fastapi_app():
    with Client(app) as client:
        answer = client.http.get("/api/items/7")
        assert answer.status_code == 200
        assert answer.json_body == {"item_id": 7}


def test_fastapi_checks_its_parameters():
    with Client(app) as client:
        assert client.http.get("/api/items/seven").status_code == 422
"""

# template name -> (app.py, tests/test_app.py, requirements.txt)
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "rest": (_REST_APP, _REST_TESTS, ""),
    "events": (_EVENTS_APP, _EVENTS_TESTS, ""),
    "websocket": (_WEBSOCKET_APP, _WEBSOCKET_TESTS, ""),
    "fastapi": (_FASTAPI_APP, _FASTAPI_TESTS, "fastapi\n"),
}


class NewProjectError(ValueError):
    """A name or folder new-project refuses; the message says which and why."""


@click.command(
    "new-project",
    help="Create the project folder NAME (also the app's name) to start from.",
    short_help="create a project folder to start from",
)
@click.argument("name")
@click.option(
    "--template",
    type=click.Choice(sorted(TEMPLATES)),
    default="rest",
    help="what the app starts with",
)
@click.pass_obj
def command(common: argparse.Namespace, /, **params: Any) -> int:
    return _new_project(argparse.Namespace(**vars(common), **params))


def _new_project(args: argparse.Namespace) -> int:
    try:
        folder = create_project(Path.cwd(), args.name, args.template)
    except NewProjectError as error:
        print(f"chalicelike: error: {error}", file=sys.stderr)
        return 2
    print(f"Created {folder.name}/ ({args.template}); next: cd {folder.name} && pytest")
    return 0


def create_project(parent: Path, name: str, template: str = "rest") -> Path:
    """Write the project `name` under `parent`; refuses a bad name or an existing folder
    before writing anything."""
    if not _NAME.fullmatch(name):
        raise NewProjectError(
            f"bad project name {name!r}: use up to 40 letters, digits, '-' or '_', "
            "starting with a letter"
        )
    if template not in TEMPLATES:
        raise NewProjectError(f"unknown template {template!r}: one of {', '.join(TEMPLATES)}")
    folder = parent / name
    if folder.exists() or folder.is_symlink():
        raise NewProjectError(f"{folder} already exists; choose another name")
    app_py, tests_py, requirements = TEMPLATES[template]
    config = {"version": "2.0", "app_name": name, "stages": {"dev": {"api_gateway_stage": "api"}}}
    files = {
        "app.py": app_py.format(name=name),
        "requirements.txt": requirements,
        ".chalice/config.json": json.dumps(config, indent=2) + "\n",
        "tests/test_app.py": tests_py,
        "conftest.py": _CONFTEST,
        ".gitignore": _GITIGNORE,
    }
    folder.mkdir()
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
