"""The dev server side by side with `chalice local`, on the same one-route app, in one run.

    python benchmarks/local_server.py [--requests 400] [--seconds 10] [--clients 8] [--reloads 7]
                                      [--only chalicelike]

1. sequential requests on one keep-alive connection: p50/p90 latency (ours once its local
   AWS endpoint is up: it imports moto in a thread for a second after the app answers);
2. N concurrent clients (processes, each with its own keep-alive connection) for S seconds:
   throughput and errors;
3. reload: app.py rewritten -> the new answer is served; p50 over R saves.
Prints each figure for both servers and the ratio chalicelike / chalice local. Needs the
dev extras (chalice 1.34). Exits non-zero if a server answers wrongly or errs under load.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
FRAMEWORKS = ("chalice", "chalicelike")

APP = """\
from {framework} import Chalice

app = Chalice(app_name="bench")


@app.route("/orders/{{order_id}}")
def get_order(order_id):
    return {{"order_id": order_id, "version": {version}}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_app(project: Path, framework: str, version: int) -> None:
    # Written to a temporary file and renamed, as editors do, so no reader sees half a file.
    temp = project / "app.py.tmp"
    temp.write_text(APP.format(framework=framework, version=version), encoding="utf-8")
    os.replace(temp, project / "app.py")


def make_project(root: Path, framework: str) -> Path:
    project = root / framework
    (project / ".chalice").mkdir(parents=True)
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"app_name": "bench", "stages": {"dev": {}}}), encoding="utf-8"
    )
    write_app(project, framework, 0)
    return project


def start(framework: str, project: Path, port: int) -> subprocess.Popen[bytes]:
    aws_port = free_port()
    if framework == "chalice":
        command = [str(BIN / "chalice"), "local", "--port", str(port)]
    else:
        command = [
            sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project),
            "local", "--port", str(port), "--aws-port", str(aws_port),
        ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(port, "/orders/1")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        stop(process)
        raise SystemExit(f"{framework} local did not start on port {port}")
    if framework == "chalicelike":
        # The app answers at once, while the local AWS endpoint still imports moto in a
        # thread (~1 s of CPU, holding the GIL): measured then, the first requests pay for
        # that import, not for serving. Chalice has no such endpoint; wait until it answers.
        with contextlib.suppress(OSError, http.client.HTTPException):
            get(aws_port, "/")  # refused: the endpoint could not start, nothing to wait for
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    # The whole session: chalice local's reloader and our workers are children.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def sequential(port: int, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(20):  # warm the worker and the connection
        get(port, f"/orders/{i}", conn)
    times = []
    for i in range(count):
        started = time.perf_counter()
        status, body = get(port, f"/orders/{i}", conn)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200 or json.loads(body)["order_id"] != str(i):
            raise SystemExit(f"wrong answer on port {port}: {status} {body!r}")
    conn.close()
    return times


def _client(args: tuple[int, float]) -> tuple[int, int]:
    port, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = get(port, f"/orders/{done}", conn)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if status == 200:
            done += 1
        else:
            errors += 1
    conn.close()
    return done, errors


def concurrent(port: int, clients: int, seconds: float) -> tuple[float, int]:
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        pool.map(_client, [(port, 0.5)] * clients)  # every worker warm first
        results = pool.map(_client, [(port, seconds)] * clients)
    return sum(done for done, _ in results) / seconds, sum(errors for _, errors in results)


def reloads(framework: str, project: Path, port: int, count: int) -> list[float]:
    times = []
    for version in range(1, count + 1):
        time.sleep(0.3)  # let the watcher settle, as between two real saves
        write_app(project, framework, version)
        started = time.perf_counter()
        while True:
            try:
                status, body = get(port, "/orders/1")
                if status == 200 and json.loads(body)["version"] == version:
                    break
            except (OSError, ValueError, http.client.HTTPException):
                pass
            if time.perf_counter() - started > 20:
                raise SystemExit(f"{framework}: version {version} never served")
            time.sleep(0.005)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reloads", type=int, default=7)
    # One server alone, to measure a change to ours quickly; no ratios are printed then.
    parser.add_argument("--only", choices=FRAMEWORKS)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-local-"))
    results: dict[str, dict[str, float]] = {}
    try:
        for framework in (args.only,) if args.only else FRAMEWORKS:
            project = make_project(root, framework)
            port = free_port()
            process = start(framework, project, port)
            try:
                latency = sequential(port, args.requests)
                rps, errors = concurrent(port, args.clients, args.seconds)
                reload_ms = reloads(framework, project, port, args.reloads)
            finally:
                stop(process)
            if errors:
                print(f"{framework}: {errors} errors under load", file=sys.stderr)
            q = statistics.quantiles(latency, n=10)
            results[framework] = {
                "p50": statistics.median(latency),
                "p90": q[8],
                "rps": rps,
                "errors": errors,
                "reload": statistics.median(reload_ms),
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    _print_table(results, args)
    return 1 if results.get("chalicelike", {}).get("errors") else 0


def _print_table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    missing = dict.fromkeys(("p50", "p90", "rps", "errors", "reload"), float("nan"))
    ours, theirs = results.get("chalicelike", missing), results.get("chalice", missing)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'':34}{'chalice local':>15}{'chalicelike':>15}{'ratio':>9}")
    rows = [
        (f"keep-alive GET p50 (ms, n={args.requests})", "p50", "{:.2f}"),
        ("keep-alive GET p90 (ms)", "p90", "{:.2f}"),
        (f"{args.clients} clients x {args.seconds:g} s (req/s)", "rps", "{:.0f}"),
        ("errors under load", "errors", "{:.0f}"),
        (f"reload p50 (ms, n={args.reloads})", "reload", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        known = theirs[key] and not math.isnan(ours[key] + theirs[key])
        ratio = f"{ours[key] / theirs[key]:.2f}x" if known else "-"
        print(f"{label:34}{fmt.format(theirs[key]):>15}{fmt.format(ours[key]):>15}{ratio:>9}")


if __name__ == "__main__":
    raise SystemExit(main())
