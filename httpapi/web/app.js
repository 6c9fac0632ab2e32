// accord web page: plain JavaScript, no build step, no dependencies.
// Views are chosen by the URL fragment:
//   #/                        agreements table (?as_of=&known_at=)
//   #/agreement/ID            one agreement: stage, transitions, timeline with sources
//   #/country/CODE            a country's leaders and timeline
//   #/network                 the network of countries at a date (?as_of=)
//   #/scenarios               run an example scenario, baseline vs scenario chart
// All text from the API is inserted as text (never as HTML).
"use strict";

const MILESTONES = ["proposed", "negotiating", "agreed_in_principle", "signed", "approved", "in_force"];
const LIFECYCLE = new Set(["agreement_proposed", "talks_opened", "talks_round_held", "talks_stalled", "talks_resumed",
  "agreed_in_principle", "text_initialled", "agreement_signed", "domestic_approval_completed", "instruments_exchanged",
  "entered_into_force", "provisionally_applied", "suspended", "terminated", "abandoned"]);
const DAY = 86400000;

// el builds an element: el("a", {href: "#"}, "text", child, ...).
function el(tag, attrs, ...children) {
  const svg = ["svg", "circle", "line", "text", "g", "title"].includes(tag) || (tag === "a" && attrs && attrs.svg);
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === "svg") continue;
    if (k === "class") e.setAttribute("class", v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function stageBadge(stage) {
  const s = stage || "none";
  return el("span", {class: "badge stage-" + s, "data-stage": s}, s.replaceAll("_", " "));
}

function confBadge(c) {
  return el("span", {class: "badge conf-" + c}, c);
}

// api fetches a JSON endpoint; errors carry the API's message.
async function api(path, opts) {
  const res = await fetch(path, Object.assign({headers: {"Accept": "application/json"}}, opts || {}));
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const err = new Error((body && body.error && body.error.message) || res.status + " " + res.statusText);
    err.status = res.status;
    err.kind = body && body.error && body.error.kind;
    throw err;
  }
  return body;
}

// route parses the fragment into a view name, a path argument and query.
function route() {
  const h = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = h.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return {view: parts[0] || "agreements", arg: parts[1], query: new URLSearchParams(qs || "")};
}

function go(view, query) {
  const qs = query && query.toString();
  location.hash = "#/" + view + (qs ? "?" + qs : "");
}

function isoDay(t) { return new Date(t).toISOString().slice(0, 10); }
function today() { return isoDay(Date.now()); }

// cutQuery builds the API's time-axis query from the page's query.
function cutQuery(q) {
  const p = new URLSearchParams();
  for (const k of ["as_of", "known_at"]) if (q.get(k)) p.set(k, q.get(k));
  return p.toString();
}

let dateRange = null; // [first event day, today] for the sliders

async function getDateRange() {
  if (dateRange) return dateRange;
  let first = "2000-01-01";
  try {
    const all = await api("/v1/agreements");
    const days = [];
    for (const a of all.agreements) for (const t of a.transitions) if (t.date) days.push(t.date.length === 4 ? t.date + "-01-01" : t.date.length === 7 ? t.date + "-01" : t.date);
    days.sort();
    if (days.length) first = days[0];
  } catch (_) { /* keep the default */ }
  const start = Date.parse(first.slice(0, 4) + "-01-01");
  dateRange = [start, Date.parse(today())];
  return dateRange;
}

// dateSlider is the "as of" control: a range of days, labelled, that
// navigates on release; an optional "known at" date beside it.
async function dateSlider(view, q, withKnownAt) {
  const [min, max] = await getDateRange();
  const asOf = q.get("as_of") || today();
  const value = Math.min(max, Math.max(min, Date.parse(asOf)));
  const label = el("span", {class: "date", id: "as-of-label"}, asOf);
  const slider = el("input", {type: "range", id: "as-of", min: 0, max: Math.round((max - min) / DAY), step: 1,
    value: Math.round((value - min) / DAY), "aria-label": "as of date"});
  slider.addEventListener("input", () => { label.textContent = isoDay(min + slider.value * DAY); });
  slider.addEventListener("change", () => {
    const p = new URLSearchParams(q);
    p.set("as_of", isoDay(min + slider.value * DAY));
    go(view, p);
  });
  const parts = [el("label", {for: "as-of"}, "As of"), slider, label];
  if (withKnownAt) {
    const known = el("input", {type: "date", id: "known-at", value: q.get("known_at") || ""});
    known.addEventListener("change", () => {
      const p = new URLSearchParams(q);
      if (known.value) p.set("known_at", known.value); else p.delete("known_at");
      go(view, p);
    });
    parts.push(el("label", {for: "known-at", title: "only what had been reported by this date"}, "Known at"), known);
  }
  parts.push(el("button", {class: "link", type: "button", onclick: () => go(view, null)}, "now"));
  return el("div", {class: "controls card"}, parts);
}

