"""deployment.zip: the app, chalicelib/, vendor/, chalicelike's runtime and the wheels, unpacked.

Laid out as Chalice lays it out, all at the zip's root (Lambda unpacks it as /var/task), with
entries sorted and times and modes fixed: packaging twice gives the same bytes. Each module's
bytecode for the target runtime ships beside it when that Python is at hand (`_bytecode`).
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from ._bytecode import FORMAT as BYTECODE_FORMAT
from ._bytecode import compile_sources, pyc_name
from ._json_cache import read_cached, write_cached
from ._repeat import write_whole
from ._runtime_files import lean_runtime
from ._wheels import PackagingError, PipRunner, Target, resolve_wheels

__all__ = ["ArchiveReport", "PackagingError", "build_deployment_zip"]

# Lambda's quotas: 50 MB zipped for a direct upload, 250 MB unzipped for function and layers
# (its error message states the latter as 262144000 bytes).
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 262_144_000
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
# zlib's default; 9 saves 0.5 % on sample_app for 2.5x the time. The level is part of the bytes.
COMPRESS_LEVEL = 6
_UNIX = 3  # create_system: the external attributes hold Unix modes
_ZIP_FORMAT = 1  # bump when what the zip holds changes for the same entries (the kept zip's key)
# Never shipped from the project's folders (besides every hidden file and folder: .git, .env*,
# .chalice/): bytecode found there (whatever Python made it; ours is compiled for the target
# runtime instead), tests, and virtualenvs.
_EXCLUDED_DIRS = frozenset({"__pycache__", "tests", "node_modules"})
_BYTECODE = (".pyc", ".pyo")


@dataclass(frozen=True)
class ArchiveReport:
    """What `build_deployment_zip` wrote."""

    path: Path
    zipped_bytes: int
    unzipped_bytes: int
    file_count: int
    wheels: tuple[str, ...]  # the wheel files unpacked into the zip
    cache_hit: bool  # the wheels came from the cache: no pip ran
    skipped: tuple[str, ...] = ()  # links not followed, each "path: why"
    compiled: int = 0  # the modules shipped with their bytecode
    no_bytecode: str = ""  # why none ships, when it was asked for
    reused: bool = False  # nothing changed since the last zip: it was copied, not rewritten
    kept_zip: str = ""  # the cache's copy of this zip ("" when none is kept)


@dataclass(frozen=True)
class Entry:
    """One file of the zip: where it goes, how big it is, and how to read it."""

    name: str
    size: int
    executable: bool
    read: Callable[[], bytes]
    stamp: str = ""  # what identifies the content without reading it ("" until read)


def build_deployment_zip(
    project_dir: Path,
    out_zip: Path,
    *,
    runtime: str,
    architecture: str,
    cache_dir: Path | None = None,
    pip: PipRunner | None = None,
    hosts_asgi_apps: bool = True,
    tracing: bool = False,
    bytecode: bool = True,
) -> ArchiveReport:
    """Write the project's deployment package for `runtime` (python3.10-3.14) on `architecture`.

    Wheels and the lean runtime are cached in `cache_dir` (default: the project's
    .chalice/cache/), keyed by the requirement set, runtime and architecture. mangum (and
    what it needs) ships only when the app hosts ASGI/WSGI apps (`hosts_asgi_apps`): the
    runtime's own routes never import it. aws-xray-sdk and wrapt ship only when a function
    traces (`tracing`: its `xray` is on), unless requirements.txt names the SDK or vendor/
    holds it. With `bytecode`, each module's .pyc for `runtime` ships beside it when an
    interpreter of that version is found (`no_bytecode` says when none is).
    """
    project_dir = Path(project_dir).resolve()
    target = Target(runtime, architecture)
    check_app_file(project_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(project_dir)
    requirements = project_dir / "requirements.txt"
    wheel_set = resolve_wheels(
        requirements if requirements.is_file() else None,
        target,
        cache,
        pip,
        with_runtime_requirements=hosts_asgi_apps,
        with_tracing=tracing and not (project_dir / "vendor" / "aws_xray_sdk").is_dir(),
    )
    runtime_layer = lean_runtime(cache)
    with ExitStack() as stack:
        skipped: list[str] = []
        entries = collect_entries(project_dir, wheel_set.wheels, runtime_layer, stack, skipped)
        check_unzipped_size(entries)  # before compiling what cannot ship anyway
        entries = [loaded(entry) for entry in entries]
        key = zip_key(entries, runtime, bytecode)
        made = reuse_zip(cache, key, Path(out_zip))
        if made is None:
            made = make_zip(entries, Path(out_zip), runtime, cache if bytecode else None)
            if not made["no_bytecode"] and remember_zip(cache, key, Path(out_zip), made):
                made["kept_zip"] = str(cache / f"zip-{key}.zip")
    return ArchiveReport(
        path=Path(out_zip),
        zipped_bytes=made["zipped"],
        unzipped_bytes=made["unzipped"],
        file_count=made["file_count"],
        wheels=tuple(wheel.name for wheel in wheel_set.wheels),
        cache_hit=wheel_set.cache_hit,
        skipped=tuple(skipped),
        compiled=made["compiled"],
        no_bytecode=made["no_bytecode"],
        reused=made.get("reused", False),
        kept_zip=made.get("kept_zip", ""),
    )


def make_zip(
    entries: list[Entry], out_zip: Path, runtime: str, bytecode_cache: Path | None
) -> dict[str, Any]:
    """Write `entries` (with their bytecode when `bytecode_cache` is given) to `out_zip`;
    what was written, as `ArchiveReport` counts it."""
    compiled, no_bytecode = 0, ""
    if bytecode_cache is not None:
        entries, compiled, no_bytecode = with_bytecode(entries, runtime, bytecode_cache)
    unzipped = check_unzipped_size(entries)
    return {
        "zipped": write_zip(entries, out_zip),
        "unzipped": unzipped,
        "file_count": len(entries),
        "compiled": compiled,
        "no_bytecode": no_bytecode,
    }


def loaded(entry: Entry) -> Entry:
    """`entry` read now, once, and stamped with its content's hash (a wheel's file keeps the
    stamp its wheel's index gives it: read only if the zip is written)."""
    if entry.stamp:
        return entry
    data = entry.read()
    digest = hashlib.sha256(data).hexdigest()
    return Entry(entry.name, len(data), entry.executable, partial(bytes, data), digest)


