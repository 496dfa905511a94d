// pyro-monitor's page: the name server registry and a live sequence diagram of the messages that
// libpyro programs report (PYRO_MONITOR). Plain JS and SVG, no framework: it must work offline.
//
// Data flow: /api/registry and /api/events?since=N once at load, then a WebSocket (/ws?since=N)
// pushes new events and registry changes; if the socket fails the page polls the same two URLs.
// Each message is usually reported twice (by the sender and by the receiver, when both are
// libpyro programs); build() merges those reports into one arrow and pairs replies with their
// requests by connection and sequence number.
"use strict";

const MAX_EVENTS = 10000; // as the monitor's ring: older ones are forgotten here too
const MAX_ARROWS = 400;   // drawn at once; older arrows scroll out of the drawing
const ROW = 46;           // px per arrow
const LANE_MIN = 165;     // px per lane at least (8 lanes fit a 1600 px projector)
const HEAD = 78;          // px of the lane heads
const GUTTER = 120;       // px on the left for the time
const REQUESTS = new Set(["MSG_CONNECT", "MSG_INVOKE", "MSG_PING"]);
const REPLIES = new Set(["MSG_CONNECTOK", "MSG_CONNECTFAIL", "MSG_RESULT"]);
const FLAG_EXCEPTION = 0x01, FLAG_ONEWAY = 0x04, FLAG_BATCH = 0x08, FLAG_STREAM = 0x20;
const SVG = "http://www.w3.org/2000/svg";

const state = {
  events: [],        // raw events, oldest first
  lastId: 0,
  registry: null,
  stats: null,
  paused: false,
  missed: 0,         // events that arrived while paused
  clearedAt: 0,      // events up to this id are hidden by "Clear"
  filter: "",
  selectedKey: null,
  socket: null,
  live: false,
  pollTimer: null,
  renderTimer: null,
  lastRender: 0,
  view: null,        // the last build()
};

const $ = (id) => document.getElementById(id);

// ---- data in ----------------------------------------------------------------------------------

function addEvents(events, stats) {
  let added = 0;
  for (const event of events) {
    if (typeof event.id !== "number" || event.id <= state.lastId) continue;
    state.events.push(event);
    state.lastId = event.id;
    added++;
  }
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
  if (stats) state.stats = stats;
  if (added > 0 && state.paused) state.missed += added;
  if (added > 0 || stats) scheduleRender();
}

function setRegistry(registry) {
  state.registry = registry;
  scheduleRender();
}

async function fetchJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(url + ": HTTP " + response.status);
  return response.json();
}

async function pollOnce() {
  try {
    setRegistry(await fetchJson("/api/registry"));
    for (let round = 0; round < 20; round++) {
      const page = await fetchJson("/api/events?since=" + state.lastId + "&limit=2000");
      addEvents(page.events, page.stats);
      if (!page.more) break;
    }
    if (!state.live) setStatus("polling", "polling");
  } catch (error) {
    if (!state.live) setStatus("down", "monitor unreachable");
  }
}

function startPolling() {
  if (state.pollTimer === null) state.pollTimer = setInterval(pollOnce, 1500);
}

function stopPolling() {
  if (state.pollTimer !== null) clearInterval(state.pollTimer);
  state.pollTimer = null;
}

function connectSocket() {
  let socket;
  try {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws?since=" + state.lastId);
  } catch (error) {
    startPolling();
    return;
  }
  state.socket = socket;
  socket.onopen = () => {
    state.live = true;
    stopPolling();
    setStatus("live", "live");
  };
  socket.onmessage = (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch (error) { return; }
    if (data.kind === "events") addEvents(data.events, data.stats);
    else if (data.kind === "registry") setRegistry(data.registry);
  };
  socket.onclose = () => {
    state.live = false;
    state.socket = null;
    setStatus("polling", "reconnecting…");
    startPolling();
    setTimeout(connectSocket, 2000);
  };
}

function setStatus(kind, text) {
  const status = $("status");
  status.className = "status " + kind;
  status.textContent = text;
}

