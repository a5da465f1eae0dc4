"""deployment.zip: what goes in, what never does, that it runs, and that it is reproducible.

Each package is unzipped and its app called with a REST API event in a clean interpreter
(`python -I -S`, only the unzipped folder added to sys.path), as Lambda runs it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from chalicelike.package._archive import (
    LAMBDA_UNZIPPED_LIMIT,
    LAMBDA_ZIPPED_LIMIT,
    ArchiveReport,
    PackagingError,
    build_deployment_zip,
    check_zipped_size,
    collect_entries,
    write_zip,
)
from chalicelike.package._wheels import PipRunner
from tests.lambda_events import rest
from tests.package.package_support import (
    HOST_ARCHITECTURE,
    HOST_RUNTIME,
    PROJECTS,
    SAMPLE_APP,
    invoke_packaged,
    unzip,
)


def build(project: Path, out: Path, cache: Path, **target: Any) -> ArchiveReport:
    target = {"runtime": HOST_RUNTIME, "architecture": HOST_ARCHITECTURE, **target}
    return build_deployment_zip(project, out, cache_dir=cache, **target)


def names_in(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as package:
        return package.namelist()


# -- it runs ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_sample_app_runs_from_its_package(tmp_path: Path, wheel_cache: Path) -> None:
    report = build(SAMPLE_APP, tmp_path / "deployment.zip", wheel_cache)
    names = names_in(report.path)
    assert {
        "app.py",
        "chalicelib/store.py",
        "chalicelike/__init__.py",
        "mangum/__init__.py",
    } <= set(names)
    assert report.file_count == len(names)
    assert report.zipped_bytes == report.path.stat().st_size
    assert report.unzipped_bytes == sum(
        i.file_size for i in zipfile.ZipFile(report.path).infolist()
    )
    assert any(wheel.startswith("mangum-") for wheel in report.wheels)

    task_root = unzip(report.path, tmp_path / "task")
    answer = invoke_packaged(task_root, rest("GET", "/books", resource="/books"))
    assert answer["statusCode"] == 200, answer
    assert answer["body"] == '{"books":[]}'


@pytest.mark.slow
def test_only_the_runtime_of_chalicelike_ships(tmp_path: Path, wheel_cache: Path) -> None:
    report = build(SAMPLE_APP, tmp_path / "deployment.zip", wheel_cache)
    ours = {name for name in names_in(report.path) if name.startswith("chalicelike/")}
    assert "chalicelike/_app.py" in ours and "chalicelike/_doors/_lambda_http.py" in ours
    for tooling in ("cli.py", "test.py"):
        assert f"chalicelike/{tooling}" not in ours
    never = ("chalicelike/_tooling/", "chalicelike/local/", "chalicelike/package/")
    assert not any(name.startswith(never) for name in ours)


@pytest.mark.slow
def test_binary_wheels_for_this_machine_load_from_the_package(
    tmp_path: Path, wheel_cache: Path
) -> None:
    report = build(PROJECTS / "binary_wheels", tmp_path / "deployment.zip", wheel_cache)
    task_root = unzip(report.path, tmp_path / "task")
    answer = invoke_packaged(task_root, rest("GET", "/escape", resource="/escape"))
    assert answer["statusCode"] == 200, answer
    assert answer["body"] == '{"escaped":"&lt;b&gt;&amp;&lt;/b&gt;","native":true}'


@pytest.mark.slow
def test_a_pure_python_sdist_is_built_into_the_package(tmp_path: Path, wheel_cache: Path) -> None:
    report = build(PROJECTS / "sdist_only", tmp_path / "deployment.zip", wheel_cache)
    assert "docopt.py" in names_in(report.path)
    task_root = unzip(report.path, tmp_path / "task")
    answer = invoke_packaged(task_root, rest("GET", "/parse", resource="/parse"))
    assert answer["statusCode"] == 200, answer
    assert answer["body"] == '{"<name>":"world"}'


# -- X-Ray tracing's SDK ---------------------------------------------------------------------

_XRAY_TOP_FOLDERS = ("aws_xray_sdk", "wrapt")


def _top_folders(names: list[str]) -> set[str]:
    return {name.split("/")[0].split("-")[0] for name in names}


@pytest.mark.slow
def test_tracing_ships_the_sdk_and_wrapt_and_nothing_else(
    tmp_path: Path, wheel_cache: Path
) -> None:
    today = build(SAMPLE_APP, tmp_path / "today.zip", wheel_cache, hosts_asgi_apps=False)
    off = build(SAMPLE_APP, tmp_path / "off.zip", wheel_cache, hosts_asgi_apps=False, tracing=False)
    on = build(SAMPLE_APP, tmp_path / "on.zip", wheel_cache, hosts_asgi_apps=False, tracing=True)
    # Without xray: exactly what an app shipped before tracing existed, byte for byte.
    assert off.path.read_bytes() == today.path.read_bytes()
    assert not _top_folders(names_in(off.path)) & {*_XRAY_TOP_FOLDERS, "aws_xray_sdk"}
    added = set(names_in(on.path)) - set(names_in(off.path))
    assert set(names_in(off.path)) <= set(names_in(on.path))
    assert _top_folders(sorted(added)) == {"aws_xray_sdk", "wrapt"}  # dist-info folders too
    assert [w.split("-")[0] for w in on.wheels] == ["aws_xray_sdk", "wrapt"]
    # botocore, the SDK's other dependency, is the runtime's: never a second copy.
    assert not any(name.startswith(("botocore/", "boto3/")) for name in names_in(on.path))

    # The SDK and wrapt's compiled core load from the package (botocore: the runtime's).
    task_root = unzip(on.path, tmp_path / "task")
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import aws_xray_sdk.core, wrapt._wrappers;"
        "print(aws_xray_sdk.core.__file__); print(wrapt._wrappers.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(task_root)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    sdk, wrappers = done.stdout.split()
    assert sdk.startswith(str(task_root)) and wrappers.startswith(str(task_root))
    assert wrappers.endswith(".so")


@pytest.mark.slow
def test_tracing_offline_says_how_to_get_the_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('x')\n")
    # An index nothing answers on stands for no network; pip tries once.
    (project / "requirements.txt").write_text("--index-url http://127.0.0.1:9/simple\n")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    with pytest.raises(PackagingError) as raised:
        build(
            project,
            tmp_path / "deployment.zip",
            tmp_path / "cache",
            hosts_asgi_apps=False,
            tracing=True,
        )
    message = str(raised.value)
    assert message.startswith("xray is on, so the package ships aws-xray-sdk==")
    assert "but pip could not download them" in message
    assert "name aws-xray-sdk in requirements.txt" in message and "turn xray off" in message
    assert not (tmp_path / "deployment.zip").exists()


def test_a_vendored_sdk_is_used_as_it_is(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "vendor" / "aws_xray_sdk").mkdir(parents=True)
    (project / "vendor" / "aws_xray_sdk" / "__init__.py").write_text("# built for Lambda\n")
    (project / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('x')\n")
    untouchable = mock.create_autospec(PipRunner, instance=True)
    report = build(
        project,
        tmp_path / "deployment.zip",
        tmp_path / "cache",
        pip=untouchable,
        hosts_asgi_apps=False,
        tracing=True,
    )
    untouchable.run.assert_not_called()  # the user's copy, and what it needs, are theirs
    assert "aws_xray_sdk/__init__.py" in names_in(report.path)
    assert report.wheels == ()


def test_a_dependency_lambda_cannot_load_stops_the_build(tmp_path: Path) -> None:
    # test_wheels asks PyPI about this project; here pip answers as PyPI did.
    pip = mock.create_autospec(PipRunner, instance=True)
    pip.run.return_value = mock.Mock(
        returncode=1, stderr="ERROR: No matching distribution found for pywin32==306\n"
    )
    out = tmp_path / "deployment.zip"
    with pytest.raises(PackagingError, match=r"^pywin32: no wheel for python3\.12 on x86_64"):
        build_deployment_zip(
            PROJECTS / "unsatisfiable",
            out,
            runtime="python3.12",
            architecture="x86_64",
            cache_dir=tmp_path / "cache",
            pip=pip,
        )
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize(("architecture", "machine"), [("x86_64", "x86_64"), ("arm64", "aarch64")])
def test_each_architecture_gets_its_own_binaries(
    architecture: str, machine: str, tmp_path: Path, wheel_cache: Path
) -> None:
    out = tmp_path / "deployment.zip"
    build(
        PROJECTS / "binary_wheels",
        out,
        wheel_cache,
        runtime="python3.12",
        architecture=architecture,
    )
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        [wheel_file] = [
            n for n in names if n.lower().startswith("markupsafe-") and n.endswith("/WHEEL")
        ]
        tags = [line for line in package.read(wheel_file).decode().splitlines() if "Tag:" in line]
    [extension] = [name for name in names if name.endswith(".so")]
    assert extension == f"markupsafe/_speedups.cpython-312-{machine}-linux-gnu.so"
    assert tags and all(tag.endswith(f"_{machine}") and "cp312" in tag for tag in tags)


# -- what never ships ---------------------------------------------------------------------

SECRET = "AKIA-NEVER-IN-THE-ZIP"


def make_project(root: Path) -> Path:
    """A project with everything that must stay out of the zip, and vendor/ code that goes in."""
    files = {
        "app.py": "from chalicelike import Chalice\napp = Chalice(app_name='p')\n",
        "requirements.txt": "",
        "chalicelib/__init__.py": "",
        "chalicelib/logic.py": "VALUE = 1\n",
        "chalicelib/__pycache__/logic.cpython-312.pyc": "bytecode",
        "chalicelib/tests/test_logic.py": "",
        "chalicelib/.env": SECRET,
        "vendor/mylib/__init__.py": "NAME = 'mylib'\n",
        "vendor/mylib/stale.pyc": "bytecode",
        "vendor/.hidden/config": SECRET,
        "vendor/env/pyvenv.cfg": "home = /usr/bin\n",
        "vendor/env/lib/site.py": SECRET,
        "vendor/tool.sh": "#!/bin/sh\necho hi\n",
        ".env": f"AWS_SECRET_ACCESS_KEY={SECRET}\n",
        ".env.production": SECRET,
        ".git/config": SECRET,
        ".chalice/config.json": "{}",
        ".chalice/deployed/dev.json": SECRET,
        "tests/test_app.py": SECRET,
        "venv/pyvenv.cfg": "",
        "__pycache__/app.cpython-312.pyc": SECRET,
        "notes.md": SECRET,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "vendor" / "tool.sh").chmod(0o755)
    return root


@pytest.mark.slow
def test_secrets_tests_bytecode_and_virtualenvs_stay_out(tmp_path: Path, wheel_cache: Path) -> None:
    project = make_project(tmp_path / "project")
    report = build(project, tmp_path / "deployment.zip", wheel_cache)
    names = names_in(report.path)
    mine = sorted(n for n in names if not n.startswith(("chalicelike/", "mangum", "typing_ext")))
    ours = f"cpython-3{sys.version_info.minor}.pyc"  # what the packager compiled
    assert [n for n in mine if not n.endswith(ours)] == [
        "app.py",
        "chalicelib/__init__.py",
        "chalicelib/logic.py",
        "mylib/__init__.py",  # vendor/ content sits at the root, as Chalice puts it
        "tool.sh",
    ]
    with zipfile.ZipFile(report.path) as package:
        assert not any(SECRET.encode() in package.read(name) for name in names)
        assert package.read(f"chalicelib/__pycache__/logic.{ours}") != b"bytecode"
    # The project's own bytecode never ships (whatever Python made it): only ours, one per module.
    assert "mylib/stale.pyc" not in names
    assert not any(n.endswith(".pyc") and not n.endswith(ours) for n in names)
    assert sum(n.endswith(".pyc") for n in names) == sum(n.endswith(".py") for n in names)


@pytest.mark.slow
def test_links_are_followed_only_inside_the_project(tmp_path: Path, wheel_cache: Path) -> None:
    project = make_project(tmp_path / "project")
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(SECRET)
    (home / "secret.py").write_text(SECRET)
    (project / "shared").mkdir()
    (project / "shared" / "util.py").write_text("SHARED = 1\n")
    lib = project / "chalicelib"
    (lib / "awsconf").symlink_to(home / ".aws")  # a plain name: the hidden rule missed it
    (lib / "secret.py").symlink_to(home / "secret.py")
    (lib / "shared").symlink_to(project / "shared")  # inside: followed
    (lib / "gone.py").symlink_to(project / "nowhere.py")
    (lib / "settings").symlink_to(project / ".chalice")
    (lib / "again").symlink_to(lib)
    (project / "vendor" / "outside").symlink_to(home)
    report = build(project, tmp_path / "deployment.zip", wheel_cache)
    names = names_in(report.path)
    assert "chalicelib/shared/util.py" in names
    assert not any(
        n.startswith(("chalicelib/awsconf", "chalicelib/settings", "outside")) for n in names
    )
    assert not any(n.startswith("chalicelib/again/") for n in names)
    assert "chalicelib/secret.py" not in names and "chalicelib/gone.py" not in names
    with zipfile.ZipFile(report.path) as package:
        assert not any(SECRET.encode() in package.read(name) for name in names)
    skipped = "\n".join(report.skipped)
    for name in ("awsconf", "secret.py", "gone.py", "settings", "again", "vendor/outside"):
        assert name in skipped, name
    assert "a link out of the project" in skipped and "dangling" in skipped


def project_files(project: Path, out: Path) -> tuple[list[str], str]:
    """The project's own zip entries (no wheels, no runtime) and the links left out."""
    skipped: list[str] = []
    with ExitStack() as stack:
        write_zip(collect_entries(project, [], [], stack, skipped), out)
    with zipfile.ZipFile(out) as package:
        assert not any(SECRET.encode() in package.read(name) for name in package.namelist())
        return package.namelist(), "\n".join(skipped)