function errorBox(err) {
  return el("div", {class: "error", role: "alert"}, err.message || String(err));
}

// ---- views ----

async function viewAgreements(q) {
  const data = await api("/v1/agreements?" + cutQuery(q));
  const counts = {};
  for (const a of data.agreements) counts[a.stage || "none"] = (counts[a.stage || "none"] || 0) + 1;
  const rows = data.agreements.map(a => el("tr", {"data-id": a.id},
    el("td", {}, el("a", {href: "#/agreement/" + encodeURIComponent(a.id) + (cutQuery(q) ? "?" + cutQuery(q) : ""), class: "agreement-link"}, a.title || a.id),
      el("div", {class: "muted"}, a.id)),
    el("td", {}, a.parties.map((p, i) => [i ? " " : "", el("a", {href: "#/country/" + p}, p)])),
    el("td", {}, stageBadge(a.stage)),
    el("td", {class: "nowrap"}, a.since || "–"),
    el("td", {class: "num"}, a.days_in_stage),
    el("td", {class: "num"}, a.events)));
  return [
    el("h1", {}, "Agreements"),
    el("p", {class: "muted"}, "Every agreement's stage as of the chosen date, from the log of sourced events."),
    await dateSlider("agreements", q, true),
    el("div", {class: "summary-counts"}, Object.keys(counts).sort().map(s => el("span", {}, stageBadge(s), " ", counts[s]))),
    data.agreements.length ? el("table", {id: "agreements"},
      el("thead", {}, el("tr", {}, el("th", {}, "Agreement"), el("th", {}, "Parties"), el("th", {}, "Stage"), el("th", {}, "Since"),
        el("th", {class: "num"}, "Days in stage"), el("th", {class: "num"}, "Events"))),
      el("tbody", {}, rows))
      : el("p", {class: "muted"}, "No agreement has an event by this date."),
  ];
}

function sourceLine(src, confidence) {
  if (!src) return null;
  const title = src.title || src.url || "";
  return el("div", {class: "source"}, "Source: ", src.publication,
    title ? [", ", src.url ? el("a", {href: src.url, target: "_blank", rel: "noopener noreferrer"}, title) : el("em", {}, title)] : null,
    src.date ? " (" + src.date + ")" : null, " ", confBadge(confidence));
}

function timelineList(entries) {
  if (!entries.length) return el("p", {class: "muted"}, "No events by this date.");
  return el("ol", {class: "timeline", id: "timeline"}, entries.map(e =>
    el("li", {class: "entry" + (LIFECYCLE.has(e.type) ? " lifecycle" : ""), "data-type": e.type},
      el("div", {}, el("span", {class: "when"}, e.occurred_at), el("span", {class: "type"}, e.type.replaceAll("_", " ")),
        e.reported_at && e.reported_at !== e.occurred_at ? el("span", {class: "muted"}, " (reported " + e.reported_at + ")") : null,
        e.corrected ? el("span", {class: "badge"}, "corrected") : null),
      el("div", {class: "summary"}, e.summary),
      sourceLine(e.source, e.confidence))));
}

