/* The chronology page: the same events as the table below it, drawn on a vis-timeline.
   The events come in the page's data-events attribute (the CSP forbids inline scripts). */
(function () {
  "use strict";

  const holder = document.getElementById("timeline");
  const events = JSON.parse(holder.dataset.events);

  function toDate(text) {
    return new Date(text.replace(" ", "T"));
  }

  function contentOf(event) {
    const span = document.createElement("span"); // an element, not HTML: nothing from a record is parsed
    const text = `${event.kind}: ${event.summary}`;
    span.textContent = text.length > 60 ? text.slice(0, 57) + "…" : text;
    return span;
  }

  const dated = events.filter((e) => e.when !== "undated");
  if (!dated.length) {
    holder.textContent = "No dated events to draw.";
    return;
  }
  const items = new vis.DataSet(dated.map((e, i) => ({
    id: i, start: toDate(e.when), end: e.until ? toDate(e.until) : undefined,
    type: e.until ? "range" : "box", content: contentOf(e),
  })));
  new vis.Timeline(holder, items, { height: "300px", stack: true, zoomKey: "ctrlKey" });
  holder.dataset.drawn = String(dated.length);
})();
