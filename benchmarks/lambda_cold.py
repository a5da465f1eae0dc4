"""Lambda cold starts, chalicelike beside its anchors, in one run: HTTP, then event handlers.

    python benchmarks/lambda_cold.py [--runs 15] [--no-source] [--no-preloaded]
                                     [--part all|http|events]

Two parts, each its own set of stacks (apps in benchmarks/apps/, events in events.py):
"http", one REST API GET through six stacks' HTTP handlers; "events", one batch of three
SQS messages through an SQS consumer (bare, chalicelike, Chalice), the function a
non-HTTP trigger calls. Both are measured and reported the same way.

A cold start is timed from this process around `subprocess.run`: a fresh interpreter
starts, imports the stack's app and handles one event, printing nothing. Runs are
interleaved across a part's stacks (in a rotating order), so drift on the machine hits
all alike; the median and p90 count.

The child runs with `-I -S` and a fixed Lambda-like environment: no user site, no
PYTHON* variables, and no site-packages `.pth` hooks. Lambda puts the function's
directory on sys.path without an editable-install finder; the venv's finder would
import pathlib, re and urllib.parse at startup for every stack and hide them from the
stacks that need them. sys.path is set to the apps, the project root and site-packages.

Two modes: "pyc" with the bytecode cache warmed by a first run of each app (what a
deployment that ships .pyc files, or a reused sandbox, pays), and "source" with no
bytecode read or written outside the standard library (what a plain zip pays: Lambda
zips normally ship without .pyc files, so every module of the app and its
dependencies is compiled on a cold start).

Beside those whole-process figures, "preloaded" is the handler init as AWS's Python
runtime pays it (on by default; `--no-preloaded` skips it). The runtime client
(awslambdaric's bootstrap) has already imported json, logging, re, enum, decimal,
traceback... before it imports the handler's module, so only what comes after is the
function's own: the child imports `awslambdaric.bootstrap`, parses the event as the
runtime does, then times with perf_counter_ns from just before importing the app's
module to the handler's first answer, and prints that. The event and context are built
without the benchmark's events module (it imports typing, which the runtime has not).
"preloaded" reads the warm .pyc cache, "preloaded-source" compiles as from a plain zip;
benchmarks/lambda_zip_cold.py times the same from each framework's own deployment.zip.

Then, in each part, for chalicelike alone, the modules its cold path imports beyond
the bare handler's, from `-X importtime`, and a check that it imports no server, SDK or
CLI (FORBIDDEN below).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import events as bench_events  # noqa: E402
from events import ANCHORS, SQS_ANCHORS, SQS_STACKS, STACKS  # noqa: E402


class Part(NamedTuple):
    """One set of stacks, timed and compared together, and the event each is sent."""

    title: str
    stacks: dict[str, str]  # name -> module in benchmarks/apps/
    anchors: list[str]  # the stacks every other is divided by
    handler: str  # the attribute of each app module that Lambda calls
    event: str  # in events.py: makes a fresh copy of the event
    check: str  # in events.py: (app module, answer) -> what is wrong, or ''


PARTS = {
    "http": Part(
        "HTTP: one REST API GET", STACKS, ANCHORS, "handler", "fresh_event", "http_problem"
    ),
    "events": Part(
        "Events: an SQS consumer, one batch of 3 messages",
        SQS_STACKS,
        SQS_ANCHORS,
        "handle_jobs",
        "fresh_sqs_event",
        "sqs_problem",
    ),
}
MODES = ("pyc", "source", "preloaded", "preloaded-source")
SOURCE_MODES = {"source", "preloaded-source"}
PRELOADED_MODES = {"preloaded", "preloaded-source"}
CAPTIONS = {
    "pyc": "pyc: whole process, bytecode cache warm",
    "source": "source: whole process, no .pyc outside the stdlib, as from a plain zip",
    "preloaded": "preloaded: handler init after AWS's runtime client, in-process ms from the "
    "app's import to its first answer, bytecode cache warm",
    "preloaded-source": "preloaded-source: the same, no .pyc outside the stdlib "
    "(as from a plain zip)",
}

# Never on chalicelike's Lambda path for a sync view or an event handler: each is a server,
# an SDK, a CLI or an adapter that only other front doors (ASGI, local server, test client,
# async views, hosted ASGI apps) need.
FORBIDDEN = (
    "asyncio",
    "boto3",
    "botocore",
    "chalicelike._doors._asgi",
    "chalicelike._core._coroutines",
    "chalicelike.cli",
    "chalicelike.test",
    "click",
    "mangum",
    "starlette",
    "uvicorn",
)

# The child: argv is [paths, module, handler, event, check, mode, stdlib, action, preload].
# "source" mode makes cache_from_source refuse every path outside the stdlib, so importlib compiles
# those modules from source and writes nothing (it treats NotImplementedError as "no cache").
# A wrong answer exits non-zero with the problem on stderr; "modules" prints sys.modules.
# A child's lines that make "source" mode (they read `mode` and `stdlib`): shared with the
# other cold-start benchmarks.
SOURCE_MODE = """\
if mode.endswith("source"):
    import _frozen_importlib_external as _bootstrap

    _cache_from_source = _bootstrap.cache_from_source

    def _stdlib_only(path, debug_override=None, *, optimization=None):
        if not path.startswith(stdlib):
            raise NotImplementedError
        return _cache_from_source(path, debug_override, optimization=optimization)

    _bootstrap.cache_from_source = _stdlib_only
