"""/_chalicelike/docs and /_chalicelike/openapi.json on the real `chalicelike local`: the
spec is valid and follows edits of the app, Swagger UI's files are served from an
allow-list with their types and caching, and a foreign page is refused."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from chalicelike.local._api_docs import spread_any_methods, without_amazon_keys
from tests.local.test_server import local_server

pytestmark = pytest.mark.slow

SHOP = Path(__file__).parent / "projects" / "api_docs_shop"
DOCS = "/_chalicelike/docs/"
SPEC = "/_chalicelike/openapi.json"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    "api-docs.js": "text/javascript; charset=utf-8",
    "api-docs.css": "text/css; charset=utf-8",
}


def copy_shop(root: Path) -> Path:
    """The shop project in `root/project` (its own copy: tests edit it)."""
    project = root / "project"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


@contextlib.contextmanager
def served_shop(root: Path) -> Iterator[tuple[str, Path]]:
    project = copy_shop(root)
    with local_server(project) as (base_url, _, _):
        yield base_url, project


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    # Per test: the conftest checks after each that no process it started is left.
    with served_shop(tmp_path) as (url, _):
        yield url


def amazon_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [key for key in value if key.startswith("x-amazon-")]
        return found + [key for item in value.values() for key in amazon_keys(item)]
    if isinstance(value, list):
        return [key for item in value for key in amazon_keys(item)]
    return []


def test_the_spec_is_valid_and_points_at_this_server(base_url: str) -> None:
    answer = requests.get(base_url + SPEC, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"  # it follows every edit
    spec = answer.json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"  # Swagger UI 5 reads 3.1; API Gateway's 3.0 is not needed
    assert spec["info"]["title"] == "docs-shop"
    assert set(spec["paths"]) == {"/orders", "/orders/{order_id}"}
    # The typed views' contracts: the body's and the answer's schemas, the parameters.
    create = spec["paths"]["/orders"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Order"}
    assert set(create["responses"]) == {"200", "422"}
    get = spec["paths"]["/orders/{order_id}"]["get"]
    assert [(p["name"], p["in"], p["schema"]["type"]) for p in get["parameters"]] == [
        ("order_id", "path", "integer"),
        ("extra", "query", "integer"),
    ]
    assert spec["components"]["schemas"]["Order"]["required"] == ["item", "quantity"]
    # The integrations' placeholders are gone; the routes are at the server's root (no
    # /api stage prefix locally).
    assert amazon_keys(spec) == []
    assert [server["url"] for server in spec["servers"]] == [base_url + "/"]


def test_the_spec_follows_an_edit_of_the_app(tmp_path: Path) -> None:
    with served_shop(tmp_path) as (base_url, project):
        before = requests.get(base_url + SPEC, timeout=10).json()
        app = project / "app.py"
        app.write_text(
            app.read_text()
            + '\n\n@app.route("/refunds", methods=["PUT"])\ndef refund():\n    return {}\n'
        )
        after = requests.get(base_url + SPEC, timeout=30).json()
    assert "/refunds" not in before["paths"]
    assert list(after["paths"]["/refunds"]) == ["put"]
    validate(after)


MOUNTED = """

@app.route("/files/{path+}")
def file(path):
    return {"path": path}


async def legacy(scope, receive, send):
    start = {"type": "http.response.start", "status": 200, "headers": []}
    await send(start)
    await send({"type": "http.response.body", "body": b"legacy"})


app.mount("/legacy", legacy)
"""


def test_greedy_and_any_routes_are_spelt_as_openapi_has_them(tmp_path: Path) -> None:
    """API Gateway's '{path+}' and ANY method (a mounted app's) mean nothing to Swagger UI:
    the parameter's template is '{path}', and ANY is one operation per method."""
    project = copy_shop(tmp_path)
    (project / "app.py").write_text((project / "app.py").read_text() + MOUNTED)
    with local_server(project) as (base_url, _, _):
        spec = requests.get(base_url + SPEC, timeout=10).json()
        # Swagger UI's request for GET /files/{path} with path "a.txt" is served.
        assert requests.get(base_url + "/files/a.txt", timeout=10).json() == {"path": "a.txt"}
    validate(spec)
    assert "/files/{path}" in spec["paths"] and "/files/{path+}" not in spec["paths"]
    legacy = spec["paths"]["/legacy/{proxy}"]
    methods = ["get", "put", "post", "delete", "options", "head", "patch"]
    assert list(legacy) == methods
    assert legacy["put"]["parameters"][0]["name"] == "proxy"
    ids = [
        operation["operationId"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in methods
    ]
    assert len(ids) == len(set(ids)), ids


def test_spread_any_methods_keeps_declared_methods_and_unique_ids() -> None:
    paths = {
        "/a": {
            "get": {"operationId": "a"},
            "x-amazon-apigateway-any-method": {"operationId": "a_any", "summary": "any"},
        },
        "/b": {"post": {"operationId": "a_any_post"}},
    }
    spread = spread_any_methods(paths)
    assert spread["/a"]["get"] == {"operationId": "a"}  # declared: API Gateway's choice too
    assert spread["/a"]["put"] == {"operationId": "a_any_put", "summary": "any"}
    assert spread["/a"]["post"]["operationId"] == "a_any_post_"  # /b has a_any_post
    assert spread["/b"] == paths["/b"]


def test_the_page_redirects_to_its_folder_and_is_served_with_a_strict_csp(
    base_url: str,
) -> None:
    moved = requests.get(base_url + DOCS.rstrip("/"), allow_redirects=False, timeout=10)
    page = requests.get(base_url + DOCS, timeout=10)
    assert moved.status_code == 308 and moved.headers["location"] == DOCS
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe" not in csp and "http" not in csp  # no inline code, no other host
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "api-docs.js"):
        assert f'"static/{name}"' in page.text
    assert "<script>" not in page.text  # only files of ours run
    assert "//" not in page.text.replace("://", "")  # no protocol-relative URL either


