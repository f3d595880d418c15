// The record browser's enhancements; every page works without them.
"use strict";

// "Copy" buttons copy the text of the element named by data-copy; the text stays selectable without JS.
function setUpCopyButtons(root) {
  root.querySelectorAll("button[data-copy]:not([data-copy-ready])").forEach((button) => {
    button.dataset.copyReady = "";
    const source = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        if (status) status.textContent = "Copied.";
      } catch {
        window.getSelection().selectAllChildren(source);
        if (status) status.textContent = "Copying was refused: the text is selected, press Ctrl+C.";
      }
    });
  });
}

// Links shown as buttons also answer the space bar, as buttons do.
document.addEventListener("keydown", (event) => {
  const link = event.target.closest && event.target.closest('a[role="button"]');
  if (link && event.key === " ") {
    event.preventDefault();
    link.click();
  }
});

// Keep keyboard focus on "Load more" when it is replaced by the next one (or by the end notice).
let loadMoreHadFocus = false;
document.addEventListener("htmx:beforeRequest", (event) => {
  loadMoreHadFocus = event.detail.elt.id === "load-more-link" && document.activeElement === event.detail.elt;
});
document.addEventListener("htmx:afterSettle", () => {
  if (!loadMoreHadFocus) return;
  loadMoreHadFocus = false;
  const next = document.getElementById("load-more-link") || document.querySelector("#load-more [role=status]");
  if (next) {
    if (next.tagName !== "A") next.tabIndex = -1;
    next.focus();
  }
});

document.addEventListener("DOMContentLoaded", () => setUpCopyButtons(document));
// Content htmx brings in (the results with their request preview) gets its buttons too.
document.addEventListener("htmx:load", (event) => setUpCopyButtons(event.detail.elt));
