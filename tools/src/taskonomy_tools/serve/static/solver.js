// The solver page: settings -> POST /api/solve -> graph and table; settings live in the URL hash.
"use strict";
const $ = (id) => document.getElementById(id);
let info, lastSolution, pending = null, inFlight = false;

function settings() {
  const body = { targets: [], source_only: [], unused: [], importance: {}, cost: {},
    budget: Number($("budget").value), max_order: Number($("order").value),
    transform: $("transform").value };
  for (const row of $("tasks").tBodies[0].rows) {
    const task = row.dataset.task, role = row.querySelector("select").value;
    if (role === "target") body.targets.push(task);
    if (role === "source_only") body.source_only.push(task);
    if (role === "unused") body.unused.push(task);
    const [imp, cost] = row.querySelectorAll("input");
    if (Number(imp.value) !== 1) body.importance[task] = Number(imp.value);
    if (Number(cost.value) !== 1) body.cost[task] = Number(cost.value);
  }
  return body;
}

function restore(s) {
  $("budget").value = s.budget ?? info.defaults.budget;
  $("order").value = s.max_order ?? info.defaults.max_order;
  $("transform").value = s.transform ?? info.defaults.transform;
  const so = s.source_only ?? info.defaults.source_only, un = s.unused ?? info.defaults.unused;
  for (const row of $("tasks").tBodies[0].rows) {
    const t = row.dataset.task, [imp, cost] = row.querySelectorAll("input");
    let role = so.includes(t) ? "source_only" : un.includes(t) ? "unused" : "target";
    if (role === "target" && (!info.targets.includes(t) || (s.targets && !s.targets.includes(t))))
      role = "source";
    row.querySelector("select").value = role;
    imp.value = (s.importance ?? {})[t] ?? 1;
    cost.value = (s.cost ?? {})[t] ?? 1;
  }
}

async function update() {
  const body = settings();
  $("budget-value").textContent = body.budget;
  const link = "#" + encodeURIComponent(JSON.stringify(body));
  $("permalink").href = link;
  history.replaceState(null, "", link);
  if (inFlight) { pending = body; return; }  // answer only the latest setting while dragging
  inFlight = true;
  try {
    const response = await fetch("/api/solve", { method: "POST", body: JSON.stringify(body),
      headers: { "content-type": "application/json" } });
    const data = await response.json();
    if (!response.ok) { show({ status: "error", message: data.error }); }
    else show(data);
  } finally {
    inFlight = false;
    if (pending) { pending = null; update(); }
  }
}

function show(sol) {
  lastSolution = sol;
  const st = $("status");
  st.className = sol.status;
  st.textContent = sol.status === "optimal"
    ? `optimal · objective ${sol.objective.toFixed(3)} · roots ${sol.roots.length} · ` +
      `cost ${sol.cost} · budget ${sol.budget} · order ≤ ${sol.max_order}`
    : `${sol.status}: ${sol.message}`;
  drawGraph(sol);
  const rows = Object.entries(sol.transfers || {}).map(([t, srcs]) => {
    const f = (x) => (x == null ? "–" : x.toFixed(3));
    return `<tr data-target="${t}"><td>${t}</td><td>${srcs.join(" + ")}</td>` +
      `<td>${f(sol.values[t])}</td><td>${f(sol.gain[t])}</td><td>${f(sol.quality[t])}</td></tr>`;
  });
  $("result").tBodies[0].innerHTML = rows.join("");
}

// Layered layout that fits the graph's box at any width: roots in rows on top, targets in rows
// below, each node a box with the task's full name; a target is coloured by Gain or Quality.
const CHAR_PX = 6.4, NODE_H = 22, ROW_GAP = 14, BAND_GAP = 70;

function colour(x) {  // white (0) -> blue (1), as the authors' page shaded by quality
  if (x == null) return "#eeeeee";
  const v = Math.max(0, Math.min(1, x));
  const mix = (a, b) => Math.round(a + (b - a) * v);
  return `rgb(${mix(247, 8)},${mix(251, 81)},${mix(255, 156)})`;
}

function gridRows(names, width, colW) {
  const perRow = Math.max(1, Math.floor(width / colW));
  const rows = [];
  for (let i = 0; i < names.length; i += perRow) rows.push(names.slice(i, i + perRow));
  return rows;
}

