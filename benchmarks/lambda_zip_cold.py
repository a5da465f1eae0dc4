"""Handler init from each framework's own deployment.zip, unpacked read-only as /var/task is.

    python benchmarks/lambda_zip_cold.py [--runs 15] [--no-compiled]

The benchmark's REST app (benchmarks/apps/chalicelike_app.py and its Chalice twin) is
made a project in a temporary folder and packaged by its own framework, as a user does:
`chalicelike package` (from this tree) and `chalice package`, both `--pkg-format
terraform`. The bare handler is zipped by hand as the floor. Each zip is unpacked into its
own folder and made read-only (`chmod -R a-w`): on Lambda /var/task cannot be written, so a
module without a matching .pyc in the zip is compiled on every cold start, and nothing a
cold start compiles is kept. chmod does not stop root, so the child also runs with `-B`
(read a .pyc, never write one), and the folders are checked unchanged after the runs.

Each cold start is a fresh interpreter with Lambda's environment (`-I -S -B`, no PYTHON*
variables). AWS's runtime client (awslambdaric's bootstrap) is imported first, from outside
the task folder as /var/runtime is; then sys.path is the task folder and the stdlib only, so
an import the zip cannot satisfy fails instead of falling back on site-packages. Timed with
perf_counter_ns in the child: from just before importing the handler's module to the first
answer to the REST event (as lambda_cold.py's "preloaded" mode); the whole process is timed
around it too. Runs are interleaved in a rotating order; medians, p90s and ratios count.

The zips are built for the runtime their projects name (python3.<this interpreter's minor>,
what both packagers build for by default) and run on this interpreter: a .pyc a packager
ships is read only if its tag matches this interpreter's (the report counts them). With
`--no-compiled` left off, each zip is also timed a second time after compiling it here
(`compileall`, unchecked-hash .pyc, before the chmod): what shipping bytecode would buy.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from events import fresh_event  # noqa: E402
from lambda_cold import ENVIRONMENT, HANDLER_INIT, RUNTIME_CLIENT, p90  # noqa: E402

RUNTIME = f"python3.{sys.version_info.minor}"
CONFIG = {"version": "2.0", "app_name": "bench", "stages": {"dev": {}}}

# The child: argv is [task folder, runtime client's folder, module, handler, event JSON,
# benchmarks folder]. It prints the ns from the app's import to its answer; a wrong answer
# exits non-zero with the problem on stderr.
CHILD = (
    """\
import sys
task, runtime, module_name, handler_name, event_json, benchmarks = sys.argv[1:]
stdlib = [path for path in sys.path if path]
sys.path[:] = [runtime, *stdlib]
"""
    + RUNTIME_CLIENT
    + """\
# The function's own imports see /var/task and the stdlib, not the runtime's folder.
sys.path[:] = [task, *stdlib]
"""
    + HANDLER_INIT
    + """\
if not module.__file__.startswith(task):
    raise SystemExit(f"{module_name} came from {module.__file__}, not {task}")
sys.path.append(benchmarks)
import events

problem = events.http_problem(module, answer)
if problem:
    raise SystemExit(problem)
