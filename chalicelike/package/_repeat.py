"""A `package` repeat with nothing changed, answered from the last build's record before click,
the app's reader or the packager are imported (they were most of a repeat's 0.1 s).

A full build records what it read (each input file's status, chalicelike's own files, the
interpreter), the zip it kept and its templates' text; when all of it is as recorded, the
outputs are written from the record. Anything else (an edit, other options, an option click
would refuse, a link in the project) goes to the full build. Only os and sys are imported here.
"""

from __future__ import annotations

import os
import sys

# Not typing.TYPE_CHECKING: a repeat imports no typing (~3 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

__all__ = [
    "FORMATS",
    "RepeatOptions",
    "answer_repeat",
    "fingerprint",
    "fingerprint_files",
    "fingerprint_review",
    "fingerprint_wheel_sets",
    "parse_package_argv",
    "remember_build",
    "settled",
    "write_whole",
]

_RECORD_FORMAT = 1  # bump when what a record holds changes
FORMATS = ("sam", "cloudformation", "terraform")  # _command.FORMATS (imported there from here)
TEMPLATE_FORMATS = ("json", "yaml")
# The project's folders whose every file the build may read; the rest of the project's top
# level is stamped file by file (app.py, requirements.txt, a module app.py imports).
_WALKED = ("chalicelib", "vendor", ".chalice")
_VALUED = {
    "--stage": "stage",
    "--pkg-format": "pkg_format",
    "--template-format": "template_format",
    "--project-dir": "project_dir",
}
_FLAGS = {"--bytecode": True, "--no-bytecode": False}
_SITE_FOLDERS = ("site-packages", "dist-packages")


class RepeatOptions:
    """What `chalicelike package` was asked for: what a record is kept by."""

    __slots__ = ("bytecode", "outdir", "pkg_format", "project_dir", "stage", "template_format")

    def __init__(self, values: dict[str, Any]) -> None:
        self.project_dir: str = values["project_dir"]
        self.outdir: str = values["outdir"]
        self.stage: str = values["stage"]
        self.pkg_format: str = values["pkg_format"]
        self.template_format: str = values["template_format"]
        self.bytecode: bool = values["bytecode"]

    def key(self) -> list[Any]:
        """What the outputs depend on (the project and OUTDIR aside)."""
        return [self.stage, self.pkg_format, self.template_format, self.bytecode]

    def record_path(self, project: str) -> str:
        tag = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.stage)
        name = f"repeat-{self.pkg_format}-{self.template_format}-{self.bytecode:d}-{tag}.json"
        return os.path.join(project, ".chalice", "cache", name)


def parse_package_argv(argv: Sequence[str]) -> RepeatOptions | None:
    """`chalicelike [--project-dir D] package [options] OUTDIR` as click reads it, or None for
    anything else (another command, --help, --debug, an unknown option or choice): click
    then reads it, and says what is wrong."""
    values: dict[str, Any] = {
        "project_dir": ".",
        "stage": "dev",
        "pkg_format": "sam",
        "template_format": "json",
        "bytecode": True,
    }
    tokens = list(argv)
    while tokens and tokens[0] != "package":  # the group's options come before the command
        if not _take_option(tokens, {"--project-dir": "project_dir"}, {}, values):
            return None
    if not tokens:
        return None
    del tokens[0]
    outdirs = []
    while tokens:
        if tokens[0] == "--":
            outdirs += tokens[1:]
            break
        if tokens[0].startswith("-") and tokens[0] != "-":
            if not _take_option(tokens, _VALUED, _FLAGS, values):
                return None
        else:
            outdirs.append(tokens.pop(0))
    if len(outdirs) != 1:
        return None
    if values["pkg_format"] not in FORMATS or values["template_format"] not in TEMPLATE_FORMATS:
        return None
    return RepeatOptions({**values, "outdir": outdirs[0]})


def _take_option(
    tokens: list[str], valued: dict[str, str], flags: dict[str, bool], values: dict[str, Any]
) -> bool:
    """Take the option at `tokens[0]` (and its value) into `values`; False if it is not one."""
    name, equals, value = tokens.pop(0).partition("=")
    if name in flags and not equals:
        values["bytecode"] = flags[name]
        return True
    if name not in valued:
        return False
    if not equals:
        if not tokens or tokens[0].startswith("-"):
            return False  # click's to read (or refuse)
        value = tokens.pop(0)
    values[valued[name]] = value  # given twice, the later wins, as with click
    return True