async function viewAgreement(id, q) {
  const cq = cutQuery(q);
  let a;
  try {
    a = await api("/v1/agreements/" + encodeURIComponent(id) + (cq ? "?" + cq : ""));
  } catch (err) {
    if (err.status !== 404) throw err;
    return [el("h1", {}, id), await dateSlider("agreement/" + id, q, true), errorBox(err)];
  }
  const tl = await api("/v1/timeline/" + encodeURIComponent(id) + (cq ? "?" + cq : ""));
  const reached = new Set(a.transitions.map(t => t.stage === "stalled" ? "negotiating" : t.stage === "provisionally_applied" ? "approved" : t.stage));
  const cur = a.stage === "stalled" ? "negotiating" : a.stage === "provisionally_applied" ? "approved" : a.stage;
  const progress = el("div", {class: "progress", "aria-label": "lifecycle"}, MILESTONES.map(m =>
    el("div", {class: m === cur ? "current" : reached.has(m) ? "done" : ""}, m.replaceAll("_", " "))));
  const facts = el("dl", {class: "facts"},
    el("dt", {}, "Id"), el("dd", {}, a.id),
    el("dt", {}, "Parties"), el("dd", {}, a.parties.map((p, i) => [i ? ", " : "", el("a", {href: "#/country/" + p}, p)])),
    el("dt", {}, "Kind"), el("dd", {}, a.kind || "–"),
    el("dt", {}, "Stage"), el("dd", {id: "stage"}, stageBadge(a.stage), a.since ? " since " + a.since + " (" + a.days_in_stage + " days)" : ""),
    a.exchanged ? [el("dt", {}, "Instruments exchanged"), el("dd", {}, a.exchanged)] : null,
    el("dt", {}, "Approvals"), el("dd", {}, a.approvals.map(p => el("div", {}, p.party, ": ",
      p.pending ? el("span", {class: "muted"}, "pending") : ["done ", p.date || "", p.body ? " — " + p.body : ""]))),
    a.blockers.length ? [el("dt", {}, "Open blockers"), el("dd", {}, a.blockers.map(b => el("div", {},
      b.date + " " + b.country + ": " + b.to + " became " + b.office.replaceAll("_", " ") + " (while " + b.stage.replaceAll("_", " ") + ")")))] : null,
    a.expectation ? [el("dt", {}, "Latest expectation"), el("dd", {}, a.expectation.expected_type.replaceAll("_", " ") + " by " + a.expectation.expected_by +
      ", said by " + a.expectation.said_by + " (reported " + a.expectation.reported_at + ")")] : null);
  const transitions = el("table", {id: "transitions"},
    el("thead", {}, el("tr", {}, el("th", {}, "Date"), el("th", {}, "Stage"), el("th", {}, "Event"), el("th", {}, "Source"))),
    el("tbody", {}, a.transitions.map(t => el("tr", {},
      el("td", {}, t.date), el("td", {}, stageBadge(t.stage)), el("td", {}, t.type.replaceAll("_", " ")),
      el("td", {}, sourceLine(t.source, t.confidence))))));
  return [
    el("p", {}, el("a", {href: "#/" + (cq ? "?" + cq : "")}, "← all agreements")),
    el("h1", {id: "agreement-title"}, a.title || a.id),
    await dateSlider("agreement/" + encodeURIComponent(id), q, true),
    progress,
    el("div", {class: "layout"},
      el("section", {}, el("h2", {}, "Timeline"), timelineList(tl.entries)),
      el("section", {}, el("h2", {}, "Facts"), el("div", {class: "card"}, facts),
        el("h2", {}, "Stage transitions"), a.transitions.length ? transitions : el("p", {class: "muted"}, "None yet."))),
  ];
}

async function viewCountry(code, q) {
  const cq = cutQuery(q);
  const out = [el("h1", {}, code), await dateSlider("country/" + code, q, true)];
  try {
    const l = await api("/v1/countries/" + encodeURIComponent(code) + "/leaders" + (cq ? "?" + cq : ""));
    out.push(el("h2", {}, "Leaders"), el("table", {id: "leaders"},
      el("thead", {}, el("tr", {}, el("th", {}, "Office"), el("th", {}, "Holder"), el("th", {}, "Since"), el("th", {class: "num"}, "Holders in 60 days"), el("th", {}, "History"))),
      el("tbody", {}, l.offices.map(o => el("tr", {}, el("td", {}, o.office.replaceAll("_", " ")), el("td", {}, o.holder || "vacant"),
        el("td", {}, o.since || "–"), el("td", {class: "num"}, o.holders_last_60d),
        el("td", {class: "muted"}, o.holders.map(h => h.holder).join(" → ")))))));
  } catch (err) {
    if (err.status !== 404) throw err;
    out.push(el("p", {class: "muted"}, "No leadership changes recorded."));
  }
  const tl = await api("/v1/timeline/" + encodeURIComponent(code) + (cq ? "?" + cq : ""));
  out.push(el("h2", {}, "Timeline (the country and its agreements)"), timelineList(tl.entries));
  return out;
}