def test_an_app_py_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (tmp_path / "elsewhere.py").write_text(f"app = {SECRET!r}\n")
    (project / "app.py").unlink()
    (project / "app.py").symlink_to(tmp_path / "elsewhere.py")
    with pytest.raises(PackagingError) as refused:
        build_deployment_zip(
            project, tmp_path / "d.zip", runtime="python3.12", architecture="x86_64"
        )
    assert str(refused.value) == (
        f"{project / 'app.py'} is a link out of the project (to {tmp_path / 'elsewhere.py'}): "
        "nothing outside the project is packaged"
    )
    with ExitStack() as stack, pytest.raises(PackagingError, match="a link out of the project"):
        collect_entries(project, [], [], stack)
    assert not (tmp_path / "d.zip").exists()


def test_an_app_py_linked_inside_the_project_is_packaged(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "src").mkdir()
    (project / "app.py").rename(project / "src" / "main.py")
    (project / "app.py").symlink_to(project / "src" / "main.py")
    names, skipped = project_files(project, tmp_path / "d.zip")
    assert "app.py" in names and skipped == ""


def test_a_dangling_chalicelib_or_vendor_link_is_named(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    for folder in ("chalicelib", "vendor"):
        shutil.rmtree(project / folder)
        (project / folder).symlink_to(project / f"moved-{folder}")
    names, skipped = project_files(project, tmp_path / "d.zip")
    assert names == ["app.py"]
    assert f"chalicelib: a dangling link (to {project / 'moved-chalicelib'})" in skipped
    assert f"vendor: a dangling link (to {project / 'moved-vendor'})" in skipped


def test_a_link_into_a_virtualenv_is_not_followed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "venv" / "lib").mkdir()
    (project / "venv" / "lib" / "site.py").write_text(SECRET)
    lib = project / "chalicelib"
    (lib / "venvlib").symlink_to("../venv/lib")
    (lib / "site.py").symlink_to("../venv/lib/site.py")
    (lib / "env").symlink_to("../venv")
    (project / "vendor" / "venvlib").symlink_to("../venv/lib")
    names, skipped = project_files(project, tmp_path / "d.zip")
    assert not any("site.py" in name or "venvlib" in name for name in names)
    for link in ("chalicelib/venvlib", "chalicelib/site.py", "chalicelib/env", "vendor/venvlib"):
        assert f"{link}: a link into the virtualenv venv" in skipped, link


