"""requirements.txt as wheels for one Lambda runtime and architecture, cached between runs.

pip resolves for the target (its CPython ABI, manylinux within its glibc); a package with
only a source distribution is built here and kept when the result is pure Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from .._core._errors import ChaliceError
from ._json_cache import make_cache_dir

__all__ = [
    "RUNTIME_GLIBC",
    "RUNTIME_REQUIREMENTS",
    "TRACING_REQUIREMENTS",
    "PackagingError",
    "PipResult",
    "PipRunner",
    "Target",
    "WheelSet",
    "cache_key",
    "project_requirements",
    "publish",
    "requirement_files",
    "resolve_wheels",
    "runtime_requirements",
    "tracing_requirements",
]

# The glibc of each runtime's OS, as AWS documents it: Amazon Linux 2 has 2.26, Amazon Linux 2023
# has 2.34. A manylinux wheel built for a newer glibc fails to load there.
RUNTIME_GLIBC = {
    "python3.10": (2, 26),
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
    "python3.14": (2, 34),
}
# Lambda's architecture names to the machine names in wheel tags.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# What the runtime imports beyond the standard library (mangum for hosted ASGI/WSGI apps).
# boto3 and botocore are not here: Lambda's Python runtimes provide them.
RUNTIME_REQUIREMENTS = ("mangum",)
# What the runtime's X-Ray tracing imports (`xray` on): the SDK, and wrapt, which the SDK needs
# and Lambda's runtime lacks. The SDK's other dependency, botocore, the runtime has: these are
# downloaded without their dependencies, so a second botocore (tens of MB) never ships.
TRACING_REQUIREMENTS = ("aws-xray-sdk", "wrapt")
XRAY_SDK = "aws-xray-sdk"
# Never fetched from the index: the runtime ships from this installation (`_runtime_files`),
# and chalicelike's own dependencies (uvicorn, watchfiles, ...) serve only the dev server.
SHIPPED_FROM_HERE = frozenset({"chalicelike"})
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_CACHE_FORMAT = 1  # bump when the cache's layout or meaning changes


class PackagingError(ChaliceError):
    """The project cannot become a deployment package; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """The Lambda runtime and architecture a package is built for."""

    runtime: str  # python3.10 - python3.14
    architecture: str  # x86_64 | arm64

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIME_GLIBC:
            allowed = ", ".join(RUNTIME_GLIBC)
            raise PackagingError(f"runtime must be one of {allowed}, not {self.runtime!r}")
        if self.architecture not in MACHINES:
            allowed = ", ".join(MACHINES)
            raise PackagingError(
                f"architecture must be one of {allowed}, not {self.architecture!r}"
            )

    def __str__(self) -> str:
        major, minor = self.glibc
        glibc = f"manylinux glibc <= {major}.{minor}"
        return f"{self.runtime} on {self.architecture} ({self.abi}, {glibc})"

    @property
    def minor(self) -> int:
        return int(self.runtime.removeprefix("python3."))

    @property
    def abi(self) -> str:
        return f"cp3{self.minor}"

    @property
    def machine(self) -> str:
        return MACHINES[self.architecture]

    @property
    def glibc(self) -> tuple[int, int]:
        return RUNTIME_GLIBC[self.runtime]

    def platforms(self) -> list[str]:
        """pip's --platform values: every manylinux the runtime's glibc can load.

        pip does not widen a perennial tag (manylinux_2_34) to older glibcs, so each one
        is listed; manylinux2014 brings manylinux2010 and manylinux1 along (pip widens it).
        """
        major, newest = self.glibc
        oldest = 17 if self.machine == "aarch64" else 5  # PEP 599: aarch64 starts at 2.17
        perennial = [f"manylinux_{major}_{m}_{self.machine}" for m in range(newest, oldest - 1, -1)]
        return [*perennial, f"manylinux2014_{self.machine}"]

    def pip_options(self) -> list[str]:
        options = ["--implementation", "cp", "--python-version", f"3.{self.minor}"]
        for abi in (self.abi, "abi3", "none"):
            options += ["--abi", abi]
        for platform in self.platforms():
            options += ["--platform", platform]
        return options

    def accepts(self, wheel_name: str) -> bool:
        """Whether a wheel file (by its PEP 427 name) loads on this runtime."""
        tags = wheel_name.removesuffix(".whl").split("-")[-3:]
        if len(tags) != 3:
            return False
        pythons, abis, platforms = (tag.split(".") for tag in tags)
        return any(
            self._python_ok(python, abi) and self._platform_ok(platform)
            for python, abi, platform in product(pythons, abis, platforms)
        )

    def _python_ok(self, python: str, abi: str) -> bool:
        if abi == self.abi:
            return python == self.abi
        older = {f"3{m}" for m in range(self.minor + 1)} | {"3"}
        if abi == "abi3":
            return python.startswith("cp") and python[2:] in older
        return abi == "none" and python[:2] in ("py", "cp") and python[2:] in older

    def _platform_ok(self, platform: str) -> bool:
        if platform == "any":
            return True
        legacy, _, machine = platform.partition("_")
        if legacy in _LEGACY_MANYLINUX:
            return machine == self.machine and _LEGACY_MANYLINUX[legacy] <= self.glibc
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", platform)
        if match is None:  # linux_x86_64 (built on one machine), musllinux, macOS, Windows
            return False
        glibc = (int(match[1]), int(match[2]))
        return match[3] == self.machine and glibc <= self.glibc


