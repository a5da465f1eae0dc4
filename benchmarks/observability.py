"""What tracing, JSON logs and metrics cost on Lambda: chalicelike beside Powertools, in one run.

    python benchmarks/observability.py [--runs 11] [--rounds 5] [--number 2000] [--baseline REV]

Every stack serves the REST GET of lambda_warm.py (events.py) and, with a feature on,
does what a user of that feature writes in each framework:
  tracing  chalicelike: CHALICELIKE_XRAY=true (handler, view subsegments) + one
           `@app.tracer.capture` function; Powertools: Tracer with
           `capture_lambda_handler` + one `capture_method` function.
  logs     one INFO line with an extra field per invoke: `app.log` under
           AWS_LAMBDA_LOG_FORMAT=JSON; Powertools' Logger with `inject_lambda_context`.
  metrics  one metric per invoke, one EMF document flushed per invoke: `app.metrics.put`;
           Powertools' Metrics with `log_metrics`.
  all      the three together.
Powertools serves the route through its own APIGatewayRestResolver. "today" is chalicelike
as it was before the observability layer (`--baseline`, default: the parent of the commit
that added chalicelike/_observe), unpacked with `git archive`, with nothing on, beside
chalicelike with nothing on.

Both runtimes run as Lambda runs them: LAMBDA_TASK_ROOT set, a sampled trace header in
_X_AMZN_TRACE_ID, and AWS_XRAY_DAEMON_ADDRESS pointing at one UDP socket of this process
(a thread drains it), POWERTOOLS_TRACE_DISABLED unset. Handler output goes to /dev/null.

Cold start: a fresh interpreter (-I -S, bytecode cache warm) imports the app and handles
one event, timed around subprocess.run; runs interleaved across stacks; the median counts.
Warm: each stack in a child process of its own (features are per process): a warm-up,
then `--rounds` rounds of `--number` invokes, the best round counts; children run in
turn, `--repeat` times, and the best of those counts. Prints each stack's figure, what the
feature adds to its framework with nothing on, and chalicelike's ratio to Powertools.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from lambda_cold import ENVIRONMENT as LAMBDA_ENVIRONMENT  # noqa: E402

FEATURES = ("off", "tracing", "logs", "metrics", "all")
LAYER_MARKER = "chalicelike/_observe/__init__.py"  # its first commit is where "today" ends


class Stack(NamedTuple):
    name: str
    source: str  # the app module's source
    env: dict[str, str]  # what turns its features on
    today: bool = False  # chalicelike as it was before the observability layer


CHALICELIKE_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="bench")
TRACE, LOGS, METRICS = {trace}, {logs}, {metrics}
if METRICS:
    app.metrics.namespace = "Bench"


def total():
    return 12.5


if TRACE:
    total = app.tracer.capture(total)


@app.route("/orders/{{order_id}}")
def get_order(order_id):
    if LOGS:
        app.log.info("order read", extra={{"order_id": order_id}})
    if METRICS:
        app.metrics.put("OrdersRead", 1)
    expand = app.current_request.query_params.get("expand")
    return {{"id": order_id, "expand": expand, "total": total()}}


handler = app
"""

POWERTOOLS_APP = """\
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

TRACE, LOGS, METRICS = {trace}, {logs}, {metrics}
app = APIGatewayRestResolver()
if TRACE:
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service="bench")
if LOGS:
    from aws_lambda_powertools import Logger

    logger = Logger(service="bench")
if METRICS:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="Bench", service="bench")


def total():
    return 12.5


if TRACE:
    total = tracer.capture_method(total)


@app.get("/orders/<order_id>")
def get_order(order_id):
    if LOGS:
        logger.info("order read", extra={{"order_id": order_id}})
    if METRICS:
        metrics.add_metric(name="OrdersRead", unit=MetricUnit.Count, value=1)
    expand = app.current_event.get_query_string_value("expand")
    return {{"id": order_id, "expand": expand, "total": total()}}


def handler(event, context):
    return app.resolve(event, context)


if LOGS:
    handler = logger.inject_lambda_context(handler)
if METRICS:
    handler = metrics.log_metrics(handler)
if TRACE:
    handler = tracer.capture_lambda_handler(handler)
"""