// ---- the model: lanes, arrows, pairs ------------------------------------------------------------

function shortType(type) { return type.replace(/^MSG_/, ""); }

function connectionKey(a, b) { return a < b ? a + "|" + b : b + "|" + a; }

// "PYRO:obj_12@127.0.0.1:5000" -> {id: "obj_12", location: "127.0.0.1:5000"}
function parseUri(uri) {
  const match = /^PYRO:([^@]+)@(.+)$/.exec(uri || "");
  return match ? { id: match[1], location: match[2] } : null;
}

function build() {
  const registry = state.registry && state.registry.ok ? state.registry.entries || [] : [];
  const ownCorr = state.registry ? state.registry.corr : null;
  // Object ids and daemon addresses known to the name server.
  const nameOfObject = new Map();
  const namesAt = new Map(); // location -> [names]
  for (const entry of registry) {
    const uri = parseUri(entry.uri);
    if (!uri) continue;
    nameOfObject.set(uri.id + "@" + uri.location, entry.name);
    if (!nameOfObject.has(uri.id)) nameOfObject.set(uri.id, entry.name);
    if (!namesAt.has(uri.location)) namesAt.set(uri.location, []);
    namesAt.get(uri.location).push(entry.name);
  }

  // Who owns which address: every report names its own local address.
  const owner = new Map();
  const hiddenConnections = new Set();
  for (const event of state.events) {
    owner.set(event.local, event);
    if (ownCorr && event.corr === ownCorr) hiddenConnections.add(connectionKey(event.local, event.peer));
  }

  const lanes = new Map();
  const laneOrder = [];
  function laneFor(address) {
    const reporter = owner.get(address);
    const id = reporter ? "pid:" + reporter.pid : "addr:" + address;
    let lane = lanes.get(id);
    if (!lane) {
      lane = {
        id, reporting: !!reporter, process: reporter ? reporter.process : "",
        pid: reporter ? reporter.pid : null, addresses: new Set(), names: new Set(),
        sent: 0, received: 0, bytes: 0, first: laneOrder.length,
      };
      lanes.set(id, lane);
      laneOrder.push(lane);
    }
    lane.addresses.add(address);
    return lane;
  }

  const arrows = [];
  const byKey = new Map();
  const pending = new Map();
  const counters = new Map(); // pid -> lane counters, from the raw reports
  for (const event of state.events) {
    if (event.id <= state.clearedAt) continue;
    const connection = connectionKey(event.local, event.peer);
    if (hiddenConnections.has(connection)) continue;
    const outgoing = event.dir === "out";
    const sender = outgoing ? event.local : event.peer;
    const receiver = outgoing ? event.peer : event.local;
    const own = laneFor(event.local);
    own.bytes += event.size;
    if (outgoing) own.sent++; else own.received++;
    counters.set(own.id, own);
    if (event.role === "daemon" && event.object) {
      own.names.add(nameOfObject.get(event.object + "@" + event.local) ||
                    nameOfObject.get(event.object) || event.object);
    }
    const key = event.type + "|" + event.seq + "|" + sender + "|" + receiver;
    let arrow = byKey.get(key);
    // The other side's report of the same frame: same connection, type and seq, a moment apart.
    if (arrow && !arrow.reports.some((r) => r.dir === event.dir) &&
        Math.abs(arrow.time - event.time) < 10) {
      arrow.reports.push(event);
      for (const field of ["object", "method", "args", "kwargs", "result", "error", "fault"]) {
        if (arrow[field] === undefined && event[field] !== undefined) arrow[field] = event[field];
      }
      continue;
    }
    arrow = {
      key: key + "|" + event.id, id: event.id, type: event.type, seq: event.seq,
      flags: event.flags, serializer: event.serializer, size: event.size, time: event.time,
      sender, receiver, connection, reports: [event],
      object: event.object, method: event.method, args: event.args, kwargs: event.kwargs,
      result: event.result, error: event.error, fault: event.fault,
    };
    byKey.set(key, arrow);
    arrows.push(arrow);
    const pairKey = connection + "#" + event.seq;
    const waiting = pending.get(pairKey);
    const isReply = REPLIES.has(event.type) ||
      (event.type === "MSG_PING" && waiting && waiting.type === "MSG_PING" && waiting.sender === receiver);
    if (isReply && waiting && waiting.sender === receiver) {
      arrow.request = waiting;
      waiting.reply = arrow;
      pending.delete(pairKey);
    } else if (REQUESTS.has(event.type) && !(event.flags & FLAG_ONEWAY)) {
      pending.set(pairKey, arrow);
    }
  }

  for (const arrow of arrows) {
    arrow.from = laneFor(arrow.sender);
    arrow.to = laneFor(arrow.receiver);
    const request = arrow.request;
    if (request) {
      if (arrow.object === undefined) arrow.object = request.object;
      if (arrow.method === undefined) arrow.method = request.method;
      arrow.rtt = roundTrip(request, arrow);
    }
    arrow.objectName = arrow.object === undefined ? undefined
      : nameOfObject.get(arrow.object + "@" + (request ? request.receiver : arrow.receiver)) ||
        nameOfObject.get(arrow.object) || arrow.object;
    arrow.failed = arrow.type === "MSG_CONNECTFAIL" || !!(arrow.flags & FLAG_EXCEPTION) ||
                   arrow.error !== undefined;
  }

  for (const lane of laneOrder) {
    for (const address of lane.addresses) {
      for (const name of namesAt.get(address) || []) lane.names.add(name);
    }
    lane.nameServer = lane.names.has("Pyro.NameServer");
    lane.title = lane.reporting ? lane.process + " (" + lane.pid + ")" : "other program";
    lane.head = lane.reporting ? lane.process : "other program"; // the pid goes below, in a lane
    // Unregistered objects (an observer's callback object) by a short id: the full one is in
    // the arrow's details.
    const names = [...lane.names].filter((n) => n !== "Pyro.NameServer")
      .map((n) => (/^obj_[0-9a-f]{32}$/.test(n) ? n.slice(0, 10) + "…" : n));
    const pid = lane.reporting ? "pid " + lane.pid + " · " : "";
    lane.subtitle = pid + (lane.nameServer ? "name server" + (names.length ? ", " + names.join(", ") : "")
      : names.length ? "serves " + names.join(", ")
      : lane.reporting ? "client" : [...lane.addresses][0] + " (not reporting)");
  }
  // The name server on the left, then everyone in the order they first appeared.
  const ordered = laneOrder.slice().sort((a, b) =>
    (b.nameServer - a.nameServer) || (a.first - b.first));
  return { arrows, lanes: ordered, counters };
}

