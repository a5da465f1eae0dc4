"""Warm Lambda invoke cost of one REST API GET, chalicelike beside its anchors, in one run.

    python benchmarks/lambda_warm.py [--rounds 7] [--number 3000]

Each stack serves GET /orders/{order_id}?expand=... returning a small JSON object
(benchmarks/apps/). Every stack is checked to answer correctly, then timed in
interleaved rounds (so drift on the machine hits all alike); the best round counts.
Prints µs per invoke and each stack's ratio to every anchor.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from events import ANCHORS, EXPECTED_BODY, STACKS, LambdaContext, fresh_event  # noqa: E402


def load_handler(module_name: str) -> Any:
    path = HERE / "apps" / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{module_name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def check(name: str, handler: Any) -> None:
    answer = handler(fresh_event(), LambdaContext())
    body = json.loads(answer["body"])
    if answer["statusCode"] != 200 or body != EXPECTED_BODY:
        raise SystemExit(f"{name} answered wrongly: {answer}")


def time_rounds(handlers: dict[str, Any], rounds: int, number: int) -> dict[str, float]:
    event, context = fresh_event(), LambdaContext()
    best = {name: float("inf") for name in handlers}
    for _ in range(rounds):
        for name, handler in handlers.items():
            start = time.perf_counter()
            for _ in range(number):
                handler(event, context)
            elapsed = (time.perf_counter() - start) / number * 1e6
            best[name] = min(best[name], elapsed)
    return best


def print_table(results: dict[str, float]) -> None:
    header = f"{'stack':<18} {'µs/invoke':>10}  " + "  ".join(f"{'÷ ' + a:>18}" for a in ANCHORS)
    print(header)
    for name, micros in results.items():
        ratios = "  ".join(f"{micros / results[a]:>17.2f}x" for a in ANCHORS)
        print(f"{name:<18} {micros:>10.1f}  {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=3000)
    args = parser.parse_args()
    handlers = {name: load_handler(module) for name, module in STACKS.items()}
    for name, handler in handlers.items():
        check(name, handler)
    # Six frameworks in one process make a heap no Lambda function has; freezing what the
    # imports built keeps the garbage collector from scanning it during every stack's run.
    gc.collect()
    gc.freeze()
    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds x {args.number} invokes\n")
    print_table(time_rounds(handlers, args.rounds, args.number))


if __name__ == "__main__":
    main()
