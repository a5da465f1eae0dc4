"""requirements.txt to wheels for a Lambda target: tags, sdists, errors and the cache.

The tests named `..._from_pypi` ask PyPI (through the session's shared wheel cache);
the others hand the resolver a fake pip.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from unittest import mock

import pytest

from chalicelike._tooling._config_schema import RUNTIMES
from chalicelike.package._wheels import (
    RUNTIME_GLIBC,
    PackagingError,
    PipResult,
    PipRunner,
    Target,
    cache_key,
    project_requirements,
    resolve_wheels,
    runtime_requirements,
    tracing_requirements,
)
from tests.package.package_support import HOST_ARCHITECTURE, HOST_RUNTIME, PROJECTS

X86_312 = Target("python3.12", "x86_64")
X86_314 = Target("python3.14", "x86_64")


# -- the target ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "architecture", "message"),
    [
        ("python3.9", "x86_64", "runtime must be one of python3.10, python3.11"),
        ("python3.12", "arm", "architecture must be one of x86_64, arm64, not 'arm'"),
    ],
)
def test_an_unknown_target_is_refused(runtime: str, architecture: str, message: str) -> None:
    with pytest.raises(PackagingError, match=message):
        Target(runtime, architecture)


def test_every_runtime_the_config_accepts_can_be_packaged() -> None:
    # python3.12 and later run on Amazon Linux 2023 (glibc 2.34), 3.10 and 3.11 on AL2 (2.26).
    assert tuple(RUNTIME_GLIBC) == RUNTIMES
    assert Target("python3.14", "arm64").abi == "cp314"
    assert Target("python3.14", "x86_64").pip_options()[3] == "3.14"


@pytest.mark.parametrize(
    ("target", "newest", "too_new", "oldest"),
    [
        (Target("python3.10", "x86_64"), "manylinux_2_26_x86_64", "manylinux_2_27_x86_64", "5"),
        (Target("python3.11", "arm64"), "manylinux_2_26_aarch64", "manylinux_2_27_aarch64", "17"),
        (Target("python3.12", "x86_64"), "manylinux_2_34_x86_64", "manylinux_2_35_x86_64", "5"),
        (Target("python3.13", "arm64"), "manylinux_2_34_aarch64", "manylinux_2_35_aarch64", "17"),
        (Target("python3.14", "x86_64"), "manylinux_2_34_x86_64", "manylinux_2_35_x86_64", "5"),
        (Target("python3.14", "arm64"), "manylinux_2_34_aarch64", "manylinux_2_35_aarch64", "17"),
    ],
)
def test_pip_is_offered_every_glibc_the_runtime_has(
    target: Target, newest: str, too_new: str, oldest: str
) -> None:
    platforms = target.platforms()
    assert platforms[0] == newest and too_new not in platforms
    assert platforms[-2] == f"manylinux_2_{oldest}_{target.machine}"
    assert platforms[-1] == f"manylinux2014_{target.machine}"
    options = target.pip_options()
    assert options[:4] == ["--implementation", "cp", "--python-version", f"3.{target.minor}"]
    assert ["--abi", target.abi, "--abi", "abi3", "--abi", "none"] == options[4:10]


MARKUPSAFE = "markupsafe-3.0.2-cp312-cp312-manylinux_2_17_{}.manylinux2014_{}.whl"


@pytest.mark.parametrize(
    ("target", "wheel", "loads"),
    [
        (X86_312, MARKUPSAFE.format("x86_64", "x86_64"), True),
        (X86_312, MARKUPSAFE.format("aarch64", "aarch64"), False),
        (Target("python3.12", "arm64"), MARKUPSAFE.format("aarch64", "aarch64"), True),
        (Target("python3.11", "x86_64"), MARKUPSAFE.format("x86_64", "x86_64"), False),
        (X86_312, "orjson-3.10.0-cp312-cp312-manylinux_2_28_x86_64.whl", True),
        (
            Target("python3.11", "x86_64"),
            "orjson-3.10.0-cp311-cp311-manylinux_2_28_x86_64.whl",
            False,
        ),
        (X86_312, "numpy-2.3.0-cp312-cp312-manylinux_2_35_x86_64.whl", False),
        (X86_312, "cryptography-44.0.0-cp39-abi3-manylinux1_x86_64.whl", True),
        (X86_312, "cryptography-44.0.0-cp313-abi3-manylinux_2_17_x86_64.whl", False),
        (X86_312, "pkg-1.0-cp312-cp312-linux_x86_64.whl", False),
        (X86_312, "pkg-1.0-cp312-cp312-musllinux_1_2_x86_64.whl", False),
        (X86_312, "pkg-1.0-cp312-cp312-macosx_11_0_arm64.whl", False),
        (X86_312, "pkg-1.0-cp312-cp312-win_amd64.whl", False),
        (X86_312, "six-1.16.0-py2.py3-none-any.whl", True),
        (X86_312, "old-1.0-py2-none-any.whl", False),
        (X86_312, "pkg-1.0-1-py3-none-any.whl", True),  # with a build tag
        (X86_314, "orjson-3.11.0-cp314-cp314-manylinux_2_34_x86_64.whl", True),
        (X86_314, "cryptography-44.0.0-cp39-abi3-manylinux_2_34_x86_64.whl", True),
        # Lambda's python3.14 is CPython's default build: free-threaded wheels do not load.
        (X86_314, "orjson-3.11.0-cp314-cp314t-manylinux_2_34_x86_64.whl", False),
        (X86_314, "numpy-2.3.0-cp314-cp314-manylinux_2_35_x86_64.whl", False),
        (X86_312, "orjson-3.11.0-cp314-cp314-manylinux_2_34_x86_64.whl", False),
    ],
)
def test_a_wheel_loads_where_its_tags_allow(target: Target, wheel: str, loads: bool) -> None:
    assert target.accepts(wheel) is loads


# -- reading requirements.txt --------------------------------------------------------------


def test_requirements_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "more.txt").write_text("attrs>=23  # nested\n-r ../base.txt\n")
    (tmp_path / "base.txt").write_text("idna==3.7\n")
    (tmp_path / "pins.txt").write_text("idna<4\n")
    (tmp_path / "requirements.txt").write_text(
        "# the app's dependencies\n"
        "\n"
        "requests==2.32.3 \\\n"
        "    ; python_version >= '3.8'\n"
        "chalicelike\n"
        "ChaliceLike[local]>=0.1\n"
        "-r nested/more.txt\n"
        "--requirement=base.txt\n"
        "-c pins.txt\n"
        "--extra-index-url https://example.invalid/simple\n"
    )
    assert project_requirements(tmp_path / "requirements.txt") == [
        "requests==2.32.3     ; python_version >= '3.8'",
        "attrs>=23",
        "idna==3.7",
        # base.txt again: pip reads it twice as well, and the resolver merges the two.
        "idna==3.7",
        f"--constraint {tmp_path / 'pins.txt'}",
        "--extra-index-url https://example.invalid/simple",
    ]


def test_an_editable_requirement_is_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-e ./libs/shared\n")
    with pytest.raises(PackagingError, match=r"editable requirement '-e \./libs/shared'"):
        project_requirements(tmp_path / "requirements.txt")


def test_the_runtime_brings_mangum_at_the_installed_version() -> None:
    from importlib.metadata import version

    assert runtime_requirements() == [f"mangum=={version('mangum')}"]
    assert runtime_requirements(exclude={"mangum"}) == []  # the project pins its own


def test_the_cache_key_is_the_requirement_set_runtime_and_architecture() -> None:
    key = cache_key(["b==1", "a==2"], X86_312)
    assert key == cache_key(["a==2", "b==1", "a==2"], X86_312)
    assert key != cache_key(["a==2"], X86_312)
    assert key != cache_key(["b==1", "a==2"], Target("python3.12", "arm64"))
    assert key != cache_key(["b==1", "a==2"], Target("python3.13", "x86_64"))


# -- resolving with a fake pip ------------------------------------------------------------

Step = Callable[[Sequence[str]], PipResult]


class FakePip(PipRunner):
    """Answers each pip command with the next step; records the commands."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.commands: list[list[str]] = []
        self.requirements: list[list[str]] = []  # the -r file of each command that had one

    def run(self, args: Sequence[str]) -> PipResult:
        self.commands.append(list(args))
        if "-r" in args:
            given = Path(args[list(args).index("-r") + 1])
            self.requirements.append(given.read_text().splitlines())
        return self.steps.pop(0)(args)