// The round trip as the requester measured it (its own clock at both ends), else as the other
// side saw it (the time the server took).
function roundTrip(request, reply) {
  const requester = request.sender;
  const sent = request.reports.find((r) => r.local === requester);
  const back = reply.reports.find((r) => r.local === requester);
  if (sent && back) return back.time - sent.time;
  const seen = request.reports.find((r) => r.local !== requester);
  const answered = reply.reports.find((r) => r.local !== requester);
  if (seen && answered) return answered.time - seen.time;
  return undefined;
}

function visible(arrow) {
  if (!state.filter) return true;
  const wanted = state.filter.toLowerCase();
  return [arrow.objectName, arrow.object].some((o) => o && o.toLowerCase().includes(wanted));
}

// ---- drawing ----------------------------------------------------------------------------------

function scheduleRender() {
  if (state.renderTimer !== null) return;
  const wait = Math.max(0, 150 - (Date.now() - state.lastRender));
  state.renderTimer = setTimeout(() => {
    state.renderTimer = null;
    state.lastRender = Date.now();
    render();
  }, wait);
}

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(name, text, className) {
  const node = document.createElement(name);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function cutText(text, length) {
  if (text === undefined || text === null) return "";
  return text.length > length ? text.slice(0, length - 1) + "…" : text;
}

function clockTime(seconds) {
  const date = new Date(seconds * 1000);
  const two = (n) => String(n).padStart(2, "0");
  return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds()) +
    "." + String(date.getMilliseconds()).padStart(3, "0");
}

