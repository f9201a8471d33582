/* The network view: a Cytoscape chart over /api/cases/{case}/network/..., a vis-timeline of
   the selected person's events, filters by tie type and period, paths and exports.
   The page carries its starting data in data-* attributes (the CSP forbids inline scripts). */
(function () {
  "use strict";

  const root = document.getElementById("network-app");
  const $ = (id) => document.getElementById(id);
  const caseName = root.dataset.case;
  const csrf = root.dataset.csrf;
  const overview = JSON.parse(root.dataset.overview);
  const api = "/api/cases/" + encodeURIComponent(caseName);
  const allTypes = overview.tie_types;
  // Distinct, dark enough for a white label box beside them; cycled when there are more groups.
  const PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"];
  const UNGROUPED = "#b0bec5";
  const groupColour = new Map(overview.groups.map((g, i) => [g.id, PALETTE[i % PALETTE.length]]));
  const groupSize = new Map(overview.groups.map((g) => [g.id, g.people]));

  if (typeof cytoscapeFcose !== "undefined") cytoscape.use(cytoscapeFcose);

  const cy = cytoscape({
    container: $("cy"),
    minZoom: 0.05,
    maxZoom: 4,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", label: "data(label)", "font-size": 10, color: "#111",
        "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#fff",
        "text-background-opacity": 0.85, "text-background-padding": 1, width: 22, height: 22,
        "border-width": 1, "border-color": "#333" } },
      { selector: "node[rank > 0]", style: { width: 30, height: 30 } },
      { selector: "node[role = 'organiser']", style: { shape: "star" } },
      { selector: "node[?victim], node[?child]", style: {
        shape: "diamond", "border-width": 4, "border-color": "#b00020" } },
      { selector: "edge", style: {
        "line-color": "#90a4ae", width: "mapData(count, 1, 20, 1.5, 6)", "curve-style": "bezier" } },
      { selector: "edge:selected", style: { label: "data(type)", "font-size": 9, "line-color": "#455a64" } },
      { selector: "node:selected", style: { "border-width": 5, "border-color": "#f0b400" } },
      { selector: ".filtered", style: { display: "none" } },
      { selector: "edge.path", style: { "line-color": "#e65100", width: 6, "z-index": 10, display: "element" } },
      { selector: "node.path", style: { "border-width": 5, "border-color": "#e65100", display: "element" } },
    ],
  });
  window.lanternNetwork = cy; // for the browser tests and the console: nothing is stored

  // ---- talking to the API --------------------------------------------------------------

  function say(text, problem) {
    $("status").textContent = text;
    $("status").classList.toggle("problem", Boolean(problem));
  }

  function detailOf(body, status) {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
    return "the server answered " + status;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(detailOf(body, response.status));
    return body;
  }

  // ---- the chart -------------------------------------------------------------------------

  function colourOf(group) {
    return group ? groupColour.get(group) || PALETTE[0] : UNGROUPED;
  }

  function addGraph(graph) {
    const fresh = [];
    for (const n of graph.nodes) {
      if (cy.getElementById(n.id).empty()) fresh.push({ group: "nodes", data: { ...n, colour: colourOf(n.group) } });
    }
    for (const e of graph.edges) {
      if (cy.getElementById(e.id).empty()) fresh.push({ group: "edges", data: e });
    }
    cy.add(fresh);
    if (graph.capped) say(`Only ${graph.nodes.length} of the ${graph.matched} people matched are shown.`, true);
    return fresh.length;
  }

  const LARGE_CHART = 300;

  function layout(randomize) {
    const shown = cy.elements().not(".filtered");
    const n = shown.nodes().length;
    // fcose's "proof" pass and label-aware spacing are what make a large chart slow (bench/web.py:
    // 2,000 people took minutes): past a few hundred people, draft quality, spacing by node only.
    const large = n > LARGE_CHART;
    const options = n > 2
      ? { name: "fcose", animate: false, randomize: randomize || large, padding: 30,
          quality: large ? "draft" : "default", nodeDimensionsIncludeLabels: !large }
      : { name: "grid", padding: 60 };
    shown.layout(options).run();
    cy.fit(shown, 30);
  }

  function changed() {
    applyFilters();
    updateLegend();
    updatePeopleList();
    root.dataset.nodes = String(cy.nodes().length);
    root.dataset.visible = String(cy.nodes().not(".filtered").length);
  }

  // ---- filters: tie types and a period, on the chart and on every later request -----------

  function activeTypes() {
    return [...document.querySelectorAll('input[name="tie-type"]:checked')].map((box) => box.value);
  }

  function period() {
    return { from: $("date-from").value || null, to: $("date-to").value || null };
  }

  function keeps(edge, types, when) {
    if (!types.includes(edge.data("type"))) return false;
    if (!when.from && !when.to) return true;
    const first = (edge.data("first") || "").slice(0, 10);
    const last = (edge.data("last") || edge.data("first") || "").slice(0, 10);
    if (!first) return false; // an undated tie cannot be placed in a period
    return (!when.from || last >= when.from) && (!when.to || first <= when.to);
  }

  function applyFilters() {
    const types = activeTypes();
    const when = period();
    const filtering = types.length < allTypes.length || when.from || when.to;
    cy.batch(() => {
      cy.edges().forEach((e) => e.toggleClass("filtered", !keeps(e, types, when)));
      // A person is hidden only when every tie drawn to them is: the network as it stood then.
      cy.nodes().forEach((n) => {
        const ties = n.connectedEdges();
        n.toggleClass("filtered", Boolean(filtering) && ties.length > 0 && ties.not(".filtered").empty() && !n.selected());
      });
    });
    root.dataset.visible = String(cy.nodes().not(".filtered").length);
  }

  function filterQuery() {
    const params = new URLSearchParams();
    const types = activeTypes();
    if (types.length < allTypes.length) params.set("types", types.join(","));
    const when = period();
    if (when.from) params.set("from", when.from);
    if (when.to) params.set("to", when.to);
    return params.toString();
  }

  function refilter() {
    applyFilters();
    const when = period();
    say(`Showing ${cy.nodes().not(".filtered").length} of ${cy.nodes().length} people` +
      (when.from || when.to ? ` with ties active ${when.from || "…"} to ${when.to || "…"}` : "") + ".");
    root.dataset.visible = String(cy.nodes().not(".filtered").length);
  }

  // ---- legend, the list of people on the chart, the details panel --------------------------

  function updateLegend() {
    const legend = $("legend");
    legend.querySelectorAll("li.group").forEach((li) => li.remove());
    const groups = [...new Set(cy.nodes().map((n) => n.data("group")).filter(Boolean))].sort().slice(0, 30);
    for (const g of groups) {
      const li = document.createElement("li");
      li.className = "group";
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = colourOf(g);
      li.append(swatch, ` group ${g} (${groupSize.get(g) || "?"} people)`);
      legend.append(li);
    }
  }

  function updatePeopleList() {
    const list = $("shown-people");
    list.replaceChildren(...cy.nodes().map((n) => {
      const option = document.createElement("option");
      option.value = n.id();
      option.textContent = n.data("label");
      return option;
    }));
  }

  function showDetails(node) {
    const list = $("details-list");
    const d = node.data();
    const rows = [["Label", d.label], ["Entity", d.id], ["Group", d.group || "none"], ["Role", d.role || "none"],
      ["Key-player rank", d.rank || "not ranked"], ["Victim", d.victim ? "yes (pseudonymised)" : "no"],
      ["Child", d.child ? "yes (pseudonymised)" : "no"], ["Ties on the chart", node.connectedEdges().length],
      ["Records", d.records]];
    list.replaceChildren(...rows.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      return [dt, dd];
    }));
    const base = "/cases/" + encodeURIComponent(caseName);
    $("profile-link").href = `${base}/people/${encodeURIComponent(d.id)}`;
    $("chronology-link").href = `${base}/chronology?subject=${encodeURIComponent(d.id)}`;
    list.hidden = false;
    $("details-links").hidden = false;
    $("details-empty").hidden = true;
  }

  // ---- expanding, selecting, paths ---------------------------------------------------------

  async function expand(id, depth) {
    say(`Loading the ties of ${id}…`);
    try {
      const query = filterQuery();
      const graph = await getJSON(`${api}/network/ego/${encodeURIComponent(id)}?depth=${depth}${query ? "&" + query : ""}`);
      const added = addGraph(graph);
      changed();
      if (added) layout(false);
      if (!graph.capped) say(`${id}: ${graph.nodes.length - 1} people within ${depth} tie(s); ${added} new on the chart.`);
    } catch (err) {
      say(err.message, true);
    }
  }

  function select(node) {
    cy.elements().unselect();
    node.select();
    showDetails(node);
    showEvents(node.id(), node.data("label"));
  }

  async function showPerson(id, depth) {
    await expand(id, depth);
    const node = cy.getElementById(id);
    if (node.nonempty()) {
      select(node);
      cy.animate({ center: { eles: node } }, { duration: 200 });
    }
  }

  function clearPath() {
    cy.elements().removeClass("path");
  }

  async function highlightPath(source, target) {
    say(`Looking for paths from ${source} to ${target}…`);
    try {
      const found = await getJSON(`${api}/network/path?source=${encodeURIComponent(source)}&target=${encodeURIComponent(target)}`);
      clearPath();
      if (!found.paths.length) {
        say(`No path links ${found.source} and ${found.target} in the network.`);
        return;
      }
      const added = addGraph(found.graph);
      changed();
      if (added) layout(false);
      cy.batch(() => {
        for (const n of found.graph.nodes) cy.getElementById(n.id).addClass("path");
        for (const e of found.graph.edges) cy.getElementById(e.id).addClass("path");
      });
      root.dataset.path = String(cy.elements(".path").length);
      say(`${found.paths.length} shortest path(s): ` + found.paths.map((p) => p.join(" – ")).join("; "));
    } catch (err) {
      say(err.message, true);
    }
  }

  // ---- the chronology of the selected person -------------------------------------------------

  const items = new vis.DataSet();
  let timeline = null;

  async function showEvents(id, label) {
    $("timeline-status").textContent = `Loading the events of ${label}…`;
    try {
      const found = await getJSON(`${api}/timeline?subject=${encodeURIComponent(id)}`);
      const dated = LanternTimeline.itemsOf(found.events);
      items.clear();
      items.add(dated);
      if (!timeline) {
        timeline = new vis.Timeline($("timeline"), items, { height: "230px", stack: true, zoomKey: "ctrlKey" });
      } else if (dated.length) {
        timeline.fit({ animation: false });
      }
      $("timeline-status").textContent = `${found.events.length} events of ${found.label}` +
        (found.events.length > dated.length ? ` (${found.events.length - dated.length} undated, not drawn)` : "") +
        ". Zoom or pan to a period, then show the network in it.";
      root.dataset.events = String(dated.length);
    } catch (err) {
      $("timeline-status").textContent = err.message;
    }
  }

  function isoDay(when) {
    const d = new Date(when.getTime() - when.getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 10);
  }

  // ---- exports -------------------------------------------------------------------------------

  function fileNameOf(disposition, format) {
    const found = /filename="([^"]+)"/.exec(disposition || "");
    return found ? found[1] : `lantern-network.${format}`;
  }

  async function exportView(format) {
    const when = period();
    const nodes = cy.nodes().not(".filtered").map((n) => n.id());
    const body = { format, nodes, recipient: $("recipient").value, password: $("export-password").value,
      csrf_token: csrf, types: activeTypes(), from: when.from, to: when.to };
    say(`Exporting ${nodes.length} people as ${format.toUpperCase()}…`);
    const response = await fetch(`${api}/network/export`, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    $("export-password").value = "";
    if (!response.ok) {
      say(detailOf(await response.json().catch(() => ({})), response.status), true);
      return;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = fileNameOf(response.headers.get("Content-Disposition"), format);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say(`Exported ${nodes.length} people as ${format.toUpperCase()} for ${body.recipient} (audited).`);
  }

  // ---- wiring --------------------------------------------------------------------------------

  cy.on("tap", "node", (event) => {
    select(event.target);
    expand(event.target.id(), 1);
  });

  $("cy").addEventListener("keydown", (event) => {
    const chosen = cy.nodes(":selected");
    if (event.key === "Enter" && chosen.nonempty()) {
      event.preventDefault();
      expand(chosen[0].id(), 1);
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      // Step through the people shown, in entity order: the chart without a mouse.
      event.preventDefault();
      const shown = cy.nodes().not(".filtered").sort((a, b) => a.id().localeCompare(b.id()));
      if (shown.empty()) return;
      const at = chosen.nonempty() ? shown.indexOf(chosen[0]) : -1;
      const step = event.key === "ArrowRight" ? 1 : -1;
      select(shown[(at + step + shown.length) % shown.length]);
    }
  });

  $("show-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("entity").value.trim().toUpperCase();
    if (id) showPerson(id, Number($("depth").value));
  });

  $("expand").addEventListener("click", () => {
    const chosen = cy.nodes(":selected");
    if (chosen.nonempty()) expand(chosen[0].id(), Number($("depth").value));
    else say("Select a person first.", true);
  });

  $("reset").addEventListener("click", () => {
    cy.elements().remove();
    addGraph(overview.start);
    changed();
    layout(true);
    say(`Back to the key players: ${cy.nodes().length} people.`);
  });

  for (const input of document.querySelectorAll('input[name="tie-type"], #date-from, #date-to')) {
    input.addEventListener("change", refilter);
  }

  $("clear-dates").addEventListener("click", () => {
    $("date-from").value = "";
    $("date-to").value = "";
    refilter();
  });

  $("use-period").addEventListener("click", () => {
    if (!timeline) {
      say("Select a person first: their events give the period.", true);
      return;
    }
    const shown = timeline.getWindow();
    $("date-from").value = isoDay(shown.start);
    $("date-to").value = isoDay(shown.end);
    refilter();
  });

  $("path-form").addEventListener("submit", (event) => {
    event.preventDefault();
    highlightPath($("path-source").value.trim().toUpperCase(), $("path-target").value.trim().toUpperCase());
  });

  $("clear-path").addEventListener("click", () => {
    clearPath();
    root.dataset.path = "0";
  });

  $("export-form").addEventListener("submit", (event) => {
    event.preventDefault();
    exportView(event.submitter && event.submitter.value === "png" ? "png" : "anx");
  });

  // ---- start: the key players, or the person asked for ---------------------------------------

  addGraph(overview.start);
  changed();
  layout(true);
  say(`The key players of ${overview.groups.length} groups: ${cy.nodes().length} people. Select one to expand.`);
  if (root.dataset.focus) showPerson(root.dataset.focus, 1);
})();
