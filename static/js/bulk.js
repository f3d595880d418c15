// Export links follow the view as it is now: the browser form swaps its results in place and
// pushes the new query string, so the links take it from the address bar when clicked.
"use strict";

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-export]");
  if (!link) return;
  const query = new URLSearchParams(window.location.search);
  query.delete("cursor");
  query.set("format", link.dataset.export);
  link.href = `${link.pathname}?${query.toString()}`;
});