async function viewNetwork(q) {
  const cq = cutQuery(q);
  const n = await api("/v1/network" + (cq ? "?" + cq : ""));
  const size = 640, cx = size / 2, cy = size / 2, R = size / 2 - 70;
  const nodes = n.nodes.slice().sort((a, b) => a.country.localeCompare(b.country));
  const pos = {};
  nodes.forEach((node, i) => {
    const ang = -Math.PI / 2 + 2 * Math.PI * i / Math.max(1, nodes.length);
    pos[node.country] = [cx + R * Math.cos(ang), cy + R * Math.sin(ang), ang];
  });
  const maxB = Math.max(0.0001, ...n.nodes.map(x => x.betweenness));
  const radius = node => 7 + 26 * Math.sqrt(node.betweenness / maxB);
  const pairs = {};
  for (const e of n.edges) {
    const k = e.a + "|" + e.b;
    (pairs[k] = pairs[k] || []).push(e);
  }
  const stageColor = s => ({in_force: "#2e8b57", approved: "#3aa17e", provisionally_applied: "#6aa84f", signed: "#2b7bb9",
    agreed_in_principle: "#5b7fd6", negotiating: "#d4a017", stalled: "#e07b39", suspended: "#9b59b6"})[s] || "#8895a7";
  const svg = el("svg", {class: "network", id: "network", viewBox: `0 0 ${size} ${size}`, role: "img",
    "aria-label": "network of countries; larger circles are hubs"},
    Object.entries(pairs).map(([k, es]) => {
      const [a, b] = k.split("|");
      const [x1, y1] = pos[a], [x2, y2] = pos[b];
      return el("line", {x1, y1, x2, y2, stroke: stageColor(es[es.length - 1].stage), "stroke-width": 1.5 + 1.5 * (es.length - 1), "stroke-opacity": 0.75},
        el("title", {}, a + "–" + b + ": " + es.map(e => e.agreement + " (" + e.stage.replaceAll("_", " ") + ")").join(", ")));
    }),
    nodes.map(node => {
      const [x, y, ang] = pos[node.country];
      const r = radius(node);
      const lx = x + (r + 6) * Math.cos(ang), ly = y + (r + 6) * Math.sin(ang);
      return el("a", {svg: true, href: "#/country/" + node.country},
        el("circle", {cx: x, cy: y, r, fill: node.betweenness > 0 ? "#1f5fbf" : "#7f9cc9", "fill-opacity": 0.9, stroke: "#fff", "stroke-width": 1.5, "data-country": node.country},
          el("title", {}, `${node.country}: ${node.degree} partners, ${node.agreements} agreements, betweenness ${node.betweenness.toFixed(3)}`)),
        el("text", {x: lx, y: ly + 4, "text-anchor": Math.cos(ang) > 0.3 ? "start" : Math.cos(ang) < -0.3 ? "end" : "middle"}, node.country));
    }));
  const hubs = el("table", {id: "hubs"},
    el("thead", {}, el("tr", {}, el("th", {}, "Country"), el("th", {class: "num"}, "Betweenness"), el("th", {class: "num"}, "Partners"), el("th", {class: "num"}, "Agreements"))),
    el("tbody", {}, n.nodes.map(x => el("tr", {}, el("td", {}, el("a", {href: "#/country/" + x.country}, x.country)),
      el("td", {class: "num"}, x.betweenness.toFixed(3)), el("td", {class: "num"}, x.degree), el("td", {class: "num"}, x.agreements)))));
  const legend = el("div", {class: "legend"}, ["negotiating", "agreed_in_principle", "signed", "approved", "in_force"].map(stageBadge));
  return [
    el("h1", {}, "Network of countries"),
    el("p", {class: "muted"}, "Countries are nodes; an agreement at stage negotiating or later is an edge between each pair of its parties. ",
      "Circle size is betweenness centrality: the hubs that connect the others."),
    await dateSlider("network", q, true),
    n.nodes.length ? el("div", {class: "layout"}, el("section", {}, svg, legend), el("section", {}, el("h2", {}, "Hubs first"), hubs))
      : el("p", {class: "muted"}, "No agreements in the network by this date."),
  ];
}