def zip_key(entries: Iterable[Entry], runtime: str, bytecode: bool) -> str:
    """What the zip's bytes depend on: every entry's name, mode and content, the runtime and
    the bytecode it ships, and the compressor (another zlib may deflate differently)."""
    digest = hashlib.sha256(
        f"{_ZIP_FORMAT}\0{runtime}\0{bytecode and BYTECODE_FORMAT}\0{COMPRESS_LEVEL}\0"
        f"{zlib.ZLIB_RUNTIME_VERSION}\0".encode()
    )
    for entry in entries:
        digest.update(f"{entry.name}\0{entry.executable:d}\0{entry.stamp}\0".encode())
    return digest.hexdigest()[:32]


def reuse_zip(cache: Path, key: str, out_zip: Path) -> dict[str, Any] | None:
    """The last zip built from the same `key`, copied to `out_zip`, or None when there is none.

    A repeat `package` with nothing changed then deflates nothing: the copy is the same bytes
    a rewrite would give.
    """
    kept, facts = cache / f"zip-{key}.zip", read_cached(cache / f"zip-{key}.json")
    if not isinstance(facts, dict):
        return None
    try:
        if kept.stat().st_size != facts.get("zipped"):
            return None
        _copy_whole(kept, out_zip)
    except OSError:
        return None
    return {**facts, "reused": True, "kept_zip": str(kept)}


