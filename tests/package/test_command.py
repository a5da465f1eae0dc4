"""`chalicelike package` and `generate-models` as a user runs them: a real subprocess on a copy
of a project, for each template format and both architectures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = Path(__file__).resolve().parent / "apps" / "everything"


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def copy_project(source: Path, target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "tests", "cache", "policy-*.json")
    shutil.copytree(source, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(ROOT / "sample_app", tmp_path_factory.mktemp("project") / "sample_app")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sam", "cloudformation", "terraform"])
def test_package_writes_the_zip_and_the_template(
    sample_app: Path, tmp_path: Path, fmt: str
) -> None:
    done = run(sample_app, "package", "--pkg-format", fmt, str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    name = {"sam": "sam.json", "cloudformation": "cloudformation.json"}.get(
        fmt, "chalicelike.tf.json"
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(["deployment.zip", name])
    template = json.loads((tmp_path / "out" / name).read_text())
    text = json.dumps(template)
    for function in ("import_catalogue", "take_order", "hourly_report", "staff_only"):
        assert function in text, function
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        names = package.namelist()
    assert "app.py" in names and "chalicelike/_app.py" in names
    assert not any(n.startswith(("chalicelike/local/", "chalicelike/package/")) for n in names)
    assert not any("mangum" in n for n in names)  # sample_app hosts no ASGI app
    assert not any(n.startswith(("aws_xray_sdk", "wrapt")) for n in names)  # no xray: no SDK
    assert "deployment.zip" in done.stdout


@pytest.mark.slow
def test_packaging_twice_gives_the_same_bytes_and_yaml_works(
    sample_app: Path, tmp_path: Path
) -> None:
    first = run(sample_app, "package", str(tmp_path / "a"))
    second = run(sample_app, "package", "--template-format", "yaml", str(tmp_path / "b"))
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "a" / "deployment.zip").read_bytes() == (
        tmp_path / "b" / "deployment.zip"
    ).read_bytes()
    import yaml

    document = yaml.safe_load((tmp_path / "b" / "sam.yaml").read_text())
    assert document == json.loads((tmp_path / "a" / "sam.json").read_text())


@pytest.mark.slow
def test_xray_and_json_logs_reach_the_zip_and_the_template(tmp_path: Path) -> None:
    project = copy_project(ROOT / "sample_app", tmp_path / "sample_app")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["lambda_functions"] = {
        "take_order": {"xray": True, "log_format": "JSON", "log_level": "WARN"}
    }
    config_path.write_text(json.dumps(config))
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        names = package.namelist()
    assert "aws_xray_sdk/core/__init__.py" in names  # one function traces: the zip has the SDK
    assert any(n.startswith("wrapt/") for n in names)
    assert not any(n.startswith("botocore/") for n in names)
    resources = json.loads((tmp_path / "out" / "sam.json").read_text())["Resources"]
    order = resources["TakeOrder"]["Properties"]
    assert order["Tracing"] == "Active"
    assert order["Environment"]["Variables"]["CHALICELIKE_XRAY"] == "true"
    assert order["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
    report = resources["HourlyReport"]["Properties"]
    assert report["Tracing"] == "PassThrough" and "LoggingConfig" not in report
    assert "CHALICELIKE_XRAY" not in report["Environment"]["Variables"]
    statements = resources["DefaultRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert any("xray:PutTraceSegments" in s["Action"] for s in statements["Statement"])


@pytest.mark.slow
def test_an_edit_is_packaged_not_the_cached_read(tmp_path: Path) -> None:
    project = copy_project(ROOT / "sample_app", tmp_path / "sample_app")
    assert run(project, "package", str(tmp_path / "a")).returncode == 0
    app = project / "app.py"
    app.write_text(
        app.read_text() + "\n\n@app.route('/brand-new')\ndef brand_new():\n    return {}\n"
    )
    assert run(project, "package", str(tmp_path / "b")).returncode == 0
    assert "/brand-new" in (tmp_path / "b" / "sam.json").read_text()
    assert "/brand-new" not in (tmp_path / "a" / "sam.json").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_every_event_source_for_both_architectures(tmp_path: Path, architecture: str) -> None:
    project = copy_project(EVERYTHING, tmp_path / "everything")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    config["lambda_architecture"] = architecture
    config_path.parent.mkdir(exist_ok=True)
    config_path.write_text(json.dumps(config))
    done = run(project, "package", "--pkg-format", "cloudformation", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert architecture in done.stdout
    template = json.loads((tmp_path / "out" / "cloudformation.json").read_text())
    functions = [  # the app's own (not the inline S3-notification helper)
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and "ZipFile" not in r["Properties"]["Code"]
    ]
    assert functions and all(f["Properties"]["Architectures"] == [architecture] for f in functions)
    # The package imports under a clean interpreter: only the zip and boto3 (which Lambda's
    # runtime provides) on the path; every function's handler is there.
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        package.extractall(unzipped)
    import boto3

    site = str(Path(boto3.__file__).resolve().parents[1])
    handlers = sorted({f["Properties"]["Handler"] for f in functions})
    code = (
        "import sys, json, importlib; sys.path[:0] = sys.argv[1:2]; sys.path.append(sys.argv[2]); "
        "import chalicelike; "
        "parts = [h.rpartition('.') for h in json.loads(sys.argv[3])]; "
        "found = [m + '.' + a for m, _, a in parts "
        "if callable(getattr(importlib.import_module(m), a))]; "
        "print(json.dumps([chalicelike.__file__, found]))"
    )
    imported = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(unzipped), site, json.dumps(handlers)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert imported.returncode == 0, imported.stderr
    module_file, found = json.loads(imported.stdout)
    assert module_file.startswith(str(unzipped))  # the zip's runtime, not the installed one
    assert found == handlers and len(handlers) >= 8  # every function, every kind of source
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert {
        "AWS::Lambda::EventSourceMapping",
        "AWS::Events::Rule",
        "AWS::SNS::Subscription",
    } <= kinds


def test_generate_models_prints_openapi(sample_app: Path) -> None:
    done = run(sample_app, "generate-models")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["openapi"].startswith("3.")
    assert "/books" in document["paths"]


TYPED_APP = """
from dataclasses import dataclass
from typing import Optional