def test_a_link_to_a_folder_it_is_in_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    shutil.rmtree(project / "chalicelib")
    (project / "chalicelib").symlink_to(".")
    (project / "vendor" / "up").symlink_to("..")
    (project / "vendor" / "mylib" / "self").symlink_to(".")
    names, skipped = project_files(project, tmp_path / "d.zip")
    assert sorted(names) == ["app.py", "mylib/__init__.py", "tool.sh"]
    assert "chalicelib: a link to the project root, a folder it is in (a loop)" in skipped
    assert "vendor/up: a link to the project root, a folder it is in (a loop)" in skipped
    assert "vendor/mylib/self: a link to vendor/mylib, a folder it is in (a loop)" in skipped


def test_a_file_swapped_for_a_link_after_the_check_is_not_read(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (tmp_path / "secret.py").write_text(SECRET)
    with ExitStack() as stack:
        entries = collect_entries(project, [], [], stack)
        (project / "chalicelib" / "logic.py").unlink()
        (project / "chalicelib" / "logic.py").symlink_to(tmp_path / "secret.py")
        with pytest.raises(PackagingError, match=r"logic\.py.*changed while it was packaged"):
            write_zip(entries, tmp_path / "d.zip")
    assert not (tmp_path / "d.zip").exists()


def test_a_link_repointed_after_the_check_is_read_where_it_was_checked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "shared").mkdir()
    (project / "shared" / "util.py").write_text("SHARED = 1\n")
    (tmp_path / "secret.py").write_text(SECRET)
    link = project / "chalicelib" / "util.py"
    link.symlink_to("../shared/util.py")
    with ExitStack() as stack:
        entries = collect_entries(project, [], [], stack)
        link.unlink()
        link.symlink_to(tmp_path / "secret.py")
        write_zip(entries, tmp_path / "d.zip")
    with zipfile.ZipFile(tmp_path / "d.zip") as package:
        assert package.read("chalicelib/util.py") == b"SHARED = 1\n"