"""

# A child's lines that load what AWS's runtime client has loaded before it imports the
# handler's module, and then time handler init as the runtime pays it: the parsed event
# (`event_json`) and the runtime's own LambdaContext handed to the handler, from just before
# the import of `module_name` to `handler_name`'s answer. They leave `module`, `answer` and
# `elapsed_ns` defined. Shared with lambda_zip_cold.py, which switches sys.path between them.
RUNTIME_CLIENT = """\
import json
import time

import awslambdaric.bootstrap  # noqa: F401
from awslambdaric.lambda_context import LambdaContext
"""
HANDLER_INIT = """\
event = json.loads(event_json)
context = LambdaContext(
    "8f5e1c2a-1111-2222-3333-444455556666", None, None, 4102444800000,
    "arn:aws:lambda:us-east-1:123456789012:function:bench-dev",
)
started = time.perf_counter_ns()
module = __import__(module_name)
answer = getattr(module, handler_name)(event, context)
elapsed_ns = time.perf_counter_ns() - started
"""

# The "preloaded" modes' lines (they read `mode` and argv[9], the event as JSON).
PRELOADED = (
    'if mode.startswith("preloaded"):\n    event_json = sys.argv[9]\n'
    + textwrap.indent(RUNTIME_CLIENT + HANDLER_INIT, "    ")
    + """\
    if action == "run":
        print(elapsed_ns)
    import events
"""
)

CHILD = (
    """\
import sys
paths, module_name, handler_name, event_name, check_name, mode, stdlib, action = sys.argv[1:9]
sys.path[:0] = paths.split(":")
"""
    + SOURCE_MODE
    + PRELOADED
    + """\
else:
    module = __import__(module_name)
    import events

    answer = getattr(module, handler_name)(getattr(events, event_name)(), events.LambdaContext())
if action == "modules":
    print(" ".join(sorted(sys.modules)))
else:
    problem = getattr(events, check_name)(module, answer)
    if problem:
        raise SystemExit(problem)
"""
)

# What the Lambda runtime sets that these apps could read; nothing from this shell leaks in.
ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "TZ": ":UTC",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "bench-dev",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "LAMBDA_TASK_ROOT": str(HERE / "apps"),
}


def child_command(part: Part, module: str, mode: str, action: str, *flags: str) -> list[str]:
    paths = [str(HERE / "apps"), str(HERE), str(ROOT), sysconfig.get_paths()["purelib"]]
    stdlib = sysconfig.get_paths()["stdlib"]
    return [
        sys.executable,
        "-I",
        "-S",
        *flags,
        "-c",
        CHILD,
        ":".join(paths),
        module,
        part.handler,
        part.event,
        part.check,
        mode,
        stdlib,
        action,
        event_json(part) if mode in PRELOADED_MODES else "",
    ]


def event_json(part: Part) -> str:
    """The part's event as the JSON the runtime reads from its API (it parses it itself)."""
    return json.dumps(getattr(bench_events, part.event)())