def fingerprint(project: str, stage: str, extra: Iterable[str] = ()) -> dict[str, str] | None:
    """Every input of a build and its status: the project's files, `extra` files read from
    elsewhere (nested requirement files, policy files), chalicelike's own files, the
    interpreter and the installed distributions. None when the project holds a link the
    build would have to judge: the full build does, every time."""
    import zlib  # the compressor's version is part of the kept zip's key

    # The console script and `python -m` name the same interpreter differently.
    python = os.path.realpath(sys.executable)
    stamps = {"python": f"{python}\0{sys.prefix}\0{sys.version}\0{zlib.ZLIB_RUNTIME_VERSION}"}
    stamps.update(fingerprint_review(project, stage))
    stamps.update(fingerprint_wheel_sets(project))
    # A pip install or upgrade renames .dist-info folders: their parent's status changes.
    stamps.update(fingerprint_files(p for p in sys.path if p.endswith(_SITE_FOLDERS)))
    stamps.update(fingerprint_files(extra))
    ours = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        whole = _walk(ours, stamps, "") and _stamp_project(project, stage, stamps)
        return stamps if whole else None
    except OSError:
        return None  # a folder that cannot be read: the full build says why


def _stamp_project(project: str, stage: str, stamps: dict[str, str]) -> bool:
    """Stamp the project's files into `stamps`; False on a link the build would judge."""
    with os.scandir(project) as scan:
        top = sorted(scan, key=lambda entry: entry.name)
    for entry in top:
        if entry.name in _WALKED or entry.name in ("app.py", "requirements.txt"):
            if entry.is_symlink():
                return False
            if entry.name in _WALKED and entry.is_dir():
                skip = f"policy-{stage}.json" if entry.name == ".chalice" else ""
                if not _walk(entry.path, stamps, skip):
                    return False
                continue
        if not entry.is_dir():
            stamps[entry.path] = _stamp(entry.path)
    return True


def fingerprint_files(paths: Iterable[str]) -> dict[str, str]:
    return {path: _stamp(path) for path in paths}


def fingerprint_review(project: str, stage: str) -> dict[str, str]:
    """The review file by content: each build with autogen_policy rewrites it, unchanged."""
    path = os.path.join(project, ".chalice", f"policy-{stage}.json")
    try:
        with open(path, encoding="utf-8") as file:
            return {"review": "text:" + file.read()}
    except (OSError, ValueError):
        return {"review": "missing"}


def fingerprint_wheel_sets(project: str) -> dict[str, str]:
    """The wheel sets in the project's cache (`python3.X-<machine>-<key>`): one removed is
    downloaded again by the next build, perhaps in newer versions, so the kept zip is stale."""
    cache = os.path.join(project, ".chalice", "cache")
    try:
        with os.scandir(cache) as scan:
            return {
                entry.path: _format(entry.stat())
                for entry in scan
                if entry.name.startswith("python") and entry.is_dir()
            }
    except OSError:
        return {}


def _walk(folder: str, stamps: dict[str, str], skip: str) -> bool:
    """Stamp every file under `folder` (bytecode caches and .chalice/cache aside, and the
    file `skip` at its top); False on a link."""
    with os.scandir(folder) as scan:
        children = sorted(scan, key=lambda entry: entry.name)
    for child in children:
        if child.is_symlink():
            return False
        if child.is_dir():
            if child.name == "__pycache__" or (skip and child.name == "cache"):
                continue
            if not _walk(child.path, stamps, ""):
                return False
        elif child.name != skip:
            status = child.stat()
            stamps[child.path] = _format(status)
    return True


def _stamp(path: str) -> str:
    try:
        return _format(os.stat(path))
    except OSError:
        return "missing"


def settled(stamps: dict[str, str], started_ns: int) -> bool:
    """Whether no stamped file changed from just before `started_ns` (the build's start) on.

    A change while the build ran, or one the file system's clock cannot tell from the
    build's start, may not be in what it read: such a build is not recorded, and the next
    one is full. File clocks tick coarsely (a few ms on Linux; 2 s on FAT, some network
    shares): a file stamped in whole seconds gets a 2 s margin, others 50 ms."""
    for stamp in stamps.values():
        fields = stamp.split(" ")
        if len(fields) != 4:
            continue  # not a file's status ("missing", the interpreter, a file's text)
        mtime, ctime = int(fields[2]), int(fields[3])
        margin = 2_000_000_000 if mtime % 1_000_000_000 == 0 else 50_000_000
        if max(mtime, ctime) >= started_ns - margin:
            return False
    return True


