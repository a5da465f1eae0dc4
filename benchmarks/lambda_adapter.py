"""The Lambda adapter's numbers in one command: the warm table, then the cold-start tables.

    python benchmarks/lambda_adapter.py

Runs benchmarks/lambda_warm.py and benchmarks/lambda_cold.py one after the other with
their defaults (each in its own process, so the warm run's imports do not touch the cold
one) and exits non-zero if either fails, e.g. when a stack answers wrongly or the cold
path imports a module it must not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    for script in ("lambda_warm.py", "lambda_cold.py"):
        print(f"== {script} ==", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script)], check=False)
        if result.returncode != 0:
            return result.returncode
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
