"""`chalicelike deploy` beside `chalice deploy` on sample_app, against a plain moto server
(issue 14): first deploy, code-only redeploy and no-change redeploy, wall time.

    python benchmarks/deploy.py [--rounds 5] [--tree DIR]

One `python -m moto.server` for the run; before each tool's turn its state is reset
(POST /moto-api/reset) and the sample app's bucket and queue are made again. Each round,
each tool gets a fresh copy of sample_app (Chalice's twin as in benchmarks/package.py:
`from chalice import`, `per_record=` dropped) and runs, as fresh processes timed around
`subprocess.run`, as a user runs them: `deploy`; `deploy` after a comment is appended to
app.py; `deploy` again with nothing changed. After each step every function's CodeSha256 is
read from moto: the first deploy makes all five, the code change updates all five, the
no-change one updates none. Rounds alternate which tool goes first, after one untimed turn
of each. Beside the medians, the requests moto answered for each step (its access log).
`--tree` runs chalicelike from another source tree (`git worktree add /tmp/t COMMIT`).

Chalice as it is cannot deploy sample_app to moto 5.2: moto's S3 asserts lower-case key
filter names (Chalice sends "Suffix"; AWS takes either), and moto imports only OpenAPI 3
REST APIs with an `info.description` and an integration `uri` and `httpMethod` on every method
(Chalice sends Swagger 2.0 with mock CORS preflights that have neither; AWS takes both). The
Chalice process here gets botocore hooks that rewrite those three request shapes and nothing
else; the script first runs Chalice without each rewrite and prints the call that then fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package import chalice_twin  # the same Chalice twin `package.py` builds

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = ROOT / "sample_app"
REGION = "us-east-1"
STEPS = ("first deploy", "code-only redeploy", "no-change redeploy")
TOOLS = ("chalice", "chalicelike")
REWRITES = ("s3-filter-names", "openapi3", "mock-integrations")

# werkzeug's access log: `127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 -` (coloured if not 200).
REQUEST_LINE = re.compile(r' - - \[[^\]]+\] "')
RUN_CHALICELIKE = "import sys; from chalicelike.cli import main; sys.exit(main())"

# Chalice's CLI entry point behind botocore hooks for moto's gaps, chosen by BENCH_REWRITES.
# botocore is what Chalice imports first anyway, so the hooks add no import of their own.
RUN_CHALICE = """
import json, os, sys
import botocore.session

REWRITES = set(filter(None, os.environ.get("BENCH_REWRITES", "").split(",")))

def filter_names(params, **kwargs):
    configuration = params.get("NotificationConfiguration", {})
    for item in configuration.get("LambdaFunctionConfigurations", []):
        for rule in item.get("Filter", {}).get("Key", {}).get("FilterRules", []):
            rule["Name"] = rule["Name"].lower()

def rest_api_body(params, **kwargs):
    document = json.loads(params["body"])
    if "openapi3" in REWRITES:
        document.pop("swagger", None)
        document["openapi"] = "3.0.1"
        document["info"].setdefault("description", "")
    if "mock-integrations" in REWRITES:
        for path in document["paths"].values():
            for method, operation in path.items():
                integration = operation.get("x-amazon-apigateway-integration", {})
                integration.setdefault("uri", "")
                integration.setdefault("httpMethod", method.upper())
    params["body"] = json.dumps(document).encode()

def register(session):
    if "s3-filter-names" in REWRITES:
        event = "before-parameter-build.s3.PutBucketNotificationConfiguration"
        session.register(event, filter_names)
    for operation in ("ImportRestApi", "PutRestApi"):
        session.register(f"before-parameter-build.api-gateway.{operation}", rest_api_body)

original_init = botocore.session.Session.__init__

def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    register(self)

