"""Our own Lambda runtime client, run in a worker as `python <path>/_bootstrap.py` (or -m).

It speaks the Runtime API as AWS's awslambdaric does (import `_HANDLER`, then GET next,
call, POST the outcome, forever) with the standard library only, so a cold start pays
for nothing but the function's own imports.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import sys
import time

__all__ = ["main"]

# `typing` costs ~10 ms to import: only the type checker reads these.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable
    from typing import Any

_RUNTIME = "/2018-06-01/runtime"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
_request_id = ""  # the current invocation's id, for Lambda's log format
# Lambda's advanced logging controls (config `log_format: JSON`, `log_level`): the runtime
# then writes logging's records and its own error entries as JSON lines.
_JSON_MODE = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
_JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # awslambdaric's: UTC, whole seconds
# AWS_LAMBDA_LOG_LEVEL's values as logging's level numbers (TRACE is logging's DEBUG).
_LOG_LEVELS = {"TRACE": 10, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30,
               "ERROR": 40, "FATAL": 50, "CRITICAL": 50}  # fmt: skip


class ServerGone(Exception):
    """The Runtime API is unreachable: the local server stopped, so this worker ends."""


class Fault(Exception):
    """A failure of the runtime's own (bad handler, unmarshallable result): Lambda's document."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document["errorMessage"])
        self.document = document


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.cognito_identity_id = fields.get("cognitoIdentityId")
        self.cognito_identity_pool_id = fields.get("cognitoIdentityPoolId")


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, fields: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: dict[str, Any]) -> None:
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = fields.get("custom")
        self.env = fields.get("env")


class LambdaContext:
    """The `context` argument, with the attributes awslambdaric's has (same types)."""

    def __init__(self, request_id: str, headers: dict[str, str]) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as awslambdaric reads it from the environment.
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = headers.get("lambda-runtime-invoked-function-arn")
        self._deadline_ms = int(headers.get("lambda-runtime-deadline-ms") or 0)
        identity = _header_json(headers, "lambda-runtime-cognito-identity", "Cognito Identity")
        self.identity = CognitoIdentity(identity or {})
        client_context = _header_json(headers, "lambda-runtime-client-context", "Client Context")
        self.client_context = ClientContext(client_context) if client_context else None

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))


def _header_json(headers: dict[str, str], name: str, what: str) -> Any:
    value = headers.get(name)
    try:
        return json.loads(value) if value else None
    except ValueError as exc:
        message = f"Unable to parse {what} JSON: {exc}"
        raise Fault(_document(message, "Runtime.LambdaContextUnmarshalError")) from None