@dataclass(frozen=True)
class PipResult:
    returncode: int
    stdout: str
    stderr: str


class PipRunner:
    """Runs pip in a subprocess; tests hand the packager a fake instead.

    pip only downloads and builds here (for the target's platform, not this machine), so
    any pip serves: the interpreter's own (`python -m pip`); else the pip wheel its stdlib
    bundles for `ensurepip`, run straight from the wheel (a venv made `--without-pip`, or
    by uv, has no pip of its own); else a `pip` on PATH.
    """

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self._command: list[str] | None = None

    def run(self, args: Sequence[str]) -> PipResult:
        # Only when the cache misses: a repeat build runs no pip.
        from ._progress import run_showing_progress

        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
        status, out, err = run_showing_progress([*self.command(), *args], env, "pip")
        return PipResult(status, out, err)

    def command(self) -> list[str]:
        """How pip is started; PackagingError saying what to install when none is found."""
        if self._command is None:
            self._command = _find_pip(self.python)
        return self._command


def _find_pip(python: str) -> list[str]:
    import shutil
    import subprocess

    probe = (
        "import importlib.util, pathlib, sys\n"
        "if importlib.util.find_spec('pip'): print('module')\n"
        "elif importlib.util.find_spec('ensurepip'):\n"
        "    import ensurepip\n"
        "    bundled = sorted(pathlib.Path(ensurepip.__file__).parent.glob('_bundled/pip-*.whl'))\n"
        "    print(bundled[-1] if bundled else '')\n"
    )
    try:
        found = subprocess.run(
            [python, "-I", "-c", probe], capture_output=True, text=True, timeout=60, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    if found == "module":
        return [python, "-m", "pip"]
    if found.endswith(".whl"):
        return [python, f"{found}/pip"]  # pip runs from its own wheel
    on_path = shutil.which("pip3") or shutil.which("pip")
    if on_path is not None:
        return [on_path]
    raise PackagingError(
        f"No pip to download the requirements with: {python} has none (a virtualenv made "
        f"--without-pip, or by uv), nor a bundled one, and no pip is on PATH. Install it "
        f"into that environment: `{python} -m ensurepip` or `uv pip install pip`"
    )


@dataclass(frozen=True)
class WheelSet:
    """The wheels a package gets, and whether they came from the cache untouched."""

    wheels: tuple[Path, ...]
    cache_hit: bool


def resolve_wheels(
    requirements_file: Path | None,
    target: Target,
    cache_dir: Path,
    pip: PipRunner | None = None,
    with_runtime_requirements: bool = True,
    with_tracing: bool = False,
) -> WheelSet:
    """The wheels for requirements.txt plus the runtime's own, from the cache when it has them.

    The runtime's own (mangum) serve only hosted ASGI/WSGI apps and mounts: an app with
    none can leave them out (`with_runtime_requirements=False`). `with_tracing` adds what
    X-Ray tracing imports (`TRACING_REQUIREMENTS`) unless requirements.txt names the SDK.

    A cache entry is named by the requirement set, runtime and architecture; a hit runs
    no pip at all. An entry appears whole or not at all (built aside, then renamed).
    """
    lines = project_requirements(requirements_file) if requirements_file else []
    named = {_project_name(line) for line in lines}
    if with_runtime_requirements:
        lines += runtime_requirements(exclude=named)
    tracing = tracing_requirements(exclude=named) if with_tracing else []
    if not lines and not tracing:
        return WheelSet((), cache_hit=True)  # nothing to resolve, nothing for pip to do
    # The tracing lines are fetched without their dependencies: marked so in the key.
    key = cache_key([*lines, *(f"--no-deps {line}" for line in tracing)], target)
    entry = cache_dir / f"{target.runtime}-{target.architecture}-{key}"
    if entry.is_dir():
        return WheelSet(tuple(sorted(entry.glob("*.whl"))), cache_hit=True)
    import shutil
    import tempfile

    pip = pip or PipRunner()
    make_cache_dir(cache_dir)
    with tempfile.TemporaryDirectory(prefix=".building-", dir=cache_dir) as scratch:
        work = Path(scratch)
        staged = work / "entry"
        staged.mkdir()
        # An options-only file with tracing on has nothing of its own for pip to resolve.
        wheels = download_wheels(lines, target, work, pip) if _resolvable(lines, tracing) else []
        if tracing:
            wheels += download_tracing(tracing, lines, target, work, pip, _projects_of(wheels))
        for wheel in wheels:
            shutil.move(str(wheel), staged / wheel.name)
        publish(staged, entry)
    return WheelSet(tuple(sorted(entry.glob("*.whl"))), cache_hit=False)


def _resolvable(lines: Sequence[str], tracing: Sequence[str]) -> bool:
    return any(not line.startswith("-") for line in lines) or (bool(lines) and not tracing)


def download_tracing(
    tracing: Sequence[str],
    lines: Sequence[str],
    target: Target,
    work: Path,
    pip: PipRunner,
    resolved: set[str],
) -> list[Path]:
    """The tracing requirements' own wheels for `target`, without their dependencies (the
    runtime has botocore); one the requirements already `resolved` (wrapt) is not fetched
    twice. `lines`' options (indexes, find-links) apply, as to the requirements."""
    wanted = [line for line in tracing if _project_name(line) not in resolved]
    if not wanted:
        return []
    requirements = work / "tracing.txt"
    options = [line for line in lines if line.startswith("-")]
    requirements.write_text("".join(f"{line}\n" for line in [*options, *wanted]), "utf-8")
    dest = work / "tracing"
    fetch = ["download", "--no-deps", "--only-binary=:all:", *target.pip_options()]
    result = pip.run([*fetch, "--dest", str(dest), "-r", str(requirements)])
    if result.returncode != 0:
        raise PackagingError(
            f"xray is on, so the package ships {' and '.join(wanted)} for {target}, but pip "
            f"could not download them:\n{_tail(result.stderr)}\nPackage where PyPI (or the "
            "index requirements.txt names) can be reached; or name aws-xray-sdk in "
            "requirements.txt, with an index or --find-links that has it; or put aws_xray_sdk "
            "and wrapt, built for Lambda, in vendor/; or turn xray off"
        )
    return _checked(sorted(dest.glob("*.whl")), target)


def _projects_of(wheels: Sequence[Path]) -> set[str]:
    """The normalised project names of wheel files (PEP 427: the name comes first)."""
    return {_project_name(wheel.name.split("-")[0]) for wheel in wheels}


def publish(staged: Path, entry: Path) -> None:
    """Move a finished cache entry into place in one rename: readers never see half of one."""
    try:
        os.rename(staged, entry)
    except OSError:
        if not entry.is_dir():  # else a concurrent build finished first, with the same content
            raise


def cache_key(lines: Sequence[str], target: Target) -> str:
    material = {
        "format": _CACHE_FORMAT,
        "requirements": sorted(set(lines)),
        "constraints": _constraint_contents(lines),
        "target": [target.runtime, target.architecture],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]


def download_wheels(lines: Sequence[str], target: Target, work: Path, pip: PipRunner) -> list[Path]:
    """Resolve `lines` to wheels for `target` in `work`; build pure-Python ones from sdists.

    pip runs binary-only for the target; each requirement it cannot satisfy that way is
    built from its sdist into a local folder pip then finds (with its dependencies).
    """
    requirements = work / "requirements.txt"
    requirements.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    built = work / "built"
    built.mkdir()
    tried: set[str] = set()
    while True:  # each round returns, raises, or builds a package not built before
        dest = work / f"wheels-{len(tried)}"  # fresh each round: no leftovers of a failed one
        options = ["--only-binary=:all:", *target.pip_options(), "--find-links", str(built)]
        result = pip.run(["download", *options, "--dest", str(dest), "-r", str(requirements)])
        if result.returncode == 0:
            return _checked(sorted(dest.glob("*.whl")), target)
        missing = _unsatisfied(result.stderr)
        if missing is None:
            raise PackagingError(
                f"pip could not resolve the requirements for {target}:\n{_tail(result.stderr)}"
            )
        name = _project_name(missing)
        if name in tried:
            raise PackagingError(f"{name}: no wheel matching {missing!r} for {target}")
        tried.add(name)
        # The requirement comes with the file's options: its indexes serve the sdist too.
        options_too = [line for line in lines if line.startswith("-")]
        build_pure_wheel([*options_too, missing], target, work, built, pip)


def build_pure_wheel(
    lines: Sequence[str], target: Target, work: Path, built: Path, pip: PipRunner
) -> Path:
    """Build the sdist of `lines`' requirement (its last line) into `built`, if pure Python."""
    import shutil

    name = _project_name(lines[-1])
    sdists, out = work / "sdists" / name, work / "wheel-build" / name
    requirements = work / f"sdist-{name}.txt"
    requirements.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    # --no-deps is what lets pip take the target's options while fetching an sdist.
    fetch = ["download", "--no-deps", "--no-binary=:all:", *target.pip_options()]
    result = pip.run([*fetch, "--dest", str(sdists), "-r", str(requirements)])
    found = sorted(sdists.glob("*")) if result.returncode == 0 else []
    if not found:
        raise PackagingError(
            f"{name}: no wheel for {target} and no source distribution to build one from "
            f"({_tail(result.stderr, 1) or 'nothing downloaded'}); pick a version with a "
            f"manylinux wheel for {target.machine}, or put a built copy in vendor/"
        )
    result = pip.run(["wheel", "--no-deps", "--wheel-dir", str(out), str(found[0])])
    wheels = sorted(out.glob("*.whl")) if result.returncode == 0 else []
    if not wheels:
        raise PackagingError(
            f"{name}: no wheel for {target}, and building its source "
            f"distribution failed:\n{_tail(result.stderr)}"
        )
    wheel = wheels[0]
    if not _is_pure(wheel.name):
        raise PackagingError(
            f"{name}: no wheel for {target}, and its source distribution builds "
            f"{wheel.name}, which is compiled for this machine and would not load on Lambda; "
            f"pick a version with a manylinux wheel for {target.machine}, or vendor/ one"
        )
    return Path(shutil.move(str(wheel), built / wheel.name))


def project_requirements(path: Path, _seen: frozenset[Path] = frozenset()) -> list[str]:
    """The lines pip is given for a requirements file: nested files inlined, paths absolute.

    chalicelike itself is dropped (the runtime ships from this installation); editable
    requirements cannot be packaged.
    """
    path = path.resolve()
    if path in _seen:
        return []
    lines: list[str] = []
    for line, nested, constraint in _read_lines(path):
        if nested is not None:
            lines += project_requirements(path.parent / nested, _seen | {path})
        elif constraint is not None:
            lines.append(f"--constraint {(path.parent / constraint).resolve()}")
        elif _option_value(line, "-e", "--editable") is not None:
            raise PackagingError(
                f"{path}: editable requirement {line!r} cannot be packaged; "
                "name the package, or put its code in vendor/"
            )
        elif _project_name(line) not in SHIPPED_FROM_HERE:
            lines.append(line)
    return lines


def requirement_files(path: Path, _seen: frozenset[Path] = frozenset()) -> list[Path]:
    """The files pip reads for the requirements file `path`: itself, the files it nests and
    its constraint files (what `project_requirements` reads), whether or not they exist."""
    path = path.resolve()
    if path in _seen or not path.is_file():
        return [path]
    files = [path]
    for _line, nested, constraint in _read_lines(path):
        if nested is not None:
            files += requirement_files(path.parent / nested, _seen | {path})
        elif constraint is not None:
            files.append((path.parent / constraint).resolve())
    return files


def runtime_requirements(exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The runtime's own dependencies, pinned to the installed versions (what tests ran)."""
    # A name in `exclude` is one the project pins itself.
    return [_pinned(name) for name in RUNTIME_REQUIREMENTS if name not in exclude]


def tracing_requirements(exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What X-Ray tracing needs, pinned to the installed versions (the `xray` extra's); none
    when the project names aws-xray-sdk itself: its resolution brings what the SDK needs."""
    if XRAY_SDK in exclude:
        return []
    return [_pinned(name) for name in TRACING_REQUIREMENTS if name not in exclude]


def _pinned(name: str) -> str:
    version = installed_version(name)
    return f"{name}=={version}" if version else name


def installed_version(name: str) -> str | None:
    """The version of an installed distribution, from its .dist-info folder's name.

    importlib.metadata would parse its METADATA (and import the email package to do so):
    a tenth of a second a repeat build need not pay.
    """
    prefix = re.sub(r"[-_.]+", "_", name).lower() + "-"
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.lower().startswith(prefix) and entry.endswith(".dist-info"):
                return entry[len(prefix) : -len(".dist-info")]
    return None


def _checked(wheels: list[Path], target: Target) -> list[Path]:
    for wheel in wheels:
        if not (target.accepts(wheel.name) or _is_pure(wheel.name)):
            raise PackagingError(f"{wheel.name} does not load on {target}")
    return wheels


def _is_pure(wheel_name: str) -> bool:
    """py3-none-any (or py2.py3): runs on any CPython 3, whatever the machine."""
    tags = wheel_name.removesuffix(".whl").split("-")[-3:]
    if len(tags) != 3:
        return False
    pythons, abis, platforms = (tag.split(".") for tag in tags)
    return "py3" in pythons and abis == ["none"] and platforms == ["any"]


def _unsatisfied(stderr: str) -> str | None:
    """The requirement pip could not satisfy, from its 'No matching distribution' error."""
    found = re.findall(r"No matching distribution found for ([^\n]+)", stderr)
    return found[-1].strip() if found else None


def _project_name(requirement: str) -> str:
    """The PEP 503 normalised project name a requirement line starts with ('' for options)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match[1]).lower() if match else ""


def _read_lines(path: Path) -> list[tuple[str, str | None, str | None]]:
    """Each logical line of a requirements file, with the file it nests (`-r`) and the
    constraints file it names (`-c`), if any."""
    found = []
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        nested = _option_value(line, "-r", "--requirement")
        found.append((line, nested, _option_value(line, "-c", "--constraint")))
    return found


def _logical_lines(text: str) -> list[str]:
    """pip's reading of a requirements file: continuations joined, comments and blanks gone."""
    joined = re.sub(r"\\\r?\n", "", text)
    stripped = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in joined.splitlines())
    return [line for line in stripped if line]


def _option_value(line: str, short: str, long: str) -> str | None:
    match = re.fullmatch(rf"(?:{short}|{long}(?=[\s=]))\s*=?\s*(\S.*)", line)
    return match[1] if match else None


def _constraint_contents(lines: Sequence[str]) -> list[str]:
    """Constraint files change the resolution: their text is part of the cache key."""
    contents = []
    for line in lines:
        if line.startswith("--constraint "):
            constraint = Path(line.removeprefix("--constraint "))
            contents.append(constraint.read_text(encoding="utf-8") if constraint.is_file() else "")
    return contents


def _tail(text: str, count: int = 6) -> str:
    """pip's last error lines (its warnings about unreachable indexes are noise here)."""
    lines = [line for line in text.splitlines() if line.strip() and "is ignored" not in line]
    return "\n".join(lines[-count:])
