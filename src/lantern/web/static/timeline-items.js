/* Chronology events as vis-timeline items, shared by the chronology and network pages.
   An item's content is an element, never HTML: nothing from a record is parsed. */
(function () {
  "use strict";

  function toDate(text) {
    return new Date(text.replace(" ", "T"));
  }

  function contentOf(event) {
    const span = document.createElement("span");
    const text = `${event.kind}: ${event.summary}`;
    span.textContent = text.length > 60 ? text.slice(0, 57) + "…" : text;
    return span;
  }

  /* The dated events (undated ones have no place on a timeline), as items. */
  function itemsOf(events) {
    return events.filter((e) => e.when !== "undated").map((e, i) => ({
      id: i, start: toDate(e.when), end: e.until ? toDate(e.until) : undefined,
      type: e.until ? "range" : "box", content: contentOf(e),
    }));
  }

  window.LanternTimeline = { itemsOf };
})();