class RuntimeClient:
    """Keep-alive HTTP/1.1 to $AWS_LAMBDA_RUNTIME_API over a plain socket.

    Not http.client: importing it (email parsing, ssl) costs more than a Python start,
    and every invocation would pay for its header parser. The Runtime API always answers
    with a Content-Length, which is all this needs to read. An outcome's POST is
    pipelined with the next GET: one write and one wake-up of the server per invocation.
    """

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._socket: socket.socket | None = None
        self._buffer = bytearray()
        self._chunk = memoryview(bytearray(1 << 16))
        self._pending = b""  # POSTs not sent yet
        self._unanswered = 0  # how many answers to POSTs are still to read

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Queue a POST; it leaves with the next `next()` or `flush()`."""
        self._pending += _request_bytes(b"POST", path, body, headers or {})
        self._unanswered += 1

    def next(self) -> tuple[bytes, dict[str, str]]:
        """Send what is queued with GET /next; wait for the next invocation."""
        return self._exchange(_request_bytes(b"GET", "/invocation/next", b"", {}))

    def flush(self) -> None:
        self._exchange(b"")

    def _exchange(self, request: bytes) -> tuple[bytes, dict[str, str]]:
        data, self._pending = self._pending + request, b""
        try:
            if self._socket is None:
                self._socket = socket.create_connection(self._address)
            self._socket.sendall(data)
            while self._unanswered:
                self._response()  # 202, or 400/413: the server has judged the outcome
                self._unanswered -= 1
            return self._response() if request else (b"", {})
        except OSError as exc:
            raise ServerGone() from exc

    def _response(self) -> tuple[bytes, dict[str, str]]:
        while (head_end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._recv(1 << 16)
        head = self._buffer[:head_end].decode("utf-8", "replace").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        end = head_end + 4 + int(headers.get("content-length", "0"))
        while len(self._buffer) < end:
            self._recv(max(end - len(self._buffer), 1 << 16))
        body = bytes(self._buffer[head_end + 4 : end])
        del self._buffer[:end]
        return body, headers

    def _recv(self, size: int) -> None:
        assert self._socket is not None
        if size <= len(self._chunk):
            # Into a reused buffer: a fresh 64 KiB bytes per read costs an mmap and a shrink.
            count = self._socket.recv_into(self._chunk)
            self._buffer += self._chunk[:count]
        else:
            chunk = self._socket.recv(size)
            count = len(chunk)
            self._buffer += chunk
        if not count:
            raise ConnectionResetError("the Runtime API closed the connection")


def _request_bytes(method: bytes, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [method + b" " + (_RUNTIME + path).encode() + b" HTTP/1.1", b"Host: runtime"]
    lines += [f"{name}: {value}".encode() for name, value in headers.items()]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import `module.attr` as Lambda's Python runtime does, with its init error types."""
    module_name, dot, attr = handler.rpartition(".")
    if not dot or not module_name:
        message = f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)"
        raise Fault(_document(message, "Runtime.MalformedHandlerName"))
    if module_name.split(".")[0] in sys.builtin_module_names:
        message = f"Cannot use built-in module {module_name} as a handler module"
        raise Fault(_document(message, "Runtime.BuiltInModuleConflict"))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        raise Fault(_document(message, "Runtime.ImportModuleError", _user_frames(exc))) from exc
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {exc}"
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {(exc.text or "").strip()}\n']
        raise Fault(_document(message, "Runtime.UserCodeSyntaxError", trace)) from exc
    except Exception as exc:
        raise Fault(_document(str(exc), type(exc).__name__, _user_frames(exc))) from exc
    try:
        function: Callable[[Any, Any], Any] = getattr(module, attr)
    except AttributeError:
        message = f"Handler '{attr}' missing on module '{module_name}'"
        raise Fault(_document(message, "Runtime.HandlerNotFound")) from None
    return function


def _document(message: str, error_type: str, trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def _user_frames(exc: BaseException) -> list[str]:
    """The traceback without the runtime's and importlib's own frames."""
    import traceback  # only on a failure: it is slow to import

    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename != __file__ and not frame.filename.startswith("<frozen ")
    ]
    return traceback.format_list(frames)


def log_error(document: dict[str, Any], request_id: str = "") -> None:
    """Lambda's log entry for an error: `[ERROR] Type: message`, then the traceback; in
    JSON mode one JSON line, as Lambda's Python runtime writes it to stdout."""
    if _JSON_MODE:
        entry = {
            "timestamp": time.strftime(_JSON_TIME_FORMAT, time.gmtime()),
            "level": "ERROR",
            "errorMessage": document["errorMessage"],
            "errorType": document["errorType"],
            "requestId": request_id,
            "stackTrace": document.get("stackTrace") or [],
        }
        sys.stdout.write(_json_line(entry) + "\n")
        sys.stdout.flush()
        return
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    trace = document.get("stackTrace")
    if trace:
        lines.append("Traceback (most recent call last):")
        lines.extend(frame.rstrip("\n") for frame in trace)
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


def _encode(result: Any) -> bytes:
    if isinstance(result, bytes):
        return result  # awslambdaric passes bytes through untouched
    return json.dumps(result, default=_encode_default).encode()