def remember_zip(cache: Path, key: str, out_zip: Path, facts: dict[str, Any]) -> bool:
    """Keep a copy of `out_zip` as the zip of `key`, replacing the one kept before (one per
    cache: each can be tens of MB). A copy, not a link: the user's zip may be edited in place.
    Whether it was kept."""
    try:
        for old in cache.glob("zip-*"):
            old.unlink(missing_ok=True)
        _copy_whole(out_zip, cache / f"zip-{key}.zip")
        write_cached(cache / f"zip-{key}.json", facts)
    except OSError:
        return False  # a cache that cannot be written costs the next run a rewrite, nothing more
    return True


def _copy_whole(source: Path, target: Path) -> None:
    """Copied aside, then renamed: the file appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # shutil's copyfile would bring bz2 and lzma in with shutil: a few ms a repeat.
    write_whole(str(target), source.read_bytes())


def default_cache_dir(project_dir: Path) -> Path:
    return project_dir / ".chalice" / "cache"


def collect_entries(
    project_dir: Path,
    wheels: Iterable[Path],
    runtime_layer: Iterable[tuple[str, Path]],
    stack: ExitStack,
    skipped: list[str] | None = None,
) -> list[Entry]:
    """Every file of the zip, sorted by name; `stack` keeps the wheels open until written;
    the links left out are added to `skipped`.

    Where two sources hold the same name, the later wins: the wheels, then vendor/ (what
    the user put there on purpose), then chalicelike's runtime, then app.py and chalicelib/.
    """
    skipped = [] if skipped is None else skipped
    entries: dict[str, Entry] = {}
    for wheel in sorted(wheels):
        archive = stack.enter_context(zipfile.ZipFile(wheel))
        entries.update((entry.name, entry) for entry in wheel_entries(archive, wheel.name))
    app_file = project_dir / "app.py"
    sources: list[Iterable[Entry]] = [
        project_entries(project_dir / "vendor", "", project_dir, skipped),
        (file_entry(path, name) for name, path in runtime_layer),
        project_entries(project_dir / "chalicelib", "chalicelib/", project_dir, skipped),
        [file_entry(app_file, "app.py", real=check_app_file(project_dir))],
    ]
    for source in sources:
        entries.update((entry.name, entry) for entry in source)
    return [entries[name] for name in sorted(entries)]


def with_bytecode(
    entries: list[Entry], runtime: str, cache_dir: Path
) -> tuple[list[Entry], int, str]:
    """`entries` with each module's bytecode for `runtime` beside it, sorted by name; how
    many modules have it, and why none does (or "")."""
    sources = {entry.name: entry.read() for entry in entries if entry.name.endswith(".py")}
    compiled = compile_sources(sources, runtime, cache_dir)
    added = [
        Entry(pyc_name(name, runtime), len(pyc), False, partial(bytes, pyc))
        for name, pyc in compiled.pycs.items()
    ]
    merged = sorted([*entries, *added], key=lambda entry: entry.name)
    return merged, len(compiled.pycs), compiled.missing


def check_app_file(project_dir: Path) -> str:
    """The real path of `project_dir`'s app.py, refused when it is missing or a link that may
    not be followed: the app is the one file a package cannot leave out."""
    app_file = project_dir / "app.py"
    real = str(app_file)
    if app_file.is_symlink():
        real, problem = _link_target(app_file, project_dir)
        if problem is not None:
            raise PackagingError(
                f"{app_file} is {problem}: nothing outside the project is packaged"
            )
    if not os.path.isfile(real):
        raise PackagingError(f"No app.py in {project_dir}: Chalice projects keep their app there")
    return real


def project_entries(
    root: Path, prefix: str, project_dir: Path, skipped: list[str]
) -> Iterator[Entry]:
    """The files under `root` that belong on Lambda, named `prefix` + their relative path.

    Nothing outside `project_dir` is read: a symbolic link is followed only when it resolves
    inside the project (shared code linked into chalicelib/), and not into a hidden or
    excluded folder (`chalicelib/conf -> ../.chalice`); a link leading out (`awsconf ->
    ~/.aws`), a dangling one and a loop are left out and named in `skipped`. The walk goes
    through the real paths it checked, and each file is read from the path checked.
    """
    real = str(root)
    if root.is_symlink():
        real, problem = _link_target(root, project_dir)
        if problem is not None:
            skipped.append(f"{root.relative_to(project_dir).as_posix()}: {problem}")
            return
    if not os.path.isdir(real):
        return
    yield from _folder_entries(root, real, prefix, project_dir, skipped, (real,))


def _folder_entries(
    folder: Path,
    real_folder: str,
    prefix: str,
    project_dir: Path,
    skipped: list[str],
    ancestors: tuple[str, ...],
) -> Iterator[Entry]:
    """`folder`'s files; `real_folder` is where it was checked to be, and what is read."""
    with os.scandir(real_folder) as scan:
        children = sorted(scan, key=lambda child: child.name)
    for child in children:
        path = folder / child.name
        shown = f"{path.relative_to(project_dir).as_posix()}"
        real = child.path
        if child.is_symlink():
            real, problem = _link_target(Path(child.path), project_dir)
            if problem is not None:
                if not child.name.startswith("."):
                    skipped.append(f"{shown}: {problem}")
                continue
        status = _status_of(path, real)
        if stat.S_ISDIR(status.st_mode):
            if is_excluded_dir(child.name, real):
                continue
            if real in ancestors:
                skipped.append(f"{shown}: a link back to a folder it is in (a loop)")
                continue
            yield from _folder_entries(
                path, real, f"{prefix}{child.name}/", project_dir, skipped, (*ancestors, real)
            )
        elif stat.S_ISREG(status.st_mode) and not is_excluded_file(child.name):
            yield file_entry(path, prefix + child.name, real=real)


