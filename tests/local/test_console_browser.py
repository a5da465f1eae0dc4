"""The console in a real browser: Debian's Chromium driven by Playwright (never a browser
download) against the real `chalicelike local` with its AWS endpoint. A request made with
`requests` appears live, opens with its logs and its trace (the boto3 call inside it, and
the SQS consumer it reached), and an edited replay runs as a new invocation."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.local.project_support import write_project
from tests.local.test_server import free_port, local_server

pytestmark = pytest.mark.slow

APP = """\
import os

import boto3
from chalicelike import Chalice

app = Chalice(app_name="shop")


@app.route("/orders/{order_id}", methods=["POST"])
def place(order_id):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=order_id)
    print(f"placed order {order_id}")
    return {"placed": order_id}


@app.on_sqs_message(queue="orders")
def ship(event):
    for record in event:
        print(f"shipping {record.body}")
"""
CONFIG = {"version": "2.0", "app_name": "shop", "xray": True, "stages": {"dev": {}}}
SOURCES_LIVE = "event sources live"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, APP, CONFIG)


@contextlib.contextmanager
def served(project: Path) -> Iterator[str]:
    with local_server(project, "--aws-port", str(free_port())) as (base_url, log_path, _):
        deadline = time.monotonic() + 30
        while SOURCES_LIVE not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        yield base_url


@contextlib.contextmanager
def browser_page(
    width: int = 1400, height: int = 1000, *, failed_loads: bool = False
) -> Iterator[Any]:
    """A page of Debian's Chromium; any script error fails the test. `failed_loads`: the
    browser's own lines for requests a stopped server or a broken app refused are expected."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        if failed_loads and message.text.startswith(("Failed to load resource", "net::")):
            return
        errors.append(message.text)

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", on_console)
            yield page
            assert not errors, errors
        finally:
            browser.close()


def open_console(page: Any, base_url: str) -> None:
    page.goto(base_url + "/_chalicelike/")
    page.wait_for_selector("#live[data-state=live]")
    page.evaluate("window.notReloaded = true")


def rows(page: Any, function: str) -> Any:
    return page.locator(f'#invocation-rows tr[data-function="{function}"]')


def test_a_request_appears_live_and_opens_with_its_logs_and_trace(
    project: Path, tmp_path: Path
) -> None:
    with served(project) as base_url, browser_page() as page:
        open_console(page, base_url)
        assert requests.post(base_url + "/orders/7", timeout=20).json() == {"placed": "7"}
        # Streamed: no reload, no polling of the page.
        rows(page, "ship").first.wait_for()
        assert page.evaluate("window.notReloaded") is True
        place = rows(page, "api_handler").first
        assert "POST /orders/{order_id}" in place.inner_text()
        place.click()
        page.wait_for_selector("#detail:not([hidden])")
        logs = page.locator("#detail-logs").inner_text()
        assert logs.startswith("START RequestId:") and "placed order 7" in logs
        assert "END RequestId:" in logs and "REPORT RequestId:" in logs
        facts = page.locator("#detail-facts").inner_text()
        assert "billed" in facts and "MB used of 128 MB" in facts

        page.wait_for_selector(".wf-row")
        kinds = page.eval_on_selector_all(".wf-row", "rows => rows.map(r => r.dataset.kind)")
        names = page.eval_on_selector_all(".wf-row .wf-name", "ns => ns.map(n => n.textContent)")
        assert "gateway" in kinds and "lambda" in kinds, names
        assert "shop-dev" in names, names
        page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        if "aws" not in kinds:
            pytest.skip(
                "the trace has no boto3 subsegment: the worker's X-Ray SDK segments "
                f"(xray: true) did not reach the dev server's daemon; segments: {names}"
            )
        assert "sqs" in [name.lower() for name in names], names
        # The message carried the trace on (AWSTraceHeader): the consumer is in it too.
        assert "shop-dev-ship" in names, names


def test_an_edited_replay_runs_as_a_new_invocation(project: Path) -> None:
    with served(project) as base_url, browser_page() as page:
        open_console(page, base_url)
        requests.post(base_url + "/orders/1", timeout=20)
        rows(page, "api_handler").first.click()
        page.wait_for_selector("#detail:not([hidden])")
        original = page.locator("#detail").get_attribute("data-id")
        event = json.loads(page.locator("#replay-event").input_value())
        event["pathParameters"] = {"order_id": "edited-42"}
        page.fill("#replay-event", json.dumps(event))
        page.click("#replay-button")
        replay = page.locator(
            "#invocation-rows tr", has_text=f"console: replay of {original}"
        ).first
        replay.wait_for()
        # The new invocation opens in place of the old one, and the message says so.
        expect(page.locator("#detail")).to_have_attribute(
            "data-id", replay.get_attribute("data-id")
        )
        expect(page.locator("#replay-result")).to_contain_text(
            f"The replay of #{original} ran as #{replay.get_attribute('data-id')} and succeeded"
        )
        expect(page.locator("#detail-logs")).to_contain_text("placed order edited-42")
        # The filter keeps the rows of one function only.
        rows(page, "ship").first.wait_for()
        page.select_option("#filter-function", "ship")
        functions = page.eval_on_selector_all(
            "#invocation-rows tr", "rows => rows.map(r => r.dataset.function)"
        )
        assert functions and set(functions) == {"ship"}
        assert page.evaluate("window.notReloaded") is True


