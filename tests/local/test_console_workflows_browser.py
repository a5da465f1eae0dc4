"""The console's Workflows view in a real browser (Debian's Chromium, Playwright): an
execution opens as its state machine drawn in SVG, each state coloured by what happened to
it, and a state clicked shows its input and output; the order workflow's Tasks link to the
invocations they made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.local.project_support import write_project
from tests.local.test_console_browser import browser_page, open_console
from tests.local.test_console_workflows import (
    APP,
    CONFIG,
    WAIT_ASL,
    ensure_flow_machine,
    machine_arn,
    machine_exists,
    run,
    served,
    stepfunctions,
    wait_for_machine,
)
from tests.workflow_support import order_input, write_workflow_project

pytestmark = pytest.mark.slow
# A picture of each test's page, for a reader's eyes (CHALICELIKE_SCREENSHOTS=folder).
SCREENSHOTS = os.environ.get("CHALICELIKE_SCREENSHOTS")


def shot(page: object, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_an_execution_is_drawn_with_its_failed_state_marked(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP, CONFIG)
    with served(project) as (base_url, endpoint), browser_page() as page:
        client = ensure_flow_machine(endpoint)
        run(client, "shop-dev-flow", "refused", {"go": "fail", "note": "<b>not html</b>"})
        run(client, "shop-dev-flow", "caught", {"go": "on"})
        open_console(page, base_url)
        section = page.locator("#workflows-section")
        expect(section).to_be_visible()
        card = section.locator('.card.workflow[data-workflow="flow"]')
        expect(card.locator("button.execution")).to_have_count(2)
        card.locator('button.execution[data-execution="refused"]').click()
        graph = page.locator("#workflow-graph")
        state = lambda name: graph.locator(f'g.state[data-state="{name}"]')  # noqa: E731
        expect(state("Refuse")).to_have_attribute("data-status", "failed")
        # Every state is drawn, nested ones in their group; what did not run says so.
        expect(graph.locator("g.state")).to_have_count(8)
        for name in ("Both", "Left", "Broken", "Recover", "Pause"):
            expect(state(name)).to_have_attribute("data-status", "not_entered")
        expect(state("Stamp")).to_have_attribute("data-status", "succeeded")
        assert "failed" in (state("Refuse").get_attribute("class") or "")
        expect(page.locator("#execution-error")).to_have_text("Refused: asked to fail")
        # Edges: Choice's rule and its Default, and the Parallel's Catch.
        assert graph.locator('path.edge.choice[data-from="Route"][data-to="Refuse"]').count() == 1
        assert graph.locator('path.edge.default[data-from="Route"][data-to="Both"]').count() == 1
        assert graph.locator('path.edge.catch[data-from="Both"][data-to="Recover"]').count() == 1
        # A state clicked shows what went in and out, as text.
        state("Stamp").click()
        panel = page.locator("#state-panel")
        expect(panel).to_be_visible()
        expect(page.locator("#state-title")).to_have_text("Stamp · Pass · succeeded")
        input_text = panel.locator("pre.state-input").inner_text()
        assert json.loads(input_text) == {"go": "fail", "note": "<b>not html</b>"}
        output = json.loads(panel.locator("pre.state-output").inner_text())
        assert output["stamp"] == {"by": "console"}
        assert panel.locator("b").count() == 0
        state("Refuse").click()
        expect(panel.locator("pre.state-error")).to_have_text("Refused: asked to fail")
        shot(page, "workflow-failed")
        # Another execution: the Parallel caught its failed branch.
        card.locator('button.execution[data-execution="caught"]').click()
        expect(state("Both")).to_have_attribute("data-status", "caught")
        expect(state("Broken")).to_have_attribute("data-status", "failed")
        expect(state("Refuse")).to_have_attribute("data-status", "not_entered")
        expect(state("Pause")).to_have_attribute("data-status", "succeeded")


def test_the_order_workflows_tasks_open_their_invocations(tmp_path: Path) -> None:
    project = write_workflow_project(tmp_path / "orders")
    with served(project) as (base_url, endpoint), browser_page(1600, 1200) as page:
        client = stepfunctions(endpoint)
        wait_for_machine(client, "orders-dev-order")
        run(client, "orders-dev-order", "book", order_input(tmp_path / "attempts"))
        open_console(page, base_url)
        page.locator('button.execution[data-execution="book"]').click()
        graph = page.locator("#workflow-graph")
        reserve = graph.locator('g.state[data-state="Reserve"]')
        expect(reserve).to_have_attribute("data-status", "succeeded")
        # Nested: Reserve is drawn inside the Parallel's group, LineTotal inside the Map's.
        group = graph.locator('g.state[data-state="Prepare"] > rect').bounding_box()
        box = reserve.locator("rect").bounding_box()
        assert group is not None and box is not None
        assert group["x"] <= box["x"] and box["y"] + box["height"] <= group["y"] + group["height"]
        reserve.click()
        panel = page.locator("#state-panel")
        expect(panel.locator(".attempts li")).to_have_count(3)
        expect(panel.locator(".attempts li.bad")).to_have_count(2)
        shot(page, "workflow-order")
        panel.locator(".attempts li").last.locator("button[data-open]").click()
        expect(page.locator("#detail-title")).to_contain_text("reserve · ok")


def test_a_running_execution_is_followed_until_it_ends(tmp_path: Path) -> None:
    project = write_project(tmp_path, APP + f"\napp.workflow('wait', {WAIT_ASL!r})\n", CONFIG)
    with served(project) as (base_url, endpoint), browser_page() as page:
        client = ensure_flow_machine(endpoint)
        if not machine_exists(client, "shop-dev-wait"):
            client.create_state_machine(
                name="shop-dev-wait",
                definition=json.dumps(WAIT_ASL),
                roleArn="arn:aws:iam::123456789012:role/flow",
            )
        open_console(page, base_url)
        client.start_execution(stateMachineArn=machine_arn("shop-dev-wait"), name="held")
        # The list is read again every 3 s: the new execution comes without a reload.
        held = page.locator('.card.workflow[data-workflow="wait"] button.execution')
        expect(held).to_have_attribute("data-status", "RUNNING", timeout=10_000)
        held.click()
        hold = page.locator('#workflow-graph g.state[data-state="Hold"]')
        expect(hold).to_have_attribute("data-status", "running")
        expect(hold).to_have_attribute("data-status", "succeeded", timeout=15_000)
        expect(page.locator('#workflow-graph g.state[data-state="Done"]')).to_have_attribute(
            "data-status", "succeeded"
        )
        assert page.evaluate("window.notReloaded") is True
