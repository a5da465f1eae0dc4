"""Swagger UI on `chalicelike local` in a real browser: Debian's Chromium driven by Playwright,
as the console's browser tests do. The docs page lists the app's operations, "Try it out"
sends a JSON body through the local gateway and shows the app's answer, a bad body its 422,
and Swagger UI runs under the page's CSP without a single refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.local.test_api_docs import served_shop
from tests.local.test_console_browser import browser_page

pytestmark = pytest.mark.slow

# Set before the page's own scripts run: every CSP refusal (Chromium also logs it, but a
# report is exact about which directive refused what).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    with served_shop(tmp_path) as (url, _):
        yield url


def open_docs(page: Any, base_url: str) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(base_url + "/_chalicelike/docs/")
    page.wait_for_selector(".opblock")


def operation(page: Any, kind: str) -> Any:
    """The operation ('opblock-post', 'opblock-get'), opened, with "Try it out" on."""
    block = page.locator(f".{kind}").first
    if not block.locator(".opblock-body").count():
        block.locator(".opblock-summary").click()
    toggle = block.locator(".try-out__btn").first  # "Try it out", then "Cancel"
    if toggle.inner_text().strip() == "Try it out":
        toggle.click()
    block.get_by_role("button", name="Execute").wait_for()
    return block


def execute(block: Any) -> tuple[str, str]:
    """Execute: the status and the body the page shows of the app's answer."""
    previous = block.locator(".live-responses-table .response-col_description .microlight")
    if previous.count():
        block.get_by_role("button", name="Clear").click()
    block.get_by_role("button", name="Execute").click()
    answer = block.locator(".live-responses-table tbody .response").first
    answer.locator(".response-col_status").wait_for()
    # "422", and "Undocumented" under it were it not in the spec (it is).
    status = answer.locator(".response-col_status").inner_text().strip()
    shown = answer.locator(".response-col_description .microlight").first.inner_text()
    return status, shown


def try_create(page: Any, body: dict[str, Any] | None) -> tuple[str, str]:
    """POST /orders through "Try it out" with `body` (None: Swagger UI's own example,
    made from the Order schema)."""
    block = operation(page, "opblock-post")
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    return execute(block)


def test_the_docs_list_the_operations_and_try_a_post(base_url: str) -> None:
    with browser_page() as page:
        open_docs(page, base_url)
        assert page.locator(".info .title").inner_text().startswith("docs-shop")
        operations = {
            (
                block.locator(".opblock-summary-method").inner_text(),
                block.locator(".opblock-summary-path").inner_text().replace("\u200b", ""),
            )
            for block in page.locator(".opblock").all()
        }
        assert operations == {("POST", "/orders"), ("GET", "/orders/{order_id}")}
        # The spec's one server: this origin, so the request below stays same-origin.
        assert page.locator(".servers select").input_value() == base_url + "/"

        # The example Swagger UI writes from the Order schema is a valid order.
        status, shown = try_create(page, None)
        assert (status, json.loads(shown)) == ("200", {"id": 1, "item": "string", "quantity": 0})
        status, shown = try_create(page, {"item": "tea", "quantity": 2})
        assert (status, json.loads(shown)) == ("200", {"id": 1, "item": "tea", "quantity": 2})

        # A path and a query parameter, typed: filled in and sent as the spec says.
        block = operation(page, "opblock-get")
        block.locator("tr[data-param-name=order_id] input").fill("4")
        block.locator("tr[data-param-name=extra] input").fill("2")
        status, shown = execute(block)
        assert (status, json.loads(shown)) == ("200", {"id": 4, "item": "tea", "quantity": 3})
        assert page.evaluate("window.cspViolations") == []


def test_a_bad_body_shows_the_422(base_url: str) -> None:
    # The 422 is logged by Chromium as a failed load: expected here.
    with browser_page(failed_loads=True) as page:
        open_docs(page, base_url)
        status, shown = try_create(page, {"item": "tea", "quantity": "lots"})
        assert status == "422"
        answer = json.loads(shown)
        assert answer["Code"] == "UnprocessableEntityError"
        assert [error["loc"] for error in answer["detail"]] == [["body", "quantity"]]
        # The same operation again, now right: the page keeps working after an error.
        status, _ = try_create(page, {"item": "tea", "quantity": 3})
        assert status == "200"
        assert page.evaluate("window.cspViolations") == []


def test_the_console_links_to_the_docs(base_url: str) -> None:
    with browser_page() as page:
        page.goto(base_url + "/_chalicelike/")
        page.wait_for_selector("#live[data-state=live]")
        page.get_by_role("link", name="API docs").click()
        page.wait_for_selector(".opblock")
        assert page.url == base_url + "/_chalicelike/docs/"
        page.get_by_role("link", name="console").click()
        page.wait_for_selector("#live[data-state=live]")