from chalicelike import Chalice

app = Chalice("typed")


@dataclass
class Order:
    sku: str
    qty: int
    note: Optional[str] = None


@dataclass
class OrderOut:
    id: int
    order: Order


@app.route("/orders/{order_id}", methods=["PUT"])
def update(order_id: int, order: Order, limit: int = 10) -> OrderOut:
    return OrderOut(order_id, order)


@app.route("/plain")
def plain():
    return {}
"""


def test_generate_models_prints_a_typed_apps_contracts_in_3_1_and_3_0(tmp_path: Path) -> None:
    from openapi_spec_validator import validate

    (tmp_path / "app.py").write_text(TYPED_APP)
    documents = {}
    for version in ("3.1", "3.0"):
        args = () if version == "3.1" else ("--openapi-version", "3.0")
        done = run(tmp_path, "generate-models", *args)
        assert done.returncode == 0, done.stderr
        documents[version] = document = json.loads(done.stdout)
        validate(document)  # the validator of the document's own version
        put = document["paths"]["/orders/{order_id}"]["put"]
        parameters = {p["name"]: p for p in put["parameters"]}
        assert parameters["order_id"]["schema"] == {"type": "integer"}
        assert parameters["limit"]["in"] == "query"
        assert put["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Order"
        }
    assert documents["3.1"]["openapi"] == "3.1.0"  # the default
    assert documents["3.0"]["openapi"] == "3.0.1"
    note_31 = documents["3.1"]["components"]["schemas"]["Order"]["properties"]["note"]
    note_30 = documents["3.0"]["components"]["schemas"]["Order"]["properties"]["note"]
    assert {"type": "null"} in note_31["anyOf"]
    # API Gateway's draft-4 models ignore `nullable`: no type beside it, so null is taken.
    assert note_30["nullable"] is True and "type" not in note_30


def test_a_broken_app_and_a_bad_config_are_one_line_errors(tmp_path: Path) -> None:
    project = copy_project(ROOT / "sample_app", tmp_path / "sample_app")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["lambda_memory_size"] = 100
    config_path.write_text(json.dumps(config))
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "lambda_memory_size" in done.stderr and "128" in done.stderr
    assert "Traceback" not in done.stderr
    del config["lambda_memory_size"]
    config_path.write_text(json.dumps(config))
    (project / "app.py").write_text(
        "from chalicelike import Chalice\napp = Chalice('x')\ndef f(:\n"
    )
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "SyntaxError" in done.stderr and "line 3" in done.stderr
    assert not (tmp_path / "out" / "deployment.zip").exists()


@pytest.mark.slow
def test_config_app_name_names_the_deployed_functions(tmp_path: Path) -> None:
    project = copy_project(ROOT / "sample_app", tmp_path / "sample_app")
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["app_name"] = "shopfront"
    config_path.write_text(json.dumps(config))
    done = run(project, "package", "--pkg-format", "terraform", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    template = (tmp_path / "out" / "chalicelike.tf.json").read_text()
    assert "shopfront-dev-take_order" in template
    assert "bookshop-dev" not in template


@pytest.mark.slow
def test_yaml_templates_hold_no_anchors_or_aliases(tmp_path: Path) -> None:
    # Values shared by every function (tags, layers, VPC) were written once as &id001 and
    # then as *id001; CloudFormation refuses aliases (cfn-lint W1101).
    project = copy_project(EVERYTHING, tmp_path / "everything")
    shared = {
        "tags": {"team": "shop"},
        "layers": ["arn:aws:lambda:us-east-1:123456789012:layer:tools:1"],
        "subnet_ids": ["subnet-1"],
        "security_group_ids": ["sg-1"],
    }
    (project / ".chalice").mkdir(exist_ok=True)
    (project / ".chalice" / "config.json").write_text(json.dumps(shared))
    import yaml

    for fmt in ("sam", "cloudformation"):
        out = tmp_path / fmt
        done = run(project, "package", "--pkg-format", fmt, "--template-format", "yaml", str(out))
        assert done.returncode == 0, done.stderr
        text = (out / f"{fmt}.yaml").read_text()
        assert "&id" not in text and "*id" not in text
        assert yaml.safe_load(text)["Resources"]


@pytest.mark.slow
def test_vendored_modules_are_importable_when_the_app_is_read(tmp_path: Path) -> None:
    project = tmp_path / "vendored"
    (project / "vendor" / "shop_vendored_xyz").mkdir(parents=True)
    (project / "vendor" / "shop_vendored_xyz" / "__init__.py").write_text("PATH = '/stock'\n")
    (project / "app.py").write_text(
        "from chalicelike import Chalice\nimport shop_vendored_xyz\napp = Chalice('shop')\n\n"
        "@app.route(shop_vendored_xyz.PATH)\ndef stock():\n    return {}\n"
    )
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "/stock" in (tmp_path / "out" / "sam.json").read_text()
    models = run(project, "generate-models")
    assert models.returncode == 0, models.stderr
    assert "/stock" in json.loads(models.stdout)["paths"]


def one_line_error(project: Path, tmp_path: Path) -> str:
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("chalicelike: error: ") and done.stderr.count("\n") == 1
    return done.stderr.removeprefix("chalicelike: error: ").strip()


def test_unusable_configs_and_apps_are_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('shop')\n")
    config = project / ".chalice" / "config.json"
    config.parent.mkdir()
    config.write_text('{"stages": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert (
        one_line_error(project, tmp_path) == f"{config}: nested too deeply to be a Chalice config"
    )
    config.unlink()
    config.mkdir()
    assert one_line_error(project, tmp_path).startswith(f"{config}: is not a file")
    config.rmdir()
    (project / "app.py").write_text("app = 5\n")
    assert one_line_error(project, tmp_path) == (
        f"{project / 'app.py'}: app must be a Chalice app or a Lambda handler, not int 5"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_links_left_out_of_the_zip_are_named(tmp_path: Path) -> None:
    project = copy_project(ROOT / "sample_app", tmp_path / "sample_app")
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "credentials").write_text("secret")
    (project / "chalicelib" / "awsconf").symlink_to(tmp_path / "aws")
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "left out chalicelib/awsconf: a link out of the project" in done.stderr


def test_what_aws_would_refuse_stops_package(tmp_path: Path) -> None:
    # Chalice imports these (its own S3 template tests with bucket=''); AWS would not.
    project = tmp_path / "placeholders"
    project.mkdir()
    (project / "app.py").write_text(
        "from chalicelike import Chalice\napp = Chalice('shop')\n\n"
        "@app.on_s3_event(bucket='')\ndef ingest(event):\n    pass\n\n"
        "@app.on_sqs_message(queue_arn='my-queue-arn', name='jobs')\ndef work(event):\n"
        "    pass\n"
    )
    done = run(project, "package", str(tmp_path / "out"))
    assert done.returncode == 2, done.stdout
    assert done.stderr.splitlines() == [
        f"chalicelike: error: {project / 'app.py'}: AWS would refuse what the app declares:",
        "  s3 handler 'ingest': bucket is empty: S3 needs the bucket's name",
        "  sqs handler 'jobs': queue_arn 'my-queue-arn' is not an SQS queue ARN "
        "(arn:aws:sqs:REGION:ACCOUNT:QUEUE), which Lambda needs",
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_bytecode_for_the_stages_runtime_or_one_line_saying_there_is_none(tmp_path: Path) -> None:
    project = tmp_path / "small"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(
        "from chalicelike import Chalice\napp = Chalice('small')\n\n"
        "@app.route('/')\ndef index():\n    return {}\n"
    )
    # A runtime whose Python is nowhere: not this one, not on PATH, not among pyenv's.
    other = next(f"python3.{m}" for m in range(10, 15) if m != sys.version_info.minor)
    config = {"version": "2.0", "app_name": "small", "stages": {"dev": {"runtime": other}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), "package"]
    env = {"PATH": str(Path(sys.executable).parent), "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    done = subprocess.run(
        [*command, str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "interpreter" in line]
    assert said == [
        f"chalicelike package: no {other} interpreter here (on PATH or pyenv's): "
        "deployment.zip ships sources only, which Lambda compiles at every cold start"
    ]
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        assert not any(name.endswith(".pyc") for name in package.namelist())
    # This interpreter's runtime gets its bytecode; --no-bytecode turns it off.
    config["stages"]["dev"]["runtime"] = f"python3.{sys.version_info.minor}"
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    for flag, shipped in (("--bytecode", True), ("--no-bytecode", False)):
        out = tmp_path / flag
        done = subprocess.run(
            [*command, flag, str(out)], capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert "interpreter" not in done.stderr
        with zipfile.ZipFile(out / "deployment.zip") as package:
            names = package.namelist()
        assert (f"__pycache__/app.cpython-3{sys.version_info.minor}.pyc" in names) is shipped
