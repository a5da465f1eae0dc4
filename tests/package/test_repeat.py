"""A `package` repeat answered from the last build's record (`_repeat`): what it reads of the
command line, what its fingerprint sees, and that anything changed goes to the full build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from chalicelike.package._repeat import (
    RepeatOptions,
    _shown,
    answer_repeat,
    fingerprint,
    fingerprint_files,
    parse_package_argv,
    remember_build,
    settled,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["package", "out"], (".", "out", ["dev", "sam", "json", True])),
        (
            ["--project-dir", "p", "package", "--stage=prod", "--pkg-format", "terraform", "o"],
            ("p", "o", ["prod", "terraform", "json", True]),
        ),
        # After the command, --project-dir wins; flags and options in any order, the last wins.
        (
            ["--project-dir=a", "package", "o", "--no-bytecode", "--project-dir", "b"],
            ("b", "o", ["dev", "sam", "json", False]),
        ),
        (
            ["package", "--template-format", "yaml", "--no-bytecode", "--bytecode", "--", "-o"],
            (".", "-o", ["dev", "sam", "yaml", True]),
        ),
        (["package"], None),  # click says OUTDIR is missing
        (["package", "a", "b"], None),
        (["package", "--help"], None),
        (["--debug", "package", "out"], None),
        (["package", "--pkg-format", "zip", "out"], None),  # click names the choices
        (["package", "--template-format", "JSON", "out"], None),
        (["package", "--stage", "out"], None),  # OUTDIR taken as the stage: click's to say
        (["package", "--bytecode=yes", "out"], None),
        (["package", "--unknown", "out"], None),
        (["local", "package", "out"], None),
        (["generate-models"], None),
        ([], None),
    ],
)
def test_the_command_line_is_read_as_click_reads_it_or_left_to_click(
    argv: list[str], expected: tuple[str, str, list[object]] | None
) -> None:
    options = parse_package_argv(argv)
    found = None if options is None else (options.project_dir, options.outdir, options.key())
    assert found == expected


@pytest.mark.parametrize("path", ["out", "out/", "./out", "a//b/./c/", ".", "", "/", "//x", "///x"])
def test_the_outdir_is_shown_as_the_full_build_shows_it(path: str) -> None:
    assert _shown(path) == str(PurePosixPath(path))


def make_project(folder: Path) -> Path:
    (folder / "chalicelib").mkdir(parents=True)
    (folder / ".chalice").mkdir()
    (folder / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('small')\n")
    (folder / "chalicelib" / "util.py").write_text("X = 1\n")
    (folder / ".chalice" / "config.json").write_text('{"version": "2.0", "app_name": "small"}')
    (folder / "requirements.txt").write_text("")
    return folder


def test_the_fingerprint_sees_every_input_and_no_cache(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    elsewhere = tmp_path / "shared.txt"
    elsewhere.write_text("")
    stamps = fingerprint(str(project), "dev", [str(elsewhere)])
    # What the build and the app's import write: bytecode, the cache, other folders.
    (project / "chalicelib" / "__pycache__").mkdir()
    (project / "chalicelib" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"x")
    (project / ".chalice" / "cache").mkdir()
    (project / ".chalice" / "cache" / "manifest-1.json").write_text("{}")
    (project / "out").mkdir()
    (project / "out" / "deployment.zip").write_bytes(b"zip")
    assert fingerprint(str(project), "dev", [str(elsewhere)]) == stamps
    changes = [
        lambda: (project / "chalicelib" / "util.py").write_text("X = 2\n"),
        lambda: (project / "chalicelib" / "util.py").chmod(0o755),  # the zip keeps the mode
        lambda: (project / "chalicelib" / "new.py").write_text(""),
        lambda: (project / "chalicelib" / "new.py").unlink(),
        lambda: _write_into_new_folder(project / "vendor" / "lib.py"),
        lambda: (project / ".chalice" / "config.json").write_text('{"version": "2.0"}'),
        lambda: (project / ".chalice" / "policy-dev.json").write_text('{"Statement": []}'),
        lambda: (project / "requirements.txt").write_text("requests\n"),
        lambda: (project / "helpers.py").write_text(""),  # a module app.py may import
        lambda: elsewhere.write_text("-r x.txt\n"),
        lambda: (project / ".chalice" / "cache" / "python3.11-x86_64-abc").mkdir(),  # wheels
    ]
    for change in changes:
        change()
        now = fingerprint(str(project), "dev", [str(elsewhere)])
        assert now != stamps
        stamps = now


def test_a_link_in_the_project_leaves_the_repeat_to_the_full_build(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "chalicelib" / "shared").symlink_to(tmp_path)
    assert fingerprint(str(project), "dev") is None


def recorded_build(project: Path, options: RepeatOptions) -> bytes:
    """A record as a full build leaves it, around a kept zip made here."""
    zip_bytes = b"PK not really a zip, but bytes to copy"
    kept = project / ".chalice" / "cache" / "zip-1.zip"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(zip_bytes)
    built = {
        "kept_zip": str(kept),
        "templates": [["sam.json", '{\n  "Resources": {}\n}\n']],
        "summary": {"runtime": "python3.12", "architecture": "arm64", "zipped": len(zip_bytes)},
    }
    built["summary"]["wheels"] = 0
    inputs = fingerprint(str(project), options.stage)
    remember_build(options, str(project), inputs, [], built)
    return zip_bytes


def test_a_repeat_writes_the_recorded_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path / "project")
    argv = ["--project-dir", str(project), "package", str(tmp_path / "out") + "/"]
    options = parse_package_argv(argv)
    assert options is not None
    assert answer_repeat(argv) is None  # no record yet
    zip_bytes = recorded_build(project, options)
    assert answer_repeat(argv) == 0
    assert (tmp_path / "out" / "deployment.zip").read_bytes() == zip_bytes
    assert json.loads((tmp_path / "out" / "sam.json").read_text()) == {"Resources": {}}
    said = capsys.readouterr().out
    assert said.startswith(
        f"chalicelike package: deployment.zip, sam.json in {tmp_path / 'out'} for python3.12 "
        f"arm64 ({len(zip_bytes):,} bytes zipped, 0 wheels, cached) in "
    )
    assert not list((tmp_path / "out").glob(".*"))  # no scratch file left behind


def test_anything_changed_goes_to_the_full_build(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    argv = ["--project-dir", str(project), "package", str(tmp_path / "out")]
    options = parse_package_argv(argv)
    assert options is not None
    recorded_build(project, options)
    assert answer_repeat([*argv[:3], "--stage", "prod", argv[3]]) is None  # other options
    assert answer_repeat([*argv[:3], "--no-bytecode", argv[3]]) is None
    assert answer_repeat([*argv[:3], "--pkg-format", "nope", argv[3]]) is None
    (project / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('other')\n")
    assert answer_repeat(argv) is None
    # Recorded again: a record of another shape, then a kept zip gone: nothing is written.
    recorded_build(project, options)
    record_file = Path(options.record_path(str(project.resolve())))
    good = record_file.read_text()
    record_file.write_text(good.replace('"runtime"', '"engine"'))
    assert answer_repeat(argv) is None
    record_file.write_text(good)
    (project / ".chalice" / "cache" / "zip-1.zip").write_bytes(b"PK cut short")
    assert answer_repeat(argv) is None
    (project / ".chalice" / "cache" / "zip-1.zip").unlink()
    assert answer_repeat(argv) is None
    assert not (tmp_path / "out").exists()


def recorded_full_build(project: Path, base: list[str], outdir: Path) -> Path:
    """Run the full build of `base` into `outdir` until it leaves its record (at most twice);
    the record's path.

    A build is recorded only if every input had settled before it started; one that cannot
    tell is simply not recorded, and the next full build records. CI saw a first build go
    unrecorded twice in ~8,500 tests; the cause was not found (reruns record it)."""
    records: list[Path] = []
    for attempt in ("", "-again"):
        done = run(*base, f"{outdir}{attempt}")
        assert done.returncode == 0, done.stderr
        records = list((project / ".chalice" / "cache").glob("repeat-*.json"))
        if records:
            break
    [record_path] = records
    return record_path


def run(*args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    python = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    command = [*python, "-m", "chalicelike.cli", *args]
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.slow
def test_a_repeat_imports_no_click_and_writes_what_the_full_build_wrote(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    route = "@app.route('/{name}')\ndef {name}():\n    return {{}}\n"
    (project / "app.py").write_text(
        "from chalicelike import Chalice\napp = Chalice('small')\n\n" + route.format(name="a")
    )
    base = ["--project-dir", str(project), "package", "--pkg-format", "terraform"]
    recorded_full_build(project, base, tmp_path / "full")
    done = run(*base, str(tmp_path / "repeat"), importtime=True)
    assert done.returncode == 0, done.stderr
    assert "| click" not in done.stderr and "_archive" not in done.stderr
    # As the console script runs it (pip's wrapper calls chalicelike.__main__:main).
    script = "import sys\nfrom chalicelike.__main__ import main\nsys.exit(main())\n"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, *base, str(tmp_path / "script")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| click" not in done.stderr and "_archive" not in done.stderr
    for name in ("deployment.zip", "chalicelike.tf.json"):
        for out in ("repeat", "script"):
            assert (tmp_path / out / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
    # An edit: the full build (click and all), and the new route in the template.
    with (project / "app.py").open("a") as file:
        file.write(route.format(name="b"))
    done = run(*base, str(tmp_path / "edited"), importtime=True)
    assert done.returncode == 0, done.stderr
    assert "| click" in done.stderr
    template = (tmp_path / "edited" / "chalicelike.tf.json").read_text()
    assert r"\"operationId\": \"b\"" in template  # in the API's OpenAPI body
    # A bad option still gets click's message.
    done = run(*base[:3], "--pkg-format", "zip", str(tmp_path / "bad"))
    assert done.returncode == 2
    assert "Invalid value for '--pkg-format'" in done.stderr


def test_a_build_is_recorded_only_when_its_inputs_had_settled_before_it(tmp_path: Path) -> None:
    # An input changed while the build ran (or too close to its start for the file
    # system's clock to tell) may not be what it read: no record, the next build is full.
    path = tmp_path / "policy.json"
    path.write_text("{}")
    stamps = fingerprint_files([str(path), str(tmp_path / "gone")])
    status = path.stat()
    changed_ns = max(status.st_mtime_ns, status.st_ctime_ns)
    assert settled(stamps, changed_ns + 60_000_000)  # changed 60 ms before the start
    assert not settled(stamps, changed_ns + 10_000_000)  # within a clock's few ms
    assert not settled(stamps, changed_ns - 1)  # changed after the start
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))  # whole seconds
    coarse = fingerprint_files([str(path)])
    mtime = 1_700_000_000_000_000_000
    ctime = path.stat().st_ctime_ns
    assert not settled({"f": f"100644 2 {mtime} {mtime}"}, mtime + 1_500_000_000)
    assert settled({"f": f"100644 2 {mtime} {mtime}"}, mtime + 2_500_000_000)
    assert not settled(coarse, ctime)  # its ctime: just now


def test_a_record_of_another_shape_leaves_the_repeat_to_the_full_build(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text("from chalicelike import Chalice\napp = Chalice('odd')\n")
    base = ["--project-dir", str(project), "package"]
    record_path = recorded_full_build(project, base, tmp_path / "full")
    record = json.loads(record_path.read_text())
    record["extra"] = [None]
    record_path.write_text(json.dumps(record))
    assert answer_repeat([*base, str(tmp_path / "again")]) is None


def _write_into_new_folder(path: Path) -> None:
    path.parent.mkdir()
    path.write_text("")
