"""Swagger UI for the app `chalicelike local` serves: /_chalicelike/docs/ and the OpenAPI
document it reads, /_chalicelike/openapi.json, built from the manifest the server serves
now (so it follows every hot reload). `ConsoleApi` routes here after its HostGuard check.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core._types import Scope, Send
from .._tooling._manifest import AppManifest
from ._asgi_types import send_answer
from ._console_api import current_manifest
from ._console_http import SECURITY_HEADERS, ConsoleError, json_bytes

__all__ = ["DOCS_PATH", "SPEC_PATH", "ApiDocs", "spread_any_methods", "without_amazon_keys"]

PREFIX = "/_chalicelike"
SPEC_PATH = PREFIX + "/openapi.json"
DOCS_PATH = PREFIX + "/docs"
STATIC_PREFIX = DOCS_PATH + "/static/"
OUR_DIR = Path(__file__).parent / "console"
AMAZON_PREFIX = "x-amazon-"
_GREEDY = re.compile(r"\{([^{}/]+)\+\}")
ANY_METHOD_KEY = "x-amazon-apigateway-any-method"
# The methods an ANY method serves (API Gateway's list), in Swagger UI's order.
ANY_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

# Swagger UI's page, as strict as Swagger UI 5 runs under (found in Chromium, each
# refusal reported by a securitypolicyviolation event): nothing but what is named, and
# every kind of resource from this server only. Its one allowance: img-src data:, as
# swagger-ui.css draws its icons (arrows, locks, the spinner) as data: URLs. Inline
# styles need no 'unsafe-inline': React sets them through the CSSOM (element.style),
# which CSP does not govern. connect-src 'self': the spec and "Try it out" go to this
# origin only (the spec's one server); no validator badge (validatorUrl: null), no CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The console's other headers (nosniff, no framing, no referrer); CSP and caching our own.
_KEPT_HEADERS = [
    (name, value)
    for name, value in SECURITY_HEADERS
    if name not in (b"content-security-policy", b"cache-control")
]
_HEADERS = [(b"content-security-policy", DOCS_CSP.encode()), *_KEPT_HEADERS]

_JS = b"text/javascript; charset=utf-8"
_CSS = b"text/css; charset=utf-8"
_PNG = b"image/png"
_HTML = b"text/html; charset=utf-8"
# The only files served, by the name in the URL: no path from a request reaches the disk.
# Swagger UI's change only with the swagger-ui-bundle package: a day's cache, then a
# revalidation. Ours change with chalicelike: revalidated every time (a 304 when unchanged).
VENDOR_FILES = {
    "swagger-ui-bundle.js": _JS,
    "swagger-ui.css": _CSS,
    "favicon-32x32.png": _PNG,
    "favicon-16x16.png": _PNG,
}
OUR_FILES = {"api-docs.js": _JS, "api-docs.css": _CSS}
_VENDOR_CACHE = b"private, max-age=86400"
_OUR_CACHE = b"no-cache"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: bytes
    cache_control: bytes
    etag: bytes


class ApiDocs:
    """The docs page, its files and the spec, for `server` (a LocalServer: its state)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._files: dict[str, StaticFile] = {}
        # The spec of the manifest last asked for (without servers): rebuilt on a reload.
        self._spec: tuple[AppManifest, dict[str, Any]] | None = None

    @staticmethod
    def handles(path: str) -> bool:
        return path in (SPEC_PATH, DOCS_PATH) or path.startswith(DOCS_PATH + "/")

    async def serve(self, scope: Scope, send: Send) -> None:
        """Answer a GET or HEAD of one of `handles`' paths; ConsoleError when there is none."""
        path = scope["path"]
        if path == SPEC_PATH:
            document = await self.spec(_server_url(scope))
            headers = [*_HEADERS, (b"cache-control", b"no-store")]
            headers.append((b"content-type", b"application/json"))
            await send_answer(send, 200, headers, json_bytes(document))
        elif path == DOCS_PATH:  # the page's relative URLs need the trailing slash
            headers = [*_HEADERS, (b"location", (DOCS_PATH + "/").encode())]
            await send_answer(send, 308, headers, b"")
        elif path == DOCS_PATH + "/":
            await _send_file(send, scope, self._file("api-docs.html", OUR_DIR, _HTML))
        else:
            await _send_file(send, scope, self._static(path.removeprefix(STATIC_PREFIX)))

    async def spec(self, server_url: str) -> dict[str, Any]:
        """The app's OpenAPI document as a reader needs it: no API Gateway extensions, and
        the one server, where this dev server serves the app."""
        manifest = await current_manifest(self.server)
        cached = self._spec
        if cached is None or cached[0] is not manifest:
            cached = self._spec = (manifest, self._build(manifest))
        # The local gateway routes at the root: API Gateway's stage prefix (/api) is part
        # of a deployed REST API's URL, not of the dev server's.
        stage = self.server.state.stage
        server = {"url": server_url, "description": f"chalicelike local (stage {stage})"}
        return {**cached[1], "servers": [server]}

    def _build(self, manifest: AppManifest) -> dict[str, Any]:
        import dataclasses

        from .._tooling._config import ConfigError, resolve_stage_config
        from .._tooling._openapi import openapi_document

        state = self.server.state
        try:
            config = resolve_stage_config(state.project_dir, state.stage, manifest.app_name)
        except ConfigError as error:
            raise ConsoleError(503, f"the app cannot be read: {error}") from None
        # As generate-models names the API: the config's app_name wins.
        manifest = dataclasses.replace(manifest, app_name=config.app_name)
        document = openapi_document(manifest, config)
        # API Gateway's greedy '{proxy+}' names the parameter 'proxy' (OpenAPI templates
        # have no '+'): as '{proxy}', Swagger UI fills it in.
        paths = {_GREEDY.sub(r"{\1}", path): item for path, item in document["paths"].items()}
        document["paths"] = spread_any_methods(paths)
        cleaned: dict[str, Any] = without_amazon_keys(document)
        return cleaned

    def _static(self, name: str) -> StaticFile:
        if name in OUR_FILES:
            return self._file(name, OUR_DIR, OUR_FILES[name])
        if name in VENDOR_FILES:
            folder = importlib.import_module("swagger_ui_bundle").swagger_ui_path
            return self._file(name, folder, VENDOR_FILES[name], _VENDOR_CACHE)
        raise ConsoleError(404, f"no docs file {name!r}")

    def _file(
        self, name: str, folder: Any, content_type: bytes, cache: bytes = _OUR_CACHE
    ) -> StaticFile:
        found = self._files.get(name)
        if found is None:
            body = folder.joinpath(name).read_bytes()
            etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
            found = self._files[name] = StaticFile(body, content_type, cache, etag)
        return found