def run_child(
    part: Part, module: str, mode: str, action: str, *flags: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        child_command(part, module, mode, action, *flags),
        env=ENVIRONMENT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def check(part: Part) -> None:
    """Run each app once: it must answer correctly, and this run warms its .pyc cache."""
    for name, module in part.stacks.items():
        result = run_child(part, module, "pyc", "run")
        if result.returncode != 0:
            raise SystemExit(f"{name} answered wrongly:\n{result.stdout}{result.stderr}")


def time_cold_starts(
    part: Part, runs: int, modes: tuple[str, ...]
) -> dict[str, dict[str, list[float]]]:
    """ms per cold start, per mode and stack; each round starts with a different stack."""
    names = list(part.stacks)
    samples: dict[str, dict[str, list[float]]] = {m: {n: [] for n in names} for m in modes}
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for mode in modes:
                command = child_command(part, part.stacks[name], mode, "run")
                start = time.perf_counter()
                result = subprocess.run(
                    command, env=ENVIRONMENT, stdin=subprocess.DEVNULL, capture_output=True
                )
                elapsed = (time.perf_counter() - start) * 1e3
                if result.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{result.stderr.decode()}")
                if mode in PRELOADED_MODES:  # the child timed its own handler init
                    elapsed = int(result.stdout) / 1e6
                samples[mode][name].append(elapsed)
    return samples


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def print_table(samples: dict[str, list[float]], anchors: list[str]) -> None:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    header = f"{'stack':<18} {'median ms':>10} {'p90 ms':>8}  " + "  ".join(
        f"{'÷ ' + a:>18}" for a in anchors
    )
    print(header)
    for name, values in samples.items():
        ratios = "  ".join(f"{medians[name] / medians[a]:>17.2f}x" for a in anchors)
        print(f"{name:<18} {medians[name]:>10.2f} {p90(values):>8.2f}  {ratios}")


def parse_importtime(stderr: str) -> dict[str, tuple[float, float, str]]:
    """Per module of one `-X importtime` log: (self ms, cumulative ms, importing module)."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append((name.strip(), int(self_us) / 1e3, int(cumulative_us) / 1e3, depth))
    # The log lists a module after the modules it imported: read backwards, a module's
    # importer is the last one seen one level up.
    parsed: dict[str, tuple[float, float, str]] = {}
    importers: dict[int, str] = {-1: "-"}
    for name, self_ms, cumulative_ms, depth in reversed(entries):
        importers[depth] = name
        parsed[name] = (self_ms, cumulative_ms, importers.get(depth - 1, "?"))
    return parsed


def import_times(
    part: Part, module: str, repeats: int
) -> tuple[dict[str, tuple[float, float, str]], set]:
    """Per module (median self ms, median cumulative ms, importer), and all of sys.modules."""
    runs = []
    modules: set[str] = set()
    for _ in range(repeats):
        result = run_child(part, module, "pyc", "modules", "-X", "importtime")
        modules = set(result.stdout.split())
        runs.append(parse_importtime(result.stderr))
    times = {}
    for name, (_, _, importer) in runs[0].items():
        entries = [run[name] for run in runs if name in run]
        self_ms = statistics.median(entry[0] for entry in entries)
        times[name] = (self_ms, statistics.median(entry[1] for entry in entries), importer)
    return times, modules


def report_imports(part: Part, top: int, repeats: int) -> bool:
    """Print what chalicelike imports beyond the bare handler; False if a forbidden one is."""
    bare, _ = import_times(part, part.stacks["bare handler"], repeats)
    ours, loaded = import_times(part, part.stacks["chalicelike"], repeats)
    extra = {name: times for name, times in ours.items() if name not in bare}
    print(
        f"chalicelike imports {len(extra)} modules beyond the bare handler's, "
        f"{sum(t[0] for t in extra.values()):.1f} ms of self time "
        f"(-X importtime, median of {repeats} runs, pyc warm):\n"
    )
    print(f"{'module':<28} {'cumulative ms':>14} {'self ms':>8}  imported by")
    ranked = sorted(extra.items(), key=lambda item: item[1][1], reverse=True)
    for name, (self_ms, cumulative_ms, importer) in ranked[:top]:
        print(f"{name:<28} {cumulative_ms:>14.1f} {self_ms:>8.1f}  {importer}")
    found = [name for name in FORBIDDEN if name in loaded]
    print()
    if found:
        print(f"FAIL: chalicelike's cold path imports {', '.join(found)}")
        return False
    print(f"ok: chalicelike's cold path imports none of {', '.join(FORBIDDEN)}")
    return True


def run_part(part: Part, args: argparse.Namespace, modes: tuple[str, ...]) -> bool:
    """Time and print one part's tables, then its import report; False if that fails."""
    print(f"== {part.title} ==\n")
    samples = time_cold_starts(part, args.runs, modes)
    for mode in modes:
        print(f"{CAPTIONS[mode]}\n")
        print_table(samples[mode], part.anchors)
        print()
    return report_imports(part, args.top, args.importtime_runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold starts per stack and mode")
    parser.add_argument("--no-source", action="store_true", help="skip the no-.pyc modes")
    parser.add_argument(
        "--no-preloaded", action="store_true", help="skip the runtime-preloaded handler init"
    )
    parser.add_argument("--top", type=int, default=15, help="modules listed for chalicelike")
    parser.add_argument("--importtime-runs", type=int, default=5)
    parser.add_argument("--part", choices=["all", *PARTS], default="all", help="default: all")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (a p90 needs two samples)")
    modes = tuple(
        mode
        for mode in MODES
        if not (args.no_source and mode in SOURCE_MODES)
        and not (args.no_preloaded and mode in PRELOADED_MODES)
    )
    parts = list(PARTS.values()) if args.part == "all" else [PARTS[args.part]]
    for part in parts:
        check(part)
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} cold starts "
        f"per stack and mode, interleaved\n"
    )
    passed = [run_part(part, args, modes) for part in parts]
    if not all(passed):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