def _dest(args: Sequence[str]) -> Path:
    flag = "--dest" if "--dest" in args else "--wheel-dir"
    dest = Path(args[list(args).index(flag) + 1])
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def saves(*names: str) -> Step:
    def step(args: Sequence[str]) -> PipResult:
        for name in names:
            with zipfile.ZipFile(_dest(args) / name, "w") as wheel:
                wheel.writestr("placeholder.py", "")
        return PipResult(0, "", "")

    return step


def fails(stderr: str) -> Step:
    return lambda args: PipResult(1, "", stderr)


NOT_FOUND = (
    "ERROR: Could not find a version that satisfies the requirement {0} (from versions: none)\n"
    "ERROR: No matching distribution found for {0}\n"
)


def test_pip_downloads_binary_wheels_for_the_target_once(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("markupsafe==3.0.2\n")
    pip = FakePip(saves("markupsafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.whl"))
    first = resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip)
    assert [wheel.name for wheel in first.wheels] == [
        "markupsafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.whl"
    ]
    assert not first.cache_hit
    [command] = pip.commands
    assert command[:2] == ["download", "--only-binary=:all:"]
    assert X86_312.pip_options() == command[2 : 2 + len(X86_312.pip_options())]
    assert pip.requirements == [["markupsafe==3.0.2", *runtime_requirements()]]

    untouchable = mock.create_autospec(PipRunner, instance=True)
    again = resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", untouchable)
    assert again.cache_hit and again.wheels == first.wheels
    untouchable.run.assert_not_called()