def _status_of(path: Path, real: str) -> os.stat_result:
    """`real`'s status, not following a link: one swapped in since the check is refused."""
    try:
        status = os.stat(real, follow_symlinks=False)
    except OSError as error:
        raise PackagingError(f"Cannot read {path}: {error.strerror}") from None
    if stat.S_ISLNK(status.st_mode):
        raise PackagingError(f"{path} changed while it was packaged (now a link); package again")
    return status


def _link_target(link: Path, project_dir: Path) -> tuple[str, str | None]:
    """Where the symbolic link `link` leads (its real path), and why it is not followed, or
    None when it may be: what is then read is that real path, not the link again.

    Its target is held to the rules a folder walk applies (no hidden, excluded or virtualenv
    folder on the way from the project root), and may not contain the link itself: a link
    to the project root or to a folder above it would package that folder inside itself.
    """
    real = os.path.realpath(link)
    return real, _link_problem(link, Path(real), project_dir)


def _link_problem(link: Path, target: Path, project_dir: Path) -> str | None:
    if not target.exists():
        return f"a dangling link (to {os.readlink(link)})"
    try:
        inside = target.relative_to(project_dir)
    except ValueError:
        return f"a link out of the project (to {target})"
    if target.is_dir() and Path(os.path.realpath(link.parent)).is_relative_to(target):
        shown = inside.as_posix() if inside.parts else "the project root"
        return f"a link to {shown}, a folder it is in (a loop)"
    folder = project_dir
    for part in inside.parts:
        if part.startswith(".") or part in _EXCLUDED_DIRS:
            return f"a link to {inside.as_posix()}, which is never packaged"
        if (folder / "pyvenv.cfg").is_file() and folder != project_dir:
            return f"a link into the virtualenv {folder.relative_to(project_dir).as_posix()}"
        folder = folder / part
    if target.is_dir() and (target / "pyvenv.cfg").is_file():
        return f"a link into the virtualenv {inside.as_posix()}"
    return None


def is_excluded_dir(name: str, real: str) -> bool:
    """Whether the folder `name` (found at `real`) never ships."""
    return (
        name.startswith(".")
        or name in _EXCLUDED_DIRS
        or os.path.isfile(os.path.join(real, "pyvenv.cfg"))  # a virtualenv, whatever its name
    )


def is_excluded_file(name: str) -> bool:
    return name.startswith(".") or name.endswith(_BYTECODE)


