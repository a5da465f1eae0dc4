"""RuntimeApiServer: Lambda's Runtime API as a runtime client sees it, over real TCP."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from collections.abc import AsyncIterator

import pytest

from chalicelike.local._invocation import MAX_SYNC_PAYLOAD_BYTES
from chalicelike.local._runtime_api import (
    RESPONSE_TOO_LARGE,
    Invocation,
    OutcomeKind,
    RuntimeApiServer,
)

pytestmark = pytest.mark.anyio

BASE = "/2018-06-01/runtime"


class RawClient:
    """One keep-alive connection speaking plain HTTP/1.1, as a runtime client does."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: runtime", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")[:-2]
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.send(method, path, body, headers)
        return await self.response()


@pytest.fixture
async def server() -> AsyncIterator[RuntimeApiServer]:
    server = RuntimeApiServer()
    await server.start()
    server.admit_group(os.getpid())  # the tests' own connections play the runtime
    yield server
    server.close()
    await asyncio.sleep(0)  # let the transports finish closing


async def connect(server: RuntimeApiServer) -> tuple[RawClient, asyncio.StreamWriter]:
    """One more connection to the server's port (a second runtime client, say)."""
    host, _, port = server.address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    return RawClient(reader, writer), writer


@pytest.fixture
async def client(server: RuntimeApiServer) -> AsyncIterator[RawClient]:
    connection, writer = await connect(server)
    yield connection
    writer.close()


def invocation(request_id: str = "req-1", payload: bytes = b'{"a": 1}', **extra: str) -> Invocation:
    return Invocation(
        request_id=request_id,
        payload=payload,
        deadline_ms=1_700_000_000_000,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
        **extra,
    )


async def test_address_is_a_local_port(server: RuntimeApiServer) -> None:
    host, _, port = server.address.rpartition(":")
    assert host == "127.0.0.1"
    assert int(port) > 0


async def test_next_long_polls_until_an_invocation_is_handed_in(
    server: RuntimeApiServer, client: RawClient
) -> None:
    client.send("GET", f"{BASE}/invocation/next")
    answer = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.05)
    assert not answer.done()  # nothing to run yet: the request waits
    running = asyncio.ensure_future(
        server.invoke(invocation(client_context='{"custom": 1}', cognito_identity='{"x": 2}'))
    )
    status, headers, body = await answer
    assert status == 200
    assert body == b'{"a": 1}'
    assert headers["lambda-runtime-aws-request-id"] == "req-1"
    assert headers["lambda-runtime-deadline-ms"] == "1700000000000"
    assert headers["lambda-runtime-invoked-function-arn"].endswith(":function:f")
    assert headers["lambda-runtime-trace-id"].startswith("Root=1-")
    assert headers["lambda-runtime-client-context"] == '{"custom": 1}'
    assert headers["lambda-runtime-cognito-identity"] == '{"x": 2}'
    assert headers["content-type"] == "application/json"
    running.cancel()