def test_a_pure_python_sdist_is_built_and_pip_resolves_again(tmp_path: Path) -> None:
    index = "--extra-index-url https://example.invalid/simple"
    (tmp_path / "requirements.txt").write_text(f"{index}\ntinypkg==1.0\n")

    def finds_the_built_wheel(args: Sequence[str]) -> PipResult:
        built = Path(args[list(args).index("--find-links") + 1])
        assert [path.name for path in built.iterdir()] == ["tinypkg-1.0-py3-none-any.whl"]
        return saves("tinypkg-1.0-py3-none-any.whl", "mangum-0.22.0-py3-none-any.whl")(args)

    pip = FakePip(
        fails(NOT_FOUND.format("tinypkg==1.0")),
        saves("tinypkg-1.0.tar.gz"),
        saves("tinypkg-1.0-py3-none-any.whl"),
        finds_the_built_wheel,
    )
    found = resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip)
    assert [w.name for w in found.wheels] == [
        "mangum-0.22.0-py3-none-any.whl",
        "tinypkg-1.0-py3-none-any.whl",
    ]
    download_sdist, build = pip.commands[1], pip.commands[2]
    assert download_sdist[:3] == ["download", "--no-deps", "--no-binary=:all:"]
    assert pip.requirements[1] == [
        "--extra-index-url https://example.invalid/simple",
        "tinypkg==1.0",
    ]
    assert build[:2] == ["wheel", "--no-deps"] and build[-1].endswith("tinypkg-1.0.tar.gz")


def test_an_sdist_that_compiles_code_is_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("cpkg==2.0\n")
    pip = FakePip(
        fails(NOT_FOUND.format("cpkg==2.0")),
        saves("cpkg-2.0.tar.gz"),
        saves("cpkg-2.0-cp311-cp311-linux_x86_64.whl"),
    )
    with pytest.raises(PackagingError) as raised:
        resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip)
    assert str(raised.value).startswith("cpkg: no wheel for python3.12 on x86_64 (cp312")
    assert "cpkg-2.0-cp311-cp311-linux_x86_64.whl, which is compiled for this machine" in str(
        raised.value
    )
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [".gitignore"]  # no entry left


def test_a_requirement_pip_cannot_read_is_reported_with_pips_words(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("a==1\nb==2\n")
    conflict = "ERROR: Cannot install a==1 and b==2 because these package versions conflict.\n"
    pip = FakePip(fails(conflict))
    with pytest.raises(PackagingError, match="because these package versions conflict"):
        resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip)


# -- X-Ray tracing's own wheels -----------------------------------------------------------

XRAY_WHEELS = (
    "aws_xray_sdk-2.15.0-py2.py3-none-any.whl",
    "wrapt-2.5.2-cp312-cp312-manylinux1_x86_64.whl",
)
OLD_WRAPT = "wrapt-1.17.2-cp312-cp312-manylinux1_x86_64.whl"
MARKUPSAFE = "markupsafe-3.0.2-cp312-cp312-manylinux_2_17_x86_64.whl"


def test_tracing_brings_the_sdk_and_wrapt_at_the_installed_versions() -> None:
    from importlib.metadata import version

    sdk, wrapt = f"aws-xray-sdk=={version('aws-xray-sdk')}", f"wrapt=={version('wrapt')}"
    assert tracing_requirements() == [sdk, wrapt]
    assert tracing_requirements(exclude={"wrapt"}) == [sdk]  # the project pins its own
    # The project names the SDK: its resolution brings what the SDK needs (wrapt too).
    assert tracing_requirements(exclude={"aws-xray-sdk"}) == []