print(elapsed_ns)
"""
)


class Task(NamedTuple):
    """One unpacked, read-only deployment package and what Lambda would call in it."""

    name: str
    folder: Path
    handler: str  # module.attribute, from the package's template
    py_files: int
    matching_pyc: int  # .pyc files this interpreter would read
    other_pyc: int  # .pyc files for another Python, which it ignores
    files: frozenset[Path]  # what the folder held once unpacked (no run may add to it)


def files_of(folder: Path) -> frozenset[Path]:
    return frozenset(folder.rglob("*"))


def make_project(folder: Path, app_source: Path) -> Path:
    (folder / ".chalice").mkdir(parents=True)
    (folder / ".chalice" / "config.json").write_text(json.dumps(CONFIG))
    (folder / "requirements.txt").write_text("")
    shutil.copy(app_source, folder / "app.py")
    return folder


def package(name: str, project: Path, out: Path) -> tuple[Path, str, str]:
    """Run a framework's own `package`: (deployment.zip, handler, runtime) from its template."""
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    if name == "chalice":
        command = [str(Path(sys.executable).parent / "chalice")]
    else:  # this tree's chalicelike, whatever the venv has installed
        command = [sys.executable, "-m", "chalicelike.cli"]
        env["PYTHONPATH"] = str(ROOT)
    command += ["--project-dir", str(project), "package", "--pkg-format", "terraform", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{name} package failed:\n{done.stdout}{done.stderr[-3000:]}")
    (template,) = out.glob("*.tf.json")
    functions = json.loads(template.read_text())["resource"]["aws_lambda_function"]
    function = next(iter(functions.values()))
    return out / "deployment.zip", function["handler"], function["runtime"]


def bare_zip(out: Path) -> Path:
    out.mkdir(parents=True)
    archive = out / "deployment.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(HERE / "apps" / "bare.py", "app.py")
    return archive


def unpack(name: str, archive: Path, folder: Path, handler: str, compiled: bool) -> Task:
    """Unzip, optionally compile here, then make it read-only as Lambda's /var/task is."""
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(folder)
    if compiled:
        compileall.compile_dir(
            folder,
            quiet=1,
            invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    tag = sys.implementation.cache_tag
    pycs = list(folder.rglob("*.pyc"))
    matching = sum(1 for path in pycs if f".{tag}." in path.name)
    subprocess.run(["chmod", "-R", "a-w", str(folder)], check=True)
    py_files = len(list(folder.rglob("*.py")))
    other = len(pycs) - matching
    return Task(name, folder, handler, py_files, matching, other, files_of(folder))


def cold_start(task: Task) -> tuple[float, float]:
    """One fresh interpreter: (handler init ms in the child, whole process ms)."""
    module, handler = task.handler.rsplit(".", 1)
    runtime = sysconfig.get_paths()["purelib"]  # where awslambdaric is installed
    # -B: nothing is written, as on Lambda's read-only /var/task (chmod alone does not stop root)
    command = [sys.executable, "-I", "-S", "-B", "-c", CHILD, str(task.folder), runtime, module]
    command += [handler, json.dumps(fresh_event()), str(HERE)]
    env = {**ENVIRONMENT, "LAMBDA_TASK_ROOT": str(task.folder)}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    whole = (time.perf_counter() - started) * 1e3
    if done.returncode != 0:
        raise SystemExit(f"{task.name} failed:\n{done.stderr.decode()[-3000:]}")
    return int(done.stdout) / 1e6, whole


def time_tasks(tasks: list[Task], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    samples: dict[str, tuple[list[float], list[float]]] = {t.name: ([], []) for t in tasks}
    for round_ in range(runs):
        shift = round_ % len(tasks)
        for task in tasks[shift:] + tasks[:shift]:
            init, whole = cold_start(task)
            samples[task.name][0].append(init)
            samples[task.name][1].append(whole)
    return samples


def build_tasks(work: Path, compiled: bool) -> tuple[list[Task], dict[str, int], str]:
    """Package each stack, unpack it read-only (and a compiled copy): tasks, zip sizes, runtime."""
    archives: dict[str, tuple[Path, str]] = {}
    runtimes = set()
    for name, framework, app in (
        ("chalicelike", "chalicelike", "chalicelike_app.py"),
        ("chalice 1.34", "chalice", "chalice_app.py"),
    ):
        project = make_project(work / framework / "project", HERE / "apps" / app)
        archive, handler, runtime = package(framework, project, work / framework / "out")
        archives[name] = (archive, handler)
        runtimes.add(runtime)
    archives["bare handler"] = (bare_zip(work / "bare" / "out"), "app.handler")
    tasks = []
    for variant in ("", " +pyc here") if compiled else ("",):
        for name, (archive, handler) in archives.items():
            folder = work / "task" / f"{name}{variant}".replace(" ", "_").replace("+", "")
            tasks.append(unpack(f"{name}{variant}", archive, folder, handler, bool(variant)))
    sizes = {name: archive.stat().st_size for name, (archive, _) in archives.items()}
    return tasks, sizes, ", ".join(sorted(runtimes))


def report_packages(tasks: list[Task], sizes: dict[str, int], runtime: str) -> None:
    tag = sys.implementation.cache_tag
    print(
        f"Each zip built by its own packager for {runtime} x86_64; run on Python "
        f"{sys.version.split()[0]} ({tag}), {os.cpu_count()} cores, unpacked read-only.\n"
    )
    print(f"{'package':<24} {'zip bytes':>10} {'.py':>5} {'.pyc read':>10} {'.pyc other':>11}")
    for task in tasks:
        size = sizes.get(task.name)
        shown = f"{size:>10,d}" if size is not None else f"{'':>10}"
        print(
            f"{task.name:<24} {shown} {task.py_files:>5} {task.matching_pyc:>10} "
            f"{task.other_pyc:>11}"
        )
    if runtime != RUNTIME:
        print(f"\nnote: the zips target {runtime}, this is {RUNTIME}: their .pyc go unread")
    print()


def report_times(samples: dict[str, tuple[list[float], list[float]]], runs: int) -> None:
    print(
        f"Handler init (in-process, AWS's runtime client loaded first) and the whole process, "
        f"ms, {runs} cold starts each, interleaved:\n"
    )
    print(
        f"{'stack':<24} {'init median':>11} {'p90':>7} {'process median':>15} {'p90':>7}"
        f"  {'init ÷ chalice':>14}  {'init ÷ bare':>11}"
    )
    init = {name: statistics.median(pair[0]) for name, pair in samples.items()}
    for name, (inits, wholes) in samples.items():
        variant = name[len(name.split(" +")[0]) :]  # the anchors of the same variant
        chalice, bare = init[f"chalice 1.34{variant}"], init[f"bare handler{variant}"]
        print(
            f"{name:<24} {init[name]:>11.2f} {p90(inits):>7.2f} "
            f"{statistics.median(wholes):>15.1f} {p90(wholes):>7.1f}"
            f"  {init[name] / chalice:>13.2f}x  {init[name] / bare:>10.0f}x"
        )
    print()
    for variant in sorted({name[len(name.split(" +")[0]) :] for name in samples}):
        ours, theirs = samples[f"chalicelike{variant}"], samples[f"chalice 1.34{variant}"]
        init_ratio = statistics.median(ours[0]) / statistics.median(theirs[0])
        whole_ratio = statistics.median(ours[1]) / statistics.median(theirs[1])
        verdict = "meets" if init_ratio <= 0.5 else "misses"
        print(
            f"chalicelike{variant} / chalice 1.34{variant}: handler init {init_ratio:.2f}x "
            f"({verdict} the 0.5x target), whole process {whole_ratio:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold starts per package")
    parser.add_argument(
        "--no-compiled", action="store_true", help="skip the zips compiled here (+pyc here)"
    )
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (a p90 needs two samples)")
    work = Path(tempfile.mkdtemp(prefix="bench-zip-cold-"))
    try:
        tasks, sizes, runtime = build_tasks(work, not args.no_compiled)
        for task in tasks:  # each must answer rightly before anything is timed
            cold_start(task)
        report_packages(tasks, sizes, runtime)
        samples = time_tasks(tasks, args.runs)
        changed = [task.name for task in tasks if files_of(task.folder) != task.files]
        if changed:
            raise SystemExit(f"a cold start wrote into {', '.join(changed)}")
        report_times(samples, args.runs)
    finally:  # read-only folders: give write back so the scratch can go
        subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
