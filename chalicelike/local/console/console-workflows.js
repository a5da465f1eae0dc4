// The console's Workflows view: the app's workflows with their executions on the local
// cloud's Step Functions, one execution drawn as its state machine (hand-made SVG: rows from
// StartAt, Parallel branches and Map processors nested as groups) with each state coloured
// by what happened to it, and a state's input, output, retries, error and invocations.
// States' inputs and outputs are whatever the app was sent: text only, never HTML.
"use strict";

(() => {
  const { $, el, clear, getJson, showProblem, openButton, clock, pretty, plural, APP_POLL_MS } =
    window.ChalicelikeConsole;

  const SVG = "http://www.w3.org/2000/svg";
  const BOX = { w: 168, h: 44 }; // one state
  const GAP = { x: 28, y: 46 }; // between states side by side, and between rows
  const PAD = 14; // inside a Parallel's or a Map's group
  const LABEL = 24; // a group's title
  const flows = {
    key: null, // the list last drawn, as JSON
    workflows: [],
    chosen: null, // { workflow, execution } shown in the graph
    detail: null, // the execution's folded states, by name
    state: null, // the state whose panel is open
    loading: false,
  };

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = String(value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  async function loadWorkflows() {
    if (flows.loading) return;
    flows.loading = true;
    try {
      const answer = await getJson("api/workflows");
      const section = $("workflows-section");
      section.hidden = answer.workflows.length === 0;
      const note = $("workflows-note");
      note.hidden = answer.local_cloud;
      note.textContent = answer.local_cloud ? "" :
        "The local cloud is off (--no-aws): workflows do not run here. Their definitions are drawn as declared.";
      const key = JSON.stringify(answer.workflows);
      if (key !== flows.key) {
        flows.key = key;
        flows.workflows = answer.workflows;
        drawWorkflowList();
      }
      const chosen = flows.chosen;
      if (chosen && chosen.execution && (!flows.detail || flows.detail.execution.status === "RUNNING")) {
        await openExecution(chosen.workflow, chosen.execution, { quiet: true });
      }
      showProblem("", "workflows");
    } catch (error) {
      // 503 while the app cannot be read: the app's own banner says so.
      if (error.status !== 503) showProblem(`The workflows cannot be read: ${error.message}`, "workflows");
      $("workflows-section").hidden = true;
    } finally {
      flows.loading = false;
    }
  }

  function drawWorkflowList() {
    const list = $("workflow-list");
    clear(list);
    for (const workflow of flows.workflows) {
      const chosen = flows.chosen && flows.chosen.workflow === workflow.name;
      const trigger = workflow.schedule || (workflow.event_pattern ? "an EventBridge rule" : "");
      const card = el("div", { className: "card workflow" + (chosen ? " selected" : ""),
        dataset: { workflow: workflow.name } },
        el("div", { className: "card-head" },
          el("button", { type: "button", className: "link card-title", text: workflow.name,
            onclick: () => openWorkflow(workflow.name) }),
          el("span", { className: "muted small", text: trigger ? `started by ${trigger}` : "" })),
        el("div", { className: "muted mono", text: workflow.state_machine_arn }),
        el("div", { className: "config muted", text: workflow.functions.length
          ? `calls ${workflow.functions.join(", ")}` : "calls no function" }));
      if (!workflow.deployed) {
        card.append(el("div", { className: "muted small", text: "Not on the local cloud yet." }));
      }
      const executions = el("ul", { className: "executions" });
      for (const execution of workflow.executions) {
        const selected = chosen && flows.chosen.execution === execution.name;
        executions.append(el("li", { className: selected ? "selected" : "" },
          el("button", { type: "button", className: "link execution",
            dataset: { execution: execution.name, status: execution.status },
            text: execution.name, onclick: () => openExecution(workflow.name, execution.name) }),
          el("span", { className: `badge ${execution.status.toLowerCase()}`, text: execution.status }),
          el("span", { className: "muted mono", text: execution.started_at ? clock(execution.started_at) : "" })));
      }
      if (!workflow.executions.length) {
        executions.append(el("li", { className: "muted small", text: "No executions yet." }));
      }
      card.append(executions);
      list.append(card);
    }
  }

  function workflowNamed(name) {
    return flows.workflows.find((w) => w.name === name);
  }

  function openWorkflow(name) {
    // The machine alone, nothing entered: what the definition says before a run.
    flows.chosen = { workflow: name, execution: null };
    flows.detail = null;
    flows.state = null;
    drawWorkflowList();
    $("workflow-view").hidden = false;
    $("execution-title").textContent = `${name} · its definition`;
    $("execution-facts").textContent = "Choose an execution to see what each state did.";
    $("execution-error").hidden = true;
    $("state-panel").hidden = true;
    drawGraph(workflowNamed(name).definition, new Map());
  }

  async function openExecution(workflowName, executionName, options = {}) {
    const workflow = workflowNamed(workflowName);
    if (!workflow) return;
    let detail;
    try {
      detail = await getJson(`api/workflows/${encodeURIComponent(workflowName)}` +
        `/executions/${encodeURIComponent(executionName)}`);
    } catch (error) {
      showProblem(error.message, "workflows");
      return;
    }
    const changed = !flows.chosen || flows.chosen.workflow !== workflowName ||
      flows.chosen.execution !== executionName;
    flows.chosen = { workflow: workflowName, execution: executionName };
    flows.detail = detail;
    if (changed) flows.state = null;
    if (!options.quiet) drawWorkflowList();
    showExecution(workflow, detail);
  }

  function showExecution(workflow, detail) {
    const execution = detail.execution;
    $("workflow-view").hidden = false;
    $("execution-title").textContent = `${workflow.name} · ${execution.name} · ${execution.status}`;
    const stopped = execution.stopped_at ? ` · took ${((execution.stopped_at - execution.started_at) * 1000).toFixed(0)} ms` : "";
    $("execution-facts").textContent = `${execution.arn}${stopped}`;
    const error = $("execution-error");
    error.hidden = !execution.error;
    error.textContent = execution.error ? `${execution.error}: ${execution.cause || ""}` : "";
    const states = new Map(detail.states.map((s) => [s.name, s]));
    drawGraph(workflow.definition, states);
    if (flows.state && states.has(flows.state)) showState(states.get(flows.state));
    else $("state-panel").hidden = true;
  }

  // The layout: each machine's states in rows by their distance from StartAt (a state
  // reached again later, by a loop, keeps its first row); a Parallel or a Map is a group
  // holding its branches, or its item processor, side by side.

  function targets(state) {
    const found = [];
    const add = (name, kind, title) => {
      if (name && !found.some(([n]) => n === name)) found.push([name, kind, title]);
    };
    add(state.Next, "next");
    for (const choice of state.Choices || []) add(choice.Next, "choice", JSON.stringify(choice));
    add(state.Default, "default", "Default");
    for (const caught of state.Catch || []) add(caught.Next, "catch", `Catch ${(caught.ErrorEquals || []).join(", ")}`);
    return found;
  }

  function layoutMachine(machine) {
    const states = machine.States || {};
    const order = [];
    const row = new Map();
    if (machine.StartAt in states) {
      row.set(machine.StartAt, 0);
      order.push(machine.StartAt);
    }
    for (let i = 0; i < order.length; i++) {
      for (const [next] of targets(states[order[i]])) {
        if (next in states && !row.has(next)) {
          row.set(next, row.get(order[i]) + 1);
          order.push(next);
        }
      }
    }
    let last = Math.max(-1, ...row.values());
    for (const name of Object.keys(states)) {
      if (!row.has(name)) { row.set(name, ++last); order.push(name); } // never reached
    }
    const rows = [];
    for (const name of order) (rows[row.get(name)] ||= []).push(name);
    const items = new Map();
    let y = 0, width = 0;
    const measured = rows.map((names) => names.map((name) => measure(name, states[name])));
    for (const line of measured) width = Math.max(width, line.reduce((sum, item) => sum + item.w, 0) + GAP.x * (line.length - 1));
    for (const line of measured) {
      const lineWidth = line.reduce((sum, item) => sum + item.w, 0) + GAP.x * (line.length - 1);
      let x = (width - lineWidth) / 2;
      const height = Math.max(...line.map((item) => item.h));
      for (const item of line) {
        Object.assign(item, { x, y, row: row.get(item.name) });
        items.set(item.name, item);
        x += item.w + GAP.x;
      }
      y += height + GAP.y;
    }
    return { items, width, height: Math.max(y - GAP.y, 0), start: machine.StartAt };
  }

  function measure(name, state) {
    const machines = state.Type === "Parallel" ? state.Branches || []
      : state.Type === "Map" ? [state.ItemProcessor || state.Iterator || {}] : [];
    if (!machines.length) return { name, state, w: BOX.w, h: BOX.h };
    const inner = machines.map(layoutMachine);
    const w = inner.reduce((sum, m) => sum + m.width, 0) + GAP.x * (inner.length - 1) + 2 * PAD;
    const h = LABEL + PAD + Math.max(...inner.map((m) => m.height)) + PAD;
    return { name, state, inner, w: Math.max(w, BOX.w), h };
  }

  function drawGraph(definition, states) {
    const graph = $("workflow-graph");
    clear(graph);
    const layout = layoutMachine(definition);
    const margin = 40; // room for the start mark above and loops on the right
    graph.setAttribute("width", layout.width + 2 * margin + 40);
    graph.setAttribute("height", layout.height + 2 * margin);
    graph.setAttribute("viewBox", `0 0 ${layout.width + 2 * margin + 40} ${layout.height + 2 * margin}`);
    graph.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }))));
    const edges = svg("g", { class: "edges" });
    const nodes = svg("g", { class: "nodes" });
    graph.append(edges, nodes);
    drawMachine(layout, margin, margin, states, edges, nodes);
    const first = layout.items.get(layout.start);
    if (first) {
      const cx = margin + first.x + first.w / 2;
      nodes.append(svg("circle", { cx, cy: margin - 26, r: 6, class: "start-mark" }, svg("title", { text: "start" })));
      edges.append(svg("path", { d: `M${cx},${margin - 20} L${cx},${margin}`, class: "edge next", "marker-end": "url(#arrow)" }));
    }
  }

  function drawMachine(layout, ox, oy, states, edges, nodes) {
    for (const item of layout.items.values()) {
      const x = ox + item.x, y = oy + item.y;
      const found = states.get(item.name);
      const status = found ? found.status : "not_entered";
      const group = svg("g", { class: `state ${status}` + (item.inner ? " group" : "") + (flows.state === item.name ? " chosen" : ""),
        dataset: { state: item.name, status, type: item.state.Type || "" },
        onclick: (event) => { event.stopPropagation(); chooseState(item.name); } });
      group.append(svg("title", { text: `${item.name} (${item.state.Type}): ${status.replace("_", " ")}` }));
      group.append(svg("rect", { x, y, width: item.w, height: item.h, rx: 6, class: "state-box" }));
      const called = functionOf(item.state);
      const kind = called ? `Task · ${called}` : item.state.Type || "";
      if (item.inner) {
        group.append(svg("text", { x: x + 10, y: y + 16, class: "state-name", text: item.name }),
          svg("text", { x: x + item.w - 10, y: y + 16, class: "state-kind end", text: kind }));
      } else {
        group.append(svg("text", { x: x + item.w / 2, y: y + 18, class: "state-name middle", text: clip(item.name, 22) }),
          svg("text", { x: x + item.w / 2, y: y + 34, class: "state-kind middle", text: clip(kind, 26) }));
      }
      nodes.append(group);
      if (item.inner) {
        let ix = x + (item.w - (item.inner.reduce((s, m) => s + m.width, 0) + GAP.x * (item.inner.length - 1))) / 2;
        for (const machine of item.inner) {
          drawMachine(machine, ix, y + LABEL + PAD, states, edges, nodes);
          ix += machine.width + GAP.x;
        }
      }
      for (const [next, how, title] of targets(item.state)) {
        const target = layout.items.get(next);
        if (target) edges.append(edge(item, target, how, title, ox, oy));
      }
    }
  }

  function functionOf(state) {
    // The app function a Task calls: "function:<name>", as Resource or as lambda:invoke's
    // FunctionName (the manifest's definitions name them so).
    const target = (state.Parameters && state.Parameters.FunctionName) || state.Resource;
    return typeof target === "string" && target.startsWith("function:") ? target.slice(9) : null;
  }

  function clip(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}…` : text;
  }

  function edge(from, to, how, title, ox, oy) {
    const x1 = ox + from.x + from.w / 2, y1 = oy + from.y + from.h;
    const x2 = ox + to.x + to.w / 2, y2 = oy + to.y;
    let d;
    if (to.row > from.row) {
      const bend = (y2 - y1) / 2;
      d = `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
    } else if (to.row === from.row) {
      // Side by side: from the facing sides, straight across.
      const rightward = to.x > from.x;
      const xa = ox + from.x + (rightward ? from.w : 0), xb = ox + to.x + (rightward ? 0 : to.w);
      const ya = oy + from.y + from.h / 2, yb = oy + to.y + to.h / 2;
      d = `M${xa},${ya} C${(xa + xb) / 2},${ya} ${(xa + xb) / 2},${yb} ${xb},${yb}`;
    } else {
      // Back to an earlier row (a loop): around the right of both boxes.
      const side = Math.max(ox + from.x + from.w, ox + to.x + to.w) + 24;
      const ya = oy + from.y + from.h / 2, yb = oy + to.y + to.h / 2;
      d = `M${ox + from.x + from.w},${ya} C${side},${ya} ${side},${yb} ${ox + to.x + to.w},${yb}`;
    }
    return svg("path", { d, class: `edge ${how}`, "marker-end": "url(#arrow)",
      dataset: { from: from.name, to: to.name } }, title ? svg("title", { text: title }) : null);
  }

  function chooseState(name) {
    flows.state = name;
    for (const node of $("workflow-graph").querySelectorAll("g.state")) {
      node.classList.toggle("chosen", node.dataset.state === name);
    }
    const found = flows.detail && flows.detail.states.find((s) => s.name === name);
    if (found) showState(found);
    else {
      $("state-panel").hidden = false;
      $("state-title").textContent = name;
      clear($("state-facts"));
      clear($("state-runs"));
      $("state-runs").append(el("p", { className: "muted", text: "Choose an execution to see what this state did." }));
    }
  }

  function showState(found) {
    $("state-panel").hidden = false;
    $("state-panel").dataset.state = found.name;
    $("state-title").textContent = `${found.name} · ${found.type} · ${found.status.replace("_", " ")}`;
    const facts = $("state-facts");
    clear(facts);
    const rows = [["entered", plural(found.entered, "time")], ["retries", String(found.retries)]];
    if (found.function) rows.push(["function", found.function]);
    for (const [name, value] of rows) facts.append(el("dt", { text: name }), el("dd", { text: value }));
    const box = $("state-runs");
    clear(box);
    if (!found.runs.length) box.append(el("p", { className: "muted", text: "Not entered in this execution." }));
    found.runs.forEach((run, index) => box.append(runView(run, index, found.runs.length)));
  }

  function runView(run, index, count) {
    const view = el("div", { className: "state-run" });
    if (count > 1) view.append(el("h4", { text: `Entry ${index + 1} of ${count}` }));
    const when = run.entered_at ? clock(run.entered_at) : "?";
    const took = run.exited_at && run.entered_at ? ` · ${((run.exited_at - run.entered_at) * 1000).toFixed(0)} ms` : "";
    view.append(el("p", { className: "muted small", text: `entered ${when}${took}` +
      (run.retries ? ` · retried ${plural(run.retries, "time")}` : "") }));
    if (run.error) {
      view.append(el("h4", { text: "Error" }),
        el("pre", { className: "error-text state-error", text: `${run.error}: ${run.cause || ""}` }));
    }
    view.append(el("h4", { text: "Input" }), el("pre", { className: "state-input", text: pretty(run.input ?? "") }));
    view.append(el("h4", { text: "Output" }),
      el("pre", { className: "state-output", text: run.output === null ? "(none: it did not exit)" : pretty(run.output) }));
    if (run.attempts.length) {
      const list = el("ul", { className: "attempts" });
      run.attempts.forEach((attempt, i) => {
        const outcome = attempt.failed ? `failed: ${attempt.error || "error"}` : attempt.ended_at ? "succeeded" : "running";
        const line = el("li", { className: attempt.failed ? "bad" : "" }, el("span", { text: `attempt ${i + 1}: ${outcome}` }));
        for (const id of attempt.invocations) line.append(openButton(id));
        if (!attempt.invocations.length) line.append(el("span", { className: "muted", text: " (its invocation is no longer kept)" }));
        list.append(line);
      });
      view.append(el("h4", { text: "Invocations" }), list);
    }
    return view;
  }

  document.addEventListener("DOMContentLoaded", () => {
    // New executions, and the one shown while it runs, while the page is seen.
    setInterval(() => {
      if (document.visibilityState === "visible" && $("workflows-section").open) loadWorkflows();
    }, APP_POLL_MS);
    loadWorkflows();
  });
})();
