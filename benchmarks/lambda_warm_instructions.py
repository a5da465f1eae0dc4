"""Warm Lambda invoke cost counted in CPU instructions, chalicelike beside its anchors.

    python benchmarks/lambda_warm_instructions.py [--number 3000] [--stacks NAME ...]

The same stacks and REST event as benchmarks/lambda_warm.py, counted instead of timed: each
stack's handler runs in a child under valgrind's callgrind, once with 200 warm-up invokes and
once with 200 + --number, and the difference divided by --number is its instructions per
invoke. Repeatable to the instruction (a fixed hash seed), so it shows a change of 1% that the
timed benchmark, moving ±0.3 µs run to run on a shared machine, cannot; the ratios track the
timed ones. Needs valgrind (Debian's `valgrind` package); slow (~10 s a stack, minutes for the
ASGI stacks).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from events import ANCHORS, STACKS  # noqa: E402

_CHILD = """
import sys
sys.path.insert(0, {here!r})
from lambda_warm import load_handler
from events import LambdaContext, fresh_event
handler, event, context = load_handler({module!r}), fresh_event(), LambdaContext()
for _ in range(200 + {number}):
    handler(event, context)
"""


def instructions(module: str, number: int) -> int:
    """Instructions callgrind counts for the child's whole run."""
    code = _CHILD.format(here=str(HERE), module=module, number=number)
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [*command, sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{module} failed under valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_invoke(module: str, number: int) -> float:
    return (instructions(module, number) - instructions(module, 0)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=3000)
    default_stacks = ["bare handler", "chalicelike", "chalice 1.34"]
    parser.add_argument("--stacks", nargs="*", default=default_stacks, choices=list(STACKS))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    counts = {name: per_invoke(STACKS[name], args.number) for name in args.stacks}
    anchors = [a for a in ANCHORS if a in counts]
    print(f"Python {sys.version.split()[0]}, instructions per warm invoke (callgrind)\n")
    print(f"{'stack':<18} {'instructions':>13}  " + "  ".join(f"{'÷ ' + a:>16}" for a in anchors))
    for name, count in counts.items():
        ratios = "  ".join(f"{count / counts[a]:>15.3f}x" for a in anchors)
        print(f"{name:<18} {count:>13,.0f}  {ratios}")


if __name__ == "__main__":
    main()