def test_a_folder_swapped_for_a_link_after_the_check_is_not_read(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "chalicelib" / "sub").mkdir()
    (project / "chalicelib" / "sub" / "mod.py").write_text("VALUE = 2\n")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "mod.py").write_text(SECRET)
    with ExitStack() as stack:
        entries = collect_entries(project, [], [], stack)
        (project / "chalicelib" / "sub").rename(tmp_path / "old-sub")
        (project / "chalicelib" / "sub").symlink_to(tmp_path / "home")
        with pytest.raises(PackagingError, match=r"sub/mod\.py changed while it was packaged"):
            write_zip(entries, tmp_path / "d.zip")


@pytest.mark.slow
def test_the_project_wins_over_its_dependencies(tmp_path: Path, wheel_cache: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "vendor" / "typing_extensions.py").write_text("# patched copy\n")
    report = build(project, tmp_path / "deployment.zip", wheel_cache)
    with zipfile.ZipFile(report.path) as package:
        assert package.read("typing_extensions.py") == b"# patched copy\n"


# -- reproducible -------------------------------------------------------------------------


@pytest.mark.slow
def test_packaging_twice_gives_the_same_bytes(tmp_path: Path, wheel_cache: Path) -> None:
    first = make_project(tmp_path / "one")
    a = build(first, tmp_path / "a.zip", wheel_cache)
    # The same content elsewhere, written later, with other times: the same zip.
    second = tmp_path / "elsewhere" / "two"
    shutil.copytree(first, second)
    for folder, _, files in os.walk(second):
        for name in files:
            os.utime(Path(folder) / name, (1_900_000_000, 1_900_000_000))
    b = build(second, tmp_path / "b.zip", wheel_cache)
    assert b.cache_hit
    assert a.path.read_bytes() == b.path.read_bytes()