async def test_optional_headers_are_absent_when_not_given(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    _, headers, _ = await client.request("GET", f"{BASE}/invocation/next")
    assert "lambda-runtime-client-context" not in headers
    assert "lambda-runtime-cognito-identity" not in headers
    running.cancel()


async def test_pretty_printed_json_still_fits_a_header(
    server: RuntimeApiServer, client: RawClient
) -> None:
    context = json.dumps({"custom": {"a": "x\ny"}}, indent=2)  # line breaks between tokens
    running = asyncio.ensure_future(server.invoke(invocation(client_context=context)))
    _, headers, _ = await client.request("GET", f"{BASE}/invocation/next")
    assert json.loads(headers["lambda-runtime-client-context"]) == {"custom": {"a": "x\ny"}}
    running.cancel()


async def test_a_response_completes_the_invocation(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    status, _, body = await client.request("POST", f"{BASE}/invocation/req-1/response", b'"ok"')
    assert (status, json.loads(body)) == (202, {"status": "OK"})
    outcome = await running
    assert outcome.kind is OutcomeKind.RESPONSE
    assert outcome.body == b'"ok"'
    assert isinstance(outcome.body, bytes)


async def test_an_error_completes_the_invocation_with_its_document(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    document = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}
    headers = {"Lambda-Runtime-Function-Error-Type": "ValueError"}
    status, _, _ = await client.request(
        "POST", f"{BASE}/invocation/req-1/error", json.dumps(document).encode(), headers
    )
    assert status == 202
    outcome = await running
    assert outcome.kind is OutcomeKind.ERROR
    assert json.loads(outcome.body) == document
    assert outcome.error_type == "ValueError"


async def test_unknown_request_id_is_refused(server: RuntimeApiServer, client: RawClient) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    status, _, body = await client.request("POST", f"{BASE}/invocation/other/response", b"1")
    assert status == 400
    assert json.loads(body) == {
        "errorMessage": "Invalid request ID",
        "errorType": "InvalidRequestID",
    }
    assert not running.done()
    # A second answer for an invocation already answered is refused the same way.
    await client.request("POST", f"{BASE}/invocation/req-1/response", b"1")
    await running
    status, _, _ = await client.request("POST", f"{BASE}/invocation/req-1/response", b"2")
    assert status == 400


async def test_unknown_paths_and_methods_are_404(client: RawClient) -> None:
    for method, path in [
        ("GET", "/nowhere"),
        ("POST", f"{BASE}/invocation/next"),
        ("GET", f"{BASE}/init/error"),
        ("POST", f"{BASE}/invocation/x/other"),
    ]:
        status, _, _ = await client.request(method, path)
        assert status == 404, (method, path)


async def test_a_response_above_6_mb_is_413_and_fails_the_invocation(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    big = b"x" * (MAX_SYNC_PAYLOAD_BYTES + 1)
    status, _, _ = await client.request("POST", f"{BASE}/invocation/req-1/response", big)
    assert status == 413
    outcome = await running
    assert outcome.kind is OutcomeKind.ERROR
    assert json.loads(outcome.body)["errorType"] == "Function.ResponseSizeTooLarge"
    assert outcome.body == RESPONSE_TOO_LARGE
    # The connection is still usable afterwards (keep-alive).
    status, _, _ = await client.request("GET", "/nowhere")
    assert status == 404


async def test_a_response_of_exactly_6_mb_is_accepted(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    body = b"x" * MAX_SYNC_PAYLOAD_BYTES
    status, _, _ = await client.request("POST", f"{BASE}/invocation/req-1/response", body)
    assert status == 202
    assert (await running).body == body


async def test_init_error_ends_init_and_answers_every_invocation(
    server: RuntimeApiServer, client: RawClient
) -> None:
    ready = asyncio.ensure_future(server.wait_ready())
    document = {"errorMessage": "Unable to import module 'app'", "errorType": "Runtime.X"}
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.X"}
    status, _, _ = await client.request(
        "POST", f"{BASE}/init/error", json.dumps(document).encode(), headers
    )
    assert status == 202
    outcome = await ready
    assert outcome is not None and outcome.kind is OutcomeKind.INIT_ERROR
    assert json.loads(outcome.body) == document
    assert (await server.invoke(invocation())).kind is OutcomeKind.INIT_ERROR


async def test_wait_ready_ends_at_the_first_poll(
    server: RuntimeApiServer, client: RawClient
) -> None:
    ready = asyncio.ensure_future(server.wait_ready())
    await asyncio.sleep(0.02)
    assert not ready.done() and server.first_poll_at is None
    client.send("GET", f"{BASE}/invocation/next")
    assert await ready is None
    assert server.first_poll_at is not None
    assert await server.wait_ready() is None  # later calls return at once


async def test_invoke_waits_for_the_runtime_to_poll(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await asyncio.sleep(0.02)
    assert not server.delivered
    _, headers, _ = await client.request("GET", f"{BASE}/invocation/next")
    assert headers["lambda-runtime-aws-request-id"] == "req-1"
    assert server.delivered
    running.cancel()


async def test_a_cancelled_invocation_is_never_delivered(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation("abandoned")))
    await asyncio.sleep(0)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    client.send("GET", f"{BASE}/invocation/next")
    answer = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.05)
    assert not answer.done()  # the cancelled one is gone: the poll waits
    second = asyncio.ensure_future(server.invoke(invocation("second")))
    _, headers, _ = await answer
    assert headers["lambda-runtime-aws-request-id"] == "second"
    second.cancel()


async def test_interrupt_fails_the_invocation(server: RuntimeApiServer) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await asyncio.sleep(0)
    server.interrupt(TimeoutError("stopped"))
    with pytest.raises(TimeoutError, match="stopped"):
        await running


async def test_pipelined_poll_gets_the_202_with_the_next_invocation(
    server: RuntimeApiServer, client: RawClient
) -> None:
    first = asyncio.ensure_future(server.invoke(invocation("one")))
    await client.request("GET", f"{BASE}/invocation/next")
    # The answer and the next poll in one write, as our bootstrap sends them.
    client.send("POST", f"{BASE}/invocation/one/response", b"1")
    client.send("GET", f"{BASE}/invocation/next")
    assert (await first).body == b"1"  # the outcome counts at once
    answers = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.05)
    assert not answers.done()  # the 202 waits to leave with the next invocation
    second = asyncio.ensure_future(server.invoke(invocation("two")))
    status, _, _ = await answers
    assert status == 202
    _, headers, _ = await client.response()
    assert headers["lambda-runtime-aws-request-id"] == "two"
    second.cancel()


async def test_an_unpipelined_answer_is_sent_at_once(
    server: RuntimeApiServer, client: RawClient
) -> None:
    first = asyncio.ensure_future(server.invoke(invocation("one")))
    await client.request("GET", f"{BASE}/invocation/next")
    status, _, _ = await client.request("POST", f"{BASE}/invocation/one/response", b"1")
    assert status == 202  # awslambdaric waits for it before its next GET
    await first


async def test_expect_100_continue_gets_an_interim_answer(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    # curl (awslambdaric's native client) asks before sending a big body.
    head = (
        f"POST {BASE}/invocation/req-1/response HTTP/1.1\r\nHost: runtime\r\n"
        "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    )
    client.writer.write(head.encode())
    status, _, _ = await client.response()
    assert status == 100
    client.writer.write(b"12345")
    status, _, _ = await client.response()
    assert status == 202
    assert (await running).body == b"12345"


async def test_malformed_http_is_400_and_closes(client: RawClient) -> None:
    client.writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    status, _, body = await client.response()
    assert status == 400
    assert json.loads(body)["errorType"] == "BadRequest"
    assert await client.reader.read() == b""


async def test_close_drops_a_parked_poll(server: RuntimeApiServer, client: RawClient) -> None:
    client.send("GET", f"{BASE}/invocation/next")
    await asyncio.sleep(0.02)
    server.close()
    assert await client.reader.read() == b""


async def test_pipelined_requests_are_answered_in_order(client: RawClient) -> None:
    client.send("GET", "/first")
    client.send("POST", f"{BASE}/invocation/unknown/response", b"1")
    client.send("GET", "/third")
    answers = [await client.response() for _ in range(3)]
    assert [status for status, _, _ in answers] == [404, 400, 404]
    assert json.loads(answers[1][2])["errorType"] == "InvalidRequestID"


async def test_requests_behind_a_parked_poll_wait_their_turn(
    server: RuntimeApiServer, client: RawClient
) -> None:
    client.send("GET", f"{BASE}/invocation/next")
    client.send("GET", "/nowhere")
    answers = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.05)
    assert not answers.done()  # the 404 may not overtake the parked poll
    (connection,) = server._connections
    assert connection._transport is not None and not connection._transport.is_reading()
    running = asyncio.ensure_future(server.invoke(invocation()))
    status, headers, _ = await answers
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-1")
    status, _, _ = await client.response()
    assert status == 404
    assert connection._transport.is_reading()  # nothing waits any more
    running.cancel()


async def test_answers_keep_the_connection_open_by_default(client: RawClient) -> None:
    for _ in range(3):
        status, headers, _ = await client.request("GET", "/nowhere")
        assert status == 404
        assert "connection" not in headers


async def test_connection_close_is_honoured(client: RawClient) -> None:
    client.send("GET", "/nowhere", headers={"Connection": "close"})
    client.send("GET", "/ignored")  # nothing is read after a request that closes
    status, headers, _ = await client.response()
    assert (status, headers["connection"]) == (404, "close")
    assert await client.reader.read() == b""


async def test_a_held_answer_still_closes_when_asked(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    status, headers, _ = await client.request(
        "POST", f"{BASE}/invocation/req-1/response", b"1", {"Connection": "close"}
    )
    assert (status, headers["connection"]) == (202, "close")
    assert (await running).body == b"1"
    assert await client.reader.read() == b""


async def test_http_1_0_closes_after_the_answer(client: RawClient) -> None:
    client.writer.write(b"GET /nowhere HTTP/1.0\r\n\r\n")
    status, headers, _ = await client.response()
    assert (status, headers["connection"]) == (404, "close")
    assert await client.reader.read() == b""


async def test_a_chunked_body_is_read(server: RuntimeApiServer, client: RawClient) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    await client.request("GET", f"{BASE}/invocation/next")
    client.writer.write(
        f"POST {BASE}/invocation/req-1/response HTTP/1.1\r\nHost: runtime\r\n"
        'Transfer-Encoding: chunked\r\n\r\n3\r\n"ok\r\n1\r\n"\r\n0\r\n\r\n'.encode()
    )
    status, _, _ = await client.response()
    assert status == 202
    assert (await running).body == b'"ok"'


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """What reaches the event loop's exception handler during the test."""
    errors: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: errors.append(context))
    yield errors
    loop.set_exception_handler(None)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /nowhere HTTP/1.1\r\nHost: runtime\r\nBad Header: x\r\n\r\n",
        b"GET /nowhere HTTP/1.1\r\nHost: runtime\r\nX: a\x00b\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: r\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n1",
        b"POST /x HTTP/1.1\r\nHost: r\r\nContent-Length: nope\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /nowhere HTTP/1.1\r\n\r\n",  # HTTP/1.1 requires Host
        b"GET /nowhere HTTP/1.1\r\nHost: r\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"GET /nowhere HTTP/9.9\r\nHost: runtime\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    ],
)
async def test_malformed_requests_are_400_and_close(
    client: RawClient, loop_errors: list[dict[str, object]], request_bytes: bytes
) -> None:
    client.writer.write(request_bytes)
    status, headers, body = await client.response()
    assert (status, headers["connection"]) == (400, "close")
    assert json.loads(body)["errorType"] == "BadRequest"
    assert await client.reader.read() == b""
    assert loop_errors == []


async def test_malformed_http_after_good_requests_is_answered_in_its_turn(
    server: RuntimeApiServer, client: RawClient, loop_errors: list[dict[str, object]]
) -> None:
    client.send("GET", f"{BASE}/invocation/next")  # parked: everything behind it waits
    client.send("GET", "/nowhere")
    client.writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    await asyncio.sleep(0.05)
    running = asyncio.ensure_future(server.invoke(invocation()))
    statuses = [(await client.response())[0] for _ in range(3)]
    assert statuses == [200, 404, 400]
    assert await client.reader.read() == b""
    assert loop_errors == []
    running.cancel()


async def test_a_head_that_never_ends_is_refused(client: RawClient) -> None:
    client.writer.write(b"GET /nowhere HTTP/1.1\r\nHost: runtime\r\nX-Long: ")
    answer = asyncio.ensure_future(client.response())
    for _ in range(20):  # 160 KiB at most; written in separate reads, it is refused at 24
        await asyncio.sleep(0.02)
        if answer.done():
            break  # writing on to a closed connection could reset it before we read
        client.writer.write(b"x" * 8192)
    status, _, _ = await answer
    assert status == 400
    assert await client.reader.read() == b""


async def test_a_request_cut_short_is_400(client: RawClient) -> None:
    client.writer.write(b"POST /x HTTP/1.1\r\nHost: runtime\r\nContent-Length: 10\r\n\r\n12")
    client.writer.write_eof()
    status, _, _ = await client.response()
    assert status == 400
    assert await client.reader.read() == b""


async def test_a_header_value_with_a_line_break_is_refused(server: RuntimeApiServer) -> None:
    with pytest.raises(ValueError, match="line break"):
        await server.invoke(invocation("req-1\r\nx-injected: 1"))


# -- who may use it (docs/security.md) ----------------------------------------------------

_FOREIGN_CLIENT = """\
import http.client, sys
host, port = sys.argv[1].rsplit(":", 1)
for method, path in (("GET", "next"), ("POST", "req-1/response")):
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request(method, "/2018-06-01/runtime/invocation/" + path, body=b"HIJACKED")
    answer = connection.getresponse()
    print(answer.status, answer.read().decode())
"""


async def _run_foreign_client(address: str) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _FOREIGN_CLIENT, address, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return out.decode().splitlines()


async def test_another_process_can_neither_take_nor_answer_an_event(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    answers = await _run_foreign_client(server.address)
    assert [line.split()[0] for line in answers] == ["403", "403"]
    assert "AccessDenied" in answers[0]
    assert not server.delivered and not running.done()
    # The event is still there for the worker's own process, and its answer counts.
    status, _headers, body = await client.request("GET", f"{BASE}/invocation/next")
    assert (status, body) == (200, b'{"a": 1}')
    await client.request("POST", f"{BASE}/invocation/req-1/response", b'"mine"')
    outcome = await running
    assert outcome.body == b'"mine"'


async def test_nobody_is_served_before_a_group_is_admitted() -> None:
    server = RuntimeApiServer()
    await server.start()
    try:
        other, writer = await connect(server)
        status, _, _ = await other.request("GET", f"{BASE}/invocation/next")
        assert status == 403
        writer.close()
    finally:
        server.close()
        await asyncio.sleep(0)


async def test_an_event_taken_by_a_caller_that_went_away_is_delivered_again(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    other, writer = await connect(server)
    status, _, _ = await other.request("GET", f"{BASE}/invocation/next")
    assert status == 200
    writer.close()  # gone without an answer
    await writer.wait_closed()
    await asyncio.sleep(0.02)
    next_poll = client.request("GET", f"{BASE}/invocation/next")
    status, headers, _body = await asyncio.wait_for(next_poll, 5)
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-1")
    await client.request("POST", f"{BASE}/invocation/req-1/response", b"1")
    assert (await running).body == b"1"


# -- fuzzing ------------------------------------------------------------------------------

_TARGETS = [
    f"{BASE}/invocation/next",
    f"{BASE}/invocation/req-1/response",
    f"{BASE}/invocation/req-1/error",
    f"{BASE}/invocation/other/response",
    f"{BASE}/init/error",
    f"{BASE}/invocation/",
    "/",
    "*",
    "/%00%ff/..",
]
_PIECES = [b"\r\n", b"\r\n\r\n", b":", b" ", b"\x00", b"\xff", b"chunked", b"0\r\n\r\n", b"-1"]


def _random_request(rng: random.Random) -> bytes:
    """A request that is valid, nearly valid or garbage, in proportions that reach
    every branch of the parser and of the routes."""
    if rng.random() < 0.15:
        return rng.randbytes(rng.randrange(0, 300))
    method = rng.choice([b"GET", b"POST", b"PUT", b"HEAD", b"G\x00T", b""])
    target = rng.choice(_TARGETS).encode() + rng.choice([b"", b"?x=1", b"/more", b"\xc3\xa9"])
    version = rng.choice([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"HTTP/x"])
    headers = [b"Host: runtime"] if rng.random() < 0.9 else []
    body = rng.randbytes(rng.randrange(0, 64))
    for _ in range(rng.randrange(0, 5)):
        name = rng.choice(
            [b"Content-Length", b"Transfer-Encoding", b"Expect", b"Connection",
             b"Lambda-Runtime-Function-Error-Type", b"X", b"Bad Name", b""]
        )  # fmt: skip
        value = rng.choice(
            [str(len(body)).encode(), b"chunked", b"100-continue", b"close", b"upgrade", b""]
        )
        headers.append(name + b": " + value + rng.choice([b"", *_PIECES]))
    if rng.random() < 0.8:
        headers.append(b"Content-Length: %d" % len(body))
    head = b"\r\n".join([method + b" " + target + b" " + version, *headers])
    return head + b"\r\n\r\n" + body[: rng.randrange(0, len(body) + 1)]


async def test_fuzzed_requests_are_answered_and_never_break_the_server(
    server: RuntimeApiServer, loop_errors: list[dict[str, object]]
) -> None:
    rng = random.Random(20261206)
    host, _, port = server.address.rpartition(":")
    running = asyncio.ensure_future(server.invoke(invocation()))  # for /next to take
    for _ in range(300):
        if running.done():
            running = asyncio.ensure_future(server.invoke(invocation()))
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(_random_request(rng))
        writer.write_eof()
        answer = await asyncio.wait_for(reader.read(), 5)  # never left hanging
        writer.close()
        if answer:
            status = int(answer.split(b" ", 2)[1])
            assert status in (100, 200, 202, 400, 404, 413), answer[:200]
    assert loop_errors == []
    # A real runtime client still gets the event (given back by those that went away).
    if running.done():
        running = asyncio.ensure_future(server.invoke(invocation()))
    client, writer = await connect(server)
    status, _, _ = await asyncio.wait_for(client.request("GET", f"{BASE}/invocation/next"), 5)
    assert status == 200
    await client.request("POST", f"{BASE}/invocation/req-1/response", b'"ok"')
    assert (await running).body == b'"ok"'
    writer.close()


async def test_an_event_given_back_goes_to_a_poll_already_waiting(
    server: RuntimeApiServer, client: RawClient
) -> None:
    running = asyncio.ensure_future(server.invoke(invocation()))
    other, writer = await connect(server)
    status, _, _ = await other.request("GET", f"{BASE}/invocation/next")
    assert status == 200
    client.send("GET", f"{BASE}/invocation/next")
    waiting = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # taken by the first connection
    writer.close()  # which goes away without an answer
    status, headers, _ = await asyncio.wait_for(waiting, 5)
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-1")
    running.cancel()


# -- several parked polls (a handler's child shares the worker's process group) --------

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture
async def polls(server: RuntimeApiServer) -> AsyncIterator[list[asyncio.StreamWriter]]:
    writers: list[asyncio.StreamWriter] = []
    yield writers
    for writer in writers:
        writer.close()


async def _park(
    server: RuntimeApiServer, writers: list[asyncio.StreamWriter]
) -> tuple[asyncio.Task[Answer], asyncio.StreamWriter]:
    """A connection parked in GET /next; its answer, awaited in a task."""
    client, writer = await connect(server)
    writers.append(writer)
    client.send("GET", f"{BASE}/invocation/next")
    answer = asyncio.ensure_future(client.response())
    await asyncio.sleep(0.02)
    return answer, writer


async def _settle(*tasks: asyncio.Task[Answer]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_second_poll_that_takes_an_event_and_goes_away_gives_it_back(
    server: RuntimeApiServer, polls: list[asyncio.StreamWriter]
) -> None:
    first, first_writer = await _park(server, polls)  # the bootstrap
    second, second_writer = await _park(server, polls)  # a handler's child
    running = asyncio.ensure_future(server.invoke(invocation()))
    done, _ = await asyncio.wait([first, second], timeout=5, return_when="FIRST_COMPLETED")
    assert len(done) == 1
    taker_writer, other = (first_writer, second) if first in done else (second_writer, first)
    taker_writer.close()  # it read the event and went away without an answer
    status, headers, _ = await asyncio.wait_for(other, 5)
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-1")
    running.cancel()


async def test_a_second_poll_that_goes_away_empty_handed_leaves_the_first_parked(
    server: RuntimeApiServer, polls: list[asyncio.StreamWriter]
) -> None:
    first, _ = await _park(server, polls)  # the bootstrap
    second, second_writer = await _park(server, polls)  # a handler's child
    second_writer.close()  # gone without taking anything
    await _settle(second)
    running = asyncio.ensure_future(server.invoke(invocation()))
    status, headers, _ = await asyncio.wait_for(first, 5)
    assert (status, headers["lambda-runtime-aws-request-id"]) == (200, "req-1")
    running.cancel()


async def test_the_oldest_parked_poll_gets_the_event(
    server: RuntimeApiServer, polls: list[asyncio.StreamWriter]
) -> None:
    first, _ = await _park(server, polls)
    second, _ = await _park(server, polls)
    running = asyncio.ensure_future(server.invoke(invocation()))
    status, _, _ = await asyncio.wait_for(first, 5)
    assert status == 200
    await asyncio.sleep(0.02)
    assert not second.done()
    await _settle(second)
    running.cancel()
