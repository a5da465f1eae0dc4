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

  // -- workflows: each one's executions, one drawn as its state machine --------------------

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
      // New executions, and the one shown while it runs.
      if (document.visibilityState === "visible" && $("workflows-section").open) loadWorkflows();
    }, APP_POLL_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") loadApp();
    });
    connect();
    loadApp();
    loadInvocations();
    loadWorkflows();
  });
})();