def file_entry(path: Path, name: str, *, real: str | None = None) -> Entry:
    """`path` as the zip entry `name`, read later from the very file checked now.

    `real` is the path the checks passed (by default `path`'s real path). Its inode is
    taken here; `read` opens that path without following a link in its last part and
    refuses a file that is not the one checked, so a link swapped in between the check and
    the read (`chalicelib/x.py -> ~/.aws/...`) is never followed.
    """
    real = real if real is not None else os.path.realpath(path)
    status = _status_of(path, real)
    return Entry(
        name=normalized_name(name),
        size=status.st_size,
        executable=bool(status.st_mode & 0o111),
        read=partial(_read_checked, path, real, (status.st_dev, status.st_ino)),
    )


def _read_checked(path: Path, real: str, identity: tuple[int, int]) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as error:
        raise PackagingError(
            f"Cannot read {path}: {error.strerror} (changed while it was packaged?)"
        ) from None
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(file.fileno())
        if (status.st_dev, status.st_ino) != identity or not stat.S_ISREG(status.st_mode):
            raise PackagingError(
                f"{path} changed while it was packaged (it is no longer the file {real} "
                "that was checked); package again"
            )
        return file.read()


def wheel_entries(archive: zipfile.ZipFile, wheel_name: str) -> Iterator[Entry]:
    """A wheel's files where pip would install them into site-packages (PEP 427).

    `<name>.data/purelib|platlib/` go to the root as the rest; scripts, headers and data
    files have no place on sys.path and are left out, as is bytecode.
    """
    for info in archive.infolist():
        if info.is_dir():
            continue
        parts = info.filename.split("/")
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        if "__pycache__" in parts or parts[-1].endswith(_BYTECODE):
            continue
        if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
            raise PackagingError(f"{wheel_name} holds an unsafe path: {info.filename!r}")
        yield Entry(
            name=normalized_name("/".join(parts)),
            size=info.file_size,
            executable=bool((info.external_attr >> 16) & 0o111),
            read=partial(archive.read, info),
            # The wheel's index: its name and the file's CRC and size, known without inflating.
            stamp=f"{wheel_name}:{info.filename}:{info.CRC:08x}:{info.file_size}",
        )


def normalized_name(name: str) -> str:
    """Relative, '/'-separated and NFC: macOS spells accented file names decomposed."""
    path = PurePosixPath(unicodedata.normalize("NFC", name))
    if path.is_absolute() or ".." in path.parts:
        raise PackagingError(f"Cannot package {name!r}: zip entries stay inside /var/task")
    return path.as_posix()


def check_unzipped_size(entries: Iterable[Entry]) -> int:
    total = sum(entry.size for entry in entries)
    if total > LAMBDA_UNZIPPED_LIMIT:
        raise PackagingError(
            f"The package unzips to {total / 2**20:.1f} MB; Lambda allows 250 MB "
            f"({LAMBDA_UNZIPPED_LIMIT} bytes) unzipped. Move large dependencies to a layer "
            "or a container image, or trim requirements.txt"
        )
    return total


def check_zipped_size(size: int) -> None:
    if size > LAMBDA_ZIPPED_LIMIT:
        raise PackagingError(
            f"deployment.zip is {size / 2**20:.1f} MB; Lambda accepts 50 MB zipped for a direct "
            "upload. Move large dependencies to a layer, or trim requirements.txt"
        )


def write_zip(entries: Iterable[Entry], out_zip: Path) -> int:
    """Write the entries in order with fixed metadata; the file appears whole or not at all."""
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    scratch = out_zip.with_name(f".{out_zip.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(scratch, "w") as archive:
            for entry in entries:
                archive.writestr(
                    zip_info(entry),
                    entry.read(),
                    compress_type=zipfile.ZIP_DEFLATED,
                    compresslevel=COMPRESS_LEVEL,
                )
        size = os.path.getsize(scratch)
        check_zipped_size(size)
        os.replace(scratch, out_zip)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    return size


def zip_info(entry: Entry) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(entry.name, date_time=ZIP_EPOCH)
    info.create_system = _UNIX
    mode = 0o755 if entry.executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    return info
