// Links to export or bulk edit the view follow the view as it is now: the browser form swaps its
// results in place and pushes the new query string, so the links take it from the address bar
// when clicked. Without JavaScript they carry the view the page was loaded with.
"use strict";

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-view-link]");
  if (!link) return;
  const query = new URLSearchParams(window.location.search);
  query.delete("cursor");
  if (link.dataset.format) query.set("format", link.dataset.format);
  link.href = `${link.pathname}?${query.toString()}`;
});