def _encode_default(value: Any) -> Any:
    # Lambda's Python runtime writes Decimals (DynamoDB's numbers) as JSON numbers.
    if type(value).__name__ == "Decimal":
        return float(value) if value % 1 else int(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _run_one(client: RuntimeClient, handler: Callable[[Any, Any], Any]) -> None:
    global _request_id
    body, headers = client.next()
    request_id = _request_id = headers.get("lambda-runtime-aws-request-id") or ""
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    try:
        payload = _call(handler, body, headers, request_id)
    except Fault as failure:  # a runtime-side failure around the handler call
        _post_error(client, request_id, failure.document)
        return
    except Exception as exc:
        _post_error(client, request_id, _document(str(exc), type(exc).__name__, _frames(exc)))
        return
    sys.stdout.flush()
    sys.stderr.flush()
    client.post(f"/invocation/{request_id}/response", payload)


def _call(
    handler: Callable[[Any, Any], Any], body: bytes, headers: dict[str, str], request_id: str
) -> bytes:
    context = LambdaContext(request_id, headers)
    try:
        event = json.loads(body)
    except ValueError as exc:
        message = f"Unable to unmarshal input: {exc}"
        raise Fault(_document(message, "Runtime.UnmarshalError")) from None
    result = handler(event, context)
    try:
        return _encode(result)
    except (TypeError, ValueError, ArithmeticError) as exc:
        message = f"Unable to marshal response: {exc}"
        raise Fault(_document(message, "Runtime.MarshalError")) from None


def _frames(exc: BaseException) -> list[str]:
    import traceback  # only on a failure: it is slow to import

    # Skip the frames of this module: _run_one and _call.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return traceback.format_list(traceback.extract_tb(tb))


def _post_error(client: RuntimeClient, request_id: str, document: dict[str, Any]) -> None:
    log_error(document, request_id)
    sys.stdout.flush()
    headers = {_ERROR_TYPE_HEADER: document["errorType"], "Content-Type": "application/json"}
    client.post(f"/invocation/{request_id}/error", json.dumps(document).encode(), headers)


def _install_log_format(always: bool = False) -> None:
    # Lambda's runtime gives the root logger a handler writing
    # `[LEVEL]\t<UTC time>Z\t<request id>\t<message>`, or in JSON mode one JSON object a
    # line at the root level AWS_LAMBDA_LOG_LEVEL names. In text mode done only when the
    # function imported `logging` itself, so a cold start never pays for it otherwise.
    if not always and "logging" not in sys.modules:
        return
    import logging

    class RequestIdFilter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.aws_request_id = _request_id
            return True

    handler = logging.StreamHandler(sys.stdout)
    if _JSON_MODE:
        handler.setFormatter(_json_formatter())
        level = _LOG_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
        if level is not None:
            logging.getLogger().setLevel(level)
            # Lambda drops JSON lines below the level whatever a logger's own level says.
            handler.setLevel(level)
    else:
        formatter = logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


def _json_formatter() -> logging.Formatter:
    """A formatter writing the fields of Lambda's Python runtime JSON log lines."""
    import logging  # imported by _install_log_format
    import traceback  # imported by logging itself

    reserved = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
    reserved |= {"message", "asctime", "aws_request_id"}

    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            # As the runtime: levels rounded down to logging's named ones (0 to 50).
            level = logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10)
            dict_message = isinstance(record.msg, dict) and not record.args
            entry: dict[str, Any] = {
                "timestamp": time.strftime(_JSON_TIME_FORMAT, time.gmtime(record.created)),
                "level": level,
                "message": record.msg if dict_message else record.getMessage(),
                "logger": record.name,
            }
            error = record.exc_info
            if error and error[0] is not None:
                entry["stackTrace"] = traceback.format_tb(error[2])
                entry["errorType"] = error[0].__name__
                entry["errorMessage"] = str(error[1])
            entry["requestId"] = getattr(record, "aws_request_id", None) or _request_id
            if error and error[0] is not None:
                entry["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
            for name, value in vars(record).items():
                if name not in reserved and name not in entry and value is not None:
                    entry[name] = value
            return _json_line(entry)

    return JsonFormatter()


def _json_line(entry: dict[str, Any]) -> str:
    """One JSON line, non-ASCII kept readable unless it cannot be written as UTF-8 (a lone
    surrogate would lose the whole line): then escaped."""
    line = json.dumps(entry, default=str, ensure_ascii=False)
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            line = json.dumps(entry, default=str)
    return line


def _prepare_path() -> None:
    # Run by its path, Python put this file's directory first: the function must not
    # see our modules. Lambda's Python runtimes search the task root first; Chalice
    # vendors into vendor/.
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    for entry in (os.path.join(task_root, "vendor"), task_root):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def main() -> int:
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    _prepare_path()
    if _JSON_MODE:
        # Before the import, as Lambda's runtime does, so lines logged at init are JSON too.
        # JSON logs are logging's output: a function that asks for them imports it anyway.
        _install_log_format(always=True)
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Fault as failure:
        log_error(failure.document)
        sys.stdout.flush()
        try:
            body = json.dumps(failure.document).encode()
            client.post("/init/error", body, {_ERROR_TYPE_HEADER: failure.document["errorType"]})
            client.flush()
        except ServerGone:
            pass
        return 1
    if not _JSON_MODE:
        _install_log_format()
    try:
        while True:
            _run_one(client, handler)
    except ServerGone:
        return 0  # the local server is gone: leave quietly


if __name__ == "__main__":
    sys.exit(main())