def _format(status: os.stat_result) -> str:
    # ctime too: a chmod (the zip keeps the executable bit) or a copy that keeps mtimes.
    return f"{status.st_mode:o} {status.st_size} {status.st_mtime_ns} {status.st_ctime_ns}"


def answer_repeat(argv: Sequence[str]) -> int | None:
    """Exit status 0 when `argv` is a `package` repeat whose outputs were written from its
    record, or None: the full build's to do (it writes them all again)."""
    import time

    started = time.perf_counter()
    options = parse_package_argv(argv) if os.name == "posix" else None
    if options is None:
        return None
    project = os.path.realpath(options.project_dir)
    record = _read_record(options.record_path(project))
    if record is None or record.get("format") != _RECORD_FORMAT:
        return None
    try:
        inputs = fingerprint(project, options.stage, record.get("extra", []))
    except (TypeError, ValueError):  # a record of another shape: the full build's
        return None
    if record.get("options") != options.key() or record.get("inputs") != inputs:
        return None
    try:
        summary = record["summary"]
        facts = (
            f"for {summary['runtime']} {summary['architecture']} ({summary['zipped']:,} bytes "
            f"zipped, {summary['wheels']} wheels, cached)"
        )
        written = _write_outputs(record, options.outdir)
    except (OSError, LookupError, TypeError, ValueError):
        # A record of another shape, or a write the full build will meet too (and explain).
        return None
    if written is None:
        return None
    shown = _shown(options.outdir)
    _say(
        f"chalicelike package: {', '.join(written)} in {shown} {facts} "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return 0


def _read_record(path: str) -> dict[str, Any] | None:
    import json

    try:
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _write_outputs(record: dict[str, Any], outdir: str) -> list[str] | None:
    """The kept zip copied and the templates written, as the full build writes them; None
    (before writing anything) when the kept zip is gone."""
    kept = record["zip"]
    with open(kept["path"], "rb") as file:
        data = file.read()
    if len(data) != kept["size"]:
        return None
    os.makedirs(outdir, exist_ok=True)
    write_whole(os.path.join(outdir, "deployment.zip"), data)
    names = ["deployment.zip"]
    for name, text in record["templates"]:
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as file:
            file.write(text)
        names.append(name)
    return names


def write_whole(target: str, data: bytes) -> None:
    """Written aside, then renamed: the file appears whole or not at all."""
    scratch = os.path.join(
        os.path.dirname(target), f".{os.path.basename(target)}.{os.getpid()}.partial"
    )
    try:
        with open(scratch, "wb") as file:
            file.write(data)
        os.replace(scratch, target)
    except BaseException:
        if os.path.exists(scratch):
            os.unlink(scratch)
        raise


def _shown(path: str) -> str:
    """`path` as str(PurePosixPath(path)) shows it (pathlib is not imported for it)."""
    root = "/" if path.startswith("/") else ""
    if path.startswith("//") and not path.startswith("///"):
        root = "//"  # POSIX leaves the meaning of two leading slashes to the system
    return root + "/".join(part for part in path.split("/") if part not in ("", ".")) or "."


def _say(line: str) -> None:
    try:
        print(line)
        sys.stdout.flush()
    except BrokenPipeError:  # as the CLI does: the reader has gone, and that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def remember_build(
    options: RepeatOptions,
    project: str,
    inputs: dict[str, str] | None,
    extra: list[str],
    built: dict[str, Any],
) -> None:
    """Record a full build (its `inputs` stamped before it began), for the next repeat.
    `built` holds the kept zip's path and size, the templates as written, and the summary."""
    from ._json_cache import write_cached

    if inputs is None or not built["kept_zip"]:
        return  # a link in the project, or no zip kept: every repeat is a full build
    record = {
        "format": _RECORD_FORMAT,
        "options": options.key(),
        "inputs": inputs,
        "extra": extra,
        "zip": {"path": built["kept_zip"], "size": built["summary"]["zipped"]},
        "templates": built["templates"],
        "summary": built["summary"],
    }
    try:
        from pathlib import Path

        write_cached(Path(options.record_path(project)), record)
    except OSError:
        pass  # a cache that cannot be written costs the next run a full build, nothing more
