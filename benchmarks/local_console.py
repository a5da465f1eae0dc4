"""`chalicelike local` with tracing and the console on, beside the same server from a tree
from before them, in one run: issue 13's budget is a keep-alive p50 within 1.05x.

    python benchmarks/local_console.py --before DIR [--xray] [--rounds 5] [--requests 2000]

DIR is a chalicelike source tree from before (`git worktree add /tmp/before 9a7c9d4`). Both
servers serve the same app; "now" records every invocation, makes API Gateway's and the
function's X-Ray segments, runs its X-Ray daemon and has one console stream open and read,
as an open page would. With `--xray` the app's config says `"xray": true`: "before" ignores
it, "now" also runs aws-xray-sdk in the worker (what the function itself pays on Lambda too;
benchmarks/observability.py measures that part alone). Rounds alternate the two servers;
each round is `--requests` sequential GETs on
one keep-alive connection. Prints each round, the median p50 of each, and the ratio.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local_server  # the app, the request loop and the server's stop

NOW = str(Path(__file__).resolve().parent.parent)
RUN_CLI = "import sys; from chalicelike.cli import main; sys.exit(main())"


def make_project(root: Path, xray: bool) -> Path:
    project = local_server.make_project(root, "chalicelike")
    config = {"version": "2.0", "app_name": "bench", "xray": xray, "stages": {"dev": {}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return project


def start(tree: str, project: Path, port: int) -> subprocess.Popen[bytes]:
    """The CLI of `tree` (its own code for the server and, through PYTHONPATH, the workers)."""
    env = {**os.environ, "PYTHONPATH": tree}
    command = [sys.executable, "-c", RUN_CLI, "--project-dir", str(project), "local"]
    command += ["--port", str(port), "--aws-port", str(local_server.free_port())]
    process = subprocess.Popen(
        command,
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if local_server.get(port, "/orders/1")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    local_server.stop(process)
    raise SystemExit(f"the server of {tree} did not start")


class StreamReader(threading.Thread):
    """An open console page's stream: reads and drops everything the server pushes."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.received = 0

    def run(self) -> None:
        self.connection.request("GET", "/_chalicelike/api/stream")
        answer = self.connection.getresponse()
        if answer.status != 200:
            raise SystemExit(f"the console stream answered {answer.status}")
        try:
            while chunk := answer.read1(65536):
                self.received += len(chunk)
        except (OSError, AttributeError, ValueError):
            pass  # closed by stop() (http.client drops its file on close)

    def stop(self) -> None:
        self.connection.close()


def one_round(tree: str, project: Path, requests: int, console: bool) -> tuple[float, int]:
    port = local_server.free_port()
    process = start(tree, project, port)
    reader = StreamReader(port) if console else None
    try:
        if reader is not None:
            reader.start()
        times = local_server.sequential(port, requests)
    finally:
        if reader is not None:
            reader.stop()
        local_server.stop(process)
    return statistics.median(times), 0 if reader is None else reader.received


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a chalicelike source tree from before")
    parser.add_argument("--xray", action="store_true", help='the app says "xray": true')
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    p50s: dict[str, list[float]] = {"before": [], "now": []}
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), args.xray)
        for round_ in range(args.rounds):
            before, _ = one_round(args.before, project, args.requests, console=False)
            now, streamed = one_round(NOW, project, args.requests, console=True)
            p50s["before"].append(before)
            p50s["now"].append(now)
            print(
                f"round {round_}: before {before:.3f} ms, now {now:.3f} ms"
                f" ({streamed:,} bytes streamed)",
                flush=True,
            )
    before, now = statistics.median(p50s["before"]), statistics.median(p50s["now"])
    xray = "on" if args.xray else "off"
    print(
        f"keep-alive GET p50, median of {args.rounds} rounds of {args.requests} (app xray {xray}):"
    )
    print(f"  before {before:.3f} ms   now {now:.3f} ms   now/before {now / before:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