function milliseconds(seconds) {
  const ms = seconds * 1000;
  return (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)) + " ms";
}

function label(arrow) {
  const type = shortType(arrow.type);
  switch (arrow.type) {
    case "MSG_INVOKE":
      return type + " " + (arrow.method || "?") + cutText(arrow.args || "()", 40);
    case "MSG_CONNECT":
      return type + " " + (arrow.objectName || "");
    case "MSG_CONNECTFAIL":
      return type + " " + cutText(arrow.error, 40);
    case "MSG_RESULT":
      if (arrow.error !== undefined) return "RESULT ✗ " + cutText(arrow.error.replace(/^Pyro4\.errors\./, ""), 44);
      if (arrow.flags & FLAG_ONEWAY) return type;
      return type + " " + cutText(arrow.result, 40);
    default:
      return type;
  }
}

function kindOf(arrow) {
  if (arrow.failed) return "error";
  if (arrow.type === "MSG_PING") return "ping";
  if (arrow.type.startsWith("MSG_CONNECT")) return "connect";
  return REPLIES.has(arrow.type) ? "reply" : "request";
}

function render() {
  if (state.paused) {
    $("pause").textContent = "Resume" + (state.missed ? " (" + state.missed + " new)" : "");
    return;
  }
  const view = build();
  state.view = view;
  renderRegistry();
  renderProcesses(view);
  renderDiagram(view);
  renderTotals(view);
  if (state.selectedKey) {
    const selected = view.arrows.find((a) => a.key === state.selectedKey);
    if (selected) showDetails(selected);
  }
}

function renderTotals(view) {
  const stats = state.stats;
  let text = view.arrows.length + " messages";
  if (stats) {
    text += " · " + stats.accepted + " reports";
    if (stats.rejected) text += " · " + stats.rejected + " rejected";
  }
  $("totals").textContent = text;
}

function renderRegistry() {
  const box = $("registry");
  const registry = state.registry;
  box.replaceChildren();
  if (!registry) return;
  $("ns-where").textContent = registry.ns ? "at " + registry.ns : "";
  if (!registry.ok) {
    box.append(html("p", registry.pending ? "asking the name server…"
      : "No name server answers at " + registry.ns + ": " + registry.error,
      registry.pending ? "note" : "note warn"));
    return;
  }
  const table = html("table");
  table.id = "registry-table";
  const head = html("tr");
  for (const title of ["name", "URI", "metadata"]) head.append(html("th", title));
  table.append(head);
  for (const entry of registry.entries) {
    const row = html("tr");
    row.dataset.name = entry.name;
    row.append(html("td", entry.name, "name"), html("td", entry.uri, "uri"));
    const tags = html("td");
    for (const tag of entry.metadata) tags.append(html("span", tag, "tag"));
    row.append(tags);
    table.append(row);
  }
  if (!registry.entries.length) box.append(html("p", "The name server is empty.", "note"));
  box.append(table);
}

function renderProcesses(view) {
  const body = $("processes").tBodies[0];
  body.replaceChildren();
  for (const lane of view.lanes) {
    if (!lane.reporting) continue;
    const row = html("tr");
    row.dataset.pid = lane.pid;
    row.append(html("td", lane.title, "name"), html("td", String(lane.sent), "num"), html("td", String(lane.received), "num"),
               html("td", lane.bytes.toLocaleString("en-US"), "num"));
    body.append(row);
  }
}