def spread_any_methods(paths: dict[str, Any]) -> dict[str, Any]:
    """Each path's ANY route (API Gateway's x-amazon-apigateway-any-method, which OpenAPI
    and Swagger UI know nothing of) as one operation per method it serves: every method
    the path does not declare itself, as API Gateway routes them."""
    taken = {
        operation.get("operationId")
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict)
    }
    spread_paths = {}
    for path, item in paths.items():
        operation = item.get(ANY_METHOD_KEY)
        spread = dict(item)
        for method in ANY_METHODS if operation is not None else ():
            if method in spread:
                continue
            # operationIds are unique within a document (OpenAPI 3.1, Operation Object).
            named = f"{operation.get('operationId') or 'any'}_{method}"
            while named in taken:
                named += "_"
            taken.add(named)
            spread[method] = {**operation, "operationId": named}
        spread_paths[path] = spread
    return spread_paths


def without_amazon_keys(value: Any) -> Any:
    """`value` without any `x-amazon-*` key at any depth: the integrations hold
    placeholders (generate-models' ARNs) and mean nothing to a reader of the API."""
    if isinstance(value, dict):
        return {
            key: without_amazon_keys(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.startswith(AMAZON_PREFIX))
        }
    if isinstance(value, list):
        return [without_amazon_keys(item) for item in value]
    return value


def _server_url(scope: Scope) -> str:
    """This server's root as the request named it (its Host passed the HostGuard): the
    page's "Try it out" requests then stay on the page's own origin."""
    for name, value in scope["headers"]:
        if name == b"host":
            return f"{scope.get('scheme', 'http')}://{value.decode('latin-1')}/"
    return "/"  # HTTP/1.0 without a Host: relative to the document's own URL


async def _send_file(send: Send, scope: Scope, file: StaticFile) -> None:
    headers = [*_HEADERS, (b"cache-control", file.cache_control), (b"etag", file.etag)]
    for name, value in scope["headers"]:
        if name == b"if-none-match" and file.etag in (tag.strip() for tag in value.split(b",")):
            # No Content-Length: a 304's would have to be the 200's (RFC 9110 8.6).
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
    headers.append((b"content-type", file.content_type))
    await send_answer(send, 200, headers, file.body)
