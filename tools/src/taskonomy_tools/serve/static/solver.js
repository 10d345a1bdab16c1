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

function drawGraph(sol) {
  const svg = $("graph"), NS = "http://www.w3.org/2000/svg";
  svg.innerHTML = "";
  const roots = sol.roots || [], targets = Object.keys(sol.transfers || {});
  const W = Number(svg.getAttribute("width")), pos = {};
  const place = (names, y, cls) => names.forEach((n, i) => {
    const x = (W / (names.length + 1)) * (i + 1);
    pos[cls + n] = [x, y];
  });
  place(roots, 80, "r:");
  place(targets, 320, "t:");
  for (const t of targets) {
    for (const s of sol.transfers[t]) {
      const a = pos["r:" + (s === "self" ? t : s)], b = pos["t:" + t];
      if (!a) continue;
      const path = document.createElementNS(NS, "path");
      path.setAttribute("class", "edge");
      path.setAttribute("d", `M${a[0]},${a[1] + 10} C${a[0]},190 ${b[0]},190 ${b[0]},${b[1] - 10}`);
      path.setAttribute("stroke-width", 1 + 4 * (sol.values[t] || 0));
      svg.appendChild(path);
    }
  }
  const node = (key, label, cls, title) => {
    const [x, y] = pos[key], g = document.createElementNS(NS, "g");
    g.setAttribute("class", cls);
    g.setAttribute("data-node", label);
    g.setAttribute("transform", `translate(${x},${y})`);
    g.innerHTML = `<title>${title}</title><rect x="-16" y="-10" width="32" height="20" rx="4"/>` +
      `<text class="short" text-anchor="middle" y="4">${label.slice(0, 5)}</text>`;
    if (cls === "target") {
      g.innerHTML += `<text text-anchor="end" transform="rotate(-60) translate(-14,0)">${label}</text>`;
    } else {
      g.innerHTML += `<text text-anchor="start" transform="rotate(-30) translate(14,-8)">${label}</text>`;
    }
    svg.appendChild(g);
  };
  roots.forEach((r) => node("r:" + r, r, "root", `${r}: trained with full supervision`));
  targets.forEach((t) => node("t:" + t, t, "target",
    `${t} <- ${sol.transfers[t].join(" + ")} (value ${(sol.values[t] || 0).toFixed(3)})`));
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
