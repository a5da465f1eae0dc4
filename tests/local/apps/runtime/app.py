"""Handlers the local Lambda tests run in real worker processes."""

import ctypes
import json
import logging
import os
import sys
import time

print("init: app imported")


def echo(event, context):
    return {"event": event, "pid": os.getpid()}


def printer(event, context):
    print("to stdout", event)
    print("to stderr", event, file=sys.stderr)
    print("no newline", end="")
    return "printed"


def logs(event, context):
    logging.getLogger().warning("a warning")
    return None


def fail(event, context):
    raise ValueError("boom " + str(event))


def sleep(event, context):
    time.sleep(event["seconds"])
    return {"slept": event["seconds"], "pid": os.getpid()}


def allocate(event, context):
    block = b"x" * (event["mb"] * 2**20)  # touches every page
    time.sleep(event.get("hold", 0))
    return len(block)


def exit3(event, context):
    os._exit(3)


def segfault(event, context):
    ctypes.string_at(0)


def large(event, context):
    return "x" * (7 * 2**20)


def sized(event, context):
    return "x" * event["bytes"]


def unserialisable(event, context):
    return {1, 2}


def raw_bytes(event, context):
    return b'{"raw": true}'


def environment(event, context):
    names = event.get("names") or []
    return {
        "env": {name: os.environ.get(name) for name in names},
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "identity_id": context.identity.cognito_identity_id if context.identity else None,
            "client_custom": context.client_context.custom if context.client_context else None,
        },
        "cwd": os.getcwd(),
        "path0": sys.path[:2],
    }


def size(event, context):
    return len(json.dumps(event))


def spawn(event, context):
    """Starts a child that would outlive the worker unless its process group is killed."""
    import subprocess

    child = subprocess.Popen(["sleep", str(event.get("seconds", 1001))])
    time.sleep(event.get("hold", 0))
    return child.pid


def child_allocates(event, context):
    """A child process, not the handler's own, uses the memory."""
    import subprocess

    code = f"block = b'x' * ({event['mb']} * 2**20); import time; time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(event.get("hold", 5))
    return child.pid


POLLER = """
import os, socket, sys, time
time.sleep(float(sys.argv[2]))
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
with socket.create_connection((host, int(port))) as sock:
    sock.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    if sys.argv[3] == "take":
        got = sock.recv(65536)  # an event, taken and never answered
    else:
        time.sleep(0.05)  # parked, then gone empty-handed
        got = b""
with open(sys.argv[1], "wb") as done:
    done.write(got)
"""


def poller(event, context):
    """With `path`: starts a child (of the worker's group) that polls the Runtime API after
    `delay` s, `take`s an event or not, then disconnects and writes what it got to `path`."""
    import subprocess

    if "path" in event:
        mode = "take" if event.get("take") else "leave"
        args = [sys.executable, "-c", POLLER, event["path"], str(event.get("delay", 0)), mode]
        subprocess.Popen(args)
    return event.get("n")