function renderDiagram(view) {
  const scroll = $("diagram-scroll");
  const atBottom = scroll.scrollTop + scroll.clientHeight >= scroll.scrollHeight - 30;
  const shown = view.arrows.filter(visible);
  const drawn = shown.slice(-MAX_ARROWS);
  const lanes = view.lanes.filter((lane) => shown.some((a) => a.from === lane || a.to === lane));
  $("empty").hidden = lanes.length > 0;
  const hidden = shown.length - drawn.length;
  $("diagram-note").textContent =
    (state.filter ? "showing " + shown.length + " of " + view.arrows.length + " · " : "") +
    (hidden > 0 ? hidden + " older not drawn · " : "") + "click an arrow for its payload";
  const available = Math.max(scroll.clientWidth - GUTTER - 20, 400);
  const laneWidth = Math.max(LANE_MIN, lanes.length ? available / lanes.length : available);
  const width = GUTTER + laneWidth * lanes.length + 20;
  const x = new Map(lanes.map((lane, i) => [lane, GUTTER + laneWidth * (i + 0.5)]));

  const head = $("lanes-head");
  head.replaceChildren();
  head.setAttribute("width", width);
  head.setAttribute("height", HEAD);
  for (const lane of lanes) {
    const cx = x.get(lane);
    const group = el("g", { class: "lane", "data-process": lane.process, "data-pid": lane.pid ?? "",
                            "data-names": [...lane.names].join(",") });
    const kind = lane.nameServer ? " ns" : lane.reporting ? "" : " other";
    group.append(el("rect", { class: "lane-box" + kind, x: cx - laneWidth / 2 + 8, y: 4,
                              width: laneWidth - 16, height: HEAD - 10, rx: 8 }));
    group.append(el("text", { class: "lane-title", x: cx, y: 32, "text-anchor": "middle" },
                    cutText(lane.head, Math.floor(laneWidth / 11))));
    group.append(el("text", { class: "lane-sub", x: cx, y: 58, "text-anchor": "middle" },
                    cutText(lane.subtitle, Math.floor(laneWidth / 8.5))));
    head.append(group);
  }

  const svg = $("diagram");
  svg.replaceChildren();
  const height = Math.max(drawn.length * ROW + 30, 60);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const defs = el("defs");
  for (const kind of ["request", "reply", "connect", "error", "ping"]) {
    const marker = el("marker", { id: "head-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                  markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: "head-" + kind,
                               fill: getComputedStyle(document.documentElement)
                                 .getPropertyValue("--" + kind).trim() || "#000" }));
    defs.append(marker);
  }
  svg.append(defs);
  for (const lane of lanes) {
    svg.append(el("line", { class: "lifeline", x1: x.get(lane), y1: 0, x2: x.get(lane), y2: height }));
  }
  drawn.forEach((arrow, index) => svg.append(drawArrow(arrow, index, x, laneWidth)));
  if (atBottom) scroll.scrollTop = scroll.scrollHeight;
}

function drawArrow(arrow, index, x, laneWidth) {
  const kind = kindOf(arrow);
  const y = 38 + index * ROW;
  const x1 = x.get(arrow.from), x2 = x.get(arrow.to);
  const classes = ["msg", kind];
  if (REPLIES.has(arrow.type) || arrow.request) classes.push("reply-arrow");
  if (arrow.key === state.selectedKey) classes.push("selected");
  const group = el("g", {
    class: classes.join(" "), "data-id": arrow.id, "data-type": shortType(arrow.type),
    "data-from": arrow.from.process || arrow.sender, "data-to": arrow.to.process || arrow.receiver,
    "data-from-pid": arrow.from.pid ?? "", "data-to-pid": arrow.to.pid ?? "",
    "data-object": arrow.objectName ?? "", "data-method": arrow.method ?? "",
    "data-flags": arrow.flags, "data-seq": arrow.seq,
  });
  if (arrow.flags & FLAG_ONEWAY) group.dataset.oneway = "true";
  if (arrow.flags & FLAG_BATCH) group.dataset.batch = "true";
  if (arrow.failed) group.dataset.error = "true";
  if (arrow.fault) group.dataset.fault = arrow.fault;
  group.append(el("text", { class: "time", x: 6, y: y + 5 }, clockTime(arrow.time)));
  const marker = "url(#head-" + kind + ")";
  let textX, anchor;
  if (x1 === x2) {
    // A program calling itself: a loop out to the right and back.
    const d = `M${x1},${y - 10} h50 v20 h-46`;
    group.append(el("path", { class: "hit", d }), el("path", { d, "marker-end": marker }));
    textX = x1 + 58; anchor = "start";
  } else {
    const dir = x2 > x1 ? 1 : -1;
    group.append(el("line", { class: "hit", x1, y1: y, x2, y2: y }));
    group.append(el("line", { x1: x1 + dir * 4, y1: y, x2: x2 - dir * 6, y2: y, "marker-end": marker }));
    textX = (x1 + x2) / 2; anchor = "middle";
  }
  const span = Math.abs(x2 - x1) || laneWidth;
  let text = label(arrow);
  const badges = [];
  if (arrow.flags & FLAG_ONEWAY) badges.push("oneway");
  if (arrow.flags & FLAG_BATCH) badges.push("batch");
  if (arrow.flags & FLAG_STREAM) badges.push("stream");
  // PYRO_FAULTS: what the injector did to this message (drop, dup, delay 57ms, close-after).
  if (arrow.fault) badges.push("fault: " + arrow.fault);
  if (badges.length) text = "[" + badges.join(", ") + "] " + text;
  if (arrow.rtt !== undefined) text += "  ·  " + milliseconds(arrow.rtt);
  group.append(el("text", { x: textX, y: y - 9, "text-anchor": anchor, class: "label" },
                  cutText(text, Math.max(18, Math.floor(span / 9.2)))));
  group.addEventListener("click", () => {
    state.selectedKey = arrow.key;
    showDetails(arrow);
    render();
  });
  return group;
}