def test_event_bodies_are_shown_as_text_never_run(project: Path) -> None:
    hostile = "<img src=x id=pwned onerror=window.pwned=1>"
    with served(project) as base_url, browser_page() as page:
        open_console(page, base_url)
        requests.post(base_url + "/orders/x", data=hostile, headers={"X-Note": hostile}, timeout=20)
        rows(page, "api_handler").first.click()
        # (The page's CSP forbids eval: Playwright's wait_for_function cannot run there.)
        expect(page.locator("#detail-event")).to_contain_text("onerror")
        assert hostile in page.locator("#detail-event").inner_text()
        assert page.locator("#pwned").count() == 0
        assert page.evaluate("window.pwned") is None


def test_a_generated_event_runs_and_a_failure_opens_with_its_traceback(project: Path) -> None:
    with served(project) as base_url, browser_page() as page:
        open_console(page, base_url)
        page.locator('.card.function[data-function="ship"] button', has_text="Send event").click()
        expect(page.locator("#send-note")).to_contain_text("sample sqs event")
        sample = json.loads(page.locator("#send-event").input_value())
        assert sample["Records"][0]["eventSourceARN"].endswith(":orders")
        page.click("#send-button")
        expect(page.locator("#send-result")).to_contain_text("ok")
        rows(page, "ship").first.wait_for()

        page.fill("#send-event", '{"Records": 5}')  # no batch SQS could send
        page.click("#send-button")
        expect(page.locator("#send-result")).to_contain_text("error")
        failed = page.locator('#invocation-rows tr[data-status="error"]').first
        failed.wait_for()
        failed.click()
        expect(page.locator("#detail-error-text")).to_contain_text("Error")
        assert page.locator("#detail-error").is_visible()
        assert 'File "' in page.locator("#detail-error-text").inner_text()


# -- a developer's day: restarts, edits, small windows (no AWS endpoint: quicker) ----------

DESK_APP = """\
from chalicelike import Chalice

app = Chalice(app_name="desk")


@app.route("/first")
def first():
    return {"route": "first"}


@app.route("/second")
def second():
    return {"route": "second"}


@app.route("/echo", methods=["POST"])
def echo():
    return {"size": len(app.current_request.raw_body)}


@app.schedule("rate(5 minutes)")
def every5(event):
    print(f"tidying for {event.time}")


@app.on_ws_message()
def chat(event):
    app.websocket_api.send(event.connection_id, event.body)
"""
# Enough sources and functions that the picture is taller than a laptop's window.
MORE = "".join(
    f'\n\n@app.route("/extra/{n}")\ndef extra_{n}():\n    return {{}}\n'
    f'\n\n@app.lambda_function(name="worker_{n}")\ndef worker_{n}(event, context):\n'
    "    return event\n"
    for n in range(8)
)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    project_dir = tmp_path / "desk"
    (project_dir / ".chalice").mkdir(parents=True)
    (project_dir / "app.py").write_text(DESK_APP)
    config = {"version": "2.0", "app_name": "desk", "stages": {"dev": {}}}
    (project_dir / ".chalice" / "config.json").write_text(json.dumps(config))
    return project_dir


@contextlib.contextmanager
def serving_on(project: Path, port: int) -> Iterator[str]:
    """`chalicelike local --no-aws` on `port` (one a restarted server takes again)."""
    base_url = f"http://127.0.0.1:{port}"
    log_path = project.parent / f"server-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "chalicelike.cli", "--project-dir", str(project), "local"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-aws"], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                requests.get(base_url + "/_chalicelike/api/functions", timeout=5).close()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.05)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_restarted_server_replaces_the_old_ones_rows(desk: Path) -> None:
    port = free_port()
    with browser_page(failed_loads=True) as page:
        with serving_on(desk, port) as base_url:
            open_console(page, base_url)
            requests.get(base_url + "/first", timeout=20)
            requests.get(base_url + "/first", timeout=20)
            expect(page.locator("#invocation-rows tr")).to_have_count(2)
            page.locator("#invocation-rows tr").first.click()
            page.wait_for_selector("#detail:not([hidden])")
        # The same port, a new server: its invocation ids start at 1 again.
        with serving_on(desk, port) as base_url:
            assert requests.get(base_url + "/second", timeout=20).json() == {"route": "second"}
            expect(page.locator("#notice")).to_contain_text("restarted")
            only = page.locator("#invocation-rows tr")
            expect(only).to_have_count(1)  # the new server's #1, not the old #1 and #2
            expect(only.first).to_contain_text("GET /second")
            assert page.locator("#detail").is_hidden()  # the old #2 belonged to the old server
            only.first.click()
            expect(page.locator("#detail-facts")).to_contain_text("GET /second")
            requests.get(base_url + "/first", timeout=20)
            expect(page.locator("#invocation-rows tr")).to_have_count(2)  # live still
            assert page.evaluate("window.notReloaded") is True


