/* The chronology page: the same events as the table below it, drawn on a vis-timeline.
   The events come in the page's data-events attribute (the CSP forbids inline scripts). */
(function () {
  "use strict";

  const holder = document.getElementById("timeline");
  const events = JSON.parse(holder.dataset.events);

  const dated = LanternTimeline.itemsOf(events);
  if (!dated.length) {
    holder.textContent = "No dated events to draw.";
    return;
  }
  const items = new vis.DataSet(dated);
  new vis.Timeline(holder, items, { height: "300px", stack: true, zoomKey: "ctrlKey" });
  holder.dataset.drawn = String(dated.length);
})();
