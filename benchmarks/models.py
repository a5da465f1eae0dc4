"""Typed views' cost: chalicelike beside Powertools (enable_validation=True) and FastAPI+Mangum.

    python benchmarks/models.py [--rounds 7] [--number 1000] [--source]

The same API in each stack (benchmarks/apps/models_*.py, pydantic models from
models_shared.py): POST /orders with an Order body answered with an OrderOut, GET
/orders/{order_id} with a typed path parameter and two typed query parameters, and a
POST whose body breaks Order's rules (422). The REST API events are models_events.py's.

- warm: every case through every stack in this process, after a warm-up, in interleaved
  rounds whose stack order rotates; the best round counts (as in lambda_warm.py).
- cold: fresh interpreters (`-I -S`, Lambda's environment, as in lambda_cold.py), timed
  from start to the app's first answer (import the app, answer POST /orders); the median
  of the rounds counts. `--source` adds the mode with no .pyc outside the stdlib.
- no models: a fresh interpreter imports the plain chalicelike app (apps/chalicelike_app.py),
  answers one GET, and must not have imported pydantic (the run fails if it has).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(HERE / "apps")]

from events import LambdaContext  # noqa: E402
from lambda_cold import ENVIRONMENT, SOURCE_MODE, p90  # noqa: E402
from lambda_warm import load_handler  # noqa: E402
from models_events import CASES, fresh, problem  # noqa: E402

STACKS = {
    "chalicelike": "models_chalicelike",
    "powertools": "models_powertools",
    "mangum+fastapi": "models_fastapi",
}
ANCHORS = ["powertools", "mangum+fastapi"]
COLD_CASE = "POST /orders"  # the first request of every cold start: body and answer checked
WARM_UP = 200  # invokes per case before timing: pydantic and the routers build their caches

# The child: argv is [paths, module, case, mode, stdlib, action]. "source" mode makes
# cache_from_source refuse every path outside the stdlib, so importlib compiles those
# modules from source and writes nothing (it treats NotImplementedError as "no cache").
# "run" prints the number of modules loaded; "pydantic" also whether pydantic is one.
CHILD = (
    """\
import sys
paths, module_name, case, mode, stdlib, action = sys.argv[1:]
sys.path[:0] = paths.split(":")
"""
    + SOURCE_MODE
    + """\
module = __import__(module_name)
import events

if case == "plain":
    answer = module.handler(events.fresh_event(), events.LambdaContext())
    found = events.http_problem(module, answer)
else:
    import models_events

    answer = module.handler(models_events.fresh(case), events.LambdaContext())
    found = models_events.problem(case, answer)
if found:
    raise SystemExit(found)