function showDetails(arrow) {
  const panel = $("details");
  panel.hidden = false;
  $("details-title").textContent = shortType(arrow.type) + " " +
    (arrow.from.title || arrow.sender) + " → " + (arrow.to.title || arrow.receiver);
  const table = $("details-table");
  table.replaceChildren();
  const rows = [
    ["from", arrow.from.title + "  " + arrow.sender],
    ["to", arrow.to.title + "  " + arrow.receiver],
    ["type", arrow.type], ["seq", String(arrow.seq)],
    ["flags", arrow.reports[0].flag_names || String(arrow.flags)],
    ["serializer", arrow.serializer], ["size", arrow.size + " bytes"],
    ["time", clockTime(arrow.time)],
    ["object", arrow.objectName === arrow.object ? arrow.object
      : arrow.objectName ? arrow.objectName + "  (" + arrow.object + ")" : undefined],
    ["method", arrow.method], ["args", arrow.args], ["kwargs", arrow.kwargs],
    ["result", arrow.result], ["error", arrow.error],
    ["round trip", arrow.rtt === undefined ? undefined : milliseconds(arrow.rtt)],
    ["reported by", arrow.reports.map((r) => r.process + " (" + r.pid + ", " + r.dir + ")").join("; ")],
  ];
  for (const [name, value] of rows) {
    if (value === undefined || value === null || value === "") continue;
    const row = html("tr");
    row.append(html("th", name), html("td", value));
    table.append(row);
  }
}

// ---- controls ---------------------------------------------------------------------------------

function setup() {
  const where = location.host;
  const hostOnly = location.hostname === "localhost" ? "127.0.0.1" : location.hostname;
  const target = hostOnly + ":" + (location.port || "80");
  $("env-hint").textContent = "PYRO_MONITOR=" + target;
  $("cmd-hint").textContent = "PYRO_MONITOR=" + target + " build/bin/echo-client";
  document.title = "Pyro4 monitor – " + where;
  $("pause").addEventListener("click", () => {
    state.paused = !state.paused;
    state.missed = 0;
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    $("pause").classList.toggle("on", state.paused);
    render();
  });
  $("clear").addEventListener("click", () => {
    state.clearedAt = state.lastId;
    state.selectedKey = null;
    $("details").hidden = true;
    render();
  });
  $("filter").addEventListener("input", (event) => {
    state.filter = event.target.value.trim();
    render();
  });
  $("close-details").addEventListener("click", () => {
    state.selectedKey = null;
    $("details").hidden = true;
    render();
  });
  window.addEventListener("resize", scheduleRender);
}

async function start() {
  setup();
  await pollOnce();
  render();
  if ("WebSocket" in window) connectSocket();
  else startPolling();
}

start();