@pytest.mark.slow
def test_an_unchanged_project_reuses_its_zip_and_an_edit_rewrites_it(
    tmp_path: Path, wheel_cache: Path
) -> None:
    project = make_project(tmp_path / "project")
    cache = tmp_path / "cache"
    # The wheels, without the zip another test kept from a project made the same way.
    shutil.copytree(wheel_cache, cache, ignore=shutil.ignore_patterns("zip-*"))
    first = build(project, tmp_path / "a" / "deployment.zip", cache)
    again = build(project, tmp_path / "b" / "deployment.zip", cache)
    assert (first.reused, again.reused) == (False, True)
    assert again.path.read_bytes() == first.path.read_bytes()
    assert (again.file_count, again.unzipped_bytes) == (first.file_count, first.unzipped_bytes)
    os.utime(project / "app.py", (1_900_000_000, 1_900_000_000))  # a new time, the same content
    assert build(project, tmp_path / "c" / "deployment.zip", cache).reused
    (project / "chalicelib" / "logic.py").write_text("VALUE = 2\n")
    edited = build(project, tmp_path / "d" / "deployment.zip", cache)
    assert not edited.reused
    with zipfile.ZipFile(edited.path) as new, zipfile.ZipFile(first.path) as old:
        assert new.read("chalicelib/logic.py") == b"VALUE = 2\n"
        pyc = f"chalicelib/__pycache__/logic.cpython-3{sys.version_info.minor}.pyc"
        assert new.read(pyc) != old.read(pyc)
    unchanged = build(project, tmp_path / "e" / "deployment.zip", cache, bytecode=False)
    assert not unchanged.reused  # another kind of zip: without bytecode
    assert not any(name.endswith(".pyc") for name in names_in(unchanged.path))