def test_each_asset_is_served_with_its_type_and_caching(base_url: str) -> None:
    for name, content_type in ASSETS.items():
        url = f"{base_url}{DOCS}static/{name}"
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == content_type, name
        assert answer.content, name
        etag = answer.headers["etag"]
        # Swagger UI's files change only with its package; ours are revalidated.
        cache = answer.headers["cache-control"]
        assert cache == ("no-cache" if name.startswith("api-docs") else "private, max-age=86400")
        again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
        assert again.status_code == 304 and again.content == b"", name
        assert again.headers["etag"] == etag
        changed = requests.get(url, headers={"If-None-Match": '"other"'}, timeout=10)
        assert changed.status_code == 200 and changed.content == answer.content
    head = requests.head(f"{base_url}{DOCS}static/swagger-ui.css", timeout=10)
    assert head.status_code == 200 and head.headers["content-type"] == ASSETS["swagger-ui.css"]


UNKNOWN = [
    "index.html",  # in Swagger UI's folder, not on the list
    "swagger-ui.js",
    "swagger-ui-bundle.js.map",
    "oauth2-redirect.html",
    "console.js",  # the console's, not the docs'
    "..%2Fapi-docs.html",
    "%2E%2E/%2E%2E/app.py",
    "API-DOCS.JS",
    "",
]


def test_an_unknown_asset_is_404(base_url: str) -> None:
    for name in UNKNOWN:
        answer = requests.get(f"{base_url}{DOCS}static/{name}", timeout=10)
        assert answer.status_code == 404, (name, answer.text)
    assert requests.get(f"{base_url}{DOCS}elsewhere", timeout=10).status_code == 404


def test_only_get_and_head_are_allowed(base_url: str) -> None:
    posted = requests.post(base_url + SPEC, json={}, timeout=10)
    deleted = requests.delete(base_url + DOCS, timeout=10)
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
    assert deleted.status_code == 405


FOREIGN = [
    {"Host": "evil.example"},  # DNS rebinding
    {"Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "null"},
]


def test_a_foreign_page_is_refused(base_url: str) -> None:
    for headers in FOREIGN:
        for path in (SPEC, DOCS, DOCS + "static/api-docs.js"):
            answer = requests.get(base_url + path, headers=headers, timeout=10)
            assert answer.status_code == 403, (headers, path)
            assert answer.json()["error"].startswith("Forbidden"), (headers, path)


def test_the_page_s_own_requests_pass_the_guard(base_url: str) -> None:
    """What Chromium sends from the docs page: its Origin (on a POST), Sec-Fetch-Site
    same-origin; the app's answer to "Try it out" comes back through the gateway."""
    own = {"Origin": base_url, "Sec-Fetch-Site": "same-origin"}
    spec = requests.get(base_url + SPEC, headers=own, timeout=10)
    tried = requests.post(
        base_url + "/orders", json={"item": "tea", "quantity": 2}, headers=own, timeout=20
    )
    assert spec.status_code == 200
    assert tried.status_code == 200 and tried.json()["quantity"] == 2


def test_without_amazon_keys_removes_them_at_every_depth() -> None:
    document = {
        "x-amazon-apigateway-binary-media-types": ["image/png"],
        "paths": {"/a": {"get": {"operationId": "a", "x-amazon-apigateway-integration": {}}}},
        "list": [{"x-amazon-apigateway-authtype": "custom", "name": "Authorization"}],
        "x-other": 1,
    }
    assert without_amazon_keys(document) == {
        "paths": {"/a": {"get": {"operationId": "a"}}},
        "list": [{"name": "Authorization"}],
        "x-other": 1,
    }