botocore.session.Session.__init__ = init
from chalice.cli import main
sys.exit(main())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """`python -m moto.server` on a free port, its output in `log`; its URL once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"moto did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


class Moto:
    """The server's state: reset with the sample app's bucket and queue, and the functions'
    code hashes, read with boto3 from this process (never timed)."""

    def __init__(self, url: str, log: Path) -> None:
        import boto3

        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.url = url
        self.log = log
        self.clients = {
            name: boto3.client(name, endpoint_url=url, region_name=REGION, **keys)
            for name in ("s3", "sqs", "lambda")
        }

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=30).close()
        self.clients["s3"].create_bucket(Bucket="bookshop-imports")
        self.clients["sqs"].create_queue(QueueName="bookshop-orders")

    def requests(self) -> int:
        """How many requests the server has answered (werkzeug logs one line for each, just
        after the answer: a moment's wait lets the last one land)."""
        time.sleep(0.1)
        return len(REQUEST_LINE.findall(self.log.read_text(errors="replace")))

    def last_error(self) -> str:
        """The last line of the server's last traceback: moto's own reason for a 500."""
        lines = self.log.read_text(errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
        if not starts:
            return ""
        tail = lines[starts[-1] :]
        return next((line for line in tail[1:] if line and not line[0].isspace()), "")

    def code_hashes(self) -> dict[str, str]:
        pages = self.clients["lambda"].get_paginator("list_functions").paginate()
        return {f["FunctionName"]: f["CodeSha256"] for page in pages for f in page["Functions"]}


def environment(
    url: str, scratch: Path, rewrites: tuple[str, ...], tree: str | None = None
) -> dict[str, str]:
    """A user's shell pointed at moto: endpoint, dummy keys, region, no profile of the machine
    (and chalicelike's source tree first on the path, for `--tree`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if tree is not None:
        env["PYTHONPATH"] = tree
    return env | {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
        "BENCH_REWRITES": ",".join(rewrites),
    }


def fresh_project(scratch: Path, tool: str, label: str) -> Path:
    """A clean copy of sample_app (no caches, records or tests), or its Chalice twin."""
    ignore = shutil.ignore_patterns(
        "__pycache__", "cache", "deployed", "deployments", "policy-*.json", "tests"
    )
    folder = scratch / f"{label}-{tool}"
    if tool == "chalicelike":
        shutil.copytree(SAMPLE_APP, folder / "bookshop", ignore=ignore)
        return folder / "bookshop"
    shutil.copytree(SAMPLE_APP, folder / "clean", ignore=ignore)
    chalice_twin(folder / "clean", folder / "bookshop")
    return folder / "bookshop"


def run_deploy(tool: str, project: Path, env: dict[str, str]) -> tuple[float, Any]:
    """One `deploy` as a fresh process: its wall time and its CompletedProcess."""
    code = RUN_CHALICELIKE if tool == "chalicelike" else RUN_CHALICE
    command = [sys.executable, "-c", code, "--project-dir", str(project), "deploy"]
    started = time.perf_counter()
    # From the project's folder, as users run it; also keeps this checkout off `-c`'s sys.path.
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=project)
    return time.perf_counter() - started, done


def checked(tool: str, step: str, done: Any, before: dict[str, str], after: dict[str, str]) -> None:
    """Exit unless the step did what it says: made, updated or left alone all five functions."""
    problem = ""
    if done.returncode != 0:
        problem = f"exit {done.returncode}"
    elif len(after) != 5:
        problem = f"{len(after)} functions on moto, not 5"
    elif step == "code-only redeploy" and any(after[f] == before.get(f) for f in after):
        problem = "some function's code is unchanged"
    elif step == "no-change redeploy" and after != before:
        problem = "some function's code changed"
    elif tool == "chalicelike" and step != "first deploy" and "(code only)" not in done.stdout:
        problem = "it went through the stack"
    if problem:
        sys.exit(f"{tool} {step}: {problem}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


class Turn(NamedTuple):
    """One tool's three steps: wall time (s) and requests the server answered, per step."""

    seconds: list[float]
    calls: list[int]


def one_turn(tool: str, moto: Moto, scratch: Path, label: str, tree: str | None) -> Turn:
    """The three steps of one tool on fresh moto state and a fresh copy of the app."""
    moto.reset()
    project = fresh_project(scratch, tool, label)
    env = environment(moto.url, scratch, REWRITES, tree)
    turn = Turn([], [])
    hashes: dict[str, str] = {}
    for step in STEPS:
        if step == "code-only redeploy":
            with (project / "app.py").open("a") as app:
                app.write("\n# a change of code\n")
        requests = moto.requests()
        elapsed, done = run_deploy(tool, project, env)
        turn.calls.append(moto.requests() - requests)
        after = moto.code_hashes()
        checked(tool, step, done, hashes, after)
        hashes = after
        turn.seconds.append(elapsed)
    return turn


def failing_call(moto: Moto, scratch: Path, rewrites: tuple[str, ...], label: str) -> str:
    """Chalice's first deploy with only `rewrites`: the call that failed and moto's reason."""
    moto.reset()
    project = fresh_project(scratch, "chalice", label)
    _, done = run_deploy("chalice", project, environment(moto.url, scratch, rewrites))
    if done.returncode == 0:
        return "deploys"
    called = re.search(r"when calling the (\w+) operation", done.stderr)
    operation = called.group(1) if called else done.stderr.strip().splitlines()[-1:]
    return f"fails at {operation}: moto raised {moto.last_error() or '(nothing logged)'}"


def probe(moto: Moto, scratch: Path) -> None:
    print(f"chalice deploy against moto, as it is: {failing_call(moto, scratch, (), 'as-is')}")
    for left_out in REWRITES:
        kept = tuple(r for r in REWRITES if r != left_out)
        outcome = failing_call(moto, scratch, kept, f"without-{left_out}")
        print(f"  with the rewrites but {left_out}: {outcome}")
    print(f"  with all three: {failing_call(moto, scratch, REWRITES, 'all')}", flush=True)


def report(turns: dict[str, list[Turn]]) -> None:
    rounds = len(turns["chalice"])
    seconds = {
        tool: [statistics.median(t.seconds[i] for t in turns[tool]) for i in range(len(STEPS))]
        for tool in TOOLS
    }
    calls = {
        tool: [statistics.median(t.calls[i] for t in turns[tool]) for i in range(len(STEPS))]
        for tool in TOOLS
    }
    print()
    print(f"Wall time of each command, median of {rounds} rounds (s), and requests to moto:")
    print(f"  {'step':<20}{'chalice':>9}{'chalicelike':>13}{'ratio':>8}{'requests':>14}")
    for i, step in enumerate(STEPS):
        c, o = seconds["chalice"][i], seconds["chalicelike"][i]
        requests = f"{calls['chalice'][i]:.0f} / {calls['chalicelike'][i]:.0f}"
        print(f"  {step:<20}{c:9.2f}{o:13.2f}{o / c:7.2f}x{requests:>14}")
    c_first, c_code = seconds["chalice"][0], seconds["chalice"][1]
    o_first, o_code = seconds["chalicelike"][0], seconds["chalicelike"][1]
    verdict = "meets" if o_code <= 0.3 * o_first else "MISSES"
    print(f"  chalicelike code-only / first: {o_code / o_first:.2f}  ({verdict} the 0.3 target)")
    verdict = "meets" if o_code <= c_code else "MISSES"
    print(f"  chalicelike code-only / chalice's: {o_code / c_code:.2f}  ({verdict} the 1.0 target)")
    print(f"  (chalice code-only / first: {c_code / c_first:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tree", help="run chalicelike from this source tree")
    args = parser.parse_args()
    tree = str(Path(args.tree).resolve()) if args.tree else None
    turns: dict[str, list[Turn]] = {tool: [] for tool in TOOLS}
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp:
        scratch = Path(tmp)
        with moto_server(scratch / "moto.log") as url:
            moto = Moto(url, scratch / "moto.log")
            probe(moto, scratch)
            # Untimed: moto imports each service's backend on its first request, and a
            # tree's first run compiles its .pyc files; AWS has no such first time.
            for tool in TOOLS:
                one_turn(tool, moto, scratch, "warm-up", tree)
            for n in range(args.rounds):
                for tool in TOOLS if n % 2 else TOOLS[::-1]:
                    turns[tool].append(one_turn(tool, moto, scratch, f"round{n}", tree))
                line = "   ".join(
                    f"{tool} " + " / ".join(f"{t:.2f}" for t in turns[tool][-1].seconds)
                    for tool in TOOLS
                )
                print(f"round {n}: {line} s", flush=True)
    report(turns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