@pytest.mark.slow
def test_entries_are_sorted_relative_with_fixed_times_and_modes(
    tmp_path: Path, wheel_cache: Path
) -> None:
    report = build(make_project(tmp_path / "project"), tmp_path / "deployment.zip", wheel_cache)
    with zipfile.ZipFile(report.path) as package:
        infos = package.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert not any(n.startswith("/") or ".." in n.split("/") or n.endswith("/") for n in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3
        assert info.compress_type == zipfile.ZIP_DEFLATED
        mode = info.external_attr >> 16
        assert stat.S_ISREG(mode)
        assert stat.S_IMODE(mode) == (0o755 if info.filename == "tool.sh" else 0o644), info


# -- the cache and Lambda's limits ----------------------------------------------------------


@pytest.mark.slow
def test_a_warm_cache_runs_no_pip(tmp_path: Path, wheel_cache: Path) -> None:
    build(SAMPLE_APP, tmp_path / "first.zip", wheel_cache)  # warms the cache if no test did
    untouchable = mock.create_autospec(PipRunner, instance=True)
    report = build_deployment_zip(
        SAMPLE_APP,
        tmp_path / "again.zip",
        runtime=HOST_RUNTIME,
        architecture=HOST_ARCHITECTURE,
        cache_dir=wheel_cache,
        pip=untouchable,
    )
    assert report.cache_hit
    untouchable.run.assert_not_called()


def test_the_default_cache_lives_in_the_projects_chalice_folder(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "requirements.txt").write_text("mangum==0.0.0-not-a-version\n")
    pip = mock.create_autospec(PipRunner, instance=True)
    pip.run.return_value = mock.Mock(returncode=1, stderr="ERROR: Invalid requirement")
    with pytest.raises(PackagingError, match="Invalid requirement"):
        build_deployment_zip(
            project, tmp_path / "d.zip", runtime="python3.12", architecture="x86_64", pip=pip
        )
    assert (project / ".chalice" / "cache").is_dir()


@pytest.mark.slow
def test_a_package_lambda_would_refuse_unzipped_is_not_written(
    tmp_path: Path, wheel_cache: Path
) -> None:
    project = make_project(tmp_path / "project")
    with open(project / "vendor" / "model.bin", "wb") as big:  # sparse: costs no disk
        big.truncate(LAMBDA_UNZIPPED_LIMIT)
    out = tmp_path / "deployment.zip"
    with pytest.raises(PackagingError, match=r"unzips to 250\.\d MB; Lambda allows 250 MB"):
        build(project, out, wheel_cache)
    assert not out.exists()


def test_a_zip_over_lambdas_upload_limit_is_an_error() -> None:
    check_zipped_size(LAMBDA_ZIPPED_LIMIT)
    with pytest.raises(PackagingError, match="Lambda accepts 50 MB zipped"):
        check_zipped_size(LAMBDA_ZIPPED_LIMIT + 1)


def test_a_project_without_app_py_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match=r"No app\.py in"):
        build_deployment_zip(
            tmp_path, tmp_path / "d.zip", runtime="python3.12", architecture="x86_64"
        )


def test_an_unknown_runtime_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="runtime must be one of"):
        build_deployment_zip(
            SAMPLE_APP, tmp_path / "d.zip", runtime="python2.7", architecture="x86_64"
        )
