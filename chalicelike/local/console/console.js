// The console of `chalicelike local`: reads /_chalicelike/api/* and draws the app, the live
// invocations and their traces. No framework, no build. Event bodies, answers and logs are
// whatever anyone sent the app: every piece of data reaches the page through textContent
// or an attribute, never as HTML.
"use strict";

(() => {
  // Rows kept in the table, and read at start: as many as the server's ring keeps (500).
  const MAX_ROWS = 500;
  const APP_POLL_MS = 3000; // the picture follows edits of app.py while the page is seen
  // How the server's ring marks an event, answer or log it kept cut (`clip`).
  const CUT = /\n\.\.\. \[(\d+) more characters not kept\]$/;
  const state = {
    records: [], // newest first, summaries
    functions: [],
    selected: null,
    sendTarget: null,
    serverRun: null, // the server's run id: another one is a restarted server
    generation: 0, // bumped when the page starts over: late answers of before are dropped
    appKey: null, // the picture last drawn, as JSON: redrawn only when it changes
    loadingApp: false,
  };

  // -- small helpers ---------------------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "className") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      const error = new Error(body.error || `${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || `${response.status}`);
    return answer;
  }

  function ms(value) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(1);
  }

  function clock(epochSeconds) {
    const date = new Date(epochSeconds * 1000);
    return date.toLocaleTimeString([], { hour12: false }) + "." +
      String(date.getMilliseconds()).padStart(3, "0");
  }

  function pretty(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (error) {
      return text; // not JSON (or cut short): shown as it is
    }
  }

  const problems = new Map(); // what is wrong, by kind ("app", "stream"...): each cleared alone
  function showProblem(message, kind = "other") {
    if (message) problems.set(kind, message);
    else problems.delete(kind);
    const problem = $("problem");
    problem.textContent = [...problems.values()].join("\n");
    problem.hidden = problems.size === 0;
  }

  function openButton(id) {
    return el("button", { type: "button", className: "link", dataset: { open: id },
      text: `open #${id}`, onclick: () => select(id) });
  }

  function showNotice(message, good, id) {
    // One line under the header: what an action did (a fired schedule, a restart).
    const notice = $("notice");
    clear(notice);
    notice.hidden = !message;
    if (!message) return;
    notice.className = `notice ${good === false ? "bad" : good ? "good" : ""}`;
    notice.append(el("span", { text: message }), id ? openButton(id) : null,
      el("button", { type: "button", className: "link", text: "dismiss",
        onclick: () => showNotice("") }));
  }

  const timers = {};
  function later(name, action, delay) {
    // At most one run per `delay`, even while invocations keep coming.
    if (timers[name]) return;
    timers[name] = setTimeout(() => {
      timers[name] = null;
      action();
    }, delay);
  }

  // -- the app as a picture -------------------------------------------------------------

  async function loadApp() {
    // Called at start, every APP_POLL_MS while the page is seen (hot reload, a broken or
    // fixed app.py show without an invocation), and after invocations (stats, resources).
    if (state.loadingApp) return;
    state.loadingApp = true;
    const generation = state.generation;
    try {
      const [map, functions] = await Promise.all([getJson("api/app"), getJson("api/functions")]);
      if (generation !== state.generation) return;
      if (state.serverRun && map.server_run !== state.serverRun) {
        startOver();
        return;
      }
      state.serverRun = map.server_run;
      showProblem("", "app");
      const key = JSON.stringify([map, functions]);
      if (key === state.appKey) return; // unchanged: no redraw under the pointer
      state.appKey = key;
      state.functions = functions.functions;
      $("app-name").textContent = `${map.app_name} · stage ${map.stage || "?"}`;
      $("stats-note").textContent =
        `Invocations, errors and p50/p99: of the last ${map.kept} invocations the server keeps.`;
      drawMap(map, functions.functions);
      fillFunctionFilter(functions.functions);
    } catch (error) {
      if (generation === state.generation) {
        showProblem(`The app cannot be shown: ${error.message}`, "app");
      }
    } finally {
      state.loadingApp = false;
    }
  }

  function drawMap(map, functions) {
    const byName = new Map(functions.map((f) => [f.name, f]));
    const columns = { sources: $("col-sources"), functions: $("col-functions"), resources: $("col-resources") };
    for (const column of Object.values(columns)) {
      for (const card of column.querySelectorAll(".card")) card.remove();
    }
    for (const source of map.sources) columns.sources.append(sourceCard(source));
    for (const fn of map.functions) columns.functions.append(functionCard(byName.get(fn.name) || fn, fn.id));
    for (const resource of map.resources) {
      columns.resources.append(
        el("div", { className: "card resource", dataset: { node: resource.id } },
          el("div", { className: "card-title", text: resource.name }),
          el("div", { className: "muted", text: resource.service }))
      );
    }
    if (!map.resources.length) {
      columns.resources.append(el("div", { className: "card placeholder muted",
        text: "None seen yet: the AWS calls of traced functions (xray: true) appear here." }));
    }
    state.edges = map.edges;
    requestAnimationFrame(drawLines);
  }

  function sourceCard(source) {
    const card = el("div", { className: "card source", dataset: { node: source.id } },
      el("div", { className: "card-title", text: source.label }));
    if (source.routes) {
      const list = el("ul", { className: "routes" });
      for (const route of source.routes) {
        list.append(el("li", {}, el("span", { className: "method", text: route.method }), ` ${route.path}`));
      }
      card.append(list);
    }
    if (source.type === "scheduled") card.append(nextFire(source));
    return card;
  }

  function nextFire(source) {
    // The running timer's next fire (a rate counts from the server's start); with
    // --no-aws nothing fires it here, and the time is when it would fire on AWS.
    let text;
    if (source.timer === "no cloud") {
      text = `not fired here (--no-aws); on AWS next ${source.next_fire || "never"}`;
    } else if (source.timer === "missing") {
      text = "its timer is not running (the server's log says why)";
    } else if (source.next_fire) {
      const local = new Date(source.next_fire).toLocaleTimeString([], { hour12: false });
      text = `next fire ${source.next_fire} (${local} here)`;
    } else {
      text = "fires no more";
    }
    return el("div", { className: "muted next-fire", dataset: { nextFire: source.next_fire || "" }, text });
  }

  function plural(count, noun) {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
  }

  function functionCard(fn, nodeId) {
    const config = fn.config || {};
    const stats = fn.stats || {};
    const settings = `${config.memory_size ?? "?"} MB · ${config.timeout ?? "?"} s timeout` +
      (config.reserved_concurrency ? ` · reserved ${config.reserved_concurrency}` : "") +
      (config.environment && config.environment.length ? ` · env ${config.environment.join(", ")}` : "");
    return el("div", { className: "card function", dataset: { node: nodeId, function: fn.name } },
      el("div", { className: "card-head" },
        el("span", { className: "card-title", text: fn.name }),
        el("span", { className: "muted mono", text: fn.handler || "" })),
      el("div", { className: "config muted", text: settings }),
      el("div", { className: "card-foot" },
        el("div", { className: "stats" },
          el("span", { text: plural(stats.invocations ?? 0, "invocation") }),
          el("span", { className: stats.errors ? "bad" : "", text: plural(stats.errors ?? 0, "error") }),
          el("span", { text: `p50 ${ms(stats.p50_ms)} ms` }),
          el("span", { text: `p99 ${ms(stats.p99_ms)} ms` })),
        el("div", { className: "card-actions" },
          el("button", { type: "button", className: "secondary small", text: "Send event…",
            onclick: () => openSendPanel(fn.name) }),
          fn.kind === "scheduled"
            ? el("button", { type: "button", className: "secondary small", text: "Fire schedule",
              dataset: { fire: fn.name }, onclick: () => fireSchedule(fn.name) })
            : null)));
  }

  function drawLines() {
    const svg = $("map-lines");
    const box = $("map").getBoundingClientRect();
    clear(svg);
    svg.setAttribute("width", box.width);
    svg.setAttribute("height", box.height);
    for (const edge of state.edges || []) {
      const from = document.querySelector(`[data-node="${CSS.escape(edge.from)}"]`);
      const to = document.querySelector(`[data-node="${CSS.escape(edge.to)}"]`);
      if (!from || !to) continue;
      const a = from.getBoundingClientRect();
      const b = to.getBoundingClientRect();
      const x1 = a.right - box.left, y1 = a.top + a.height / 2 - box.top;
      const x2 = b.left - box.left, y2 = b.top + b.height / 2 - box.top;
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      const bend = (x2 - x1) / 2;
      path.setAttribute("d", `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`);
      if (edge.operations) {
        const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        title.textContent = edge.operations.join(", ");
        path.append(title);
      }
      svg.append(path);
    }
  }

  function fillFunctionFilter(functions) {
    const select = $("filter-function");
    const chosen = select.value;
    for (const option of [...select.options].slice(1)) option.remove();
    for (const fn of functions) select.append(el("option", { value: fn.name, text: fn.name }));
    select.value = chosen;
  }

  // -- invocations, live ------------------------------------------------------------------

  function matches(record) {
    const fn = $("filter-function").value;
    const status = $("filter-status").value;
    return (!fn || record.function === fn) && (!status || record.status === status);
  }

  function row(record) {
    return el("tr", {
      className: `status-${record.status}` + (state.selected === record.id ? " selected" : ""),
      dataset: { id: record.id, function: record.function, status: record.status },
      onclick: () => select(record.id),
    },
    el("td", { className: "mono", text: record.id }),
    el("td", { className: "mono", text: clock(record.started_at) }),
    el("td", { text: record.function }),
    el("td", { className: "source", text: record.source }),
    el("td", {}, el("span", { className: `badge ${record.status}`, text: record.status }),
      record.cold_start ? el("span", { className: "badge cold", text: "cold" }) : null),
    el("td", { className: "num", text: ms(record.duration_ms) }));
  }

  function renderRows() {
    const body = $("invocation-rows");
    clear(body);
    const shown = state.records.filter(matches);
    for (const record of shown) body.append(row(record));
    $("no-invocations").hidden = shown.length > 0;
  }

  function addRecords(records) {
    // `records` oldest first (a batch from the stream, or one run from the page).
    const known = new Set(state.records.map((r) => r.id));
    const fresh = records.filter((r) => !known.has(r.id)).reverse();
    if (!fresh.length) return;
    state.records = [...fresh, ...state.records].slice(0, MAX_ROWS);
    const shown = fresh.filter(matches);
    if (shown.length) {
      const body = $("invocation-rows");
      const rows = document.createDocumentFragment();
      for (const record of shown) rows.append(row(record));
      body.prepend(rows);
      while (body.children.length > MAX_ROWS) body.lastChild.remove();
      $("no-invocations").hidden = true;
    }
    later("app", loadApp, 2000); // stats, and resources seen in new traces
  }

  async function loadInvocations() {
    const generation = state.generation;
    try {
      const answer = await getJson(`api/invocations?limit=${MAX_ROWS}`);
      if (generation !== state.generation) return;
      const known = new Set(state.records.map((r) => r.id));
      const older = answer.invocations.filter((r) => !known.has(r.id));
      state.records = [...state.records, ...older]
        .sort((a, b) => Number(b.id) - Number(a.id)).slice(0, MAX_ROWS);
      renderRows();
      showProblem("", "invocations");
    } catch (error) {
      if (generation === state.generation) {
        showProblem(`The invocations cannot be read: ${error.message}`, "invocations");
      }
    }
  }

  function startOver() {
    // Another server answers (restarted): its invocation ids start at 1 again, so every
    // row, the open invocation and the picture are of a server that is gone.
    state.generation += 1;
    state.records = [];
    state.selected = null;
    state.serverRun = null;
    state.appKey = null;
    state.loadingApp = false; // a read of the old server's picture is dropped when it ends
    $("detail").hidden = true;
    delete $("detail").dataset.id;
    $("send-panel").hidden = true;
    problems.clear();
    showProblem("");
    renderRows();
    showNotice("The dev server was restarted: the page now shows the new server's invocations.");
    loadApp();
    loadInvocations();
  }

  async function checkServer() {
    // On every (re)connection of the stream: is it the same server as before?
    let map = null;
    try {
      map = await getJson("api/app");
    } catch (error) {
      // The app cannot be read (503): the newest row shown tells instead.
    }
    if (map && state.serverRun) {
      if (map.server_run !== state.serverRun) startOver();
      return;
    }
    const newest = state.records[0];
    if (!newest) return;
    try {
      const record = await getJson(`api/invocations/${encodeURIComponent(newest.id)}`);
      if (record.request_id !== newest.request_id) startOver();
    } catch (error) {
      if (error.status === 404) startOver();
    }
  }

  function connect() {
    const live = $("live");
    const stream = new EventSource("api/stream");
    stream.addEventListener("open", () => {
      live.dataset.state = "live";
      live.textContent = "live";
      checkServer();
    });
    stream.addEventListener("error", () => {
      live.dataset.state = "connecting";
      live.textContent = "reconnecting…";
      // A browser gives up for good on a non-200 answer (the server's 503 when 16 streams
      // are open, or a stopped server's refusal): try again as Retry-After says.
      if (stream.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    });
    stream.addEventListener("invocations", (message) => addRecords(JSON.parse(message.data)));
  }

  // -- one invocation ---------------------------------------------------------------------

  async function select(id) {
    state.selected = id;
    for (const tr of $("invocation-rows").children) tr.classList.toggle("selected", tr.dataset.id === id);
    const generation = state.generation;
    let record;
    try {
      record = await getJson(`api/invocations/${encodeURIComponent(id)}`);
    } catch (error) {
      showProblem(error.message);
      return;
    }
    if (generation !== state.generation) return;
    const shown = state.records.find((r) => r.id === id);
    if (shown && shown.request_id !== record.request_id) {
      startOver(); // another invocation by that id: the server was restarted
      return;
    }
    showProblem("");
    showDetail(record);
    const box = $("detail").getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight - 60) {
      // One column (a narrow window): the detail is below the list, out of sight.
      $("detail").scrollIntoView({ block: "start" });
    }
  }

  function showDetail(record) {
    $("detail").hidden = false;
    $("detail").dataset.id = record.id;
    $("detail-title").textContent = `#${record.id} ${record.function} · ${record.status}`;
    const facts = $("detail-facts");
    clear(facts);
    const rows = [
      ["request id", record.request_id],
      ["source", record.source],
      ["started", new Date(record.started_at * 1000).toISOString()],
      ["duration", `${ms(record.duration_ms)} ms`],
      ["billed", `${record.billed_ms} ms`],
      ["memory", `${record.max_memory_used_mb} MB used of ${record.memory_size_mb} MB`],
      ["init", record.init_duration_ms === null ? "warm start" : `${ms(record.init_duration_ms)} ms (cold start)`],
    ];
    for (const [name, value] of rows) facts.append(el("dt", { text: name }), el("dd", { text: value }));
    const error = record.error;
    $("detail-error").hidden = !error;
    if (error) {
      const trace = Array.isArray(error.stackTrace) ? error.stackTrace.join("") : "";
      $("detail-error-text").textContent =
        `${error.errorType || "Error"}: ${error.errorMessage || ""}\n${trace}`;
    }
    $("detail-logs").textContent = record.logs || "(no log)";
    $("detail-event").textContent = pretty(record.event);
    $("detail-answer").textContent = pretty(record.answer);
    fillReplay(record.event);
    $("replay-result").textContent = "";
    $("trace-id").textContent = record.trace_id || "";
    loadTrace(record.trace_id);
  }

  function fillReplay(event) {
    const box = $("replay-event");
    const note = $("replay-note");
    const cut = CUT.exec(event || "");
    box.dataset.cut = cut ? "true" : "";
    if (cut) {
      // What the server kept is the event's first 64 KiB: no JSON, and not what was sent.
      box.value = "";
      box.placeholder = "Paste the whole event here to replay it.";
      note.className = "bad";
      note.textContent = `This event was kept cut short (${cut[1]} more characters were ` +
        "not kept): it cannot be replayed as it is. Paste the whole event to replay it.";
    } else {
      box.value = pretty(event);
      box.placeholder = "";
      note.className = "muted";
      note.textContent = "Edit the event, then run the function again with it.";
    }
  }

  async function loadTrace(traceId) {
    const box = $("waterfall");
    clear(box);
    if (!traceId) {
      box.append(el("p", { className: "muted", text: "Not traced." }));
      return;
    }
    try {
      const trace = await getJson(`api/traces/${encodeURIComponent(traceId)}`);
      drawWaterfall(box, trace.segments);
    } catch (error) {
      box.append(el("p", { className: "muted", text: error.message }));
    }
  }

  function segmentKind(segment) {
    if (segment.error || segment.fault) return "failed";
    if (segment.origin === "AWS::ApiGateway::Stage") return "gateway";
    if (segment.origin === "AWS::Lambda::Function" || segment.origin === "AWS::Lambda") return "lambda";
    if (segment.namespace === "aws") return "aws";
    if (segment.namespace === "remote") return "remote";
    return "code";
  }

  function ordered(segments) {
    // Depth first, children by start time: each under the segment it belongs to.
    const ids = new Set(segments.map((s) => s.id));
    const children = new Map();
    const roots = [];
    for (const segment of segments) {
      if (segment.parent_id && ids.has(segment.parent_id)) {
        if (!children.has(segment.parent_id)) children.set(segment.parent_id, []);
        children.get(segment.parent_id).push(segment);
      } else {
        roots.push(segment);
      }
    }
    const out = [];
    const seen = new Set();
    const visit = (segment, depth) => {
      if (seen.has(segment.id)) return;
      seen.add(segment.id);
      out.push([segment, depth]);
      for (const child of children.get(segment.id) || []) visit(child, depth + 1);
    };
    for (const root of roots) visit(root, 0);
    return out;
  }

  function drawWaterfall(box, segments) {
    if (!segments.length) {
      box.append(el("p", { className: "muted", text: "No segments." }));
      return;
    }
    const starts = segments.map((s) => Number(s.start_time) || 0);
    const t0 = Math.min(...starts);
    const ends = segments.map((s) => Number(s.end_time) || Number(s.start_time) || 0);
    const span = Math.max(Math.max(...ends) - t0, 0.001);
    box.append(el("div", { className: "wf-scale muted", text: `${(span * 1000).toFixed(1)} ms` }));
    for (const [segment, depth] of ordered(segments)) {
      const start = Number(segment.start_time) || t0;
      const end = Number(segment.end_time) || start;
      const bar = el("div", { className: `wf-bar ${segmentKind(segment)}` });
      bar.style.left = `${((start - t0) / span) * 100}%`;
      bar.style.width = `${Math.max(((end - start) / span) * 100, 0.4)}%`;
      const operation = segment.aws && segment.aws.operation ? ` ${segment.aws.operation}` : "";
      const label = el("div", { className: "wf-label" },
        el("span", { className: "wf-name", text: segment.name || segment.id }),
        el("span", { className: "wf-operation", text: operation }),
        el("span", { className: "muted", text: ` ${((end - start) * 1000).toFixed(1)} ms` }));
      label.style.paddingLeft = `${depth * 14}px`;
      const details = { origin: segment.origin, namespace: segment.namespace, aws: segment.aws,
        http: segment.http, annotations: segment.annotations, error: segment.error, fault: segment.fault };
      const line = el("div", {
        className: "wf-row", dataset: { segment: segment.id, kind: segmentKind(segment) },
        title: JSON.stringify(details, null, 1),
      }, label, el("div", { className: "wf-track" }, bar));
      box.append(line);
    }
  }

  // -- actions ------------------------------------------------------------------------------

  function parsedEvent(textarea, result) {
    if (!textarea.value.trim()) {
      result.textContent = textarea.dataset.cut
        ? "The kept event was cut short: paste the whole event first."
        : "Write the event first (JSON).";
      result.className = "bad";
      return { ok: false };
    }
    try {
      return { ok: true, event: JSON.parse(textarea.value) };
    } catch (error) {
      result.textContent = `Not JSON: ${error.message}`;
      result.className = "bad";
      return { ok: false };
    }
  }

  function outcome(answer, what) {
    // "The event ran as #14 and failed (error: ValueError: boom)": what ran, how it ended.
    const record = answer.invocation;
    const error = record && record.error;
    const why = error ? `: ${error.errorType || "Error"}: ${error.errorMessage || ""}` : "";
    const verdict = answer.status === "ok" ? "succeeded (ok)" : `failed (${answer.status}${why})`;
    return record ? `${what} ran as #${record.id} and ${verdict}` : `${what} ${verdict}`;
  }

  function reportRun(result, answer, what) {
    const record = answer.invocation;
    clear(result);
    result.className = answer.status === "ok" ? "good" : "bad";
    result.append(el("span", { text: outcome(answer, what) }), record ? openButton(record.id) : null);
  }

  async function replay() {
    const id = $("detail").dataset.id;
    const result = $("replay-result");
    const parsed = parsedEvent($("replay-event"), result);
    if (!parsed.ok) return;
    result.className = "muted";
    result.textContent = "running…";
    try {
      const answer = await postJson(`api/invocations/${encodeURIComponent(id)}/replay`, { event: parsed.event });
      if (answer.invocation) {
        addRecords([answer.invocation]);
        await select(answer.invocation.id); // the new invocation, in place of the old one
      }
      const shown = $("replay-result");
      shown.className = answer.status === "ok" ? "good" : "bad";
      shown.textContent = outcome(answer, `The replay of #${id}`) +
        (answer.invocation ? ": shown here." : "");
    } catch (error) {
      result.className = "bad";
      result.textContent = error.message;
    }
  }

  async function openSendPanel(name) {
    state.sendTarget = name;
    $("send-panel").hidden = false;
    $("send-title").textContent = `Send an event to ${name}`;
    $("send-result").textContent = "";
    try {
      // The page's host: a websocket sample names this server's gateway, as its events do.
      const host = encodeURIComponent(window.location.host);
      const sample = await getJson(`api/functions/${encodeURIComponent(name)}/sample-event?host=${host}`);
      $("send-note").textContent = `A sample ${sample.source} event, as the function's source would send it: edit it at will.`;
      $("send-event").value = JSON.stringify(sample.event, null, 2);
    } catch (error) {
      $("send-note").textContent = `${error.message}. Write any JSON event.`;
      $("send-event").value = "{}";
    }
    $("send-panel").scrollIntoView({ block: "nearest" });
  }

  async function sendEvent() {
    const result = $("send-result");
    const parsed = parsedEvent($("send-event"), result);
    if (!parsed.ok) return;
    result.className = "muted";
    result.textContent = "running…";
    try {
      const name = encodeURIComponent(state.sendTarget);
      const answer = await postJson(`api/functions/${name}/invoke`, { event: parsed.event });
      if (answer.invocation) addRecords([answer.invocation]);
      reportRun(result, answer, "The event");
    } catch (error) {
      result.className = "bad";
      result.textContent = error.message;
    }
  }

  async function fireSchedule(name) {
    showNotice(`Firing ${name}'s schedule…`);
    try {
      const answer = await postJson(`api/functions/${encodeURIComponent(name)}/fire-schedule`, {});
      if (answer.invocation) addRecords([answer.invocation]);
      const record = answer.invocation;
      showNotice(outcome(answer, `${name}'s schedule`), answer.status === "ok", record && record.id);
    } catch (error) {
      showNotice(`${name}'s schedule could not be fired: ${error.message}`, false);
    }
  }

  // What console-workflows.js uses of this page's helpers (both files load deferred, in
  // order: this one first).
  window.ChalicelikeConsole = Object.freeze({
    $, el, clear, getJson, showProblem, openButton, clock, pretty, plural, APP_POLL_MS,
  });

  // -- start --------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("filter-function").addEventListener("change", renderRows);
    $("filter-status").addEventListener("change", renderRows);
    $("replay-button").addEventListener("click", replay);
    $("send-button").addEventListener("click", sendEvent);
    $("send-cancel").addEventListener("click", () => { $("send-panel").hidden = true; });
    window.addEventListener("resize", () => later("lines", drawLines, 100));
    $("map-section").addEventListener("toggle", () => requestAnimationFrame(drawLines));
    // No event says app.py changed: the picture is read again while the page is seen.
    setInterval(() => {
      if (document.visibilityState === "visible") loadApp();
    }, APP_POLL_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") loadApp();
    });
    connect();
    loadApp();
    loadInvocations();
  });
})();
