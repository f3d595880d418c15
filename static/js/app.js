// Progressive enhancements; the pages work without them.
"use strict";

// Show <time data-local> values in the viewer's time zone, keeping the UTC value in the title.
function localizeTimes(root) {
  root.querySelectorAll("time[data-local]").forEach((el) => {
    const moment = new Date(el.getAttribute("datetime"));
    if (isNaN(moment)) return;
    el.title = el.getAttribute("datetime");
    el.textContent = moment.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short",
    });
    el.removeAttribute("data-local");
  });
}

document.addEventListener("DOMContentLoaded", () => localizeTimes(document));
document.addEventListener("htmx:afterSwap", (event) => localizeTimes(event.target));