def test_the_picture_follows_app_py_without_an_invocation(desk: Path) -> None:
    with serving_on(desk, free_port()) as base_url, browser_page(failed_loads=True) as page:
        open_console(page, base_url)
        expect(page.locator("#col-sources")).to_contain_text("/second")
        (desk / "app.py").write_text(
            DESK_APP + '\n\n@app.route("/added")\ndef added():\n    return {}\n'
        )
        expect(page.locator("#col-sources")).to_contain_text("/added", timeout=15000)
        (desk / "app.py").write_text(DESK_APP + "\ndef broken(:\n")
        expect(page.locator("#problem")).to_contain_text("cannot be read", timeout=15000)
        (desk / "app.py").write_text(DESK_APP)
        expect(page.locator("#problem")).to_be_hidden(timeout=15000)
        expect(page.locator("#col-sources")).not_to_contain_text("/added")
        assert page.evaluate("window.notReloaded") is True


def test_an_invocation_opens_in_sight_in_a_small_window(desk: Path) -> None:
    (desk / "app.py").write_text(DESK_APP + MORE)
    with serving_on(desk, free_port()) as base_url:
        for _ in range(3):
            requests.get(base_url + "/first", timeout=20)
        with browser_page(800, 600) as page:
            open_console(page, base_url)
            page.locator("#invocation-rows tr").first.click()
            page.wait_for_selector("#detail:not([hidden])")
            box = page.locator("#detail").bounding_box()
            assert box is not None and 0 <= box["y"] < 600, box  # in the window, not below it
        with browser_page(1280, 800) as page:
            open_console(page, base_url)
            # The picture is tall (17 sources) but the list is within the window...
            table = page.locator("table.invocations").bounding_box()
            assert table is not None and table["y"] < 800, table
            # ...and the picture folds away.
            page.click("#map-section > summary")
            expect(page.locator("#map")).to_be_hidden()
            page.click("#map-section > summary")
            expect(page.locator("#map")).to_be_visible()


def test_fired_schedules_and_cut_events_say_what_happened(desk: Path) -> None:
    with serving_on(desk, free_port()) as base_url, browser_page() as page:
        open_console(page, base_url)
        # --no-aws: nothing fires the schedule here, and the card says so.
        expect(page.locator("#col-sources")).to_contain_text("not fired here (--no-aws)")
        page.locator('button[data-fire="every5"]').click()
        notice = page.locator("#notice")
        expect(notice).to_contain_text("every5's schedule ran as #1 and succeeded")
        notice.locator("button[data-open]").click()
        expect(page.locator("#detail-logs")).to_contain_text("tidying for")

        # An event over 64 KiB is kept cut: it cannot be replayed as it is.
        requests.post(base_url + "/echo", data="x" * 70_000, timeout=20)
        page.locator("#invocation-rows tr", has_text="POST /echo").first.click()
        expect(page.locator("#replay-note")).to_contain_text("cut short")
        assert page.locator("#replay-event").input_value() == ""
        page.click("#replay-button")
        expect(page.locator("#replay-result")).to_contain_text("paste the whole event")

        # A websocket handler's sample names this server's gateway, not AWS.
        page.locator('.card.function[data-function="websocket_message"] button').first.click()
        expect(page.locator("#send-note")).to_contain_text("sample websocket event")
        sample = json.loads(page.locator("#send-event").input_value())
        assert sample["requestContext"]["domainName"] == base_url.removeprefix("http://")
        assert sample["requestContext"]["apiId"] == "local"


def test_the_page_reads_as_many_invocations_as_the_server_keeps(desk: Path) -> None:
    with serving_on(desk, free_port()) as base_url:
        with requests.Session() as session:
            for _ in range(230):
                session.get(base_url + "/first", timeout=20)
        with browser_page() as page:
            open_console(page, base_url)
            expect(page.locator("#invocation-rows tr")).to_have_count(230)
            expect(page.locator("#stats-note")).to_contain_text("of the last 500 invocations")