def test_tracing_wheels_come_without_their_dependencies(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("markupsafe==3.0.2\n")
    pip = FakePip(saves(MARKUPSAFE), saves(*XRAY_WHEELS))
    found = resolve_wheels(
        tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip, with_tracing=True
    )
    assert [wheel.name for wheel in found.wheels] == sorted([MARKUPSAFE, *XRAY_WHEELS])
    resolve, tracing = pip.commands
    assert "--no-deps" not in resolve
    assert pip.requirements[0] == ["markupsafe==3.0.2", *runtime_requirements()]
    # Without dependencies: botocore is Lambda's runtime's, and never ships a second time.
    assert tracing[:3] == ["download", "--no-deps", "--only-binary=:all:"]
    assert X86_312.pip_options() == tracing[3 : 3 + len(X86_312.pip_options())]
    assert pip.requirements[1] == tracing_requirements()

    # Another cache entry than the same requirements without tracing: those run pip again.
    pip = FakePip(saves(MARKUPSAFE))
    plain = resolve_wheels(tmp_path / "requirements.txt", X86_312, tmp_path / "cache", pip)
    assert [wheel.name for wheel in plain.wheels] == [MARKUPSAFE] and not plain.cache_hit
    untouchable = mock.create_autospec(PipRunner, instance=True)
    again = resolve_wheels(
        tmp_path / "requirements.txt", X86_312, tmp_path / "cache", untouchable, with_tracing=True
    )
    assert again.cache_hit and again.wheels == found.wheels
    untouchable.run.assert_not_called()


def test_tracing_adds_nothing_when_requirements_name_the_sdk(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("aws-xray-sdk==2.14.0\n")
    pip = FakePip(saves("aws_xray_sdk-2.14.0-py2.py3-none-any.whl", OLD_WRAPT))
    found = resolve_wheels(
        tmp_path / "requirements.txt",
        X86_312,
        tmp_path / "cache",
        pip,
        with_runtime_requirements=False,
        with_tracing=True,
    )
    assert len(pip.commands) == 1 and pip.requirements == [["aws-xray-sdk==2.14.0"]]
    assert [wheel.name for wheel in found.wheels] == [
        "aws_xray_sdk-2.14.0-py2.py3-none-any.whl",
        OLD_WRAPT,
    ]


def test_wrapt_the_requirements_resolved_is_not_fetched_twice(tmp_path: Path) -> None:
    index = "--extra-index-url https://example.invalid/simple"
    (tmp_path / "requirements.txt").write_text(f"{index}\ndeprecated==1.2.18\n")
    # deprecated needs wrapt: pip resolves it with the requirements, at its own version.
    pip = FakePip(saves("deprecated-1.2.18-py2.py3-none-any.whl", OLD_WRAPT), saves(XRAY_WHEELS[0]))
    found = resolve_wheels(
        tmp_path / "requirements.txt",
        X86_312,
        tmp_path / "cache",
        pip,
        with_runtime_requirements=False,
        with_tracing=True,
    )
    # The file's index applies to the SDK as to the rest.
    assert pip.requirements[1] == [index, tracing_requirements()[0]]
    assert [wheel.name for wheel in found.wheels] == [
        XRAY_WHEELS[0],
        "deprecated-1.2.18-py2.py3-none-any.whl",
        OLD_WRAPT,
    ]


def test_tracing_alone_runs_one_download(tmp_path: Path) -> None:
    pip = FakePip(saves(*XRAY_WHEELS))
    found = resolve_wheels(
        None, X86_312, tmp_path / "cache", pip, with_runtime_requirements=False, with_tracing=True
    )
    assert [wheel.name for wheel in found.wheels] == list(XRAY_WHEELS)
    [command] = pip.commands
    assert "--no-deps" in command


def test_tracing_wheels_pip_cannot_download_name_the_fix(tmp_path: Path) -> None:
    offline = (
        "WARNING: Retrying (Retry(total=0, ...)) after connection broken by "
        "'NewConnectionError(...: Failed to establish a new connection: [Errno 101] Network "
        "is unreachable')': /simple/aws-xray-sdk/\n" + NOT_FOUND.format("aws-xray-sdk==2.15.0")
    )
    pip = FakePip(fails(offline))
    with pytest.raises(PackagingError) as raised:
        resolve_wheels(
            None,
            X86_312,
            tmp_path / "cache",
            pip,
            with_runtime_requirements=False,
            with_tracing=True,
        )
    message = str(raised.value)
    assert message.startswith(
        f"xray is on, so the package ships {' and '.join(tracing_requirements())} for "
        "python3.12 on x86_64"
    )
    assert "No matching distribution found for aws-xray-sdk==2.15.0" in message
    for fix in ("name aws-xray-sdk in requirements.txt", "vendor/", "turn xray off"):
        assert fix in message
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [".gitignore"]  # no entry left


# -- from PyPI ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_binary_wheels_match_the_architecture_from_pypi(
    architecture: str, wheel_cache: Path
) -> None:
    target = Target("python3.12", architecture)
    found = resolve_wheels(PROJECTS / "binary_wheels" / "requirements.txt", target, wheel_cache)
    names = sorted(wheel.name.lower() for wheel in found.wheels)
    [markupsafe] = [name for name in names if name.startswith("markupsafe-3.0.2-cp312-cp312-")]
    assert f"_{target.machine}" in markupsafe
    other = {"x86_64": "aarch64", "aarch64": "x86_64"}[target.machine]
    assert other not in markupsafe
    assert any(name.startswith("mangum-") for name in names)
    assert any(name.startswith("typing_extensions-") for name in names)  # mangum needs it
    assert not any(name.startswith(("boto3-", "botocore-")) for name in names)
    assert all(target.accepts(name) for name in names)


@pytest.mark.slow
def test_glibc_limits_pick_older_wheels_for_older_runtimes_from_pypi(wheel_cache: Path) -> None:
    target = Target("python3.11", "x86_64")
    found = resolve_wheels(PROJECTS / "binary_wheels" / "requirements.txt", target, wheel_cache)
    [markupsafe] = [w.name for w in found.wheels if w.name.lower().startswith("markupsafe")]
    assert "cp311-cp311" in markupsafe and "manylinux_2_17_x86_64" in markupsafe


@pytest.mark.slow
def test_an_sdist_only_package_is_built_from_pypi(wheel_cache: Path) -> None:
    target = Target(HOST_RUNTIME, HOST_ARCHITECTURE)  # the target test_archive builds it for
    found = resolve_wheels(PROJECTS / "sdist_only" / "requirements.txt", target, wheel_cache)
    assert "docopt-0.6.2-py2.py3-none-any.whl" in [wheel.name for wheel in found.wheels]


@pytest.mark.slow
def test_a_package_without_a_linux_wheel_or_sdist_is_an_error_from_pypi(
    wheel_cache: Path,
) -> None:
    target = Target("python3.12", "x86_64")
    with pytest.raises(PackagingError) as raised:
        resolve_wheels(PROJECTS / "unsatisfiable" / "requirements.txt", target, wheel_cache)
    message = str(raised.value)
    assert message.startswith("pywin32: no wheel for python3.12 on x86_64")
    assert "no source distribution" in message and "manylinux wheel for x86_64" in message


# -- finding a pip -----------------------------------------------------------------------


@pytest.mark.slow
def test_a_virtualenv_without_pip_downloads_with_its_bundled_pip_from_pypi(
    tmp_path: Path,
) -> None:
    # `python -m venv --without-pip` (and uv's venvs) have no pip module: pip downloads
    # for another platform anyway, so the wheel the stdlib bundles for ensurepip serves.
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    python = str(tmp_path / "venv" / "bin" / "python")
    assert subprocess.run([python, "-c", "import pip"], capture_output=True).returncode == 1
    pip = PipRunner(python)
    assert pip.command()[0] == python and pip.command()[1].endswith(".whl/pip")
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    wheels = resolve_wheels(
        tmp_path / "requirements.txt",
        X86_312,
        tmp_path / "cache",
        pip,
        with_runtime_requirements=False,
    )
    assert [wheel.name for wheel in wheels.wheels] == ["six-1.16.0-py2.py3-none-any.whl"]


def test_an_interpreter_with_pip_runs_its_own() -> None:
    import sys

    assert PipRunner().command() == [sys.executable, "-m", "pip"]


def test_no_pip_anywhere_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "python"  # an interpreter with neither pip nor ensurepip
    bare.write_text("#!/bin/sh\nexit 0\n")
    bare.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PackagingError, match=r"No pip .* -m ensurepip` or `uv pip install pip`"):
        PipRunner(str(bare)).run(["--version"])