def stacks() -> list[Stack]:
    found = [
        Stack("chalicelike today", CHALICELIKE_APP.format(trace=0, logs=0, metrics=0), {}, True)
    ]
    for framework, source in (("chalicelike", CHALICELIKE_APP), ("powertools", POWERTOOLS_APP)):
        for feature in FEATURES:
            on = {
                "trace": int(feature in ("tracing", "all")),
                "logs": int(feature in ("logs", "all")),
                "metrics": int(feature in ("metrics", "all")),
            }
            env = {}
            if on["trace"] and framework == "chalicelike":
                env["CHALICELIKE_XRAY"] = "true"
            if on["logs"]:
                # Lambda's JSON logging controls: chalicelike reads them; Powertools' Logger
                # writes JSON anyway and takes its level from them.
                env |= {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
            found.append(Stack(f"{framework} {feature}", source.format(**on), env))
    return found


# The child: argv is [paths, module, action, rounds, number]. "cold" handles one event;
# "warm" prints the best round's µs per invoke.
CHILD = """\
import sys, time
paths, module_name, action, rounds, number = sys.argv[1:]
sys.path[:0] = paths.split(":")
module = __import__(module_name)
import events

handler, context = module.handler, events.LambdaContext()
answer = handler(events.fresh_event(), context)
problem = events.http_problem(module, answer)
if problem:
    raise SystemExit(problem)
if action == "warm":
    event = events.fresh_event()
    for _ in range(500):
        handler(event, context)
    best = float("inf")
    for _ in range(int(rounds)):
        start = time.perf_counter()
        for _ in range(int(number)):
            handler(event, context)
        best = min(best, (time.perf_counter() - start) / int(number) * 1e6)
    sys.stderr.write(f"{best}\\n")
"""


class UdpSink:
    """The X-Ray daemon's address for every child: a socket a thread keeps draining."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.received = 0
        threading.Thread(target=self._drain, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _drain(self) -> None:
        while True:
            try:
                self.sock.recv(65536)
            except OSError:
                return
            self.received += 1


class Bench:
    def __init__(self, workdir: Path, baseline: Path, sink: UdpSink) -> None:
        self.apps = workdir / "apps"
        self.apps.mkdir()
        self.baseline = baseline
        # What the Lambda runtime sets (lambda_cold's), with these apps and X-Ray's variables.
        self.environment = {
            **LAMBDA_ENVIRONMENT,
            "LAMBDA_TASK_ROOT": str(self.apps),
            "AWS_XRAY_DAEMON_ADDRESS": sink.address,
            "_X_AMZN_TRACE_ID": "Root=1-5f84c7a9-0123456789abcdef01234567;"
            "Parent=53995c3f42cd8ad8;Sampled=1",
        }

    def module(self, stack: Stack) -> str:
        name = "bench_" + stack.name.replace(" ", "_")
        (self.apps / f"{name}.py").write_text(stack.source)
        return name

    def command(self, stack: Stack, action: str, rounds: int = 0, number: int = 0) -> list[str]:
        package_root = self.baseline if stack.today else ROOT
        paths = [str(self.apps), str(HERE), str(package_root), sysconfig.get_paths()["purelib"]]
        return [
            sys.executable, "-I", "-S", "-c", CHILD,
            ":".join(paths), self.module(stack), action, str(rounds), str(number),
        ]  # fmt: skip

    def run(self, stack: Stack, action: str, rounds: int = 0, number: int = 0) -> str:
        result = subprocess.run(
            self.command(stack, action, rounds, number),
            env={**self.environment, **stack.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"{stack.name} failed:\n{result.stderr}")
        return result.stderr

    def cold(self, all_stacks: list[Stack], runs: int) -> dict[str, float]:
        samples: dict[str, list[float]] = {s.name: [] for s in all_stacks}
        for round_ in range(runs):
            shift = round_ % len(all_stacks)
            for stack in all_stacks[shift:] + all_stacks[:shift]:
                start = time.perf_counter()
                self.run(stack, "cold")
                samples[stack.name].append((time.perf_counter() - start) * 1e3)
        return {name: statistics.median(values) for name, values in samples.items()}

    def warm(
        self, all_stacks: list[Stack], rounds: int, number: int, repeat: int
    ) -> dict[str, float]:
        best = {s.name: float("inf") for s in all_stacks}
        for _ in range(repeat):
            for stack in all_stacks:
                micros = float(self.run(stack, "warm", rounds, number).strip().splitlines()[-1])
                best[stack.name] = min(best[stack.name], micros)
        return best


def print_table(title: str, unit: str, figures: dict[str, float]) -> None:
    print(f"{title}\n")
    columns = ("chalicelike", "powertools", "+ chalicelike", "+ powertools", "÷ powertools")
    print(f"{'feature':<9} " + "  ".join(f"{c:>13}" for c in columns))
    for feature in FEATURES:
        ours, theirs = figures[f"chalicelike {feature}"], figures[f"powertools {feature}"]
        added_ours = ours - figures["chalicelike off"]
        added_theirs = theirs - figures["powertools off"]
        cells = [f"{ours:.1f}{unit}", f"{theirs:.1f}{unit}"]
        cells += [f"{added_ours:+.1f}{unit}", f"{added_theirs:+.1f}{unit}", f"{ours / theirs:.2f}x"]
        print(f"{feature:<9} " + "  ".join(f"{c:>13}" for c in cells))
    today, off = figures["chalicelike today"], figures["chalicelike off"]
    print(f"\nchalicelike, everything off: {off:.1f}{unit}; today's: {today:.1f}{unit}", end="")
    print(f" ({off / today:.2f}x)\n")


def baseline_tree(rev: str | None, workdir: Path) -> tuple[str, Path]:
    """chalicelike as it was at `rev` (default: before the observability layer), unpacked."""
    if rev is None:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--", LAYER_MARKER],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        rev = f"{added[-1]}^" if added else "HEAD"
    target = workdir / "baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", rev, "chalicelike"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return rev, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="cold starts per stack")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds per child")
    parser.add_argument("--number", type=int, default=2000, help="invokes per warm round")
    parser.add_argument("--repeat", type=int, default=2, help="warm children per stack")
    parser.add_argument("--baseline", help="the git revision 'today' stands for")
    parser.add_argument("--part", choices=["all", "cold", "warm"], default="all")
    args = parser.parse_args()
    sink = UdpSink()
    with tempfile.TemporaryDirectory(prefix="chalicelike-observability-") as tmp:
        rev, baseline = baseline_tree(args.baseline, Path(tmp))
        bench = Bench(Path(tmp), baseline, sink)
        all_stacks = stacks()
        for stack in all_stacks:
            bench.run(stack, "cold")  # answers right, and warms the bytecode cache
        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; today = {rev}; "
            f"{args.runs} cold starts per stack; warm: best of {args.repeat} x "
            f"{args.rounds} rounds x {args.number} invokes\n"
        )
        if args.part in ("all", "cold"):
            print_table(
                "Cold start (process, import, first event), median ms",
                " ms",
                bench.cold(all_stacks, args.runs),
            )
        if args.part in ("all", "warm"):
            figures = bench.warm(all_stacks, args.rounds, args.number, args.repeat)
            print_table("Warm invoke, µs per invoke", " µs", figures)
    print(f"X-Ray documents received by the local daemon socket: {sink.received}")


if __name__ == "__main__":
    main()