print(len(sys.modules), "pydantic" in sys.modules)
"""
)


def cold_start(module: str, case: str, mode: str) -> tuple[float, list[str]]:
    """One fresh interpreter answering `case`: (ms from start to exit, its printed words)."""
    paths = [str(HERE / "apps"), str(HERE), str(ROOT), sysconfig.get_paths()["purelib"]]
    stdlib = sysconfig.get_paths()["stdlib"]
    command = [sys.executable, "-I", "-S", "-c", CHILD, ":".join(paths), module, case, mode]
    start = time.perf_counter()
    result = subprocess.run(
        [*command, stdlib, "run"],
        env=ENVIRONMENT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = (time.perf_counter() - start) * 1e3
    if result.returncode != 0:
        raise SystemExit(f"{module} failed a cold start:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.split()


def time_cold(rounds: int, modes: list[str]) -> dict[str, dict[str, list[float]]]:
    """ms per cold start, per mode and stack; each round starts with a different stack."""
    names = list(STACKS)
    samples: dict[str, dict[str, list[float]]] = {m: {n: [] for n in names} for m in modes}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for mode in modes:
                samples[mode][name].append(cold_start(STACKS[name], COLD_CASE, mode)[0])
    return samples


def print_cold(samples: dict[str, list[float]], modules: dict[str, str]) -> None:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"{'stack':<16} {'median ms':>10} {'p90 ms':>8} {'modules':>8}  "
        + "  ".join(f"{'÷ ' + a:>16}" for a in ANCHORS)
    )
    for name, values in samples.items():
        ratios = "  ".join(f"{medians[name] / medians[a]:>15.2f}x" for a in ANCHORS)
        print(f"{name:<16} {medians[name]:>10.1f} {p90(values):>8.1f} {modules[name]:>8}  {ratios}")


def check_warm(handlers: dict[str, Any]) -> None:
    """Every stack must answer every case right; then WARM_UP more invokes each."""
    context = LambdaContext()
    for name, handler in handlers.items():
        for case in CASES:
            found = problem(case, handler(fresh(case), context))
            if found:
                raise SystemExit(f"{name} answered wrongly: {found}")
            for _ in range(WARM_UP):
                handler(fresh(case), context)


def time_warm(handlers: dict[str, Any], rounds: int, number: int) -> dict[str, dict[str, float]]:
    """Best µs per invoke, per case and stack, over interleaved rounds in a rotating order."""
    context = LambdaContext()
    events = {case: fresh(case) for case in CASES}
    names = list(handlers)
    best = {case: {name: float("inf") for name in names} for case in CASES}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            handler = handlers[name]
            for case, event in events.items():
                start = time.perf_counter()
                for _ in range(number):
                    handler(event, context)
                elapsed = (time.perf_counter() - start) / number * 1e6
                best[case][name] = min(best[case][name], elapsed)
    return best


def print_warm(results: dict[str, dict[str, float]]) -> None:
    print(
        f"{'case':<16} {'stack':<16} {'µs/invoke':>10}  "
        + "  ".join(f"{'÷ ' + a:>16}" for a in ANCHORS)
    )
    for case, micros in results.items():
        for name, value in micros.items():
            ratios = "  ".join(f"{value / micros[a]:>15.2f}x" for a in ANCHORS)
            print(f"{case:<16} {name:<16} {value:>10.1f}  {ratios}")


def warm_part(args: argparse.Namespace) -> None:
    handlers = {name: load_handler(module) for name, module in STACKS.items()}
    check_warm(handlers)
    # Three frameworks in one process make a heap no Lambda function has; freezing what the
    # imports built keeps the garbage collector from scanning it during every stack's run.
    gc.collect()
    gc.freeze()
    print(f"== warm: {args.rounds} rounds x {args.number} invokes per case, best round ==\n")
    print_warm(time_warm(handlers, args.rounds, args.number))
    gc.unfreeze()


def cold_part(args: argparse.Namespace) -> None:
    modes = ["pyc", "source"] if args.source else ["pyc"]
    # The first run of each app checks its answer and warms its .pyc cache for "pyc" mode.
    modules = {name: cold_start(module, COLD_CASE, "pyc")[1][0] for name, module in STACKS.items()}
    samples = time_cold(args.rounds, modes)
    for mode in modes:
        caption = "bytecode cache warm" if mode == "pyc" else "no .pyc outside the stdlib"
        print(
            f"\n== cold: {COLD_CASE} as the first answer, {mode} ({caption}), "
            f"median of {args.rounds} ==\n"
        )
        print_cold(samples[mode], modules)


def no_model_part(rounds: int) -> bool:
    """The plain chalicelike app answers a GET without importing pydantic; False if it does."""
    cold_start("chalicelike_app", "plain", "pyc")  # checks the answer, warms the .pyc cache
    runs = [cold_start("chalicelike_app", "plain", "pyc") for _ in range(max(rounds, 2))]
    modules, pydantic_loaded = runs[0][1]
    median = statistics.median(elapsed for elapsed, _ in runs)
    verdict = (
        "FAIL: pydantic imported" if pydantic_loaded == "True" else "ok: pydantic not imported"
    )
    print(
        f"\n== no models: apps/chalicelike_app.py, one GET ==\n\n{verdict} "
        f"({modules} modules, cold start {median:.1f} ms median, pyc)"
    )
    return pydantic_loaded != "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="warm rounds; cold starts per stack")
    parser.add_argument("--number", type=int, default=1000, help="warm invokes per case and round")
    parser.add_argument("--source", action="store_true", help="also time cold starts without .pyc")
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (a p90 needs two samples)")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    warm_part(args)
    cold_part(args)
    if not no_model_part(args.rounds):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