async function viewScenarios() {
  const head = [el("h1", {}, "Scenarios"),
    el("p", {class: "muted"}, "What-if scenarios: a branch of the log with hypothetical edits, forecast against the baseline with the same random numbers.")];
  let list;
  try {
    list = await api("/v1/scenarios");
  } catch (err) {
    if (err.status !== 501) throw err;
    return [...head, el("div", {class: "placeholder", id: "scenario-placeholder"},
      el("strong", {}, "The scenario engine is not available in this build yet. "), err.message)];
  }
  const result = el("div", {id: "scenario-result"});
  const items = (list.scenarios || []).map(s => {
    const btn = el("button", {type: "button", class: "run", "data-name": s.name}, "Run");
    btn.addEventListener("click", () => runScenario(s.name, btn, result));
    return el("tr", {}, el("td", {}, el("strong", {}, s.name)), el("td", {}, s.description || ""), el("td", {}, btn));
  });
  return [...head,
    items.length ? el("table", {id: "scenarios"}, el("thead", {}, el("tr", {}, el("th", {}, "Scenario"), el("th", {}, "What it assumes"), el("th", {}, ""))),
      el("tbody", {}, items)) : el("p", {class: "muted"}, "No scenarios are available."),
    result];
}

async function runScenario(name, btn, out) {
  btn.disabled = true;
  out.replaceChildren(el("p", {class: "muted"}, "Running " + name + "…"));
  try {
    const r = await api("/v1/scenarios/" + encodeURIComponent(name) + "/run", {method: "POST"});
    const parts = [el("h2", {}, name + ": baseline versus scenario")];
    if (r.chart_svg) {
      const img = el("img", {id: "scenario-chart", alt: "baseline versus scenario chart for " + name,
        src: "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(r.chart_svg)))});
      parts.push(el("div", {class: "chart card"}, img));
    }
    const rep = r.report || {};
    const deltas = (rep.delta && rep.delta.forecasts) || [];
    parts.splice(1, 0, el("p", {class: "muted"}, "Known at " + rep.known_at + " · " + rep.runs + " runs · seed " + rep.seed +
      " · edits: " + ((rep.edits || []).join("; ") || "none")));
    if (deltas.length) {
      parts.push(el("table", {id: "scenario-table"},
        el("thead", {}, el("tr", {}, el("th", {}, "Agreement"), el("th", {}, "Milestone"), el("th", {}, "Baseline median"),
          el("th", {}, "Scenario median"), el("th", {class: "num"}, "Shift (days)"))),
        el("tbody", {}, deltas.map(d => el("tr", {},
          el("td", {}, el("a", {href: "#/agreement/" + encodeURIComponent(d.agreement)}, d.agreement)),
          el("td", {}, stageBadge(d.stage)), el("td", {}, d.median_baseline || "beyond horizon"),
          el("td", {}, d.median_scenario || "beyond horizon"),
          el("td", {class: "num"}, d.median_shift_days === null || d.median_shift_days === undefined ? "–" : d.median_shift_days))))));
    }
    const expl = (rep.delta && rep.delta.explanation) || "";
    if (expl) parts.push(el("div", {class: "card explanation"}, expl.split(/\n+/).filter(Boolean).map(p => el("p", {}, p))));
    out.replaceChildren(...parts);
  } catch (err) {
    out.replaceChildren(errorBox(err));
  } finally {
    btn.disabled = false;
  }
}

// ---- router ----

let rendering = 0;

async function render() {
  const main = document.getElementById("main");
  const r = route();
  const my = ++rendering;
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === r.view || (a.dataset.nav === "agreements" && r.view === "agreement"));
  }
  let nodes;
  try {
    switch (r.view) {
      case "agreement": nodes = await viewAgreement(r.arg, r.query); break;
      case "country": nodes = await viewCountry(r.arg, r.query); break;
      case "network": nodes = await viewNetwork(r.query); break;
      case "scenarios": nodes = await viewScenarios(); break;
      default: nodes = await viewAgreements(r.query);
    }
  } catch (err) {
    nodes = [errorBox(err)];
  }
  if (my !== rendering) return; // a newer navigation won
  main.replaceChildren(...nodes.flat().filter(Boolean));
  main.dataset.view = r.view;
  document.title = "accord · " + (r.arg || r.view);
}

window.addEventListener("hashchange", render);
render();