function drawGraph(sol) {
  const svg = $("graph"), NS = "http://www.w3.org/2000/svg";
  svg.innerHTML = "";
  const roots = sol.roots || [], targets = Object.keys(sol.transfers || {}).sort();
  if (!roots.length && !targets.length) { svg.setAttribute("height", 0); return; }
  const W = Math.max(200, svg.parentElement.clientWidth - 4);
  const longest = Math.max(...[...roots, ...targets].map((n) => n.length));
  const colW = Math.min(W, longest * CHAR_PX + 22);
  const pos = {};
  let y = 10;
  const band = (names, prefix) => {
    for (const row of gridRows(names, W, colW)) {
      const step = W / row.length;
      row.forEach((n, i) => { pos[prefix + n] = [step * (i + 0.5), y + NODE_H / 2]; });
      y += NODE_H + ROW_GAP;
    }
  };
  band([...roots].sort(), "r:");
  y += BAND_GAP - ROW_GAP;
  band(targets, "t:");
  svg.setAttribute("width", W);
  svg.setAttribute("height", y);
  svg.setAttribute("viewBox", `0 0 ${W} ${y}`);
  const by = $("colour-by").value;
  const f = (x) => (x == null ? "–" : x.toFixed(3));
  for (const t of targets) {
    for (const s of sol.transfers[t]) {
      const a = pos["r:" + (s === "self" ? t : s)], b = pos["t:" + t];
      if (!a) continue;
      const path = document.createElementNS(NS, "path");
      path.setAttribute("class", "edge");
      const mid = (a[1] + b[1]) / 2;
      path.setAttribute("d", `M${a[0]},${a[1] + NODE_H / 2} C${a[0]},${mid} ${b[0]},${mid} ` +
        `${b[0]},${b[1] - NODE_H / 2}`);
      path.setAttribute("stroke-width", 1 + 3 * (sol.values[t] || 0));
      svg.appendChild(path);
    }
  }
  const node = (key, label, cls, title, fill) => {
    const [x, cy] = pos[key], g = document.createElementNS(NS, "g");
    const w = label.length * CHAR_PX + 14;
    g.setAttribute("class", cls);
    g.setAttribute("data-node", label);
    g.setAttribute("transform", `translate(${x},${cy})`);
    g.innerHTML = `<title>${title}</title>` +
      `<rect x="${-w / 2}" y="${-NODE_H / 2}" width="${w}" height="${NODE_H}" rx="5"` +
      (fill ? ` style="fill:${fill}"` : "") + `/>` +
      `<text class="name" text-anchor="middle" y="4">${label}</text>`;
    svg.appendChild(g);
  };
  roots.forEach((r) => node("r:" + r, r, "root", `${r}: trained with full supervision`));
  targets.forEach((t) => node("t:" + t, t, "target",
    `${t} <- ${sol.transfers[t].join(" + ")}\nvalue ${f(sol.values[t])} · ` +
    `Gain ${f(sol.gain[t])} · Quality ${f(sol.quality[t])}`, colour((sol[by] || {})[t])));
}

async function main() {
  info = await (await fetch("/api/info")).json();
  $("source").textContent = `affinities: ${info.source}`;
  $("bank-link").hidden = !info.taskbank;
  $("budget").max = info.tasks.length;
  for (let k = 1; k <= info.limits.max_order; k++) $("order").add(new Option(k, k));
  $("tasks").tBodies[0].innerHTML = info.tasks.map((t) =>
    `<tr data-task="${t}"><td>${t}</td><td><select><option value="target">target</option>` +
    `<option value="source">source (not a target)</option>` +
    `<option value="source_only">source-only</option><option value="unused">unused</option>` +
    `</select></td><td><input type="number" min="0" step="0.1" value="1"></td>` +
    `<td><input type="number" min="0" step="0.1" value="1"></td></tr>`).join("");
  let saved = {};
  try { saved = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "{}"); } catch { }
  restore(saved);
  $("form").addEventListener("input", update);
  $("colour-by").addEventListener("input", () => lastSolution && drawGraph(lastSolution));
  window.addEventListener("resize", () => lastSolution && drawGraph(lastSolution));
  $("download").addEventListener("click", (e) => {
    e.preventDefault();
    const blob = new Blob([JSON.stringify(lastSolution, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "taxonomy.json";
    a.click();
  });
  await update();
}
main();
